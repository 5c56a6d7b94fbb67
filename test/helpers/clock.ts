import type { Clock } from '../../server/deps.js';
import { limits } from '../../server/config.js';

/** A clock the test moves by hand. Starts on a TOTP step boundary + 1 s so codes are predictable. */
export class FakeClock implements Clock {
  t: number;
  constructor(start = Date.now()) {
    const step = limits.totp.stepSeconds * 1000;
    this.t = Math.floor(start / step) * step + 1000;
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  /** Moves to the next TOTP step, so a fresh code exists (each step's code is good once). */
  nextStep(): void {
    this.advance(limits.totp.stepSeconds * 1000);
  }
}

/** A plain clock moved by hand (no TOTP alignment): notices and alerts at exact times. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function fakeClock(start = '2025-04-01T00:00:00.000Z'): ManualClock {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

