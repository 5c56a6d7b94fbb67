import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { bundleDownloads, type Facts } from './bundle-facts.js';
import { addCollectedInBucket, addCollectViews, type CollectFacts } from './collect-scope.js';
import type { Exposure } from './exposure.js';
import { PeopleTally } from './people-tally.js';
import * as repo from './scope-repo.js';
import type { ScopePerson } from './scope-repo.js';

/**
 * From an exposure to the people whose numbers may be affected (issue 16 §3,
 * retention-and-breach.md §5.4). Reads only ids, companies, blind indexes and
 * relations; never a name, never a number. Each source adds its people in the
 * state their number was in there; the tally keeps each person once, worst state.
 */
export interface Gathered {
  tally: PeopleTally;
  /** Drops received but not read yet, per company: their people are unknown until opened. */
  unreadDrops: Map<string, number>;
  /** Employees' own submissions not confirmed, per company (collect-scope.ts): their people are unknown to kinko until confirmed. */
  unconfirmed: Map<string, Set<string>>;
  /** Identity image sources in scope, per company (collect-scope.ts). */
  images: Map<string, number>;
  /** Facts that explain the result (counts only). */
  evidence: { reveals?: number; bulkReads?: number; keyUnlocks?: number; logins?: number; failedLogins?: number; dropsHeld?: number } & CollectFacts['evidence'];
  bundles: Facts<number>;
  accountRole?: string;
}

/** Audit actions whose targets are person ids whose number was given out in clear. */
const PLAIN_ACTIONS = ['vault.reveal', 'vault.read.bulk'] as const;
const DOWNLOAD_ACTIONS = ['vault.read.bulk'] as const;

export async function gatherScope(db: Kysely<Database>, e: Exposure): Promise<Gathered> {
  const g: Gathered = { tally: new PeopleTally(), unreadDrops: new Map(), unconfirmed: new Map(), images: new Map(), evidence: {}, bundles: { available: false } };
  switch (e.kind) {
    case 'account':
    case 'device':
      await accountScope(db, e, g);
      break;
    case 'company':
      await addVault(db, g, { companyId: e.companyId }, 'vaultApart');
      await addDrops(db, g, { companyId: e.companyId });
      await addCollectedInBucket(db, g, { companyId: e.companyId });
      g.bundles = await sealedPeople(db, g, { companyId: e.companyId });
      break;
    case 'location':
      if (e.location === 'vault') await addVault(db, g, {}, 'vaultApart');
      else {
        await addDrops(db, g, {});
        await addCollectedInBucket(db, g, {});
      }
      break;
    case 'backup': {
      const asOf = e.takenAt.toISOString();
      // Vault records with the database beside them: the wrapped data keys and the locked office key are in the same set.
      if (e.vault) await addVault(db, g, { asOf }, e.database ? 'vaultWithLockedKey' : 'vaultApart');
      if (e.drops) {
        await addDrops(db, g, { asOf });
        await addCollectedInBucket(db, g, { asOf });
      }
      break;
    }
    case 'bundle':
      g.bundles = await sealedPeople(db, g, { bundleId: e.bundleId });
      break;
  }
  return g;
}

async function accountScope(db: Kysely<Database>, e: Extract<Exposure, { kind: 'account' | 'device' }>, g: Gathered): Promise<void> {
  const account = await repo.findAccount(db, e.accountId);
  g.accountRole = account?.role;
  const window = { actorId: e.accountId, from: e.from.toISOString(), to: e.to.toISOString() };
  g.bundles = await sealedPeople(db, g, { accountId: e.accountId, from: window.from, to: window.to });
  if (account?.role === 'client') {
    g.evidence.logins = await repo.countActorEntries(db, { ...window, action: 'login.success' });
    return; // A room shows no number and cannot open a drop: only bundles carry numbers to a client.
  }
  const actions = e.kind === 'device' ? DOWNLOAD_ACTIONS : PLAIN_ACTIONS;
  let reveals = 0;
  let bulkReads = 0;
  for await (const page of repo.actorEntries(db, { ...window, actions })) {
    const ids: string[] = [];
    for (const entry of page) {
      if (entry.action === 'vault.reveal') reveals++;
      else bulkReads++;
      ids.push(...repo.targetIds(entry.target_ids));
    }
    g.tally.add(await repo.personsByIds(db, [...new Set(ids)]), 'plain');
  }
  g.evidence.bulkReads = bulkReads;
  if (e.kind === 'account') {
    // A submission or a kept set opened on this account showed the employee's card.
    await addCollectViews(db, g, window);
    g.evidence.reveals = reveals;
    g.evidence.keyUnlocks = await repo.countActorEntries(db, { ...window, action: 'key.passphrase.unlock' });
  }
}

async function addVault(db: Kysely<Database>, g: Gathered, f: { companyId?: string; asOf?: string }, state: 'vaultApart' | 'vaultWithLockedKey'): Promise<void> {
  for await (const page of repo.vaultPersons(db, f)) g.tally.add(page, state);
}

async function addDrops(db: Kysely<Database>, g: Gathered, f: { companyId?: string; asOf?: string }): Promise<void> {
  const drops = await repo.dropsInBucket(db, f);
  g.evidence.dropsHeld = drops.length;
  const read = drops.filter((d) => d.state !== 'received');
  for (const d of drops) if (d.state === 'received') g.unreadDrops.set(d.company_id, (g.unreadDrops.get(d.company_id) ?? 0) + 1);
  // An ingested drop whose original is not destroyed yet still holds its people's numbers, encrypted to the office key.
  g.tally.add(await repo.personsFromDrops(db, read.map((d) => d.id)), 'officeKey');
}

async function sealedPeople(db: Kysely<Database>, g: Gathered, f: Parameters<typeof bundleDownloads>[1]): Promise<Facts<number>> {
  const facts = await bundleDownloads(db, f);
  if (!facts.available) return facts;
  g.tally.add(facts.value, 'sealed');
  return { available: true, value: facts.value.length };
}

export type { ScopePerson };
