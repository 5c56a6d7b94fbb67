import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The tamper-evident chain (P6). Each entry's MAC covers its own fields and the
 * previous entry's MAC, keyed by the audit key that lives outside the database:
 * someone who can edit the database but not read the key cannot recompute the
 * chain after changing, deleting, swapping or inserting an entry.
 */
export const GENESIS = 'kinko-audit-genesis';

export interface ChainFields {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_role: string | null;
  company_id: string | null;
  action: string;
  target_ids: string;
  purpose: string | null;
  result: string;
  request_id: string | null;
  details: string;
  prev_hash: string;
}

/** Unambiguous serialisation: JSON of a fixed-order array (no field can bleed into the next). */
export function canonical(e: ChainFields): string {
  return JSON.stringify([
    1, e.seq, e.at, e.actor_id, e.actor_role, e.company_id, e.action, e.target_ids,
    e.purpose, e.result, e.request_id, e.details, e.prev_hash,
  ]);
}

export function macOf(key: Buffer, e: ChainFields): string {
  return createHmac('sha256', key).update(canonical(e)).digest('base64url');
}

export function macMatches(key: Buffer, e: ChainFields & { mac: string }): boolean {
  const want = Buffer.from(macOf(key, e));
  const got = Buffer.from(e.mac);
  return want.length === got.length && timingSafeEqual(want, got);
}
