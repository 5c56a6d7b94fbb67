import fs from 'node:fs';
import type * as openpgp from 'openpgp';
import type { Acting } from '../accounts/acting.js';
import type { Deps } from '../deps.js';
import { failpoint } from '../failpoints.js';
import { readOfficePublicKey } from '../keys/office-key.js';
import { jstStamp } from '../lib/jst.js';
import { randomId } from '../lib/random.js';
import type { CertificateFacts, CertifiedPerson } from '../retention/certificate.js';
import { certificatePdf } from '../retention/certificate-pdf.js';
import { signDetached } from '../retention/certificate-sign.js';

/**
 * Issuing a done batch's two certificates (issue 14 §6): built only from the
 * rows written after verification — the batch (method, keys destroyed, the
 * failed decrypt) and its disposals record (what each store was shown not to
 * hold) — so it claims exactly what was verified. The client's copy names the
 * people; the office's holds tokens only. Signed (detached) with the office
 * key the approver or confirmer just unlocked; stored beside the batch.
 * Issued once per copy: a second issue is a no-op.
 */
const REASON_JA: Record<string, string> = {
  'retention-ended': '法定の保存期間の終了',
  'need-ended': '個人番号関係事務の終了（退職・扶養から外れた）',
  'contract-ended': '委託契約の終了',
  other: 'その他',
};
const ROLE_JA: Record<string, string> = { director: '所長（事務取扱責任者）', staff: '事務取扱担当者', system: 'kinko による自動実行' };

function kinkoVersion(): string {
  try {
    return String(JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

export async function certificateFacts(deps: Pick<Deps, 'db'>, batchId: string, copy: 'client' | 'office', at: string): Promise<CertificateFacts> {
  const batch = await deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', batchId).where('state', '=', 'done').executeTakeFirstOrThrow();
  const record = await deps.db.selectFrom('disposals').selectAll().where('subject_kind', '=', 'cohort').where('subject_id', '=', batchId).executeTakeFirstOrThrow();
  const objects = await deps.db.selectFrom('disposal_objects').select(['location', 'backend']).where('disposal_id', '=', record.id).execute();
  const persons = await deps.db
    .selectFrom('disposal_batch_persons as b')
    .innerJoin('persons as p', 'p.id', 'b.person_id')
    .select(['p.name', 'p.relation', 'b.token', 'p.state'])
    .where('b.batch_id', '=', batchId)
    .orderBy('p.name')
    .execute();
  if (persons.some((p) => p.state !== 'disposed')) throw new Error('certificate refused: a person of the batch is not disposed');
  const company = await deps.db.selectFrom('companies').select('name').where('id', '=', batch.company_id).executeTakeFirstOrThrow();
  const user = async (id: string | null) => (id ? await deps.db.selectFrom('users').select(['display_name as name', 'role']).where('id', '=', id).executeTakeFirst() : undefined);
  const approver = await user(batch.approved_by);
  const confirmer = await user(batch.confirmed_by);
  const pub = await readOfficePublicKey(deps.db);
  const office = await deps.db.selectFrom('office').select('name').executeTakeFirst();
  const stores = new Map<string, number>();
  for (const o of objects) stores.set(`${o.location}（${o.backend}）`, (stores.get(`${o.location}（${o.backend}）`) ?? 0) + 1);
  const crypto = batch.method === 'crypto-erase';
  const keyIds = crypto && batch.key_ids ? batch.key_ids.split(' ') : [];
  // Moved into a disposal-month key (vault reseal): a vault backup from before the move holds the old record under a key still live.
  const cohorts = keyIds.length > 0 ? await deps.db.selectFrom('data_keys').select('cohort').where('id', 'in', keyIds).execute() : [];
  const resealed = cohorts.some((k) => k.cohort === 'hold' || k.cohort.startsWith('end-'));
  return {
    certificateId: randomId(12),
    batchId,
    issuedAt: at,
    officeName: office?.name ?? pub?.users[0]?.userID?.name ?? '',
    companyName: company.name,
    copy,
    persons: persons.map((p): CertifiedPerson => (copy === 'client' ? { name: p.name, relation: p.relation } : { token: p.token, relation: p.relation })),
    method: crypto ? 'crypto-erase' : 'purge',
    keyIds,
    stores: [...stores].map(([store, n]) => ({ store, objects: n, versions: null, verifiedAt: record.verified_at })),
    decryptFailedAt: crypto ? batch.decrypt_failed_at : null,
    reason: `${REASON_JA[batch.reason_code] ?? batch.reason_code}${batch.reason_text ? `: ${batch.reason_text}` : ''}`,
    approver: { name: approver?.name ?? '', role: ROLE_JA[approver?.role ?? ''] ?? '' },
    executor: confirmer ? { name: confirmer.name, role: ROLE_JA[confirmer.role] ?? confirmer.role } : { name: 'kinko', role: ROLE_JA.system! },
    backups: crypto
      ? [
          { where: `鍵の破棄（${jstStamp(batch.keys_destroyed_at ?? record.verified_at)}）より前に kinko の外で取得したデータベースのバックアップ・複製`, until: null },
          ...(resealed
            ? [{ where: '保存先（vault）のバックアップ・複製が kinko の外にあり、廃棄月ごとの鍵への付け替えより前に取得されたものである場合、その中の付け替え前の記録（元の鍵はこの会社の他の方のために残っています）', until: null }]
            : []),
        ]
      : [
          { where: '保存先（vault）のバックアップ・複製が kinko の外にある場合、その中の記録（この会社の他の方のために鍵は残っています）', until: null },
          { where: 'kinko の外で取得したデータベースのバックアップ・複製', until: null },
        ],
    outsideCustody: [{ what: '委託元へ渡したファイル・行政機関へ提出した書類・委託元の原本', destination: '委託元・提出先', date: '—' }],
    kinkoVersion: kinkoVersion(),
  };
}

export async function issueCertificates(deps: Deps, batchId: string, acting: Acting, officeKey: openpgp.PrivateKey): Promise<void> {
  const have = await deps.db.selectFrom('disposal_certificates').select('copy').where('batch_id', '=', batchId).execute();
  const at = deps.clock.now().toISOString();
  const made: Array<{ copy: 'client' | 'office'; pdf: Buffer; signature: string; certificateId: string }> = [];
  for (const copy of ['client', 'office'] as const) {
    if (have.some((h) => h.copy === copy)) continue;
    const facts = await certificateFacts(deps, batchId, copy, at);
    const pdf = await certificatePdf(facts);
    made.push({ copy, pdf, signature: await signDetached(pdf, officeKey), certificateId: facts.certificateId });
  }
  if (made.length === 0) return;
  const batch = await deps.db.selectFrom('disposal_batches').select('company_id').where('id', '=', batchId).executeTakeFirstOrThrow();
  await deps.db
    .insertInto('disposal_certificates')
    .values(made.map((m) => ({ id: m.certificateId, batch_id: batchId, company_id: batch.company_id, copy: m.copy, pdf_base64: m.pdf.toString('base64'), signature: m.signature, issued_by: acting.userId, issued_at: at })))
    .onConflict((oc) => oc.columns(['batch_id', 'copy']).doNothing())
    .execute();
  failpoint('disposal.after-certificate');
}
