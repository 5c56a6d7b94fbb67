/**
 * Audit chain benchmark: how long `verifyAudit` takes on a 100,000-entry trail
 * (target: under 10 s), against a plain in-memory HMAC pass over the same rows
 * to show what the database walk costs on top of the cryptography.
 *
 *   node --import tsx bench/audit/run.ts [entries]
 *
 * Builds the chain in a temp SQLite database: rows are computed with the same
 * chain functions appendAudit uses and inserted in batches inside transactions
 * (appending 100,000 entries one by one would only measure setup). A few real
 * appendAudit calls at the end prove the two agree.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonical, GENESIS, macOf, type ChainFields } from '../../server/audit/chain.js';
import { appendAudit } from '../../server/audit/service.js';
import { verifyAudit } from '../../server/audit/verify.js';
import { openDatabase } from '../../server/db/connection.js';
import { migrateToLatest } from '../../server/db/migrate.js';

const ENTRIES = Number(process.argv[2] ?? 100_000);
const TARGET_MS = 10_000;
const INSERT_BATCH = 1000; // 13 columns x 1000 rows stays under SQLite's 32,766 bound parameters
const TX_BATCH = 10_000;
const ACTIONS = ['auth.login', 'auth.logout', 'drops.upload', 'drops.download', 'ingest.run', 'vault.reveal', 'accounts.company.create'];

type Row = ChainFields & { mac: string };

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function makeRows(key: Buffer, count: number): Row[] {
  // A pool of random ids: realistic lengths and entropy without 500,000 randomBytes calls.
  const ids = Array.from({ length: 4096 }, () => randomBytes(16).toString('base64url'));
  const id = (n: number) => ids[(n * 2654435761) % ids.length]!;
  const rows: Row[] = [];
  let prev = GENESIS;
  const t0 = Date.parse('2025-04-01T00:00:00Z');
  for (let seq = 1; seq <= count; seq++) {
    const action = ACTIONS[seq % ACTIONS.length]!;
    const f: ChainFields = {
      seq,
      at: new Date(t0 + seq * 7_000).toISOString(),
      actor_id: id(seq % 40),
      actor_role: seq % 5 === 0 ? 'client' : 'staff',
      company_id: seq % 3 === 0 ? null : id(1000 + (seq % 300)),
      action,
      target_ids: JSON.stringify(Array.from({ length: 1 + (seq % 3) }, (_, k) => id(seq * 3 + k))),
      purpose: action === 'vault.reveal' ? '年末調整のため' : null,
      result: seq % 50 === 0 ? 'denied' : 'ok',
      request_id: id(seq + 7).slice(0, 16),
      details: JSON.stringify({ files: seq % 4, bytes: (seq * 7919) % 10_000_000 }),
      prev_hash: prev,
    };
    const mac = macOf(key, f);
    rows.push({ ...f, mac });
    prev = mac;
  }
  return rows;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-bench-audit-'));
  const file = path.join(dir, 'kinko.sqlite');
  const database = await openDatabase({ kind: 'sqlite', file });
  const db = database.db;
  const key = randomBytes(32);
  try {
    await migrateToLatest(db);
    console.log(`kinko audit bench — node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`.trim());

    let t = performance.now();
    const rows = makeRows(key, ENTRIES);
    const genMs = performance.now() - t;

    t = performance.now();
    for (let start = 0; start < rows.length; start += TX_BATCH) {
      await db.transaction().execute(async (trx) => {
        const end = Math.min(start + TX_BATCH, rows.length);
        for (let i = start; i < end; i += INSERT_BATCH) {
          await trx.insertInto('audit_log').values(rows.slice(i, Math.min(i + INSERT_BATCH, end)) as never).execute();
        }
      });
    }
    const last = rows[rows.length - 1]!;
    await db.insertInto('audit_head').values({ id: 1, seq: last.seq, mac: last.mac }).execute();
    // The real append must continue the bulk-built chain seamlessly.
    for (let i = 0; i < 3; i++) {
      await db.transaction().execute((trx) => appendAudit(trx, { key, now: () => new Date() }, { action: 'bench.append', details: { i } }));
    }
    const insertMs = performance.now() - t;
    const total = ENTRIES + 3;
    console.log(`setup: ${fmt(total)} entries (rows+MACs ${fmt(genMs)} ms, batch insert ${fmt(insertMs)} ms), db ${(fs.statSync(file).size / 1024 / 1024).toFixed(1)} MiB`);

    // Verify: the real thing, from the database, in pages.
    t = performance.now();
    const result = await verifyAudit(db, key);
    const verifyMs = performance.now() - t;
    if (!result.ok || result.checked !== total) throw new Error(`verify did not pass: ${JSON.stringify(result)}`);

    // Baselines without the database: canonical serialisation + HMAC, and HMAC over pre-serialised rows.
    t = performance.now();
    let prev = GENESIS;
    for (const r of rows) {
      if (r.prev_hash !== prev || macOf(key, r) !== r.mac) throw new Error('baseline mismatch');
      prev = r.mac;
    }
    const canonMs = performance.now() - t;
    const serialized = rows.map((r) => canonical(r));
    t = performance.now();
    for (const s of serialized) createHmac('sha256', key).update(s).digest();
    const hmacMs = performance.now() - t;
    const bytes = serialized.reduce((n, s) => n + Buffer.byteLength(s), 0);

    console.log('');
    console.log(`verify (SQLite, paged):       ${fmt(verifyMs)} ms for ${fmt(result.checked)} entries = ${fmt(result.checked / (verifyMs / 1000))} entries/s  [target < ${fmt(TARGET_MS)} ms: ${verifyMs < TARGET_MS ? 'PASS' : 'FAIL'}]`);
    console.log(`baseline, no DB (serialize+HMAC): ${fmt(canonMs)} ms = ${fmt(ENTRIES / (canonMs / 1000))} entries/s`);
    console.log(`baseline, no DB (HMAC only):      ${fmt(hmacMs)} ms = ${fmt(ENTRIES / (hmacMs / 1000))} entries/s, ${(bytes / 1048576).toFixed(1)} MiB = ${(bytes / 1048576 / (hmacMs / 1000)).toFixed(0)} MiB/s`);
    console.log(`database walk overhead:       x${(verifyMs / canonMs).toFixed(1)} of serialize+HMAC (${fmt(verifyMs - canonMs)} ms reading ${fmt(ENTRIES)} rows)`);
    if (verifyMs >= TARGET_MS) process.exitCode = 1;
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
