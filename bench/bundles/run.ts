/**
 * Year-end bundles benchmark (issue 15, "Done when"): the whole build for a
 * company of N employees (default 10,000; every third with a spouse) against
 * LibreOffice's conversion of a sheet of the same slips' text to PDF, in the
 * same run on the same machine.
 *
 *   node --import tsx bench/bundles/run.ts [--employees 10000]
 *
 * Setup (not timed): the embedded default (temp data folder, SQLite, local
 * storage), an office key, the director as key holder, one company with its
 * 法人番号, the employees and spouses sealed into the vault through its
 * custody API, the pay data (kinko's template: 受給者番号, 氏名, 住所, 支払金額,
 * 源泉徴収税額, 提出先市町村コード over 23 市区町村, 役員/士業/年末調整済, 配偶者)
 * encrypted to the office key as the room's browser does, marked 年末調整データ.
 *
 * Timed, the two things a key holder does:
 *   open  — unlock, decrypt in memory, read, match every row to the held
 *           persons, route each to its destinations (the preview);
 *   build — read the numbers in bulk per purpose, write each destination's
 *           統一CSV (and PDFs), zip, sign and encrypt one OpenPGP message per
 *           destination, store, one transaction of rows and audit entries.
 * Peer: `soffice --headless --convert-to pdf` of a CSV holding every slip's
 * printed text (one row per employee), with its profile already initialised.
 *
 * Checks: one bundle per destination, every employee in exactly one 市区町村
 * file, one bundle decrypted and its number columns compared with the truth,
 * no number in any log line. The open and the build run in a fresh node
 * process of their own on the same data folder (as a server would), so the
 * memory measured is kinko's, not the set-up's: peak RSS sampled from a thread
 * (bench/ingest/rss.ts) during open + build. Exits 1 when kinko is not
 * faster than LibreOffice or peaks over 512 MiB.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import * as openpgp from 'openpgp';
import { buildBundles } from '../../server/bundles/build/build.js';
import { markYearEnd, openYearEnd } from '../../server/bundles/input/service.js';
import { checkDigitOf } from '../../server/bundles/route/municipality-code.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps } from '../../server/deps.js';
import { createLogger } from '../../server/log/logger.js';
import { makeCompany, makeUser } from '../../test/helpers/actors.js';
import { arrangeDrop, encryptToOffice } from '../../test/helpers/ingest-office.js';
import { syntheticMyNumbers } from '../../test/helpers/mynumber.js';
import { makeVaultOffice, PASSPHRASES, putInVault } from '../../test/helpers/vault-office.js';
import { RssSampler } from '../ingest/rss.js';
import { soffice } from '../ingest/workbook.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('employees', 10_000);
const zen = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
const CODES = Array.from({ length: 23 }, (_, i) => `131${String(i + 1).padStart(2, '0')}`).map((c) => c + checkDigitOf(c));
const HOUJIN = (() => {
  const body = '700110005901';
  const sum = [...body].reduce((s, c, i) => s + Number(c) * ((12 - i) % 2 === 1 ? 1 : 2), 0);
  return `${9 - (sum % 9)}${body}`;
})();

class LogText {
  text = '';
  write(s: string) {
    this.text += s;
    return true;
  }
}

interface BuildReport {
  openMs: number;
  buildMs: number;
  /** CPU seconds of the build process (every thread) during open + build: steadier than wall on a shared machine. */
  cpuS: number;
  out: Awaited<ReturnType<typeof buildBundles>>;
  peak: ReturnType<RssSampler['peak']>;
  rssBefore: number;
  numberInLog: boolean;
}

const openDeps = (dir: string, log: LogText) => buildDeps(loadConfig({ KINKO_DATA_DIR: path.join(dir, 'data'), KINKO_LOG_LEVEL: 'info' }), { logger: createLogger({ level: 'info', destination: log as never }) });

/** The timed part, in the child process: a key holder's open and build, as in a running server. */
async function buildPhase(dir: string): Promise<void> {
  const { dropId, directorId, numbers } = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { dropId: string; directorId: string; numbers: string[] };
  const log = new LogText();
  const deps = await openDeps(dir, log);
  try {
    const actor = { userId: directorId, role: 'director' as const, keyHolder: true, sessionId: 'bench' };
    const rssBefore = process.memoryUsage().rss / 2 ** 20;
    const rss = new RssSampler();
    rss.reset();
    const c0 = process.cpuUsage();
    let t0 = Date.now();
    await openYearEnd(deps, actor as never, dropId, PASSPHRASES.director);
    const openMs = Date.now() - t0;
    t0 = Date.now();
    const out = await buildBundles(deps, actor as never, dropId, PASSPHRASES.director);
    const buildMs = Date.now() - t0;
    const c = process.cpuUsage(c0);
    const cpuS = (c.user + c.system) / 1e6;
    const peak = rss.peak();
    await rss.stop();
    const report: BuildReport = { openMs, buildMs, cpuS, out, peak, rssBefore, numberInLog: numbers.some((n) => log.text.includes(n)) };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await deps.close();
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-bench-bundles-'));
  const log = new LogText();
  let deps = await openDeps(dir, log);
  try {
    const office = await makeVaultOffice(deps);
    const company = await makeCompany(deps, '株式会社ベンチ商事');
    const client = await makeUser(deps, { role: 'client', companyId: company.id });
    await deps.db.insertInto('company_bundle_settings').values({ company_id: company.id, corporate_number: HOUJIN, contact_name: null, contact_phone: null, updated_by: office.director.id, updated_at: new Date().toISOString() }).execute();
    const numbers = syntheticMyNumbers(N + Math.ceil(N / 3), 9090);
    const people = Array.from({ length: N }, (_, i) => ({
      code: String(100001 + i), name: `社員 ${zen(String(i + 1))}`, number: numbers[i]!,
      spouse: i % 3 === 0 ? { name: `配偶 ${zen(String(i + 1))}`, number: numbers[N + i / 3]! } : undefined,
      pay: i % 4 === 0 ? 6_500_000 + i : 3_000_000 + i, code139: CODES[i % CODES.length]!,
    }));
    let t0 = Date.now();
    await putInVault(deps, {
      companyId: company.id, unlockAs: office.director.id, passphrase: PASSPHRASES.director,
      employees: people.map((p) => ({ number: p.number, name: p.name, employeeCode: p.code, ...(p.spouse ? { dependents: [{ number: p.spouse.number, name: p.spouse.name, relation: '配偶者' }] } : {}) })),
    });
    console.log(`setup: ${N} employees + ${Math.ceil(N / 3)} spouses in the vault in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const header = '受給者番号,氏名,フリガナ,住所,支払金額,源泉徴収税額,提出先市町村コード,役員,士業,年末調整済,配偶者 氏名,配偶者 フリガナ';
    const rows = people.map((p) => [p.code, p.name.replace(' ', '　'), 'ｼｬｲﾝ', '東京都千代田区丸の内１－１－１', p.pay, Math.round(p.pay / 30), p.code139, 'いいえ', 'いいえ', 'はい', p.spouse?.name.replace(' ', '　') ?? '', p.spouse ? 'ﾊｲｸﾞｳ' : ''].join(','));
    const csv = Buffer.from([header, ...rows].join('\r\n') + '\r\n', 'utf8');
    const drop = await arrangeDrop(deps, { company, client }, await encryptToOffice(deps.db, csv), '年末調整.csv');
    await markYearEnd(deps, { userId: client.id, role: 'client', companyId: company.id } as never, company.id, drop.id, 7);

    await deps.close();
    // The build runs in a process of its own, as in a server, so its RSS is kinko's and not this set-up's.
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ dropId: drop.id, directorId: office.director.id, numbers }));
    const child = spawnSync(process.execPath, [...(process.env.KINKO_BENCH_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.KINKO_BENCH_PROF_DIR] : []), '--import', 'tsx', fileURLToPath(import.meta.url), '--phase', 'build', '--dir', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (child.status !== 0) throw new Error(`the build process failed (${child.status}): ${child.stderr.slice(-2000)}`);
    const { openMs, buildMs, cpuS, out, peak, rssBefore, numberInLog } = JSON.parse(child.stdout.trim().split('\n').pop() as string) as BuildReport;
    deps = await openDeps(dir, log);

    // Checks.
    const municipal = out.bundles.filter((b) => b.destination === 'municipal');
    const inMunicipal = municipal.reduce((n, b) => n + b.rows, 0);
    const taxRows = out.bundles.find((b) => b.destination === 'tax-office')?.rows ?? 0;
    const expectTax = people.filter((p) => p.pay > 5_000_000).length;
    const problems: string[] = [];
    if (municipal.length !== CODES.length) problems.push(`expected ${CODES.length} municipal bundles, got ${municipal.length}`);
    if (inMunicipal !== N) problems.push(`expected ${N} rows over the 市区町村 files, got ${inMunicipal}`);
    if (taxRows !== expectTax) problems.push(`expected ${expectTax} rows for the 税務署, got ${taxRows}`);
    const row = await deps.db.selectFrom('bundles').selectAll().where('destination', '=', 'tax-office').executeTakeFirstOrThrow();
    const chunks: Buffer[] = [];
    for await (const c of await deps.storage.bundles.get(row.stored_key)) chunks.push(c as Buffer);
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: Buffer.concat(chunks) }), passwords: [out.passphrase!], format: 'binary' });
    const files = unzipSync(data as Uint8Array);
    const lines = iconv.decode(Buffer.from(Object.entries(files).find(([n]) => n.endsWith('.csv'))![1]), 'shift_jis').split('\r\n').filter(Boolean);
    const byCode = new Map(people.map((p) => [p.code, p]));
    let wrong = 0;
    for (const l of lines) {
      const c = l.split(',');
      const p = byCode.get(c[137]?.trim() ?? '') ?? people.find((x) => x.name.replace(' ', '　') === c[13]);
      if (!p || c[94] !== p.number || c[93] !== HOUJIN || (p.spouse && c[98] !== p.spouse.number)) wrong++;
    }
    if (wrong) problems.push(`${wrong} rows of the 税務署 CSV do not hold the truth's numbers`);
    if (numberInLog || numbers.some((n) => log.text.includes(n))) problems.push('a number is in the log');

    // Peer: LibreOffice converts a sheet of the same slips' text to PDF.
    const sheet = path.join(dir, 'slips.csv');
    fs.writeFileSync(sheet, ['受給者番号,氏名,住所,支払金額,源泉徴収税額,提出先,配偶者', ...people.map((p) => [p.code, p.name, '東京都千代田区丸の内１－１－１', p.pay, Math.round(p.pay / 30), p.code139, p.spouse?.name ?? ''].join(','))].join('\n'));
    const profile = path.join(dir, 'lo-profile');
    soffice(profile, ['--convert-to', 'pdf', '--outdir', path.join(dir, 'warm'), sheet]); // initialise the profile
    const peer = soffice(profile, ['--convert-to', 'pdf', '--outdir', path.join(dir, 'out'), sheet]);
    if (peer.status !== 0) problems.push(`soffice failed: ${peer.stderr.slice(0, 200)}`);

    const kinkoMs = openMs + buildMs;
    console.log(`\nkinko, ${N} employees: open (decrypt, read, match, route) ${openMs} ms + build (vault read, CSV, seal ${out.bundles.length} bundles) ${buildMs} ms = ${kinkoMs} ms (cpu ${cpuS.toFixed(2)} s, all threads)`);
    console.log(`  bundles: 税務署 ${taxRows} rows, ${municipal.length} 市区町村 (${inMunicipal} rows); sizes ${out.bundles.reduce((n, b) => n + b.size, 0)} bytes`);
    console.log(`  build process (a fresh node, as a server): RSS before open ${rssBefore.toFixed(0)} MiB`);
    console.log(`  peak RSS during open + build: ${peak.sampledMiB} MiB sampled${peak.kernelMiB !== null ? `, ${peak.kernelMiB} MiB VmHWM` : ''}`);
    console.log(`LibreOffice, soffice --headless --convert-to pdf of the same slips' text (${N} rows): ${peer.ms} ms`);
    console.log(`ratio kinko / LibreOffice: ${(kinkoMs / peer.ms).toFixed(2)}`);
    if (kinkoMs >= peer.ms) problems.push('kinko is not faster than LibreOffice');
    if ((peak.kernelMiB ?? peak.sampledMiB) > 512) problems.push('peak RSS over 512 MiB');
    for (const p of problems) console.log(`✗ ${p}`);
    if (!problems.length) console.log('✓ checks and targets met');
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await deps.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const phase = process.argv.indexOf('--phase');
if (phase > 0 && process.argv[phase + 1] === 'build') await buildPhase(process.argv[process.argv.indexOf('--dir') + 1] as string);
else await main();
