import { createHash } from 'node:crypto';
import { expect, it } from '@jest/globals';
import { Agent } from './agent.js';
import type { Cluster } from './cluster.js';
import { aDrop, confirm, startIngest } from './ingest.js';
import { apiLogin, makeHolder, makeRoom, upload } from './office.js';

/** kill -9 of one instance: the other serves on, nothing acknowledged is lost, the dead one's claim is recovered. */
export function faultTests(get: () => Cluster): void {
  it('kill -9 of the instance holding a preview: the staff member is asked for the passphrase again on the other and finishes there; the claim is released for everyone', async () => {
    const c = get();
    const [a, b] = c.instances as [Cluster['instances'][0], Cluster['instances'][0]];
    const holder = await makeHolder(c.deps, '停止 三郎');
    const other = await makeHolder(c.deps, '代理 四郎');
    const { drop } = await aDrop(c, '停止商事');
    const staff = await Agent.signedIn(c.deps, a.base, holder.id);
    const started = await startIngest(staff, drop.id, a.base);
    expect(started.status).toBe(303);
    const previewPath = started.location;
    await a.kill9();
    try {
      // Through the load balancer: whichever way nginx goes, B answers; its forward to A fails → the drop page asks again.
      const gone = await staff.get(previewPath, c.lb);
      expect(gone).toMatchObject({ status: 303, location: `/office/drops/${drop.id}?handover=1` });
      const page = await staff.get(gone.location, c.lb);
      expect(page.status).toBe(200);
      expect(page.text).toContain('この確認画面を開いていたサーバー（インスタンス）が止まったため');
      expect(page.text).toContain('name="passphrase"');

      // Someone else may take the drop over once A counts as dead (heartbeat, ≤ DEAD_AFTER_MS + a beat).
      const t0 = Date.now();
      let job;
      for (;;) {
        job = await c.deps.db.selectFrom('ingest_jobs').select(['state', 'last_error']).where('drop_id', '=', drop.id).executeTakeFirstOrThrow();
        if (job.state === 'released' || Date.now() - t0 > 20_000) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(job).toEqual({ state: 'released', last_error: 'ingestFlow.errors.instanceGone' });

      // The staff member enters the passphrase again (the form on that page) and confirms, all through the load balancer.
      const again = await startIngest(staff, drop.id, c.lb);
      expect(again.status).toBe(303);
      const done = await confirm(staff, again.location, c.lb);
      expect(done).toMatchObject({ status: 303, location: `/office/drops/${drop.id}?committed=1` });
      void other;
    } finally {
      await c.start(0);
    }
  }, 90_000);

  it('kill -9 of one instance during uploads: every acknowledged upload is stored intact, the other instance takes the rest', async () => {
    const c = get();
    const { company, client } = await makeRoom(c.deps, '中断商事');
    const token = await apiLogin(c.lb, company, client);
    const files = Array.from({ length: 80 }, (_, i) => Buffer.from(`社員番号,氏名\r\nE${i},テスト ${i}\r\n`.repeat(200 + i)));
    const acked = new Map<string, number>(); // drop id → file index
    const failed: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        const r = await upload(c.lb, token, files[i]!, `f${i}.csv`).catch(() => ({ status: 0, dropId: undefined }));
        if (r.status === 201 && r.dropId) acked.set(r.dropId, i);
        else failed.push(i);
      }
    };
    const killer = (async () => {
      while (acked.size < 20) await new Promise((r) => setTimeout(r, 10));
      await c.instances[1]!.kill9();
    })();
    await Promise.all([...Array.from({ length: 8 }, worker), killer]);
    try {
      // The client retries what failed: the surviving instance takes each.
      // (nginx does not resend a streamed POST body: a request it had begun on a reused connection to the dead instance fails once.)
      for (const i of failed) {
        // With growing pauses, as the README asks of scripts (nginx may keep a failed instance out for fail_timeout, 5 s).
        let r = { status: 0 } as Awaited<ReturnType<typeof upload>>;
        const pauses = [0, 500, 1000, 2000, 4000];
        for (let attempt = 0; attempt < pauses.length && r.status !== 201; attempt++) {
          await new Promise((res) => setTimeout(res, pauses[attempt]));
          r = await upload(c.lb, token, files[i]!, `f${i}.csv`).catch(() => ({ status: 0, body: '' }));
        }
        if (r.status !== 201) throw new Error(`retry of f${i}.csv answered ${r.status} ${pauses.length} times: ${r.body}\nnginx (without its 'no live upstreams' lines):\n${c.nginxErrors().split('\n').filter((l) => !l.includes('no live upstreams')).join('\n').slice(-6000)}\naccess:\n${c.upstreams().slice(-40).join('\n')}\ninstance 0 (its warnings and errors):\n${c.instances[0]!.out().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-30).join('\n')}`);
        acked.set(r.dropId!, i);
      }
      expect(acked.size).toBe(files.length);
      const rows = await c.deps.db.selectFrom('drops').select(['id', 'stored_key', 'sha256']).where('company_id', '=', company.id).execute();
      // Every acknowledged upload is there. An upload the killed instance had stored but not yet answered is there too
      // (its client saw an error and sent it again): at most one such extra per upload in flight at the kill.
      const stored = new Set(rows.map((r) => r.id));
      expect([...acked.keys()].filter((id) => !stored.has(id))).toEqual([]);
      expect(rows.length - acked.size).toBeLessThanOrEqual(failed.length);
      let bad = 0;
      for (const r of rows) {
        const chunks: Buffer[] = [];
        for await (const ch of await c.deps.storage.drops.get(r.stored_key)) chunks.push(ch as Buffer);
        if (createHash('sha256').update(Buffer.concat(chunks)).digest('hex') !== r.sha256) bad++;
      }
      expect(bad).toBe(0);
    } finally {
      await c.start(1);
    }
  }, 120_000);
}
