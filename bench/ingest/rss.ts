import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Samples this process's resident set size every `everyMs` from a thread of
 * its own, so the samples keep coming while the main thread is busy (decrypt,
 * the vault-write loop). The parse worker is a thread of this same process,
 * so its memory is inside these figures: process RSS is an upper bound of the
 * worker's. Also reads the kernel's own high-water mark (VmHWM), which
 * `/proc/self/clear_refs` resets, as an exact cross-check of the sampled peak.
 */
export class RssSampler {
  private readonly shared = new Int32Array(new SharedArrayBuffer(8)); // [current KiB, peak KiB]
  private readonly worker: Worker;

  constructor(everyMs = 50) {
    this.worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const s = workerData.shared, every = workerData.every;
       const tick = () => { const kib = Math.round(process.memoryUsage.rss() / 1024); Atomics.store(s, 0, kib); if (kib > Atomics.load(s, 1)) Atomics.store(s, 1, kib); };
       tick(); setInterval(tick, every);`,
      { eval: true, workerData: { shared: this.shared, every: everyMs } },
    );
    this.worker.unref();
  }

  /** Starts a new peak window (sampled and kernel). */
  reset(): void {
    Atomics.store(this.shared, 1, Math.round(process.memoryUsage.rss() / 1024));
    try {
      fs.writeFileSync('/proc/self/clear_refs', '5');
    } catch {
      // not Linux, or not allowed: the sampled peak stands alone
    }
  }

  /** Peak RSS since the last reset, in MiB: sampled every 50 ms, and the kernel's VmHWM (null when unavailable). */
  peak(): { sampledMiB: number; kernelMiB: number | null } {
    let kernel: number | null = null;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
      if (m) kernel = Number(m[1]) / 1024;
    } catch {
      kernel = null;
    }
    return { sampledMiB: Atomics.load(this.shared, 1) / 1024, kernelMiB: kernel };
  }

  nowMiB(): number {
    return process.memoryUsage.rss() / 1024 / 1024;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
