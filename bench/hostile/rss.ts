import { descendants, rssOf } from '../../test/helpers/running-kinko.js';

/**
 * Peak resident memory of a running kinko while something runs, sampled
 * every `everyMs` from /proc: the server process itself, the largest of its
 * child processes (parse and decrypt processes), and server + all children
 * at once.
 */
export interface RssPeaks {
  server: number;
  child: number;
  total: number;
}

export async function peakRssWhile<T>(pid: number, during: () => Promise<T>, everyMs = 10): Promise<{ peaks: RssPeaks; result: T }> {
  const peaks: RssPeaks = { server: 0, child: 0, total: 0 };
  const sample = () => {
    const server = rssOf(pid);
    let total = server;
    for (const c of descendants(pid)) {
      const r = rssOf(c);
      total += r;
      peaks.child = Math.max(peaks.child, r);
    }
    peaks.server = Math.max(peaks.server, server);
    peaks.total = Math.max(peaks.total, total);
  };
  const timer = setInterval(sample, everyMs);
  sample();
  try {
    return { peaks, result: await during() };
  } finally {
    clearInterval(timer);
    sample();
  }
}

export const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
