import { createRequire } from 'node:module';
import { jstStamp } from '../lib/jst.js';
import { assertHonest, METHOD_LABEL, type CertificateFacts } from './certificate.js';

/**
 * The certificate as a printable A4 PDF in Japanese (English under each
 * heading), with a Japanese font embedded from an npm package so that the
 * text extracts with pdftotext on any machine. Deterministic for the same
 * facts (fixed metadata dates), so its signature is over exactly what the
 * facts say.
 */
const require = createRequire(import.meta.url);
const FONT = require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');

export async function certificatePdf(c: CertificateFacts): Promise<Buffer> {
  // pdfkit (≈ 20–29 MiB once loaded, with fontkit) is loaded when a PDF is first made, not at start (issue 17: idle RSS).
  const { default: PDFDocument } = await import('pdfkit');
  assertHonest(c);
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `廃棄証明書 ${c.certificateId}`, Producer: `kinko ${c.kinkoVersion}`, Creator: 'kinko', CreationDate: new Date(c.issuedAt), ModDate: new Date(c.issuedAt) } });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('jp', FONT);
  doc.font('jp');

  doc.fontSize(18).text('個人番号 廃棄証明書', { align: 'center' });
  doc.fontSize(9).fillColor('#444').text('Certificate of disposal of My Numbers', { align: 'center' }).fillColor('black');
  doc.moveDown();

  const row = (label: string, value: string) => {
    doc.fontSize(10).text(`${label}: `, { continued: true }).text(value);
  };
  row('証明書番号 / Certificate', c.certificateId);
  row('廃棄の単位 / Batch', c.batchId);
  row('発行日 / Issued', jstStamp(c.issuedAt));
  row('発行者 / Issued by', c.officeName);
  row('委託元 / Client company', c.companyName);
  row('控え / Copy', c.copy === 'client' ? '委託元控え（氏名入り） / client copy' : '事務所控え（記録番号のみ） / office copy (tokens only)');
  row('廃棄の理由 / Reason', c.reason);
  row('方法 / Method', `${METHOD_LABEL[c.method].ja} / ${METHOD_LABEL[c.method].en}`);
  if (c.keyIds.length > 0) row('破棄した鍵 / Keys destroyed', c.keyIds.join(', '));
  row('承認者 / Approved by', `${c.approver.name}（${c.approver.role}）`);
  row('実施者 / Carried out by', `${c.executor.name}（${c.executor.role}）`);
  doc.moveDown(0.5);

  doc.fontSize(12).text(`対象者 ${c.persons.length} 名 / Persons: ${c.persons.length}`);
  doc.fontSize(10);
  for (const [i, p] of c.persons.entries()) doc.text(`${i + 1}. ${c.copy === 'client' ? p.name : p.token}（${p.relation}）`);
  doc.moveDown(0.5);

  doc.fontSize(12).text('確認したこと / Verification');
  doc.fontSize(10);
  for (const s of c.stores) doc.text(`・保存先「${s.store}」: ${s.objects} 件（${s.versions === null ? 'すべての版・削除マーカーを含む' : `${s.versions} 版`}）を削除し、一覧で残りがないことを確認（${jstStamp(s.verifiedAt)}）`);
  if (c.decryptFailedAt) doc.text(`・破棄した鍵では復号できないことを確認（${jstStamp(c.decryptFailedAt)}）`);
  doc.moveDown(0.5);

  doc.fontSize(12).text('バックアップ / Backups');
  doc.fontSize(10);
  if (c.backups.length === 0) doc.text('・kinko が把握しているバックアップはありません。');
  for (const b of c.backups) doc.text(`・${b.where}: 鍵の写しが残る可能性があります（${b.until ? `${b.until} まで` : '期限不明'}）`);
  doc.moveDown(0.5);

  doc.fontSize(12).text('kinko の管理外のもの / Outside kinko’s custody');
  doc.fontSize(10);
  if (c.outsideCustody.length === 0) doc.text('・ありません。');
  for (const o of c.outsideCustody) doc.text(`・${o.what}（${o.destination}、${o.date}）: この証明の対象外です。`);
  doc.moveDown();
  doc.fontSize(8).fillColor('#444').text(
    'この証明書は、上記の確認が済んだ後にだけ発行されます。上書き消去や、保存先事業者の装置の物理的な消去を証明するものではありません。署名（.asc）は事務所の公開鍵で確認できます: gpg --verify 証明書.pdf.asc 証明書.pdf',
  );
  doc.end();
  return done;
}
