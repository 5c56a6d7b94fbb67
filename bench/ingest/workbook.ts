/**
 * The bench's client workbook: an employee roster with dependents as column
 * groups on the employee's row (design.md §5), written as CSV and turned into
 * .xlsx by LibreOffice — the way an office's client would make one.
 *
 * Every My Number is synthetic (random first 11 digits, valid check digit)
 * and unique. They are written as people type them: mostly plain, some with
 * hyphens, some full-width with spaces. The number and code columns are
 * imported as text, so LibreOffice keeps leading zeros (a roster typed into
 * Excel as numbers would lose them: that case is the accuracy tests', not a
 * speed bench's).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkDigit } from '../../server/mynumber/check-digit.js';

export const MAX_DEPENDENTS = 3;

export interface Member {
  name: string;
  number: string;
}

export interface Employee extends Member {
  code: string;
  kana: string;
  spouse?: Member;
  dependents: Member[];
}

const FAMILY: Array<[string, string]> = [
  ['佐藤', 'サトウ'], ['鈴木', 'スズキ'], ['高橋', 'タカハシ'], ['田中', 'タナカ'], ['伊藤', 'イトウ'], ['渡辺', 'ワタナベ'],
  ['山本', 'ヤマモト'], ['中村', 'ナカムラ'], ['小林', 'コバヤシ'], ['加藤', 'カトウ'], ['吉田', 'ヨシダ'], ['山田', 'ヤマダ'],
  ['佐々木', 'ササキ'], ['山口', 'ヤマグチ'], ['松本', 'マツモト'], ['井上', 'イノウエ'], ['木村', 'キムラ'], ['林', 'ハヤシ'],
  ['斎藤', 'サイトウ'], ['清水', 'シミズ'], ['山崎', 'ヤマザキ'], ['森', 'モリ'], ['池田', 'イケダ'], ['橋本', 'ハシモト'],
  ['阿部', 'アベ'], ['石川', 'イシカワ'], ['山下', 'ヤマシタ'], ['中島', 'ナカジマ'], ['石井', 'イシイ'], ['小川', 'オガワ'],
  ['前田', 'マエダ'], ['岡田', 'オカダ'], ['長谷川', 'ハセガワ'], ['藤田', 'フジタ'], ['後藤', 'ゴトウ'], ['近藤', 'コンドウ'],
  ['村上', 'ムラカミ'], ['遠藤', 'エンドウ'], ['青木', 'アオキ'], ['坂本', 'サカモト'], ['髙橋', 'タカハシ'], ['齋藤', 'サイトウ'],
];
const GIVEN: Array<[string, string]> = [
  ['太郎', 'タロウ'], ['一郎', 'イチロウ'], ['健', 'ケン'], ['翔太', 'ショウタ'], ['拓也', 'タクヤ'], ['大輔', 'ダイスケ'],
  ['直樹', 'ナオキ'], ['誠', 'マコト'], ['蓮', 'レン'], ['悠斗', 'ユウト'], ['花子', 'ハナコ'], ['美咲', 'ミサキ'],
  ['さくら', 'サクラ'], ['陽菜', 'ヒナ'], ['結衣', 'ユイ'], ['愛', 'アイ'], ['七海', 'ナナミ'], ['真由美', 'マユミ'],
  ['千尋', 'チヒロ'], ['ひなた', 'ヒナタ'], ['大和', 'ヤマト'], ['陽翔', 'ハルト'], ['湊', 'ミナト'], ['凛', 'リン'],
  ['葵', 'アオイ'], ['芽依', 'メイ'], ['颯太', 'ソウタ'], ['樹', 'イツキ'], ['結菜', 'ユイナ'], ['莉子', 'リコ'],
];

/** xorshift32: deterministic, so every run ingests the same workbook. Never for secrets (those use server/lib/random.ts). */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export function makeEmployees(count: number, seed = 20250401): Employee[] {
  const next = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[next() % a.length]!;
  const used = new Set<string>();
  const number = (): string => {
    for (;;) {
      const first11 = String(next() % 1e6).padStart(6, '0') + String(next() % 1e5).padStart(5, '0');
      const n = first11 + checkDigit(first11);
      if (!used.has(n)) {
        used.add(n);
        return n;
      }
    }
  };
  const out: Employee[] = [];
  for (let i = 0; i < count; i++) {
    const [fam, famKana] = pick(FAMILY);
    const [given, givenKana] = pick(GIVEN);
    const e: Employee = { code: `E${String(i + 1).padStart(6, '0')}`, name: `${fam} ${given}`, kana: `${famKana} ${givenKana}`, number: number(), dependents: [] };
    // About half have a spouse; 0–3 other dependents (mean ≈ 0.95): ≈ 2.45 numbers per employee.
    const taken = new Set([given]);
    const member = (): Member => {
      let g = pick(GIVEN)[0];
      while (taken.has(g)) g = pick(GIVEN)[0];
      taken.add(g);
      return { name: `${fam} ${g}`, number: number() };
    };
    if (next() % 100 < 50) e.spouse = member();
    const r = next() % 100;
    const deps = r < 45 ? 0 : r < 70 ? 1 : r < 90 ? 2 : 3;
    for (let d = 0; d < deps; d++) e.dependents.push(member());
    out.push(e);
  }
  return out;
}

export function countNumbers(employees: readonly Employee[]): number {
  return employees.reduce((n, e) => n + 1 + (e.spouse ? 1 : 0) + e.dependents.length, 0);
}

/** As typed: 70% plain, 20% with hyphens, 10% full-width with spaces. */
function written(n: string, k: number): string {
  if (k % 10 < 7) return n;
  const g = `${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`;
  if (k % 10 < 9) return g;
  return g.replace(/-/g, ' ').replace(/[0-9 ]/g, (c) => (c === ' ' ? '　' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)));
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export const HEADERS = [
  '社員番号', '氏名', 'フリガナ', '所属', '個人番号',
  '配偶者氏名', '配偶者の個人番号',
  ...Array.from({ length: MAX_DEPENDENTS }, (_, i) => [`扶養親族${i + 1} 氏名`, `扶養親族${i + 1} 個人番号`]).flat(),
];

export function rosterCsv(employees: readonly Employee[]): string {
  const depts = ['総務部', '経理部', '営業部 第1課', '営業部 第2課', '製造部', '品質管理部', '物流センター'];
  const lines = [HEADERS.join(',')];
  employees.forEach((e, i) => {
    const cells = [e.code, e.name, e.kana, depts[i % depts.length]!, written(e.number, i), e.spouse?.name ?? '', e.spouse ? written(e.spouse.number, i + 3) : ''];
    for (let d = 0; d < MAX_DEPENDENTS; d++) {
      const m = e.dependents[d];
      cells.push(m?.name ?? '', m ? written(m.number, i + 5 + d) : '');
    }
    lines.push(cells.map(csvField).join(','));
  });
  return lines.join('\r\n') + '\r\n';
}

/** `soffice` with its own profile folder (never the user's), headless. */
export function soffice(profileDir: string, args: string[]): { ms: number; status: number | null; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync('soffice', [`-env:UserInstallation=file://${profileDir}`, '--headless', '--norestore', ...args], { encoding: 'utf8', timeout: 300_000 });
  return { ms: performance.now() - t0, status: r.status, stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** CSV → .xlsx by LibreOffice Calc, every column imported as text (UTF-8, comma, first line 1). */
export function csvToXlsx(profileDir: string, csvFile: string, outDir: string): { file: string; ms: number } {
  const columns = HEADERS.map((_, i) => `${i + 1}/2`).join('/');
  const r = soffice(profileDir, [`--infilter=CSV:44,34,76,1,${columns}`, '--convert-to', 'xlsx', '--outdir', outDir, csvFile]);
  const file = path.join(outDir, `${path.basename(csvFile, '.csv')}.xlsx`);
  if (r.status !== 0 || !fs.existsSync(file)) throw new Error(`LibreOffice could not make the workbook (exit ${r.status}): ${r.stderr}`);
  return { file, ms: r.ms };
}

/** The peer: LibreOffice's mere conversion of the same workbook to CSV. */
export function xlsxToCsv(profileDir: string, xlsxFile: string, outDir: string): { ms: number; lines: number } {
  const r = soffice(profileDir, ['--convert-to', 'csv', '--outdir', outDir, xlsxFile]);
  const file = path.join(outDir, `${path.basename(xlsxFile, '.xlsx')}.csv`);
  if (r.status !== 0 || !fs.existsSync(file)) throw new Error(`LibreOffice could not convert the workbook (exit ${r.status}): ${r.stderr}`);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  return { ms: r.ms, lines };
}
