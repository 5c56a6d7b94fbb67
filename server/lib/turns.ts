/**
 * Long in-memory work on the web process (an ingest's plan and confirmation
 * over 80,000 persons) lets the event loop turn every few milliseconds, so
 * `/healthz` and other people's pages are answered meanwhile instead of after
 * it (issue 12, the stall). Promise chains alone never let I/O in: a turn
 * needs a macrotask (setImmediate runs after pending I/O callbacks).
 *
 *   const turn = turnTaker();
 *   for (const x of many) { …; await turn(); }
 *
 * `turn()` is a no-op until `everyMs` have passed since the last turn, so a
 * tight loop pays a clock read per step, not a macrotask.
 */
export function turnTaker(everyMs = 20): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}
