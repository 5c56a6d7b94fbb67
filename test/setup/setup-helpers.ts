import { generate } from 'otplib';
import type request from 'supertest';
import { newTotpSecret } from '../../server/auth/totp.js';
import type { Deps } from '../../server/deps.js';
import { completeSetup, type SetupInput } from '../../server/setup/service.js';

/** Helpers for setup tests (and for key tests that need an office first). */
export const DIRECTOR = {
  officeName: 'テスト社会保険労務士事務所',
  directorName: '山田 花子',
  loginId: 'yamada',
  password: 'sakura-no-hana-ga-saku',
  keyPassphrase: 'kinko-no-kagi-wa-koko-ni-aru',
};

export async function totpCode(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

/** What the setup page offers: the CSRF token, the sealed TOTP field and the typed secret. */
export interface SetupPage {
  csrf: string;
  sealed: string;
  secret: string;
  html: string;
}

export function readSetupPage(html: string): SetupPage {
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
  const sealed = /name="totpSealed" value="([^"]+)"/.exec(html)?.[1];
  const secret = /<code id="totp-secret"[^>]*>([^<]+)<\/code>/.exec(html)?.[1]?.replace(/\s+/g, '');
  if (!csrf || !sealed || !secret) throw new Error('not a setup page');
  return { csrf, sealed, secret, html };
}

/** The form as a person fills it in correctly; override fields to make it wrong. */
export async function setupForm(page: SetupPage, at: Date, overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    _csrf: page.csrf,
    totpSealed: page.sealed,
    officeName: DIRECTOR.officeName,
    directorName: DIRECTOR.directorName,
    loginId: DIRECTOR.loginId,
    password: DIRECTOR.password,
    passwordConfirm: DIRECTOR.password,
    totpCode: await totpCode(page.secret, at),
    keyPassphrase: DIRECTOR.keyPassphrase,
    keyPassphraseConfirm: DIRECTOR.keyPassphrase,
    ...overrides,
  };
}

/** A finished setup straight through the service (the CLI path), for tests about what comes after. */
export async function setUpOffice(deps: Deps): Promise<{ directorId: string; fingerprint: string; totpSecret: string }> {
  const totpSecret = newTotpSecret();
  const input: SetupInput = {
    officeName: DIRECTOR.officeName,
    directorName: DIRECTOR.directorName,
    loginId: DIRECTOR.loginId,
    password: DIRECTOR.password,
    passwordConfirm: DIRECTOR.password,
    totpSecret,
    totpCode: await totpCode(totpSecret, deps.clock.now()),
    keyPassphrase: DIRECTOR.keyPassphrase,
    keyPassphraseConfirm: DIRECTOR.keyPassphrase,
  };
  const r = await completeSetup(deps, { cli: true }, input);
  if (!r.ok) throw new Error(`setup failed: ${JSON.stringify(r.errors)}`);
  return { directorId: r.directorId, fingerprint: r.fingerprint, totpSecret };
}

/** A 404 body with the per-request parts (request id, CSRF token) taken out, to compare two 404s. */
export function normalised404(res: request.Response): string {
  return res.text.replace(/<meta name="csrf-token" content="[^"]+">/, '').replace(/<code>[0-9a-f]{16}<\/code>/, '<code>ID</code>');
}
