/**
 * "How long does /healthz take while X runs?" — the web tier's answer time
 * as a load balancer sees it, for the hostile-input bench (issue 12) and any
 * part added beside it. Probes one after another (never overlapping), with
 * `gapMs` between them, for as long as `during` runs (and at least
 * `minProbes` times). Loopback only.
 */
export interface Latency {
  n: number;
  p50: number;
  p95: number;
  max: number;
  /** Probes that did not answer 200. */
  failed: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(ms: number[], failed = 0): Latency {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1] ?? NaN, failed };
}

async function probe(base: string): Promise<{ ms: number; ok: boolean }> {
  const t = performance.now();
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    return { ms: performance.now() - t, ok: res.status === 200 };
  } catch {
    return { ms: performance.now() - t, ok: false };
  }
}

export async function healthzWhile<T>(base: string, during: () => Promise<T>, opts: { gapMs?: number; minProbes?: number } = {}): Promise<{ latency: Latency; result: T }> {
  const gap = opts.gapMs ?? 20;
  const min = opts.minProbes ?? 5;
  const times: number[] = [];
  let failed = 0;
  let finished = false;
  const work = during().finally(() => (finished = true));
  while (!finished || times.length + failed < min) {
    const r = await probe(base);
    if (r.ok) times.push(r.ms);
    else failed++;
    await new Promise((res) => setTimeout(res, gap));
  }
  return { latency: summarise(times, failed), result: await work };
}

/** /healthz with nothing else going on, for `ms`. */
export async function healthzIdle(base: string, ms: number, gapMs = 20): Promise<Latency> {
  return (await healthzWhile(base, () => new Promise((r) => setTimeout(r, ms)), { gapMs })).latency;
}

export function formatLatency(l: Latency): string {
  const f = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '–');
  return `p50 ${f(l.p50)}  p95 ${f(l.p95)}  max ${f(l.max)}  (n=${l.n}${l.failed ? `, ${l.failed} failed` : ''})`;
}
