import { describe, expect, it } from '@jest/globals';
import { startRepeatingTask } from '../../server/lib/repeating-task.js';
import { until } from '../helpers/until.js';

/** The one schedule loop of kinko's own timers (notices, checkpoints, the disposal check). */
describe('a repeating task', () => {
  it('when a run is slower than the interval, runs never overlap', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const stop = startRepeatingTask({
      everyMs: 5,
      firstAfterMs: 0,
      run: async () => {
        active++;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 30));
        active--;
        runs++;
      },
      onError: () => {},
    });
    await until(() => runs >= 3);
    await stop();
    expect(most).toBe(1);
  });

  it('when a run hangs past its limit, it is given up, the error is reported and later runs go on', async () => {
    const errors: string[] = [];
    let calls = 0;
    const stop = startRepeatingTask({
      everyMs: 10,
      firstAfterMs: 0,
      limitMs: 40,
      run: () => (++calls === 1 ? new Promise(() => {}) : Promise.resolve()),
      onError: (err) => errors.push((err as Error).name),
    });
    await until(() => calls >= 3);
    await stop();
    expect(errors[0]).toBe('TaskTimeout');
  });

  it('when a run fails, the schedule goes on; when stopped, it waits for the run in progress and starts no more', async () => {
    let calls = 0;
    let finished = false;
    const stop = startRepeatingTask({
      everyMs: 5,
      firstAfterMs: 0,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 20));
        finished = true;
      },
      onError: () => {},
    });
    await until(() => calls >= 2);
    await stop();
    expect(finished).toBe(true);
    const after = calls;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(after);
  });
});
