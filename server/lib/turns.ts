/**
 * Long in-memory work on the web process (an ingest's plan and confirmation
 * over 80,000 persons) lets the event loop turn every few milliseconds, so
 * `/healthz` and other people's pages are answered meanwhile instead of after
 * it (issue 12, the stall). Promise chains alone never let I/O in: a turn
 * needs a macrotask (setImmediate runs after pending I/O callbacks).
 *
 *   await eachWithTurns(many, (x) => { … });        a loop over many items
 *
 *   const turn = turnTaker();                         a loop of a few big steps
 *   for (const chunk of chunks) { …; await turn(); }
 *
 * `turn()` is a no-op until `everyMs` have passed since the last turn, so a
 * loop pays a clock read per step, not a macrotask. For a loop over tens of
 * thousands of items use eachWithTurns: with `await turn()` in its body the
 * whole loop runs as part of the async function around it, and V8 left it far
 * slower (issue 13: an ingest plan's loop over 24,587 persons cost ~3× the CPU
 * it did without the await; the same body in a plain function, as here, is
 * optimised like any other).
 */
export function turnTaker(everyMs = 20): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await nextTurn();
    last = performance.now();
  };
}

/**
 * Calls `step` for each item in order, letting the event loop turn whenever
 * `everyMs` have passed. For many cheap steps (microseconds each): the clock
 * is read every STEPS_PER_CLOCK_READ steps. A step that throws rejects the call.
 */
export async function eachWithTurns<T>(items: readonly T[], step: (item: T, index: number) => void, everyMs = 20): Promise<void> {
  let i = 0;
  let until = performance.now() + everyMs;
  while (i < items.length) {
    i = runUntil(items, step, i, until);
    if (i < items.length) {
      await nextTurn();
      until = performance.now() + everyMs;
    }
  }
}

/** How many steps run between two clock reads. */
const STEPS_PER_CLOCK_READ = 64;

function runUntil<T>(items: readonly T[], step: (item: T, index: number) => void, from: number, until: number): number {
  for (let i = from; i < items.length; i++) {
    step(items[i]!, i);
    if ((i - from) % STEPS_PER_CLOCK_READ === STEPS_PER_CLOCK_READ - 1 && performance.now() >= until) return i + 1;
  }
  return items.length;
}

function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
