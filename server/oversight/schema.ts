import { z } from 'zod';
import type { Exposure } from './exposure.js';

/**
 * The breach scoping form (one schema; the fields a kind does not use are
 * ignored). Times are typed in Japan time (a `datetime-local` field, so it
 * works without JavaScript); messages are i18n keys shown next to the field.
 */
const JST_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const JST_DAY = /^\d{4}-\d{2}-\d{2}$/;
const text = z.string().trim().max(200).optional().catch(undefined);
const box = z.union([z.literal('1'), z.literal('on')]).optional().catch(undefined).transform((v) => v !== undefined);

function jstTime(v: string | undefined): Date | null {
  if (!v || !JST_MINUTE.test(v)) return null;
  const d = new Date(`${v}:00+09:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}

function jstDay(v: string | undefined): Date | null {
  if (!v || !JST_DAY.test(v)) return null;
  const d = new Date(`${v}T12:00:00+09:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export const scopeBody = z
  .object({
    kind: z.enum(['account', 'device', 'company', 'location', 'backup', 'bundle'], { message: 'oversight.errors.kind' }),
    accountId: text,
    companyId: text,
    location: text,
    from: text,
    to: text,
    takenAt: text,
    bundleId: text,
    holdsDatabase: box,
    holdsVault: box,
    holdsDrops: box,
    fraud: box,
    publicView: box,
    discoveredOn: text,
  })
  .superRefine((b, ctx) => {
    const need = (ok: boolean, path: string, message: string) => {
      if (!ok) ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (b.kind === 'account' || b.kind === 'device') {
      need(Boolean(b.accountId), 'accountId', 'oversight.errors.unknownAccount');
      need(jstTime(b.from) !== null, 'from', 'oversight.errors.badTime');
      need(jstTime(b.to) !== null, 'to', 'oversight.errors.badTime');
    }
    if (b.kind === 'company') need(Boolean(b.companyId), 'companyId', 'oversight.errors.unknownCompany');
    if (b.kind === 'location') need(b.location === 'drops' || b.location === 'vault', 'location', 'oversight.errors.location');
    if (b.kind === 'backup') need(jstTime(b.takenAt) !== null, 'takenAt', 'oversight.errors.badTime');
    if (b.kind === 'bundle') need(Boolean(b.bundleId), 'bundleId', 'oversight.errors.bundleId');
    if (b.discoveredOn) need(jstDay(b.discoveredOn) !== null, 'discoveredOn', 'oversight.errors.badDay');
  })
  .transform((b) => ({
    exposure: toExposure(b),
    flags: { fraud: b.fraud, publicView: b.publicView },
    discoveredAt: jstDay(b.discoveredOn),
    /** What was typed, to show the form again with the result. */
    values: formValues(b),
  }));

function formValues(b: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(b)) {
    if (typeof v === 'string') out[k] = v;
    else if (v === true) out[k] = '1';
  }
  return out;
}

function toExposure(b: { kind: Exposure['kind']; accountId?: string; companyId?: string; location?: string; from?: string; to?: string; takenAt?: string; bundleId?: string; holdsDatabase: boolean; holdsVault: boolean; holdsDrops: boolean }): Exposure {
  switch (b.kind) {
    case 'account':
    case 'device':
      return { kind: b.kind, accountId: b.accountId!, from: jstTime(b.from)!, to: jstTime(b.to)! };
    case 'company':
      return { kind: 'company', companyId: b.companyId! };
    case 'location':
      return { kind: 'location', location: b.location === 'vault' ? 'vault' : 'drops' };
    case 'backup':
      return { kind: 'backup', takenAt: jstTime(b.takenAt)!, database: b.holdsDatabase, vault: b.holdsVault, drops: b.holdsDrops };
    case 'bundle':
      return { kind: 'bundle', bundleId: b.bundleId! };
  }
}

export const scopeSchema = { body: scopeBody };
