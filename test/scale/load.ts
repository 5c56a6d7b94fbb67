import { expect, it } from '@jest/globals';
import * as openpgp from 'openpgp';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import type { Cluster } from './cluster.js';
import { apiLogin, directorOf, makeRoom, upload } from './office.js';

/** 500 concurrent small uploads through the load balancer: none lost, none corrupted (each decrypts to its bytes). */
export function loadTests(get: () => Cluster): void {
  it('500 concurrent small uploads through the load balancer: 0 lost, 0 corrupted', async () => {
    const c = get();
    const { company, client } = await makeRoom(c.deps, '負荷商事');
    const token = await apiLogin(c.lb, company, client);
    const files = Array.from({ length: 500 }, (_, i) => Buffer.from(`社員番号,氏名\r\nE${i},負荷 ${i}\r\n${'x'.repeat(i)}`));
    const results = await Promise.all(files.map((f, i) => upload(c.lb, token, f, `load-${i}.csv`)));
    const errs = c.instances.flatMap((x) => x.out().split('\n').filter((l) => l.includes('"level":50')));
    if (errs.length) console.log(errs.slice(0, 3).join('\n'));
    expect(results.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body.slice(0, 80)}`)).toEqual([]);
    const rows = await c.deps.db.selectFrom('drops').select(['id', 'file_name', 'stored_key']).where('company_id', '=', company.id).execute();
    expect(rows).toHaveLength(500);
    const key = await unlockOfficeKey(c.deps, await directorOf(c.deps), DIRECTOR.keyPassphrase);
    let corrupted = 0;
    for (const r of rows) {
      const i = Number(/^load-(\d+)\.csv$/.exec(r.file_name)![1]);
      const chunks: Buffer[] = [];
      for await (const ch of await c.deps.storage.drops.get(r.stored_key)) chunks.push(ch as Buffer);
      const msg = await openpgp.readMessage({ binaryMessage: Buffer.concat(chunks) });
      const { data } = await openpgp.decrypt({ message: msg, decryptionKeys: key, format: 'binary' });
      if (!Buffer.from(data as Uint8Array).equals(files[i]!)) corrupted++;
    }
    expect(corrupted).toBe(0);
    // Both instances took their share.
    const served = new Set(c.upstreams().filter((l) => l.startsWith('POST /api/v1/drops 201')).map((l) => l.split(' ').pop()));
    expect(served.size).toBe(2);
  }, 180_000);
}
