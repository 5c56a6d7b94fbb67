import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import type { FamilyMember, PayRow } from '../../server/bundles/rows.js';
import { selfCopyPdfPieces, selfCopyPdfs } from '../../server/bundles/self-copy-pdf.js';
import { buildSelfCopy, type SelfCopy } from '../../server/bundles/self-copy.js';
import type { RowNumbers } from '../../server/bundles/write/fill-numbers.js';
import { numberedSlipsPdf, type NumberedSlip } from '../../server/bundles/write/slips-pdf.js';
import { summaryPdf } from '../../server/bundles/write/summary-pdf.js';
import { unifiedCells } from '../../test/bundles/fixtures.js';
import { syntheticMyNumbers } from '../../test/helpers/mynumber.js';
import { RssSampler } from '../ingest/rss.js';
import { soffice } from '../ingest/workbook.js';

/**
 * The year-end bundles' PDFs alone (issue 15 §3), at the scale:
 * 10,000 synthetic employees (varied names, addresses, amounts, spouses and
 * dependants; synthetic My Numbers with valid check digits) →
 *   - the 市区町村 slips for all 10,000 (one PDF; the build splits them per
 *     municipality, which costs the same pages),
 *   - the 税務署 slips for 3,000,
 *   - 20 総括表,
 *   - the 本人交付 copies: 10,000 individual PDFs and the combined one.
 * Prints seconds, output sizes and peak RSS (process.resourceUsage().maxRSS).
 * With --peer, also times the yardstick: LibreOffice converting a
 * 10,000-row sheet (the same rows' 統一CSV cells) to PDF.
 *
 * Run: node --expose-gc --import tsx bench/bundles/pdf-only.ts [--employees 10000] [--tax 3000] [--peer]
 *   --isolated runs each step (and the streamed 本人交付 variant) in a process of its own, for per-step peak RSS;
 *   --step municipal|tax|summary|self|self-stream runs one.
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EMPLOYEES = arg('employees', 10_000);
const TAX = Math.min(arg('tax', 3_000), EMPLOYEES);
const PEER = process.argv.includes('--peer');
const CORP = '7000012050002'; // 国税庁's own published 法人番号: public, valid

const SURNAMES = ['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村', '小林', '加藤', '吉田', '山田', '佐々木', '山口', '松本', '井上', '木村', '林', '斎藤', '清水', '山崎', '森', '池田', '橋本', '阿部', '石川', '山下', '中島', '石井', '小川', '前田', '岡田', '長谷川', '藤田', '後藤', '近藤', '村上', '遠藤', '青木', '坂本'];
const GIVEN = ['太郎', '花子', '一郎', '美咲', '健太', '陽菜', '大輔', '結衣', '翔太', '葵', '拓也', '七海', '直樹', '彩', '誠', '優子', '亮', '真由美', '浩二', '恵', '和也', '智子', '剛', '由美', '修', '舞', '悠斗', '愛', '隆', '久美子'];
const KANA = ['ｻﾄｳ', 'ｽｽﾞｷ', 'ﾀｶﾊｼ', 'ﾀﾅｶ', 'ｲﾄｳ', 'ﾜﾀﾅﾍﾞ', 'ﾔﾏﾓﾄ', 'ﾅｶﾑﾗ', 'ｺﾊﾞﾔｼ', 'ｶﾄｳ'];
const TOWNS = ['東京都府中市宮町', '東京都千代田区丸の内', '神奈川県横浜市中区本町', '埼玉県さいたま市浦和区高砂', '千葉県千葉市中央区富士見', '大阪府大阪市北区梅田', '愛知県名古屋市中村区名駅', '福岡県福岡市博多区博多駅前', '北海道札幌市中央区北一条西', '広島県府中市府川町'];
const fw = (n: number) => String(n).replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));

function family(i: number, k: number, who: string): FamilyMember {
  return { furigana: `${KANA[i % KANA.length]} ${who}`, name: `${SURNAMES[i % SURNAMES.length]}　${GIVEN[(i + k * 7) % GIVEN.length]}`, kubun: '00' };
}

function rows(n: number): PayRow[] {
  const layout = layoutFor(7)!;
  return Array.from({ length: n }, (_, i) => {
    const pay = 2_000_000 + ((i * 7919) % 9_000_000);
    const cells = unifiedCells({
      12: `${TOWNS[i % TOWNS.length]}${fw((i % 9) + 1)}－${fw((i % 30) + 1)}－${fw((i % 17) + 1)}`,
      14: `${SURNAMES[i % SURNAMES.length]}　${GIVEN[(i * 3) % GIVEN.length]}`,
      17: String(pay), 19: String(Math.round(pay * 0.7)), 20: String(1_000_000 + (i % 500) * 1000), 21: String(Math.round(pay * 0.03)), 36: String(Math.round(pay * 0.15)),
      86: i % 10 === 0 ? '前職分　支払金額１，２００，０００円　源泉徴収税額３５，０００円' : '',
      137: `${KANA[i % KANA.length]} ﾀﾛｳ`, 138: String(100000 + i),
    });
    const { row, problems } = toPayRow(cells, i + 1, layout);
    if (!row) throw new Error(`synthetic row ${i + 1} is invalid: ${problems.map((p) => p.code).join(', ')}`);
    const spouse = i % 2 === 0 ? family(i, 1, 'ﾊﾅｺ') : undefined;
    const dependents = Array.from({ length: i % 4 }, (_, k) => family(i, k + 2, 'ｼﾞﾛｳ'));
    const under16 = Array.from({ length: i % 3 }, (_, k) => family(i, k + 5, 'ｻﾌﾞﾛｳ'));
    return { ...row, ...(spouse ? { spouse } : {}), dependents, under16 };
  });
}

function numbersFor(all: readonly PayRow[]): RowNumbers[] {
  const pool = syntheticMyNumbers(all.reduce((s, r) => s + 1 + (r.spouse ? 1 : 0) + r.dependents.length + r.under16.length, 0), 15);
  let at = 0;
  const take = () => pool[at++] as string;
  return all.map((r) => ({ self: take(), ...(r.spouse ? { spouse: take() } : {}), dependents: r.dependents.map(take), under16: r.under16.map(take) }));
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const peakRss = () => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`;
const rss = new RssSampler(20);
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Wall seconds and this process's CPU seconds (on a shared machine the
 * second is the steadier figure), and the step's own peak RSS: the kernel's
 * high-water mark, reset before the step (after a GC when run with --expose-gc).
 */
async function timed<T>(label: string, f: () => Promise<T>, size: (t: T) => string): Promise<{ value: T; s: number; cpu: number }> {
  gc?.();
  rss.reset();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = await f();
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const peak = rss.peak();
  console.log(`${label.padEnd(46)} ${s.toFixed(2).padStart(6)} s (cpu ${cpu.toFixed(2)} s)   ${size(value).padEnd(38)} peak RSS ${(peak.kernelMiB ?? peak.sampledMiB).toFixed(0)} MiB`);
  return { value, s, cpu };
}

function peer(all: readonly PayRow[]): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-pdf-peer-'));
  try {
    const csv = path.join(dir, 'rows.csv');
    fs.writeFileSync(csv, all.map((r) => r.cells.join(',')).join('\r\n') + '\r\n');
    soffice(path.join(dir, 'profile'), ['--convert-to', 'pdf', '--outdir', dir, path.join(dir, 'none.csv')]); // profile set-up, not timed
    const r = soffice(path.join(dir, 'profile'), ['--infilter=CSV:44,34,76,1', '--convert-to', 'pdf', '--outdir', dir, csv]);
    const out = path.join(dir, 'rows.pdf');
    console.log(`peer: soffice --convert-to pdf, ${all.length} rows: ${(r.ms / 1000).toFixed(2)} s (exit ${r.status}), ${fs.existsSync(out) ? mib(fs.statSync(out).size) : 'no output'}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type Step = 'municipal' | 'tax' | 'summary' | 'self' | 'self-stream';
const STEPS: readonly Step[] = ['municipal', 'tax', 'summary', 'self', 'self-stream'];

async function runStep(step: Step, slips: readonly NumberedSlip[], copies: readonly SelfCopy[]): Promise<{ s: number; cpu: number; bytes: number }> {
  const r = async <T>(label: string, f: () => Promise<T>, size: (t: T) => number, note: (t: T) => string = () => '') => {
    const t = await timed(label, f, (v) => `${mib(size(v))}${note(v)}`);
    return { s: t.s, cpu: t.cpu, bytes: size(t.value) };
  };
  if (step === 'municipal') return r(`市区町村 slips, ${slips.length} pages`, () => numberedSlipsPdf({ nenbun: 7, copy: 'municipal', payerNumber: CORP, slips }), (b) => b.length);
  if (step === 'tax') return r(`税務署 slips, ${TAX} pages`, () => numberedSlipsPdf({ nenbun: 7, copy: 'tax-office', payerNumber: CORP, slips: slips.slice(0, TAX) }), (b) => b.length);
  if (step === 'summary') {
    const one = (i: number) => summaryPdf({ nenbun: 7, municipalityCode: String(13201 + i), payer: { name: '株式会社金庫', address: '東京都千代田区丸の内１－１－１', phone: '03-0000-0000' }, payerNumber: CORP, designatedNumber: 'A123', special: 480 + i, ordinary: 20 });
    return r('総括表 × 20', async () => Promise.all(Array.from({ length: 20 }, (_, i) => one(i))), (b) => b.reduce((n, x) => n + x.length, 0));
  }
  if (step === 'self') {
    const eachBytes = (v: { each: { bytes: Buffer }[] }) => v.each.reduce((n, e) => n + e.bytes.length, 0);
    return r(`本人交付 PDFs, ${copies.length} individual + combined`, () => selfCopyPdfs(copies, { nenbun: 7 }), (v) => eachBytes(v) + v.combined.length, (v) => ` (${(eachBytes(v) / v.each.length / 1024).toFixed(1)} KiB each, combined ${mib(v.combined.length)})`);
  }
  return r(`本人交付 streamed (selfCopyPdfPieces), ${copies.length}`, async () => {
    let bytes = 0;
    for await (const piece of selfCopyPdfPieces(copies, { nenbun: 7 })) {
      // A streaming zip would write the PDF here; it is dropped at once.
      bytes += piece.kind === 'each' ? piece.pdf.bytes.length : piece.bytes.length;
    }
    return bytes;
  }, (b) => b, () => ', each dropped once written');
}

/** Each step in a fresh process of its own, so that its peak RSS is its own (V8 keeps what an earlier step grew). */
function isolated(): void {
  const self = fileURLToPath(import.meta.url);
  for (const step of STEPS) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--step', step, '--employees', String(EMPLOYEES), '--tax', String(TAX)], { encoding: 'utf8' });
    process.stdout.write(r.stdout.split('\n').filter((l) => !l.startsWith('kinko bundle') && !l.includes('employees ready')).join('\n'));
    if (r.status !== 0) throw new Error(`step ${step} failed: ${r.stderr}`);
  }
}

async function main(): Promise<void> {
  console.log(`kinko bundle PDFs bench — node ${process.version}, ${os.cpus().length} CPU(s), load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (process.argv.includes('--isolated')) return isolated();
  const all = rows(EMPLOYEES);
  const numbers = numbersFor(all);
  const slips: NumberedSlip[] = all.map((row, i) => ({ row, numbers: numbers[i] as RowNumbers }));
  const copies = all.map((r) => buildSelfCopy(r).copy as SelfCopy);
  console.log(`${EMPLOYEES} synthetic employees ready (rows, numbers, 本人交付 data); peak RSS ${peakRss()}`);
  const only = process.argv.indexOf('--step');
  const steps = only > 0 ? [process.argv[only + 1] as Step] : STEPS.filter((s) => s !== 'self-stream');
  const done = [];
  for (const step of steps) done.push(await runStep(step, slips, copies));
  if (steps.length > 1) {
    const [s, cpu, bytes] = [done.reduce((t, d) => t + d.s, 0), done.reduce((t, d) => t + d.cpu, 0), done.reduce((t, d) => t + d.bytes, 0)];
    console.log(`all PDFs: ${s.toFixed(2)} s (cpu ${cpu.toFixed(2)} s); output ${mib(bytes)}; process peak RSS ${peakRss()}`);
  }
  if (PEER) peer(all);
  await rss.stop();
}

await main();
