import os from 'node:os';
import { startMoto, startPostgres, type Started } from '../../test/helpers/servers.js';
import { missingParts, startCluster, type Cluster } from '../../test/scale/cluster.js';
import { apiLogin, makeRoom, upload } from '../../test/scale/office.js';

/**
 * Upload throughput of the scaled deployment, two instances against one, in
 * the same run: `node --import tsx bench/scale/run.ts [--uploads 400] [--concurrency 32] [--kib 64]`.
 *
 * Starts a throwaway PostgreSQL and moto (as the test suite does), then for
 * one and for two kinko instances behind Debian's nginx (test/scale/cluster.ts,
 * the suite's environment) sends the same plain uploads through the load
 * balancer (each encrypted by the server on arrival, stored in S3, a database
 * row, a signed receipt) and prints uploads per second and MiB/s. Everything
 * on 127.0.0.1; on a machine with few cores the second instance competes with
 * the first (and with PostgreSQL, moto and nginx) for them: the figure says
 * what the extra process buys here, not on separate machines.
 */
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const UPLOADS = arg('uploads', 400);
const CONCURRENCY = arg('concurrency', 32);
const KIB = arg('kib', 64);

interface Row {
  label: string;
  perSecond: number;
  mibPerSecond: number;
  failed: number;
}

async function measure(c: Cluster, label: string): Promise<Row> {
  const { company, client } = await makeRoom(c.deps, `計測商事 ${label}`);
  const token = await apiLogin(c.lb, company, client);
  const body = Buffer.alloc(KIB * 1024, 'a,b,c\r\n');
  // Warm-up: a few uploads so every instance has its connections open.
  await Promise.all(Array.from({ length: 8 }, (_, i) => upload(c.lb, token, body, `warm-${i}.csv`)));
  let next = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < UPLOADS) {
        const i = next++;
        const r = await upload(c.lb, token, body, `b-${i}.csv`);
        if (r.status !== 201) failed++;
      }
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { label, perSecond: UPLOADS / s, mibPerSecond: (UPLOADS * KIB) / 1024 / s, failed };
}

async function main(): Promise<void> {
  const servers: Started[] = await Promise.all([startMoto(), startPostgres()]);
  for (const s of servers) Object.assign(process.env, s.env);
  try {
    const missing = missingParts();
    if (missing.length) throw new Error(`not available: ${missing.join(', ')}`);
    const rows: Row[] = [];
    for (const n of [1, 2]) {
      const c = await startCluster({ instances: n });
      try {
        rows.push(await measure(c, `${n} instance${n > 1 ? 's' : ''}`));
      } finally {
        await c.stop();
      }
    }
    console.log(`bench/scale: ${UPLOADS} uploads of ${KIB} KiB, ${CONCURRENCY} at once, through nginx; ${os.cpus().length} cores, node ${process.version}`);
    for (const r of rows) console.log(`  ${r.label.padEnd(12)} ${r.perSecond.toFixed(1).padStart(7)} uploads/s  ${r.mibPerSecond.toFixed(2).padStart(7)} MiB/s  failed ${r.failed}`);
    console.log(`  two against one: ${(rows[1]!.perSecond / rows[0]!.perSecond).toFixed(2)}×`);
    if (rows.some((r) => r.failed > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

await main();
