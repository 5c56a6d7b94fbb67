import { createRequire } from 'node:module';
import { jstStamp } from '../lib/jst.js';
import { approvalJa, handlersJa, NOT_REGISTERED, RELATION, roleJa, stateJa, whatJa, whereJa } from './custody-labels.js';
import type { CustodyReport } from './custody-report.js';

/**
 * The custody report as a printable A4 PDF in Japanese, with the same
 * embedded font as the disposal certificate (retention/certificate-pdf.ts)
 * so pdftotext can read it anywhere. Counts only. An issued report names
 * its id and the office key that signs it (detached signature, custody-issue.ts).
 */
const require = createRequire(import.meta.url);
const FONT = require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');
const NA = '該当なし（この機能は未導入）';

export async function custodyPdf(r: CustodyReport): Promise<Buffer> {
  // pdfkit (≈ 20–29 MiB once loaded, with fontkit) is loaded when a PDF is first made, not at start (issue 17: idle RSS).
  const { default: PDFDocument } = await import('pdfkit');
  const at = new Date(r.generatedAt);
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `取扱状況の報告 ${r.company.name}`, Creator: 'kinko', CreationDate: at, ModDate: at } });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('jp', FONT);
  doc.font('jp');
  doc.fontSize(18).text('個人番号の取扱状況の報告', { align: 'center' });
  doc.fontSize(9).fillColor('#444').text('Custody report (counts only)', { align: 'center' }).fillColor('black');
  doc.moveDown();
  const line = (text: string) => doc.fontSize(10).text(text);
  const head = (text: string) => doc.moveDown(0.5).fontSize(12).text(text);
  line(`委託元: ${r.company.name}`);
  line(`期間: ${jstStamp(r.from)} 〜 ${jstStamp(r.to)}`);
  line(`作成: ${jstStamp(r.generatedAt)}`);
  if (r.issue) line(`報告書番号: ${r.issue.id}（事務所の鍵 ${r.issue.fingerprint} で署名。署名は別ファイル .asc）`);
  else line('署名なし: その時点の集計です。署名付きの報告は事務所が発行します。');
  head('保管している人');
  for (const p of r.persons) line(`・${RELATION[p.relation]}（${stateJa(p.state)}）: ${p.count} 人`);
  line(`合計: ${r.personsTotal} 人`);
  head('届いたファイル');
  line(`受領 ${r.drops.received} 件 / 取り込み ${r.drops.ingested} 件 / 原本の廃棄 ${r.drops.destroyed} 件`);
  for (const d of r.disposals) line(`・廃棄記録 ${d.id}: ${d.method}、${d.verification}（${jstStamp(d.verifiedAt)}）`);
  head('番号の利用（目的・担当の役割ごと）');
  if (r.uses.length === 0) line('・ありません。');
  for (const u of r.uses) line(`・${u.purpose}（${roleJa(u.role)}）: 表示 ${u.reveals} 回、一括読み出し ${u.bulkReads} 回`);
  head('ルーム');
  line(`ログイン ${r.room.logins} 回、失敗 ${r.room.failed} 回`);
  head('事務取扱担当者');
  line(handlersJa(r.handlers));
  head('再委託');
  for (const s of r.subcontractors) line(`・${whatJa(s.what)}: ${whereJa(s.where)}（${approvalJa(s)}）`);
  head('安全管理措置');
  if (!r.safeguards.available) line(`基本方針・取扱規程・データの保管場所: ${NOT_REGISTERED}`);
  else {
    line('基本方針:');
    line(r.safeguards.value.policy);
    line('取扱規程（要旨）:');
    line(r.safeguards.value.rules);
    line('データの保管場所:');
    line(r.safeguards.value.hosting);
  }
  head('封入ファイル・廃棄証明書');
  line(`封入ファイル: ${r.bundles.available ? `作成 ${r.bundles.value.issued} 件 / ダウンロード ${r.bundles.value.downloaded} 件` : NA}`);
  line(`廃棄証明書: ${r.certificates.available ? `${r.certificates.value.length} 通` : NA}`);
  if (r.certificates.available) for (const c of r.certificates.value) line(`・${c.id}（${jstStamp(c.issuedAt)}）`);
  doc.end();
  return done;
}
