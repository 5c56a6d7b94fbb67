/**
 * The persons insert alone, at several sizes (issue 17 §5): kinko's schema on
 * a fresh SQLite file opened as the server opens it, one transaction of N
 * rows shaped like an ingest's (employees, then dependents pointing at them),
 * through repo.insertPersonRows. Prints ms per 1,000 rows per tenth of the
 * insert, so growth inside one transaction shows.
 *
 *   node --import tsx bench/ingest/persons-insert.ts [--with-vault] [24587 122231 245000]
 *
 * --with-vault: the vault records (40 random bytes under each row's token) are
 * written beside the insert, as confirm does: the packed store's createMany,
 * KINKO_VAULT_BATCH at a time (unset: all at once, as custody.ts writes the
 * embedded vault), on its writer thread.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { buildDeps } from '../../server/deps.js';
import { createLogger } from '../../server/log/logger.js';
import { randomId } from '../../server/lib/random.js';
import { insertPersonRows, type NewPersonRow } from '../../server/vault/repo.js';
import { newToken } from '../../server/vault/crypto.js';

const WITH_VAULT = process.argv.includes('--with-vault');
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const n of sizes.length ? sizes : [24_587, 122_231, 245_000]) await once(n);

/** Bytes this process caused to be written to storage so far (/proc/self/io), all threads. */
function written(): number {
  return Number(/write_bytes: (\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
}

async function once(n: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-insert-'));
  const deps = await buildDeps(loadConfig({ KINKO_DATA_DIR: dir, KINKO_LOG_LEVEL: 'silent', KINKO_PUBLIC_URL: 'http://127.0.0.1:1', ...(process.env.KINKO_VAULT_BATCH ? { KINKO_VAULT_BATCH: process.env.KINKO_VAULT_BATCH } : {}) }), { logger: createLogger({ level: 'silent' }) });
  try {
    const now = new Date().toISOString();
    const companyId = randomId();
    await deps.db.insertInto('companies').values({ id: companyId, name: 'bench', contact_email: 'a@b.example', status: 'active', access_key_hash: randomId(), access_key_sealed: 'x', created_at: now, updated_at: now } as never).execute();
    const dataKeyId = randomId();
    await deps.db.insertInto('data_keys').values({ id: dataKeyId, company_id: companyId, cohort: 'c', wrapped_key: 'x', created_at: now } as never).execute();
    const dropId = randomId();
    const employees = Math.round(n / 2.46);
    const rows: NewPersonRow[] = [];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomId();
      const emp = i < employees;
      if (emp) ids.push(id);
      rows.push({
        id, company_id: companyId, token: newToken(), data_key_id: dataKeyId, number_index: randomId(32), name: `社員 ${i}`, furigana: 'シャイン',
        employee_code: emp ? `E${String(i).padStart(6, '0')}` : null, relation: emp ? '本人' : '配偶者', employee_person_id: emp ? null : ids[i % employees]!,
        source_drop_id: dropId, source_sheet: 'Sheet1', source_row: i + 2, cohort: 'c', state: 'held', created_at: now, number_last4: String(1000 + (i % 9000)),
      } as NewPersonRow);
    }
    const records = rows.map((r) => ({ key: r.token, bytes: crypto.randomBytes(40) }));
    const io0 = written();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let vaultMs = 0;
    const writing = (async () => {
      if (!WITH_VAULT) return;
      const batch = deps.config.vaultBatch ?? records.length;
      for (let i = 0; i < records.length; i += batch) await deps.storage.vault.createMany(records.slice(i, i + batch));
      vaultMs = performance.now() - t0;
    })();
    await deps.db.transaction().execute(async (trx) => {
      await insertPersonRows(trx, rows);
      await writing;
    });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const mb = (written() - io0) / 1048576;
    console.log(`${n.toLocaleString('en-US')} rows: ${Math.round(ms).toLocaleString('en-US')} ms (${(ms / (n / 1000)).toFixed(1)} ms per 1,000 rows; CPU ${Math.round(cpuMs).toLocaleString('en-US')} ms, all threads; ${Math.round(mb)} MiB written to disk)${WITH_VAULT ? `; vault records written beside it in ${Math.round(vaultMs).toLocaleString('en-US')} ms` : ''}`);
  } finally {
    await deps.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
