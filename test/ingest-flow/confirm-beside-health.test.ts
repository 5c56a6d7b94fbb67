import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bigRosterCsv } from '../helpers/hostile-files.js';
import { startRunningKinko, type RunningKinko } from '../helpers/running-kinko.js';

/**
 * Issue 12 item 10, the confirmation of a large ingest, through HTTP on a
 * running kinko (SQLite, the embedded default). Before: the commit of 83,333
 * persons held the one database connection for about four seconds, so the
 * /healthz probe waited past its 3 s database timeout and answered 503
 * "database failing" — a load balancer would take the instance out in the
 * middle of the ingest — and every signed-in page waited too. Now reads run
 * beside the commit (db/sqlite-driver.ts) and the commit lets the event loop
 * turn: every probe during the confirmation answers 200 with every check ok,
 * and the confirmation itself completes.
 */
let k: RunningKinko;

beforeAll(async () => {
  k = await startRunningKinko();
}, 120_000);

afterAll(async () => {
  await k?.stop();
});

interface Probe {
  status: number;
  /** check name → 'ok' | 'failed', as /healthz answers. */
  checks: Record<string, string>;
}

async function probe(): Promise<Probe> {
  const res = await fetch(`${k.base}/healthz`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let checks: Probe['checks'] = {};
  try {
    checks = (JSON.parse(text) as { checks?: Probe['checks'] }).checks ?? {};
  } catch {
    // not JSON: the status says enough
  }
  return { status: res.status, checks };
}

describe('a 50 MB roster is confirmed while the health probe keeps asking', () => {
  it('every probe during the confirmation says healthy, and the 83,333 persons are committed', async () => {
    const { csv, persons } = bigRosterCsv(50_000_000);
    const up = await k.upload(csv, 'roster-50mb.csv');
    expect(up.status).toBe(201);
    const start = await k.startIngest(up.dropId!);
    expect(start.status).toBe(303);

    const probes: Probe[] = [];
    let done = false;
    const confirming = k.confirm(start.location).finally(() => (done = true));
    while (!done) {
      probes.push(await probe());
      await new Promise((r) => setTimeout(r, 20));
    }
    const confirmed = await confirming;
    expect(confirmed.status).toBe(303);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.filter((p) => p.status !== 200)).toEqual([]);
    expect(probes.flatMap((p) => Object.entries(p.checks).filter(([, v]) => v !== 'ok'))).toEqual([]);
    expect(Object.keys(probes[0]!.checks).sort()).toEqual(['database', 'drops', 'vault']);
    // The drop page the confirmation leads to counts every person added.
    const page = await k.get(confirmed.location);
    expect(persons).toBeGreaterThan(80_000);
    expect(page.text).toContain(`金庫に追加: ${persons} 人`);
  }, 300_000);
});
