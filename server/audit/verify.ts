import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { GENESIS, macMatches, type ChainFields } from './chain.js';

/**
 * Why an entry is the first bad one:
 * - mac-mismatch: the entry's fields or its MAC were changed (bit flip, edit, forged insert).
 * - seq-gap: an entry is missing (deleted) — `seq` is the first missing one.
 * - prev-hash-mismatch: the entry does not follow the one before it (swap, insert or delete with renumbering).
 * - head-mismatch: the chain does not end where audit_head says it ends.
 * - checkpoint-mismatch: the entry at the checkpoint's seq is not the one the checkpoint signed.
 * - truncated: the chain ends before the checkpoint's seq (tail cut off, head rewound to match).
 * - no-genesis: the chain does not start at entry 1 chained to the genesis value — the oldest
 *   entries were removed (with or without renumbering), or the trail of a set-up office is empty.
 */
export type VerifyReason = 'mac-mismatch' | 'seq-gap' | 'prev-hash-mismatch' | 'head-mismatch' | 'checkpoint-mismatch' | 'truncated' | 'no-genesis';

export const VERIFY_REASONS: readonly VerifyReason[] = [
  'mac-mismatch', 'seq-gap', 'prev-hash-mismatch', 'head-mismatch', 'checkpoint-mismatch', 'truncated', 'no-genesis',
];

export interface VerifyResult {
  ok: boolean;
  /** Entries that checked out, in seq order, before the first problem (all of them when ok). */
  checked: number;
  /** Seq of the last entry that checked out (0 when none did). */
  lastSeq: number;
  problem?: { seq: number; reason: VerifyReason };
  /**
   * What the walk cannot prove (issue 12 item 11). The MAC chain cannot see a
   * clean cut of the newest entries with the head rewound (or an emptied
   * trail): only a checkpoint kept outside the database can. 'checkpoint' =
   * compared with one and the trail reaches it; 'unprovable' = no checkpoint,
   * so nothing says the trail was not longer.
   */
  tail: 'checkpoint' | 'unprovable';
}

export interface VerifyOptions {
  /** A head exported earlier (checkpoint.ts, signature already checked): detects a cut-off tail. */
  checkpoint?: { seq: number; mac: string };
  /** Rows per query; the walk holds one page in memory, never the chain. */
  pageSize?: number;
}

type Row = ChainFields & { mac: string };

/**
 * Walks the whole chain in seq order, a page at a time (keyset pagination, so
 * 100,000+ entries cost the same memory as 1,000), and stops at the first bad
 * entry. The MAC key lives outside the database (P6): someone who can only
 * edit the database cannot produce a chain that passes, whatever they change.
 *
 * Linkage is checked before the MAC so that a swap or renumbered deletion is
 * named as such rather than as a plain MAC failure. Appends that commit while
 * the walk runs are followed: the head is read after the last page, and the
 * walk continues while the head is ahead of it (entry and head commit together).
 */
export async function verifyAudit(db: Kysely<Database>, key: Buffer, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = opts.pageSize ?? 2000;
  const cp = opts.checkpoint;
  let expected = 1;
  let prevMac = GENESIS;
  let checked = 0;
  const tail = cp ? 'checkpoint' : 'unprovable';
  const bad = (seq: number, reason: VerifyReason): VerifyResult => ({ ok: false, checked, lastSeq: expected - 1, problem: { seq, reason }, tail });

  for (;;) {
    for (;;) {
      const page = (await db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expected)
        .orderBy('seq', 'asc')
        .limit(pageSize)
        .execute()) as Row[];
      for (const raw of page) {
        const row = { ...raw, seq: Number(raw.seq) };
        // The first entry must be entry 1, chained to the genesis value: otherwise the oldest were cut off.
        if (expected === 1 && (row.seq !== 1 || row.prev_hash !== GENESIS)) return bad(1, 'no-genesis');
        if (row.seq !== expected) return bad(expected, 'seq-gap');
        if (row.prev_hash !== prevMac) return bad(row.seq, 'prev-hash-mismatch');
        if (!macMatches(key, row)) return bad(row.seq, 'mac-mismatch');
        if (cp && row.seq === cp.seq && !sameText(row.mac, cp.mac)) return bad(row.seq, 'checkpoint-mismatch');
        prevMac = row.mac;
        expected += 1;
        checked += 1;
      }
      if (page.length < pageSize) break;
    }
    // An office that was set up wrote entries (setup is audited), so an empty trail was emptied.
    if (expected === 1 && (await db.selectFrom('office').select('id').limit(1).executeTakeFirst())) return bad(1, 'no-genesis');
    const head = await db.selectFrom('audit_head').select(['seq', 'mac']).where('id', '=', 1).executeTakeFirst();
    const headSeq = head ? Number(head.seq) : 0;
    const lastSeq = expected - 1;
    // Entries committed after our last page: walk on (the head never runs ahead of its entry).
    if (headSeq > lastSeq) {
      const more = await db.selectFrom('audit_log').select('seq').where('seq', '>=', expected).limit(1).executeTakeFirst();
      if (more) continue;
      return bad(lastSeq + 1, 'head-mismatch');
    }
    if (headSeq < lastSeq) return { ok: false, checked, lastSeq, problem: { seq: headSeq + 1, reason: 'head-mismatch' }, tail };
    if (head && !sameText(head.mac, prevMac)) return { ok: false, checked, lastSeq, problem: { seq: lastSeq, reason: 'head-mismatch' }, tail };
    if (cp && lastSeq < cp.seq) return { ok: false, checked, lastSeq, problem: { seq: lastSeq + 1, reason: 'truncated' }, tail };
    return { ok: true, checked, lastSeq, tail };
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
