import { generateSecret, generateURI, verify } from 'otplib';
import { limits } from '../config.js';

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, issuer: string, label: string): string {
  return generateURI({ issuer, label, secret, digits: 6, period: limits.totp.stepSeconds });
}

/**
 * Checks a 6-digit code at t−1..t+1 and returns the matched time step, or null.
 * The caller must still claim the step atomically (only if it is greater than
 * the last accepted one) so a code can never be used twice.
 */
export async function matchTotp(secret: string, code: string, now: Date): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const step = limits.totp.stepSeconds;
  const res = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    period: step,
    epochTolerance: step * limits.totp.window,
  } as Parameters<typeof verify>[0]);
  return res.valid && 'timeStep' in res ? (res.timeStep as number) : null;
}
