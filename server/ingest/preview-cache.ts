/**
 * Where a parsed drop waits for the staff member's confirmation: this
 * process's memory, and nowhere else (P1, P3). The entry holds what the
 * confirm step needs — the decrypted file (to re-read it with other column
 * choices), the parse result with the numbers, and the open vault session
 * (its data key unwrapped) — for at most the TTL, then everything is dropped:
 * buffers zero-filled, the vault session closed.
 *
 * Not a database table, not a file, not a shared cache on purpose: the
 * numbers may not be written anywhere outside the vault. The price is that a
 * confirm reaching another app instance, or this one after a restart, finds
 * nothing and the staff member is asked to start again.
 */
export interface CacheEntry {
  jobId: string;
  attempt: number;
  userId: string;
  expiresAt: number;
  /** Called once when the entry leaves the cache (TTL, confirm, release, shutdown). */
  dispose(): void;
}

export class PreviewCache<E extends CacheEntry> {
  private readonly entries = new Map<string, E>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  put(entry: E): void {
    this.evict(entry.jobId);
    this.entries.set(entry.jobId, entry);
    this.schedule();
  }

  /** The live entry of exactly this attempt, or undefined. */
  get(jobId: string, attempt: number): E | undefined {
    const e = this.entries.get(jobId);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.evict(jobId);
      return undefined;
    }
    return e.attempt === attempt ? e : undefined;
  }

  /** Takes the entry out for the confirm step; the caller disposes of it. */
  take(jobId: string, attempt: number): E | undefined {
    const e = this.get(jobId, attempt);
    if (e) this.entries.delete(jobId);
    return e;
  }

  evict(jobId: string): void {
    const e = this.entries.get(jobId);
    if (!e) return;
    this.entries.delete(jobId);
    safeDispose(e);
  }

  sweep(): void {
    const now = this.now();
    for (const [id, e] of this.entries) if (e.expiresAt <= now) this.evict(id);
    this.schedule();
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.evict(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** One unref'd timer for the earliest expiry, so nothing outlives its TTL by much even if nobody asks. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.entries.size === 0) return;
    const next = Math.min(...[...this.entries.values()].map((e) => e.expiresAt));
    this.timer = setTimeout(() => this.sweep(), Math.max(1000, next - this.now() + 50));
    this.timer.unref();
  }
}

function safeDispose(e: CacheEntry): void {
  try {
    e.dispose();
  } catch {
    // Disposal is best effort (zero-fill, close); a failure must not keep the entry alive.
  }
}
