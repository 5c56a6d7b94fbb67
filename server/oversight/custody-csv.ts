import { CSV_BOM, csvLine } from '../audit/csv.js';
import { jstStamp } from '../lib/jst.js';
import { approvalJa, NOT_REGISTERED, RELATION, roleJa, stateJa, whatJa, whereJa } from './custody-labels.js';
import type { CustodyReport } from './custody-report.js';

/**
 * The custody report as one CSV (section, item, detail, count), Japanese
 * labels, for the client's own records (custody-routes.ts). An issued
 * report's CSV carries its id and is signed like its PDF (custody-issue.ts).
 */
const NA = '該当なし（この機能は未導入）';

export function custodyCsv(r: CustodyReport): string {
  const out: string[] = [CSV_BOM, csvLine(['区分', '項目', '内訳', '件数'])];
  const row = (a: string, b: string, c: string, n: number | string) => out.push(csvLine([a, b, c, n]));
  row('報告', r.company.name, `${jstStamp(r.from)} 〜 ${jstStamp(r.to)}`, '');
  row('報告', '報告書番号', r.issue ? `事務所の鍵 ${r.issue.fingerprint} で署名` : '署名なし（その時点の集計）', r.issue?.id ?? '');
  for (const p of r.persons) row('保管している人', RELATION[p.relation], stateJa(p.state), p.count);
  row('保管している人', '合計', '', r.personsTotal);
  row('届いたファイル', '受領', '', r.drops.received);
  row('届いたファイル', '取り込み', '', r.drops.ingested);
  row('届いたファイル', '原本の廃棄', '', r.drops.destroyed);
  for (const d of r.disposals) row('廃棄の記録', d.id, `${d.kind} ${d.method} ${d.verification} ${jstStamp(d.verifiedAt)}`, d.objects);
  for (const u of r.uses) {
    row('番号の利用', u.purpose, `${roleJa(u.role)} 表示`, u.reveals);
    row('番号の利用', u.purpose, `${roleJa(u.role)} 一括読み出し`, u.bulkReads);
  }
  row('ルーム', 'ログイン', '', r.room.logins);
  row('ルーム', 'ログイン失敗', '', r.room.failed);
  row('事務取扱担当者', '事務所の鍵を持つ人', '', r.handlers.keyHolders);
  row('事務取扱担当者', '所長（アカウント）', '', r.handlers.director);
  row('事務取扱担当者', '職員（アカウント）', '', r.handlers.staff);
  for (const s of r.subcontractors) row('再委託', whatJa(s.what), whereJa(s.where), approvalJa(s));
  const s = r.safeguards.available ? r.safeguards.value : null;
  row('安全管理措置', '基本方針', s ? s.policy : NOT_REGISTERED, '');
  row('安全管理措置', '取扱規程（要旨）', s ? s.rules : NOT_REGISTERED, '');
  row('安全管理措置', 'データの保管場所', s ? s.hosting : NOT_REGISTERED, '');
  row('封入ファイル', '作成', '', r.bundles.available ? r.bundles.value.issued : NA);
  row('封入ファイル', 'ダウンロード', '', r.bundles.available ? r.bundles.value.downloaded : NA);
  row('廃棄証明書', '通数', '', r.certificates.available ? r.certificates.value.length : NA);
  if (r.certificates.available) for (const c of r.certificates.value) row('廃棄証明書', c.id, jstStamp(c.issuedAt), '');
  return out.join('');
}
