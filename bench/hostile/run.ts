import os from 'node:os';
import { limits } from '../../server/config.js';
import { bigRosterCsv, csvCellBomb, pdfInflateBomb, xlsxZipBomb } from '../../test/helpers/hostile-files.js';
import { startRunningKinko, type RunningKinko } from '../../test/helpers/running-kinko.js';
import { formatLatency, healthzIdle, healthzWhile, type Latency } from './healthz.js';
import { mib, peakRssWhile, type RssPeaks } from './rss.js';

/**
 * Hostile input against a running kinko (issue 12), from one run:
 * `node --import tsx bench/hostile/run.ts [--roster-mb 50] [--idle-s 5] [--only idle,50 MB]`
 * (`--only`: the parts whose names start so, e.g. to measure the big ingest alone).
 *
 * Starts `node bin/kinko.js serve` (temp data folder, SQLite + local
 * storage, KINKO_PARSE_MAX_CONCURRENT=2), then:
 *  1. /healthz idle, and during the ingest of a 50 MB server-encrypted CSV
 *     roster (uploaded through the API, started through the drop page's
 *     form; the start = decrypt + parse + the preview page, then the
 *     confirmation, each measured);
 *  2. each bomb — the 52 MB one-row CSV of 52 million cells, the 1 MB PDF
 *     whose page inflates to 1 GiB, an xlsx zip bomb, and the CSV and PDF
 *     bombs at once — uploaded, then ingested: its answer, the peak RSS of
 *     the server, of the largest parse process, and of both together, and
 *     /healthz meanwhile.
 * Exits 1 if the server died, a bomb was not refused, or a parse process went
 * over the cap plus MARGIN. Everything stays on 127.0.0.1.
 *
 * Parts: each is one `async (k) => Row[]` in PARTS; a new part (e.g. the
 * passphrase-guessing one) is a function in its own file added to PARTS.
 */
const MiB = 1024 * 1024;
const MARGIN = 64 * MiB;
const CAP = limits.parse.maxMemoryMiB * MiB;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

export interface Row {
  what: string;
  outcome: string;
  latency?: Latency;
  rss?: RssPeaks;
  ms?: number;
  /** A problem that fails the run. */
  problem?: string;
}

export type Part = (k: RunningKinko) => Promise<Row[]>;

const TOO_BIG = 'ファイルが大きすぎる';

async function idle(k: RunningKinko): Promise<Row[]> {
  return [{ what: '/healthz idle', outcome: 'ok', latency: await healthzIdle(k.base, arg('idle-s', 5) * 1000) }];
}

async function bigIngest(k: RunningKinko): Promise<Row[]> {
  const { csv, persons } = bigRosterCsv(arg('roster-mb', 50) * 1_000_000);
  const rows: Row[] = [];
  const t0 = performance.now();
  const up = await healthzWhile(k.base, () => k.upload(csv, 'roster-50mb.csv'));
  rows.push({ what: `upload of the ${mib(csv.length)} CSV (server encrypts)`, outcome: String(up.result.status), latency: up.latency, ms: performance.now() - t0 });
  if (!up.result.dropId) return [...rows, { what: 'upload', outcome: up.result.body.slice(0, 200), problem: 'upload refused' }];
  const t1 = performance.now();
  const start = await peakRssWhile(k.pid, () =>
    healthzWhile(k.base, async () => {
      const s = await k.startIngest(up.result.dropId!);
      const preview = s.status === 303 ? await k.get(s.location) : undefined;
      return { s, preview };
    }),
  );
  const { s, preview } = start.result.result;
  rows.push({
    what: `ingest start of it (decrypt + parse ${persons.toLocaleString('en')} persons + preview page)`,
    outcome: `${s.status}${preview ? ` → preview ${preview.status}` : ''}`,
    latency: start.result.latency,
    rss: start.peaks,
    ms: performance.now() - t1,
    ...(s.status !== 303 ? { problem: `start answered ${s.status}` } : {}),
  });
  if (s.status !== 303) return rows;
  const t2 = performance.now();
  const confirm = await peakRssWhile(k.pid, () => healthzWhile(k.base, () => k.confirm(s.location)));
  rows.push({ what: 'its confirmation (vault writes, persons insert, destroy original)', outcome: String(confirm.result.result.status), latency: confirm.result.latency, rss: confirm.peaks, ms: performance.now() - t2 });
  return rows;
}

async function bomb(k: RunningKinko, what: string, files: Array<{ bytes: Buffer; name: string }>): Promise<Row> {
  const ids: string[] = [];
  for (const f of files) {
    const up = await k.upload(f.bytes, f.name);
    if (!up.dropId) return { what, outcome: `upload ${up.status}`, problem: 'upload refused' };
    ids.push(up.dropId);
  }
  const t = performance.now();
  const run = await peakRssWhile(k.pid, () => healthzWhile(k.base, () => Promise.all(ids.map((id) => k.startIngest(id)))));
  const answers = run.result.result;
  const refused = answers.every((a) => a.status === 422 && a.text.includes(TOO_BIG));
  const problem = !k.alive() ? 'server died' : !refused ? 'not refused as too big' : run.peaks.child > CAP + MARGIN ? 'parse process over cap + margin' : undefined;
  return {
    what,
    outcome: answers.map((a) => (a.status === 422 && a.text.includes(TOO_BIG) ? '422 too big' : String(a.status))).join(' + '),
    latency: run.result.latency,
    rss: run.peaks,
    ms: performance.now() - t,
    ...(problem ? { problem } : {}),
  };
}

async function bombs(k: RunningKinko): Promise<Row[]> {
  const csv = csvCellBomb();
  const pdf = await pdfInflateBomb();
  const xlsx = await xlsxZipBomb();
  return [
    await bomb(k, `CSV, one row of 52 million cells (${mib(csv.length)})`, [{ bytes: csv, name: 'bomb.csv' }]),
    await bomb(k, `PDF, page stream inflates to 1 GiB (${(pdf.length / MiB).toFixed(1)} MiB)`, [{ bytes: pdf, name: 'bomb.pdf' }]),
    await bomb(k, `xlsx zip bomb, 1 GiB of zeros (${(xlsx.length / MiB).toFixed(1)} MiB)`, [{ bytes: xlsx, name: 'bomb.xlsx' }]),
    await bomb(k, 'CSV and PDF bombs at once', [
      { bytes: csv, name: 'both.csv' },
      { bytes: pdf, name: 'both.pdf' },
    ]),
  ];
}

export const PARTS: Array<[string, Part]> = [
  ['idle', idle],
  // Bombs before the big ingest: its memory (83,333 persons in the preview) would otherwise sit under their RSS figures.
  ['bombs', bombs],
  ['50 MB ingest', bigIngest],
];

function print(rows: Row[]): void {
  for (const r of rows) {
    console.log(`${r.what}: ${r.outcome}${r.ms !== undefined ? `, ${(r.ms / 1000).toFixed(1)} s` : ''}${r.problem ? `  [PROBLEM: ${r.problem}]` : ''}`);
    if (r.latency) console.log(`    /healthz ${formatLatency(r.latency)}`);
    if (r.rss) console.log(`    peak RSS: server ${mib(r.rss.server)}, largest child ${mib(r.rss.child)}, server + children ${mib(r.rss.total)}`);
  }
}

async function main(): Promise<number> {
  console.log(`kinko hostile-input bench — node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`parse cap ${mib(CAP)} per parse process (+ ${mib(MARGIN)} stated margin), KINKO_PARSE_MAX_CONCURRENT=2`);
  // --cpu-prof DIR: the server writes a V8 CPU profile there when it stops (to find what holds the event loop).
  const prof = process.argv.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[process.argv.indexOf('--cpu-prof') + 1]}`] : [];
  const k = await startRunningKinko({ env: { KINKO_PARSE_MAX_CONCURRENT: '2' }, nodeArgs: prof });
  const all: Row[] = [];
  try {
    console.log(`server pid ${k.pid}\n`);
    const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : undefined;
    for (const [name, part] of PARTS.filter(([n]) => !only || only.some((o) => n.startsWith(o)))) {
      console.log(`-- ${name}`);
      const rows = await part(k);
      print(rows);
      all.push(...rows);
      if (!k.alive()) all.push({ what: name, outcome: 'server gone', problem: 'server died' });
    }
  } finally {
    await k.stop();
  }
  const idleRow = all.find((r) => r.what === '/healthz idle');
  const startRow = all.find((r) => r.what.startsWith('ingest start'));
  const confirmRow = all.find((r) => r.what.startsWith('its confirmation'));
  console.log('\nsummary');
  if (idleRow?.latency && startRow?.latency) console.log(`  /healthz p95 idle ${idleRow.latency.p95.toFixed(1)} ms vs during the 50 MB ingest start ${startRow.latency.p95.toFixed(1)} ms (max ${startRow.latency.max.toFixed(1)} ms)`);
  if (idleRow?.latency && confirmRow?.latency) console.log(`  /healthz p95 idle ${idleRow.latency.p95.toFixed(1)} ms vs during its confirmation ${confirmRow.latency.p95.toFixed(1)} ms (max ${confirmRow.latency.max.toFixed(1)} ms)`);
  for (const r of all.filter((x) => x.rss && !x.what.startsWith('ingest') && !x.what.startsWith('its'))) console.log(`  ${r.what}: ${r.outcome}; peak RSS server ${mib(r.rss!.server)}, parse process ${mib(r.rss!.child)}`);
  const problems = all.filter((r) => r.problem);
  console.log(problems.length ? `FAIL: ${problems.map((p) => `${p.what}: ${p.problem}`).join('; ')}` : 'PASS: server up throughout, every bomb refused as too big, every parse process under cap + margin');
  return problems.length ? 1 : 0;
}

process.exitCode = await main();
