import { describe, expect, it } from '@jest/globals';
import { eachWithTurns } from '../../server/lib/turns.js';

describe('eachWithTurns', () => {
  it('calls the step once per item, in order, with its index', async () => {
    const seen: Array<[string, number]> = [];
    await eachWithTurns(['a', 'b', 'c'], (x, i) => seen.push([x, i]));
    expect(seen).toEqual([['a', 0], ['b', 1], ['c', 2]]);
    await eachWithTurns([], () => {
      throw new Error('no step for no items');
    });
  });

  it('lets the event loop turn during a long loop, and not after every step', async () => {
    const items = Array.from({ length: 400 }, (_, i) => i);
    let turns = 0;
    const ticking = setInterval(() => (turns += 1), 0);
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const at: number[] = [];
    await eachWithTurns(items, (i) => {
      busy(0.5);
      at.push(turns);
      void i;
    }, 20);
    clearInterval(ticking);
    // ≈ 200 ms of steps: the interval ran between them several times, far fewer than once per step.
    expect(at.at(-1)!).toBeGreaterThanOrEqual(3);
    expect(new Set(at).size).toBeLessThan(items.length / 10);
  });

  it('a step that throws rejects with its error, and the later steps do not run', async () => {
    const ran: number[] = [];
    await expect(eachWithTurns([1, 2, 3], (x) => {
      if (x === 2) throw new Error('step 2');
      ran.push(x);
    })).rejects.toThrow('step 2');
    expect(ran).toEqual([1]);
  });
});
