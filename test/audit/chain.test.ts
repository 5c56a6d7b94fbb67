import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GENESIS, macOf } from '../../server/audit/chain.js';
import { makeCheckpoint } from '../../server/audit/checkpoint.js';
import { appendAudit } from '../../server/audit/service.js';
import { verifyAudit } from '../../server/audit/verify.js';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { loadOrCreateServerKey } from '../../server/lib/server-key.js';
import { containsMyNumber } from '../../server/log/redact.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';
import { buildChain, clearChain, entry, flipBit, setHead, shiftSeqs } from './chain-helpers.js';

describe.each(testDatabases())('audit chain on $name (P6)', (target) => {
  let opened: OpenedTestDatabase;
  let conn: OpenDatabase;
  const key = randomBytes(32);
  const N = 12;

  beforeAll(async () => {
    opened = await target.open();
    conn = await openDatabase(opened.config);
    await migrateToLatest(conn.db);
  });
  afterAll(async () => {
    await conn?.close();
    await opened?.cleanup();
  });
  beforeEach(async () => {
    await clearChain(conn.db);
  });

  describe('an untouched chain', () => {
    it('when nothing was ever recorded, it verifies with 0 entries', async () => {
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: true, checked: 0, lastSeq: 0, tail: 'unprovable' });
    });

    it('when entries were appended, every one verifies, across page boundaries', async () => {
      await buildChain(conn.db, key, N);
      expect(await verifyAudit(conn.db, key, { pageSize: 5 })).toEqual({ ok: true, checked: N, lastSeq: N, tail: 'unprovable' });
    });

    it('the first entry links to the genesis value and each next one to the MAC before it', async () => {
      await buildChain(conn.db, key, 3);
      const [a, b, c] = [await entry(conn.db, 1), await entry(conn.db, 2), await entry(conn.db, 3)];
      expect(a.prev_hash).toBe(GENESIS);
      expect(b.prev_hash).toBe(a.mac);
      expect(c.prev_hash).toBe(b.mac);
    });

    it('when verified with another key, the very first entry fails: a database-only attacker cannot recompute the chain', async () => {
      await buildChain(conn.db, key, 3);
      const r = await verifyAudit(conn.db, randomBytes(32));
      expect(r).toMatchObject({ ok: false, checked: 0, problem: { seq: 1, reason: 'mac-mismatch' } });
    });

    it('when 20 appends race, the chain does not fork: seqs 1..21, all valid', async () => {
      await buildChain(conn.db, key, 1);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          conn.db.transaction().execute((trx) => appendAudit(trx, { key, now: () => new Date() }, { action: 'test.race', details: { i } })),
        ),
      );
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: true, checked: 21, lastSeq: 21, tail: 'unprovable' });
    });

    it('when the very first 20 appends of a new trail race, none fails and the chain does not fork: seqs 1..20', async () => {
      // No head row yet: a row lock on nothing serialises nothing (the 500s of parallel first logins on PostgreSQL).
      // Each transaction stays open 50 ms after its append, as a real one does for its other writes,
      // so the others start while the first entry is not yet committed.
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          conn.db.transaction().execute(async (trx) => {
            const seq = await appendAudit(trx, { key, now: () => new Date() }, { action: 'test.race', details: { i } });
            await new Promise((r) => setTimeout(r, 50));
            return seq;
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect(results.map((r) => (r as PromiseFulfilledResult<number>).value).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: true, checked: 20, lastSeq: 20, tail: 'unprovable' });
    });
  });

  describe('tampering is found at the first bad entry', () => {
    beforeEach(async () => {
      await buildChain(conn.db, key, N);
    });

    it.each(['at', 'action', 'actor_id', 'target_ids', 'details', 'result'] as const)(
      'when one bit of %s is flipped, that entry fails its MAC',
      async (column) => {
        const e = await entry(conn.db, 5);
        await conn.db.updateTable('audit_log').set({ [column]: flipBit(String(e[column]), 2) }).where('seq', '=', 5).execute();
        expect(await verifyAudit(conn.db, key)).toEqual({ ok: false, checked: 4, lastSeq: 4, problem: { seq: 5, reason: 'mac-mismatch' }, tail: 'unprovable' });
      },
    );

    it('when the MAC itself is flipped, that entry fails', async () => {
      const e = await entry(conn.db, 7);
      await conn.db.updateTable('audit_log').set({ mac: flipBit(e.mac, 10) }).where('seq', '=', 7).execute();
      expect((await verifyAudit(conn.db, key)).problem).toEqual({ seq: 7, reason: 'mac-mismatch' });
    });

    it('when an entry in the middle is deleted, the gap is reported at the missing seq', async () => {
      await conn.db.deleteFrom('audit_log').where('seq', '=', 6).execute();
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: false, checked: 5, lastSeq: 5, problem: { seq: 6, reason: 'seq-gap' }, tail: 'unprovable' });
    });

    it('when an entry is deleted and the rest renumbered (head fixed too), the broken link is reported', async () => {
      await conn.db.deleteFrom('audit_log').where('seq', '=', 6).execute();
      await shiftSeqs(conn.db, 7, -1);
      await setHead(conn.db, N - 1);
      expect((await verifyAudit(conn.db, key)).problem).toEqual({ seq: 6, reason: 'prev-hash-mismatch' });
    });

    it('when the contents of two entries are swapped, the first of them breaks the chain', async () => {
      const [a, b] = [await entry(conn.db, 4), await entry(conn.db, 5)];
      const { seq: _a, ...aBody } = a;
      const { seq: _b, ...bBody } = b;
      await conn.db.updateTable('audit_log').set(bBody).where('seq', '=', 4).execute();
      await conn.db.updateTable('audit_log').set(aBody).where('seq', '=', 5).execute();
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: false, checked: 3, lastSeq: 3, problem: { seq: 4, reason: 'prev-hash-mismatch' }, tail: 'unprovable' });
    });

    it('when an entry is inserted (later seqs shifted, link and head forged), the inserted entry fails', async () => {
      await shiftSeqs(conn.db, 5, 1);
      const before = await entry(conn.db, 4);
      const forged = {
        seq: 5, at: before.at, actor_id: 'u-1', actor_role: 'staff', company_id: null, action: 'test.event',
        target_ids: '[]', purpose: null, result: 'ok' as const, request_id: null, details: '{}', prev_hash: before.mac,
      };
      // The attacker has no audit key: the best they can do is a MAC under some other key.
      await conn.db.insertInto('audit_log').values({ ...forged, mac: macOf(randomBytes(32), forged) }).execute();
      await setHead(conn.db, N + 1);
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: false, checked: 4, lastSeq: 4, problem: { seq: 5, reason: 'mac-mismatch' }, tail: 'unprovable' });
    });

    it('when an entry is copied over another (replay), the link is broken', async () => {
      const { seq: _s, ...body } = await entry(conn.db, 2);
      await conn.db.updateTable('audit_log').set(body).where('seq', '=', 9).execute();
      expect((await verifyAudit(conn.db, key)).problem).toEqual({ seq: 9, reason: 'prev-hash-mismatch' });
    });

    it('when the tail is cut off but audit_head is left alone, the head mismatch is reported', async () => {
      await conn.db.deleteFrom('audit_log').where('seq', '>', N - 2).execute();
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: false, checked: N - 2, lastSeq: N - 2, problem: { seq: N - 1, reason: 'head-mismatch' }, tail: 'unprovable' });
    });

    it('when audit_head is moved back without cutting entries, the extra entries are reported', async () => {
      await setHead(conn.db, N - 3);
      expect((await verifyAudit(conn.db, key)).problem).toEqual({ seq: N - 2, reason: 'head-mismatch' });
    });
  });

  describe('a cut-off tail with a careful attacker (head rewound to match)', () => {
    let serverKey: ReturnType<typeof loadOrCreateServerKey>;
    let secrets: string;
    beforeAll(() => {
      secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-sk-'));
      serverKey = loadOrCreateServerKey(secrets);
    });
    afterAll(() => fs.rmSync(secrets, { recursive: true, force: true }));

    it('without a checkpoint the shorter chain looks valid; with the checkpoint the cut is found', async () => {
      await buildChain(conn.db, key, N);
      const cp = await makeCheckpoint(conn.db, serverKey, new Date());
      expect(cp.seq).toBe(N);

      await conn.db.deleteFrom('audit_log').where('seq', '>', N - 3).execute();
      await setHead(conn.db, N - 3);

      expect(await verifyAudit(conn.db, key)).toEqual({ ok: true, checked: N - 3, lastSeq: N - 3, tail: 'unprovable' });
      expect(await verifyAudit(conn.db, key, { checkpoint: cp })).toEqual({
        ok: false, checked: N - 3, lastSeq: N - 3, problem: { seq: N - 2, reason: 'truncated' }, tail: 'checkpoint',
      });
    });

    it('when the cut tail is later overgrown by new entries, the entry at the checkpoint no longer matches', async () => {
      await buildChain(conn.db, key, N);
      const cp = await makeCheckpoint(conn.db, serverKey, new Date());
      await conn.db.deleteFrom('audit_log').where('seq', '>', N - 3).execute();
      await setHead(conn.db, N - 3);
      await buildChain(conn.db, key, 5, () => ({ action: 'test.later' }), new Date('2025-05-01T00:00:00Z'));

      expect((await verifyAudit(conn.db, key)).ok).toBe(true);
      expect((await verifyAudit(conn.db, key, { checkpoint: cp })).problem).toEqual({ seq: N, reason: 'checkpoint-mismatch' });
    });

    it('an intact chain that grew after the checkpoint still verifies against it', async () => {
      await buildChain(conn.db, key, N);
      const cp = await makeCheckpoint(conn.db, serverKey, new Date());
      await conn.db.transaction().execute((trx) => appendAudit(trx, { key, now: () => new Date() }, { action: 'test.after' }));
      expect(await verifyAudit(conn.db, key, { checkpoint: cp })).toEqual({ ok: true, checked: N + 1, lastSeq: N + 1, tail: 'checkpoint' });
    });
  });

  describe('appendAudit inside the transaction of the change', () => {
    it('when the audit entry cannot be written, the change it describes is rolled back', async () => {
      await buildChain(conn.db, key, 2);
      // Something already sits where the next entry must go (a damaged trail): the append fails.
      const { seq: _s, ...body } = await entry(conn.db, 2);
      await conn.db.insertInto('audit_log').values({ ...body, seq: 3 }).execute();

      const change = conn.db.transaction().execute(async (trx) => {
        await trx.insertInto('kinko_meta').values({ key: 'audit-rollback-probe', value: '1' }).execute();
        await appendAudit(trx, { key, now: () => new Date() }, { action: 'test.change' });
      });

      // Compared by code, not instanceof: better-sqlite3's native errors come from
      // the realm that first loaded it, which under jest may be another test file.
      const err = await change.then(() => undefined, (e: unknown) => e as { code?: unknown });
      expect(String(err?.code)).toMatch(/^SQLITE_CONSTRAINT|^23505$/);
      expect(await conn.db.selectFrom('kinko_meta').selectAll().where('key', '=', 'audit-rollback-probe').executeTakeFirst()).toBeUndefined();
      expect((await conn.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow()).seq).toBe(2);
    });

    it('when the change fails after the entry was appended, the entry is rolled back too and the chain stays valid', async () => {
      await buildChain(conn.db, key, 2);
      const change = conn.db.transaction().execute(async (trx) => {
        await appendAudit(trx, { key, now: () => new Date() }, { action: 'test.change' });
        throw new Error('the change itself failed');
      });
      await expect(change).rejects.toThrow('the change itself failed');
      expect(await verifyAudit(conn.db, key)).toEqual({ ok: true, checked: 2, lastSeq: 2, tail: 'unprovable' });
    });
  });

  describe('no My Number is ever stored (P6)', () => {
    it('an event carrying synthetic My Numbers in details, purpose and targets stores none of them, in any form', async () => {
      const numbers = syntheticMyNumbers(4, 61);
      const forms = numbers.flatMap(variants);
      await conn.db.transaction().execute((trx) =>
        appendAudit(trx, { key, now: () => new Date() }, {
          action: 'test.careless',
          targetIds: [numbers[0]!, 'person-token-1'],
          purpose: `本人確認 ${variants(numbers[1]!)[3]}`,
          details: {
            note: `番号 ${numbers[2]} を確認`,
            multiLine: `${numbers[3]!.slice(0, 4)}\n${numbers[3]!.slice(4, 8)}\n${numbers[3]!.slice(8)}`,
            asNumber: Number(numbers[0]),
            [numbers[1]!]: 'as a key',
            count: 3,
          },
        }),
      );
      const rows = await conn.db.selectFrom('audit_log').selectAll().execute();
      const stored = JSON.stringify(rows);
      for (const f of forms) expect(stored).not.toContain(f);
      for (const r of rows) for (const v of Object.values(r)) expect(containsMyNumber(String(v))).toBe(false);
      expect(stored).toContain('[個人番号削除]');
      // Redacted values keep the details valid JSON and the chain valid.
      expect(JSON.parse(rows[0]!.details)).toMatchObject({ count: 3, asNumber: '[個人番号削除]' });
      expect((await verifyAudit(conn.db, key)).ok).toBe(true);
    });
  });
});
