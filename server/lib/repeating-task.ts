/**
 * A task the server runs on a schedule (office notices, audit checkpoints,
 * the daily disposal check): once soon after start, then every `everyMs`.
 * A run never overlaps the previous one; a run that hangs past `limitMs`
 * (a stalled network folder, a locked database) is given up so it blocks
 * neither later runs nor shutdown; an error is handed to `onError` and the
 * schedule goes on. The timers never keep the process alive. Returns the
 * stop function for shutdown, which waits for a run in progress.
 */
export interface RepeatingTask {
  everyMs: number;
  firstAfterMs: number;
  limitMs?: number;
  run: () => Promise<unknown>;
  onError: (err: unknown) => void;
}

export function startRepeatingTask(task: RepeatingTask): () => Promise<void> {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = (task.limitMs ? bounded(task.run(), task.limitMs) : task.run())
      .then(() => undefined)
      .catch(task.onError)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, task.everyMs);
  timer.unref();
  const first = setTimeout(tick, task.firstAfterMs);
  first.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(first);
    await running;
  };
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TaskTimeout' })), ms);
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
