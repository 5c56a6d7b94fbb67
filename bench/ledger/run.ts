/**
 * Handling-ledger benchmark (issue 16 §2): a company's ledger CSV over
 * 100,000 audit entries, built over HTTP from a real `kinko serve` (SQLite +
 * local storage, the embedded default, on loopback), in under 60 s — and the
 * web tier's `/healthz` latency while it is built, against the same
 * endpoint idle in the same run. Then the ledger once more while a client
 * uploads small files one after another, to see that a report does not hold
 * up uploads either.
 *
 *   node --import tsx bench/ledger/run.ts [entries] [--idle-s 10] [--busy-s 10]
 *
 * Setup (not timed): the office of test/helpers/running-kinko.ts, then
 * `entries` chained audit entries for its client company (bench/ledger/trail.ts:
 * same MACs as appendAudit, so the trail verifies), plus one in 10 for another
 * company interleaved, spread over the past ~11 months — all inside the
 * ledger's default period. Exits 1 if the ledger takes 60 s or more, its rows
 * are not exactly the company's entries, or any 12-digit run or vault token
 * is in it.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { formatLatency, healthzIdle, healthzWhile, summarise } from '../hostile/healthz.js';
import { mib, peakRssWhile } from '../hostile/rss.js';
import { makeCompany } from '../../test/helpers/actors.js';
import { startRunningKinko } from '../../test/helpers/running-kinko.js';
import { verifyAudit } from '../../server/audit/verify.js';
import { writeTrail } from './trail.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ENTRIES = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 100_000);
const IDLE_MS = flag('--idle-s', 10) * 1000;
const TARGET_MS = 60_000;
const BUSY_MS = flag('--busy-s', 10) * 1000;
const TWELVE = /(?<![0-9A-Za-z_-])\d{12}(?![0-9A-Za-z_-])/;

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`kinko ledger bench — node ${process.version}, ${cpu.length} CPU(s) ${cpu[0]?.model.trim() ?? ''}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  let trail = { company: 0, other: 0, tokens: [] as string[] };
  let setupMs = 0;
  let verified = 0;
  const k = await startRunningKinko({
    arrange: async (deps, office) => {
      const t0 = performance.now();
      const other = await makeCompany(deps, 'ほかの顧問先株式会社');
      trail = await writeTrail(deps, {
        companyId: office.company.id, otherCompanyId: other.id, entries: ENTRIES, otherEvery: 10,
        actors: { staff: office.holder.id, director: office.director.id, client: office.client.id },
        until: new Date(Date.now() - 60_000), stepMs: 260_000,
      });
      setupMs = performance.now() - t0;
      // The ledger itself does not check the chain (kinko audit:verify does); checked here so the trail is one kinko would accept.
      const v = await verifyAudit(deps.db, deps.secrets.audit);
      if (!v.ok) throw new Error(`the bench trail does not verify: ${JSON.stringify(v.problem)}`);
      verified = v.checked;
    },
  });
  let failed = false;
  try {
    console.log(`setup: ${fmt(trail.company)} entries for the company + ${fmt(trail.other)} for another, chained and inserted in ${fmt(setupMs)} ms, the whole chain (${fmt(verified)} entries) verifies; server pid ${k.pid}`);
    const path = `/office/companies/${k.office.company.id}/ledger.csv`;

    console.log(`-- /healthz idle, ${IDLE_MS / 1000} s`);
    const idle = await healthzIdle(k.base, IDLE_MS);
    console.log(`    ${formatLatency(idle)}`);

    console.log(`-- the ledger CSV over HTTP, built again and again for at least ${BUSY_MS / 1000} s (one build alone is too short for a p95), /healthz probed meanwhile`);
    const builds: number[] = [];
    const { peaks, result } = await peakRssWhile(k.pid, async () =>
      healthzWhile(k.base, async () => {
        const started = performance.now();
        let first: Awaited<ReturnType<typeof k.get>> | undefined;
        do {
          const t = performance.now();
          const res = await k.get(path);
          builds.push(performance.now() - t);
          first ??= res;
        } while (performance.now() - started < BUSY_MS);
        return first;
      }),
    );
    const during = result.latency;
    const csv = result.result;
    const ms = builds[0]!;
    const lines = csv.text.split('\r\n');
    const recAt = lines.findIndex((l) => l.startsWith('"取扱状況の記録"'));
    const rows = lines.slice(recAt + 2).filter((l) => l.startsWith('"')).length;
    const sorted = [...builds].sort((a, b) => a - b);
    console.log(`    status ${csv.status}, ${fmt(csv.text.length / 1048576, 1)} MiB of text, ${fmt(rows)} record rows in ${fmt(ms)} ms = ${fmt(rows / (ms / 1000))} rows/s  [target < ${fmt(TARGET_MS)} ms: ${ms < TARGET_MS ? 'PASS' : 'FAIL'}]`);
    console.log(`    ${builds.length} builds: median ${fmt(sorted[Math.floor(sorted.length / 2)]!)} ms, slowest ${fmt(sorted[sorted.length - 1]!)} ms`);
    console.log(`    /healthz ${formatLatency(during)}`);
    console.log(`    server RSS peak ${mib(peaks.server)}`);
    const leaks = [TWELVE.test(csv.text) ? '12-digit run' : '', trail.tokens.some((t) => csv.text.includes(t)) ? 'vault token' : '', csv.text.includes('ほかの顧問先') ? 'other company' : ''].filter(Boolean);
    if (csv.status !== 200 || rows !== trail.company || sorted[sorted.length - 1]! >= TARGET_MS || leaks.length) {
      failed = true;
      console.log(`    FAIL: rows ${rows} vs ${trail.company} entries${leaks.length ? `, found: ${leaks.join(', ')}` : ''}`);
    }

    
    // A roster-like CSV without numbers (the upload checks the type by extension, bytes and parse).
    const body = Buffer.from(['社員番号,氏名,部署', ...Array.from({ length: 2000 }, (_, i) => `B${i},ベンチ ${randomBytes(3).toString('hex')},営業部`)].join('\r\n') + '\r\n', 'utf8');
    console.log(`-- uploads (${fmt(body.length / 1024)} KiB CSV each, one after another): idle, then while the ledger is built again`);
    const upload = async () => {
      const t = performance.now();
      const r = await k.upload(body, 'bench.csv');
      if (r.status !== 201) throw new Error(`upload answered ${r.status}: ${r.body}`);
      return performance.now() - t;
    };
    const idleUploads: number[] = [];
    for (let i = 0; i < 20; i++) idleUploads.push(await upload());
    const duringUploads: number[] = [];
    let done = false;
    const t2 = performance.now();
    const again = k.get(path).finally(() => (done = true));
    while (!done) duringUploads.push(await upload());
    const second = await again;
    const secondMs = performance.now() - t2;
    const upIdle = summarise(idleUploads);
    const upDuring = summarise(duringUploads);
    console.log(`    uploads idle:   p50 ${fmt(upIdle.p50, 1)} ms  p95 ${fmt(upIdle.p95, 1)} ms  (n=${upIdle.n})`);
    console.log(`    uploads during: p50 ${fmt(upDuring.p50, 1)} ms  p95 ${fmt(upDuring.p95, 1)} ms  max ${fmt(upDuring.max, 1)} ms  (n=${upDuring.n}); the ledger took ${fmt(secondMs)} ms (status ${second.status})`);

    console.log('');
    console.log('summary');
    console.log(`  ledger of ${fmt(rows)} entries: ${fmt(ms / 1000, 1)} s (target < 60 s; ${builds.length} builds, slowest ${fmt(sorted[sorted.length - 1]! / 1000, 1)} s), server RSS peak ${mib(peaks.server)}`);
    console.log(`  /healthz p95 idle ${fmt(idle.p95, 1)} ms vs during ${fmt(during.p95, 1)} ms (x${fmt(during.p95 / idle.p95, 1)}), max during ${fmt(during.max, 1)} ms`);
    console.log(`  upload p95 idle ${fmt(upIdle.p95, 1)} ms vs during ${fmt(upDuring.p95, 1)} ms`);
    console.log(failed ? 'FAIL' : 'PASS');
  } finally {
    await k.stop();
  }
  if (failed) process.exitCode = 1;
}

await main();
