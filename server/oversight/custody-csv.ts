import { CSV_BOM, csvLine } from '../audit/csv.js';
import { jstStamp } from '../lib/jst.js';
import type { CustodyReport } from './custody-report.js';

/**
 * The custody report as one CSV (section, item, detail, count), Japanese
 * labels, for the client's own records (custody-routes.ts). The PDF and the
 * signature are still to come.
 */
const NA = '該当なし（この機能は未導入）';
const RELATION = { self: '本人', spouse: '配偶者', dependent: '扶養親族' } as const;

export function custodyCsv(r: CustodyReport): string {
  const out: string[] = [CSV_BOM, csvLine(['区分', '項目', '内訳', '件数'])];
  const row = (a: string, b: string, c: string, n: number | string) => out.push(csvLine([a, b, c, n]));
  row('報告', r.company.name, `${jstStamp(r.from)} 〜 ${jstStamp(r.to)}`, '');
  for (const p of r.persons) row('保管している人', RELATION[p.relation], p.state, p.count);
  row('保管している人', '合計', '', r.personsTotal);
  row('届いたファイル', '受領', '', r.drops.received);
  row('届いたファイル', '取り込み', '', r.drops.ingested);
  row('届いたファイル', '原本の廃棄', '', r.drops.destroyed);
  for (const d of r.disposals) row('廃棄の記録', d.id, `${d.kind} ${d.method} ${d.verification} ${jstStamp(d.verifiedAt)}`, d.objects);
  for (const u of r.uses) {
    row('番号の利用', u.purpose, `${u.role} 表示`, u.reveals);
    row('番号の利用', u.purpose, `${u.role} 一括読み出し`, u.bulkReads);
  }
  row('ルーム', 'ログイン', '', r.room.logins);
  row('ルーム', 'ログイン失敗', '', r.room.failed);
  row('事務取扱担当者', '所長', '', r.handlers.director);
  row('事務取扱担当者', '職員', '', r.handlers.staff);
  for (const s of r.subcontractors) row('再委託', s.what, s.where, r.approvals.available ? (r.approvals.value[s.what] ?? '') : NA);
  row('安全管理措置', '基本方針・取扱規程', '', r.safeguards.available ? r.safeguards.value.policy : NA);
  row('封入ファイル', '作成・ダウンロード', '', r.bundles.available ? `${r.bundles.value.issued} / ${r.bundles.value.downloaded}` : NA);
  row('廃棄証明書', '', '', r.certificates.available ? r.certificates.value.length : NA);
  return out.join('');
}
