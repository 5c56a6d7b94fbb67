/** Timers the ingest bench wraps around the vault session's methods (run.ts). */

/**
 * Times each wrapped method of an object: summed call time, calls, and the
 * wall span from the first call's start to the last call's end (the commit
 * writes vault records several at a time, so their sum exceeds the wall time).
 */
export interface Spent {
  ms: number;
  calls: number;
  first: number;
  last: number;
}
export function timeMethods<T extends object>(target: T, names: Array<keyof T & string>): Record<string, Spent> {
  const spent: Record<string, Spent> = {};
  for (const name of names) {
    const original = target[name] as unknown as (...a: unknown[]) => unknown;
    const slot = (spent[name] = { ms: 0, calls: 0, first: Infinity, last: -Infinity });
    const done = (s: number) => {
      const e = performance.now();
      slot.ms += e - s;
      slot.calls += 1;
      slot.first = Math.min(slot.first, s);
      slot.last = Math.max(slot.last, e);
    };
    (target as Record<string, unknown>)[name] = (...a: unknown[]) => {
      const s = performance.now();
      const r = original.apply(target, a);
      if (r instanceof Promise) return r.finally(() => done(s));
      done(s);
      return r;
    };
  }
  return spent;
}

/** How long the session's sealMany took to deliver its records (it seals off the main thread). */
export function timeSealing(session: { sealMany: (numbers: readonly string[]) => { tokens: string[]; records: Promise<Buffer> } }): { ms: number; count: number } {
  const out = { ms: 0, count: 0 };
  const original = session.sealMany;
  session.sealMany = (numbers) => {
    const s = performance.now();
    const r = original.call(session, numbers);
    out.count += numbers.length;
    void r.records.then(() => {
      out.ms += performance.now() - s;
    }, () => {});
    return r;
  };
  return out;
}

/** Wall time from the first start to the last end over several timed methods (0 if none ran). */
export function span(...slots: Spent[]): number {
  const ran = slots.filter((x) => x.calls > 0);
  return ran.length ? Math.max(...ran.map((x) => x.last)) - Math.min(...ran.map((x) => x.first)) : 0;
}
