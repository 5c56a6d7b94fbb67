import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { ORPHAN_AGE_MS, sweepOrphanDrops } from '../../server/drops/reconcile.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { clientInRoom, fixture, installOfficeKey, storedObjects } from './helpers.js';

/**
 * P9 crash window "object stored, row not committed": the process died after
 * the put. No receipt was ever given for that object; the sweep removes it —
 * and only it: committed drops and uploads still on their way stay.
 */
describe('drops: orphan sweep after a crash', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
    await installOfficeKey(t.deps);
  });
  afterAll(async () => {
    await t.close();
  });

  it('removes old objects without a drop row; keeps committed drops and recent objects', async () => {
    const c = await clientInRoom(t);
    const up = await c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').attach('files', fixture('sample_roster.csv'), 'a.csv');
    expect(up.status).toBe(201);
    // What a crash between the put and the commit leaves behind.
    await t.deps.storage.drops.put('dOrphanFromACrash0000000', Readable.from([Buffer.from('ciphertext')]), { createOnly: true });
    const stored = (await storedObjects(t)).objects;
    expect(stored).toHaveLength(2);

    // Right now the orphan is too young to judge (it may be an upload about to commit).
    expect(await sweepOrphanDrops(t.deps.db, t.deps.storage.drops, { now: new Date() })).toEqual({ checked: 2, removed: 0 });
    // An hour later it goes; the committed drop stays.
    const later = new Date(Date.now() + ORPHAN_AGE_MS + 60_000);
    expect(await sweepOrphanDrops(t.deps.db, t.deps.storage.drops, { now: later })).toEqual({ checked: 2, removed: 1 });
    const row = await t.deps.db.selectFrom('drops').select('stored_key').executeTakeFirstOrThrow();
    expect((await storedObjects(t)).objects).toEqual([row.stored_key]);
    expect(await t.deps.storage.drops.remnants('dOrphanFromACrash0000000')).toEqual([]);
  });
});
