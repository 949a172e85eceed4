// CPU seconds and answered predictions of a service, from its Prometheus endpoint (prom-client's
// process_cpu_seconds_total and our http_requests_total). Requests per CPU-second is throughput with the machine's
// contention divided out: on a shared 2-core machine the share of CPU a service gets swings by ±50 % from one run
// to the next, but the CPU each request costs does not.

export interface ServiceCounters {
  cpuSeconds: number;
  /** /predict requests answered 2xx so far. */
  predictions: number;
}

export async function serviceCounters(baseUrl: string): Promise<ServiceCounters> {
  const url = `${baseUrl.replace(/\/+$/, '')}/metrics`;
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    throw new Error(`cannot read CPU use from ${url}: ${(err as Error).message}`);
  }
  const cpu = /^process_cpu_seconds_total(?:\{[^}]*\})?\s+([0-9.eE+-]+)\s*$/m.exec(text);
  if (!cpu) throw new Error(`${url} has no process_cpu_seconds_total`);
  let predictions = 0;
  for (const m of text.matchAll(/^http_requests_total\{([^}]*)\}\s+([0-9.eE+-]+)\s*$/gm)) {
    if (m[1].includes('route="/predict"') && /status="2\d\d"/.test(m[1])) predictions += Number(m[2]);
  }
  return { cpuSeconds: Number(cpu[1]), predictions };
}

export async function cpuSeconds(baseUrl: string): Promise<number> {
  return (await serviceCounters(baseUrl)).cpuSeconds;
}
