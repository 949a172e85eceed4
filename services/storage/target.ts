// Splits a path-style S3 URL (/<bucket>/<key>?<query>) as received on the wire. Decoding is strict:
// a malformed percent-escape is a client error, not something to guess at.
import { errors } from './errors.ts';

export type Query = Record<string, string | string[]>;

export function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw errors.invalidUri();
  }
}

/** The raw (still percent-encoded) path and the decoded query parameters; repeated parameters become arrays. */
export function splitUrl(rawUrl: string): { path: string; query: Query } {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query: Query = {};
  if (q >= 0) {
    for (const pair of rawUrl.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
      const prev = query[key];
      query[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
    }
  }
  return { path, query };
}

export interface Target {
  /** Undefined for the service root ("/"). */
  bucket?: string;
  /** Undefined for bucket-level requests ("/b" or "/b/"). */
  key?: string;
  query: Query;
}

export function parseTarget(rawUrl: string): Target {
  const { path, query } = splitUrl(rawUrl);
  if (!path.startsWith('/')) throw errors.invalidUri();
  const rest = path.slice(1);
  if (rest === '') return { query };
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: decodeComponent(rest), query };
  const bucket = decodeComponent(rest.slice(0, slash));
  const rawKey = rest.slice(slash + 1);
  return { bucket, key: rawKey === '' ? undefined : decodeComponent(rawKey), query };
}

/** A single-valued query parameter; a repeated one is a client error. */
export function queryParam(query: Query, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) throw errors.invalidArgument(`the query parameter ${name} is given more than once`);
  return v;
}

/** The SDK's operation marker and the parameters of a presigned URL (checked by sigv4.ts). */
const ALWAYS_ALLOWED = /^(x-id|X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature))$/;

/** Refuses query parameters that would select an S3 operation we do not implement (e.g. ?acl, ?uploads). */
export function assertOnlyQuery(query: Query, allowed: readonly string[], operation: string): void {
  const unknown = Object.keys(query).filter((k) => !ALWAYS_ALLOWED.test(k) && !allowed.includes(k));
  if (unknown.length > 0) throw errors.notImplemented(`${operation} with ?${unknown.join('&')}`);
}
