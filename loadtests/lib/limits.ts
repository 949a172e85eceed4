// Bounds and the loopback-only rule. Pure: shared by the k6 scripts and the toolkit's option validation.

export const LIMITS = { vus: 1000, rate: 10_000, batch: 1000 } as const;

const LOOPBACK_URL = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?(\/.*)?$/;

/** The URL without trailing slashes; throws unless it points at this machine's loopback. */
export function checkBaseUrl(url: string): string {
  if (!LOOPBACK_URL.test(url)) {
    throw new Error(`BASE_URL ${url}: load tests may only target 127.0.0.1, localhost or [::1]`);
  }
  return url.replace(/\/+$/, '');
}
