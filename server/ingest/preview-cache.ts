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
  /** The staff member's choices on the preview pages (see `selectionOf`); keys only, never a number. */
  selection?: StaffSelection;
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
    if (e) {
      this.entries.delete(jobId);
      plans.delete(e);
    }
    return e;
  }

  evict(jobId: string): void {
    const e = this.entries.get(jobId);
    if (!e) return;
    this.entries.delete(jobId);
    plans.delete(e); // the remembered plan refers to the file's rows: it goes with them
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

/**
 * What the staff member chose on the preview pages: rows to exclude, Excel-
 * damaged rows to repair. Keys only (`p12`, `r3`), so nothing here is a
 * number. Kept with the cache entry (and gone with it), so the choices
 * survive paging through a 25,000-person preview without JavaScript.
 *
 * The choices belong to one reading of the file: a re-read with other
 * column choices (a new `version`) gives new rows under the same keys, so
 * an older selection is dropped rather than applied to them.
 */
export interface StaffSelection {
  /** The entry version the choices were made on. */
  version: number;
  /** Bumped by every change: a plan computed for one revision is not reused for another. */
  revision: number;
  exclude: Set<string>;
  repair: Set<string>;
}

/** What `selectionOf` and `applyPageChoices` need to know of an entry (structural: PreviewEntry fits). */
export interface SelectableEntry extends CacheEntry {
  version: number;
  result: { persons: readonly unknown[]; review: ReadonlyArray<{ reason: string; proposedNumber?: string }> };
}

/** The selection for the entry's current version; a fresh, empty one after a re-read. */
export function selectionOf(entry: SelectableEntry): StaffSelection {
  const s = entry.selection;
  if (s && s.version === entry.version) return s;
  entry.selection = { version: entry.version, revision: (s?.revision ?? 0) + 1, exclude: new Set(), repair: new Set() };
  return entry.selection;
}

/** One page's form: the keys it showed (per checkbox kind) and the ones ticked. */
export interface PageChoices {
  shownExclude: readonly string[];
  shownRepair: readonly string[];
  exclude: readonly string[];
  repair: readonly string[];
}

/**
 * Replaces the state of exactly the keys the page showed (a ticked key
 * counts as shown: older forms sent only the ticks). A key the current
 * reading of the file does not have — out of range, a repair for a row
 * without a proposed number, anything not `p<n>`/`r<n>` — is ignored.
 * Returns how many keys were taken.
 */
export function applyPageChoices(entry: SelectableEntry, page: PageChoices): number {
  const sel = selectionOf(entry);
  const ticked = { exclude: new Set(page.exclude), repair: new Set(page.repair) };
  let taken = 0;
  for (const key of new Set([...page.shownExclude, ...page.exclude])) {
    if (!excludable(entry, key)) continue;
    taken++;
    if (ticked.exclude.has(key)) sel.exclude.add(key);
    else sel.exclude.delete(key);
  }
  for (const key of new Set([...page.shownRepair, ...page.repair])) {
    if (!repairable(entry, key)) continue;
    taken++;
    if (ticked.repair.has(key)) sel.repair.add(key);
    else sel.repair.delete(key);
  }
  if (taken > 0) sel.revision += 1;
  return taken;
}

function indexOf(key: string, prefix: 'p' | 'r'): number | undefined {
  const m = /^([pr])(0|[1-9][0-9]{0,6})$/.exec(key);
  return m && m[1] === prefix ? Number(m[2]) : undefined;
}

/** A person of the file (`p<n>`) or a review row (`r<n>`: excluding it matters once it is repaired). */
function excludable(entry: SelectableEntry, key: string): boolean {
  const p = indexOf(key, 'p');
  if (p !== undefined) return p < entry.result.persons.length;
  const r = indexOf(key, 'r');
  return r !== undefined && r < entry.result.review.length;
}

/** Only an Excel-damaged row with a proposed number can be repaired. */
function repairable(entry: SelectableEntry, key: string): boolean {
  const r = indexOf(key, 'r');
  const row = r === undefined ? undefined : entry.result.review[r];
  return !!row && row.reason === 'excel-damaged' && !!row.proposedNumber;
}

/** How long a computed preview plan is reused for paging (the confirm step always computes its own). */
export const PLAN_FRESH_MS = 60_000;
const plans = new WeakMap<CacheEntry, { version: number; revision: number; at: number; out: unknown }>();

/** A selection as the plan reads it. */
export interface ReadSelection {
  exclude: ReadonlySet<string>;
  repair: ReadonlySet<string>;
}

/**
 * The plan for the entry's current version and selection: paging through a
 * large preview reads the same plan instead of computing it per page. It is
 * recomputed after any change of choices, after a re-read, and once it is
 * older than PLAN_FRESH_MS (someone may have ingested another file since).
 */
export async function planOnce<P>(
  entry: SelectableEntry,
  now: number,
  compute: (sel: ReadSelection) => Promise<P>,
): Promise<{ plan: P; selection: ReadSelection }> {
  const sel = selectionOf(entry);
  const { version } = entry;
  const { revision } = sel;
  const m = plans.get(entry);
  if (m && m.version === version && m.revision === revision && now - m.at < PLAN_FRESH_MS) return m.out as { plan: P; selection: ReadSelection };
  // A copy: another request may change the choices while the plan is computed.
  const selection = { exclude: new Set(sel.exclude), repair: new Set(sel.repair) };
  const out = { plan: await compute(selection), selection };
  plans.set(entry, { version, revision, at: now, out });
  return out;
}
