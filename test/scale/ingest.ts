import { expect, it } from '@jest/globals';
import { arrangeDrop, encryptToOffice, rosterCsv } from '../helpers/ingest-office.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { Agent, csrfOf, type Answer } from './agent.js';
import type { Cluster } from './cluster.js';
import { HOLDER_PASSPHRASE, makeHolder, makeRoom } from './office.js';

/**
 * The ingest preview lives in the memory of the instance that parsed the
 * file. Through the load balancer every request may land on either instance:
 * the other one forwards it to the holder (handover.ts); when the holder is
 * gone, the staff member is asked for the passphrase again and nothing is lost.
 */
export async function aDrop(c: Cluster, roomName: string, people = 3, seed = 7) {
  const room = await makeRoom(c.deps, roomName);
  const numbers = syntheticMyNumbers(people, seed);
  const csv = rosterCsv(numbers.map((n, i) => ({ code: `E${i + 1}`, name: `社員 ${roomName}${i + 1}`, kana: 'シャイン', number: n })));
  const drop = await arrangeDrop(c.deps, room, await encryptToOffice(c.deps.db, csv));
  return { room, drop, numbers };
}

export async function startIngest(a: Agent, dropId: string, base?: string): Promise<Answer> {
  return a.submit(`/office/drops/${dropId}`, `/office/drops/${dropId}/ingest`, { passphrase: HOLDER_PASSPHRASE }, base);
}

export async function confirm(a: Agent, previewPath: string, base?: string): Promise<Answer> {
  const preview = await a.get(previewPath, base);
  const version = /name="version" value="(\d+)"/.exec(preview.text)?.[1] ?? '';
  return a.send('POST', `${previewPath}/confirm`, { _csrf: csrfOf(preview.text), version }, base);
}

export function ingestTests(get: () => Cluster): void {
  it('a preview parsed on one instance is served and confirmed through the other: every request is forwarded to its holder', async () => {
    const c = get();
    const [a, b] = c.instances as [Cluster['instances'][0], Cluster['instances'][0]];
    const holder = await makeHolder(c.deps, '転送 太郎');
    const { drop } = await aDrop(c, '転送商事');
    const staff = await Agent.signedIn(c.deps, a.base, holder.id);
    const started = await startIngest(staff, drop.id, a.base);
    expect(started.status).toBe(303);
    const previewPath = started.location;
    // The preview's page, its forms, through B (which holds nothing) and through the load balancer.
    const viaB = await staff.get(previewPath, b.base);
    expect({ status: viaB.status, title: viaB.text.includes('取り込みの確認') }).toEqual({ status: 200, title: true });
    for (let i = 0; i < 4; i++) expect((await staff.get(previewPath, c.lb)).status).toBe(200);
    const done = await confirm(staff, previewPath, b.base);
    expect(done).toMatchObject({ status: 303, location: `/office/drops/${drop.id}?committed=1` });
    const persons = await c.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).execute();
    expect(persons).toHaveLength(3);
    expect(b.out()).not.toContain('asking for the passphrase again');
  });

  it('two staff start the same ingest on different instances at once: one wins, the other is told who', async () => {
    const c = get();
    const [a, b] = c.instances as [Cluster['instances'][0], Cluster['instances'][0]];
    const one = await makeHolder(c.deps, '先着 一郎');
    const two = await makeHolder(c.deps, '後着 二郎');
    const { drop } = await aDrop(c, '競争商事');
    const [s1, s2] = [await Agent.signedIn(c.deps, a.base, one.id), await Agent.signedIn(c.deps, b.base, two.id)];
    const [p1, p2] = [await s1.get(`/office/drops/${drop.id}`), await s2.get(`/office/drops/${drop.id}`)];
    const [r1, r2] = await Promise.all([
      s1.send('POST', `/office/drops/${drop.id}/ingest`, { _csrf: csrfOf(p1.text), passphrase: HOLDER_PASSPHRASE }),
      s2.send('POST', `/office/drops/${drop.id}/ingest`, { _csrf: csrfOf(p2.text), passphrase: HOLDER_PASSPHRASE }),
    ]);
    const answers = [r1, r2].map((r) => r.status).sort();
    expect(answers).toEqual([303, 409]);
    const loser = r1.status === 409 ? r1 : r2;
    const winner = r1.status === 409 ? '後着 二郎' : '先着 一郎';
    expect(loser.text).toContain(`${winner} さん`);
  });
}
