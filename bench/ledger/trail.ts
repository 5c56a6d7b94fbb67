import { randomBytes } from 'node:crypto';
import { GENESIS, macOf, type ChainFields } from '../../server/audit/chain.js';
import type { Deps } from '../../server/deps.js';

/**
 * A long audit trail for one company, written straight into the database
 * before the server starts (appending 100,000 entries one by one through the
 * services would only time the setup). Rows are chained and MAC'd with the
 * same functions appendAudit uses and continue the chain the office's setup
 * began, so the trail still verifies and the server appends after it as
 * usual. The mix is what the ledger reads — reveals, bulk reads, ingests,
 * drops, bundles, disposals, exports — with the details each action really
 * records (a reveal's details hold the vault token; the ledger must not copy
 * it out). No number anywhere: the trail never holds one (P6).
 */
const INSERT_BATCH = 1000; // 13 columns x 1000 rows stays under SQLite's 32,766 bound parameters
const TX_BATCH = 10_000;

const MIX: Array<{ action: string; weight: number; role: 'staff' | 'director' | 'client' | 'system' }> = [
  { action: 'vault.reveal', weight: 50, role: 'staff' },
  { action: 'vault.read.bulk', weight: 8, role: 'staff' },
  { action: 'vault.reveal.denied', weight: 2, role: 'staff' },
  { action: 'drop.receive', weight: 8, role: 'client' },
  { action: 'ingest.commit', weight: 8, role: 'staff' },
  { action: 'drop.destroy', weight: 8, role: 'staff' },
  { action: 'bundles.seal', weight: 4, role: 'director' },
  { action: 'bundles.download', weight: 6, role: 'client' },
  { action: 'bundles.dispose', weight: 3, role: 'system' },
  { action: 'retention.disposal', weight: 2, role: 'director' },
  { action: 'audit.export', weight: 1, role: 'director' },
];
const PURPOSES = [['health-pension', '健康保険・厚生年金保険'], ['employment-insurance', '雇用保険'], ['withholding-slip', '源泉徴収票・支払調書']] as const;

function pick(i: number): (typeof MIX)[number] {
  const total = MIX.reduce((a, m) => a + m.weight, 0);
  let x = (i * 2654435761) % total;
  for (const m of MIX) if ((x -= m.weight) < 0) return m;
  return MIX[0]!;
}

export interface TrailSpec {
  companyId: string;
  /** Another company whose entries are interleaved and must stay out of the ledger. */
  otherCompanyId: string;
  entries: number;
  otherEvery: number;
  actors: { staff: string; director: string; client: string };
  /** The newest entry's time; earlier ones every `stepMs` before it. */
  until: Date;
  stepMs: number;
}

export async function writeTrail(deps: Deps, spec: TrailSpec): Promise<{ company: number; other: number; tokens: string[] }> {
  const db = deps.db;
  const key = deps.secrets.audit;
  const head = await db.selectFrom('audit_head').select(['seq', 'mac']).where('id', '=', 1).executeTakeFirst();
  let seq = head ? Number(head.seq) : 0;
  let prev = head?.mac ?? GENESIS;
  const ids = Array.from({ length: 2048 }, () => randomBytes(16).toString('base64url'));
  const id = (n: number) => ids[n % ids.length]!;
  const tokens = Array.from({ length: 64 }, () => randomBytes(16).toString('hex'));
  // Every otherEvery-th entry is the other company's, until the company has `entries`.
  const total = spec.entries + Math.floor((spec.entries - 1) / (spec.otherEvery - 1));
  const start = spec.until.getTime() - total * spec.stepMs;
  let company = 0;
  let other = 0;
  let rows: Array<ChainFields & { mac: string }> = [];
  const flush = async () => {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) await trx.insertInto('audit_log').values(rows.slice(i, i + INSERT_BATCH) as never).execute();
      await trx.insertInto('audit_head').values({ id: 1, seq, mac: prev }).onConflict((oc) => oc.column('id').doUpdateSet({ seq, mac: prev })).execute();
    });
    rows = [];
  };
  for (let n = 0; n < total; n++) {
    const mine = (n + 1) % spec.otherEvery !== 0;
    const m = pick(n);
    const [purposeKey, purpose] = PURPOSES[n % PURPOSES.length]!;
    const actor = m.role === 'client' ? spec.actors.client : m.role === 'director' ? spec.actors.director : m.role === 'staff' ? spec.actors.staff : null;
    const f = entry(m.action, n, id, tokens, purposeKey, purpose);
    seq++;
    const fields: ChainFields = {
      seq, at: new Date(start + n * spec.stepMs).toISOString(), actor_id: actor, actor_role: m.role,
      company_id: mine ? spec.companyId : spec.otherCompanyId, action: m.action, target_ids: JSON.stringify(f.targets),
      purpose: f.purpose, result: m.action === 'vault.reveal.denied' ? 'denied' : 'ok', request_id: id(n + 7).slice(0, 16),
      details: JSON.stringify(f.details), prev_hash: prev,
    };
    prev = macOf(key, fields);
    rows.push({ ...fields, mac: prev });
    if (mine) company++;
    else other++;
    if (rows.length === TX_BATCH) await flush();
  }
  if (rows.length) await flush();
  return { company, other, tokens };
}

function entry(action: string, n: number, id: (n: number) => string, tokens: string[], purposeKey: string, purpose: string): { targets: string[]; purpose: string | null; details: Record<string, unknown> } {
  switch (action) {
    case 'vault.reveal':
      return { targets: [id(n)], purpose, details: { token: tokens[n % tokens.length], purposeKey, window: n % 2 === 0 } };
    case 'vault.read.bulk':
      return { targets: Array.from({ length: 12 }, (_, k) => id(n + k)), purpose, details: { count: 12, purposeKey, window: true } };
    case 'vault.reveal.denied':
      return { targets: [id(n)], purpose, details: { reason: 'wrongPassphrase' } };
    case 'drop.receive':
      return { targets: [id(n)], purpose: null, details: { files: 1, clientEncrypted: 1, serverEncrypted: 0 } };
    case 'ingest.commit':
      return { targets: [id(n)], purpose: '個人番号の受領・保管', details: { personsAdded: 40, duplicates: 3, review: 1, excluded: 0, jobId: id(n + 1) } };
    case 'drop.destroy':
      return { targets: [id(n)], purpose: '取り込み後の原本廃棄', details: { method: 'storage-delete-all-versions', backend: 'local', size: 123_456, verified: true } };
    case 'bundles.seal':
      return { targets: Array.from({ length: 8 }, (_, k) => id(n + k)), purpose: '源泉徴収票の提出', details: { bundleId: id(n), destination: 'tax-office', municipalityCode: null, rows: 8, persons: 8, sealedTo: 'passphrase' } };
    case 'bundles.download':
      return { targets: [id(n)], purpose: '源泉徴収票の提出', details: { bundleId: id(n), destination: 'municipal', municipalityCode: '131016', via: 'room', sha256: 'ab'.repeat(32) } };
    case 'bundles.dispose':
      return { targets: [id(n)], purpose: '源泉徴収票の提出', details: { bundleId: id(n), destination: 'tax-office', municipalityCode: null, reason: 'submitted' } };
    case 'retention.disposal':
      return { targets: [id(n), id(n + 1), id(n + 2)], purpose: '保存期間の終了による廃棄', details: { batch: id(n), persons: 2, method: 'purge', dataKeys: 0, keys: '', reason: 'retention-ended', approvedBy: id(1), confirmedBy: id(2) } };
    default:
      return { targets: [], purpose: '顧問先への報告のため', details: { format: 'csv', rows: 500, upToSeq: n } };
  }
}
