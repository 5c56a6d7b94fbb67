import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { publicKeyFingerprint, verifyWithPublicKey, type ServerKey } from '../lib/server-key.js';
import { GENESIS } from './chain.js';

/**
 * A signed copy of the chain head (P6). The director keeps it away from the
 * server (USB stick, another PC, paper); later, `audit:verify --checkpoint`
 * proves that the trail still reaches that entry unchanged. This is what
 * catches an attacker who holds the audit key or simply cuts off the newest
 * entries and rewinds audit_head: the MAC chain alone cannot see a clean cut.
 */
export const CHECKPOINT_FORMAT = 'kinko-audit-checkpoint/1';

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  seq: number;
  mac: string;
  at: string;
  publicKey: string;
  signature: string;
}

export type CheckpointProblem = 'malformed' | 'bad-signature' | 'other-key';

/** The exact bytes signed: a fixed-order JSON array, so no field can be moved or reinterpreted. */
function signedBytes(c: Omit<Checkpoint, 'signature'>): string {
  return JSON.stringify([c.format, c.seq, c.mac, c.at, c.publicKey]);
}

/** Signs the current head (seq 0 and the genesis value for an empty trail). */
export async function makeCheckpoint(db: Kysely<Database>, key: ServerKey, now: Date): Promise<Checkpoint> {
  const head = await db.selectFrom('audit_head').select(['seq', 'mac']).where('id', '=', 1).executeTakeFirst();
  const body = {
    format: CHECKPOINT_FORMAT,
    seq: head ? Number(head.seq) : 0,
    mac: head?.mac ?? GENESIS,
    at: now.toISOString(),
    publicKey: key.publicKeyPem,
  } as const;
  return { ...body, signature: key.sign(signedBytes(body)) };
}

/** Pretty JSON for the file the director keeps. */
export function checkpointText(c: Checkpoint): string {
  return JSON.stringify(c, null, 2) + '\n';
}

/**
 * Parses and checks a checkpoint file. The signature must be valid under the
 * key it carries, and — when `trusted` is given — that key must be this
 * server's: a checkpoint anyone could have signed with their own key proves nothing.
 */
export function readCheckpoint(
  text: string,
  trusted?: Pick<ServerKey, 'fingerprint'>,
): { ok: true; checkpoint: Checkpoint } | { ok: false; problem: CheckpointProblem } {
  let c: Partial<Checkpoint>;
  try {
    c = JSON.parse(text) as Partial<Checkpoint>;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (
    !c || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT ||
    !Number.isSafeInteger(c.seq) || (c.seq as number) < 0 ||
    typeof c.mac !== 'string' || typeof c.at !== 'string' ||
    typeof c.publicKey !== 'string' || typeof c.signature !== 'string'
  ) {
    return { ok: false, problem: 'malformed' };
  }
  const checkpoint: Checkpoint = {
    format: CHECKPOINT_FORMAT, seq: c.seq as number, mac: c.mac, at: c.at, publicKey: c.publicKey, signature: c.signature,
  };
  if (!verifyWithPublicKey(checkpoint.publicKey, signedBytes(checkpoint), checkpoint.signature)) return { ok: false, problem: 'bad-signature' };
  if (trusted && publicKeyFingerprint(checkpoint.publicKey) !== trusted.fingerprint) return { ok: false, problem: 'other-key' };
  return { ok: true, checkpoint };
}
