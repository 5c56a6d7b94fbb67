import type { Kysely } from 'kysely';
import type { Database } from '../../server/db/schema.js';
import { appendAudit, type AuditEvent } from '../../server/audit/service.js';

/**
 * Arrange and tamper helpers for the audit tests. Tampering goes straight to
 * the tables, as an attacker with database access (but not the audit key) would.
 */
export async function buildChain(
  db: Kysely<Database>,
  key: Buffer,
  count: number,
  event: (i: number) => Partial<AuditEvent> = () => ({}),
  start = new Date('2025-04-01T00:00:00.000Z'),
): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const now = new Date(start.getTime() + i * 60_000);
    await db.transaction().execute((trx) =>
      appendAudit(trx, { key, now: () => now }, {
        action: 'test.event',
        actorId: 'u-1',
        actorRole: 'staff',
        targetIds: [`t-${i}`],
        details: { n: i },
        ...event(i),
      }),
    );
  }
}

export async function clearChain(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('audit_log').execute();
  await db.deleteFrom('audit_head').execute();
}

export async function entry(db: Kysely<Database>, seq: number) {
  return db.selectFrom('audit_log').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
}

/** Flips the lowest bit of one character. */
export function flipBit(text: string, at = 0): string {
  const i = Math.min(at, text.length - 1);
  return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
}

/** Moves the head to an existing entry, as a careful attacker would after cutting the tail. */
export async function setHead(db: Kysely<Database>, seq: number): Promise<void> {
  const { mac } = await entry(db, seq);
  await db.updateTable('audit_head').set({ seq, mac }).where('id', '=', 1).execute();
}

/** Renumbers entries seq >= from by `delta`, one row at a time so the primary key never collides. */
export async function shiftSeqs(db: Kysely<Database>, from: number, delta: 1 | -1): Promise<void> {
  const rows = await db.selectFrom('audit_log').select('seq').where('seq', '>=', from).orderBy('seq', delta > 0 ? 'desc' : 'asc').execute();
  for (const r of rows) {
    await db.updateTable('audit_log').set({ seq: Number(r.seq) + delta }).where('seq', '=', Number(r.seq)).execute();
  }
}
