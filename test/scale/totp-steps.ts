import type { Page } from 'playwright-core';
import { generate } from 'otplib';
import { limits } from '../../server/config.js';

/**
 * TOTP codes for people signing in to real instances, which run on the real
 * clock (no test clock reaches another process). Each time step's code is
 * good once per account (the replay guard), and a server accepts the steps
 * t−1..t+1: so each code is the next unused step, the step after the current
 * one at the latest, and when even that is used the code waits for the clock.
 */
export class TotpSteps {
  private readonly last = new Map<string, number>();
  private readonly secrets = new Map<string, string>();

  private static step(): number {
    return Math.floor(Date.now() / 1000 / limits.totp.stepSeconds);
  }

  async code(account: string, secret?: string): Promise<string> {
    if (secret) this.secrets.set(account, secret);
    const s = this.secrets.get(account);
    if (!s) throw new Error(`no TOTP secret known for ${account}`);
    const step = Math.max((this.last.get(account) ?? -Infinity) + 1, TotpSteps.step());
    while (step > TotpSteps.step() + 1) await new Promise((r) => setTimeout(r, 250));
    this.last.set(account, step);
    return generate({ secret: s, epoch: step * limits.totp.stepSeconds });
  }

  /** When the page asks for a fresh code (step-up: more than 5 min since the last one), gives it. */
  async stepUpIfAsked(page: Page, account: string): Promise<void> {
    const at = new URL(page.url());
    if (at.pathname !== '/office/step-up') return;
    const next = at.searchParams.get('next') ?? '/office';
    await page.fill('#code', await this.code(account));
    await Promise.all([page.waitForURL((u) => u.pathname === next), page.click('form[action^="/office/step-up"] button[type=submit]')]);
  }
}
