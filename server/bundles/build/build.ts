import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { requestActing } from '../../audit/acting.js';
import { record } from '../../audit/record.js';
import { auditContext } from '../../audit/service.js';
import type { Deps } from '../../deps.js';
import { failpoint } from '../../failpoints.js';
import { AppError, BadRequest, Conflict } from '../../http/errors.js';
import type { Actor } from '../../http/policies.js';
import { unlockOfficeKey } from '../../keys/office-key.js';
import { randomId, randomStorageKey } from '../../lib/random.js';
import { readNumbersForPurpose } from '../../vault/index.js';
import { readyToBuild, type PreviewFacts } from '../input/preview.js';
import { yearEndPage } from '../input/service.js';
import { bundlePassphrase, sealBundle, type BundleFile, type Recipient } from '../seal/seal.js';
import { r2 } from '../manifest.js';
import { sealSelfCopies, type SelfCopyRun } from '../self-copy-thread.js';
import { destinationFiles, selfCopiesOf } from './package.js';
import * as repo from './repo.js';
import { buildScope, destinationsOf, numbersFor, personIds, personsFor } from '../input/build-scope.js';
import { rowsFor } from '../write/unified-writer.js';

/**
 * Building the numbered bundles (issue 15 §3, §4, §7), as the key holder
 * lives it: with the preview clean, they enter their key passphrase (the
 * route asks for a fresh step-up) and get one sealed bundle per destination
 * — the 税務署 and each 市区町村 — plus, when the client has no key, the
 * passphrase to read out, shown once.
 *
 *  1. The numbers are read from the vault in bulk, once per purpose
 *     (源泉徴収票・支払調書 for the 税務署, 給与支払報告書 for the 市区町村): the
 *     vault's own audit entry names every person read, and a bulk read counts
 *     as one reveal, not one per employee. A build reading more people than
 *     `limits.bundles.directorAbovePersons` is the director's.
 *  2. Each destination's files are written in memory (all rows or none),
 *     zipped with its manifest and sealed; only the OpenPGP message is put
 *     into the `bundles` location. Nothing numbered is ever written unsealed.
 *  3. ONE transaction: the bundle rows and one audit entry per bundle
 *     (purpose, destination, count, person ids — never a number). A failure
 *     before it deletes what was put; a crash leaves only sealed objects
 *     without a row (ciphertext, no plaintext anywhere), which the hourly
 *     run removes (delivery/service.ts sweepOrphanBundles).
 */
const PURPOSES = {
  'tax-office': { key: 'withholding-slip', label: '源泉徴収票・支払調書' },
  municipal: { key: 'salary-report', label: '給与支払報告書' },
  'self-copy': { key: 'withholding-slip', label: '源泉徴収票（本人交付）' },
} as const;

/** Shown to a staff key holder when the build is over the director's threshold. */
export class DirectorNeeded extends AppError {
  constructor(params: { persons: number; limit: number }) {
    super(403, 'bundles.build.errors.directorNeeded', params);
  }
}

export interface BuiltBundle {
  id: string;
  destination: 'tax-office' | 'municipal' | 'self-copy';
  municipalityCode: string | null;
  rows: number;
  size: number;
  sha256: string;
}

export interface BuildResult {
  bundles: BuiltBundle[];
  /** Set when the client has no registered key: shown once to staff, stored nowhere. */
  passphrase?: string;
}

async function readNumbers(deps: Deps, actor: Actor, facts: PreviewFacts, companyId: string, passphrase: string, requestId: string | null): Promise<Map<string, string>> {
  const numbers = new Map<string, string>();
  for (const kind of ['tax-office', 'municipal'] as const) {
    const ids = personsFor(facts, kind);
    if (ids.length === 0) continue;
    const read = await readNumbersForPurpose(deps, { companyId, personIds: ids, actor, passphrase, purpose: PURPOSES[kind].key, requestId });
    for (const [id, n] of read.numbers) numbers.set(id, n);
    read.numbers.clear();
  }
  return numbers;
}

export async function buildBundles(deps: Deps, actor: Actor, dropId: string, passphrase: string, meta: { requestId?: string } = {}): Promise<BuildResult> {
  const page = await yearEndPage(deps, dropId);
  if (!page.open || !page.facts) throw new BadRequest('bundles.input.errors.notOpen');
  const facts = page.facts;
  if (!readyToBuild(facts)) throw new BadRequest('bundles.build.errors.notReady');
  if (await repo.liveBundleOfDrop(deps.db, dropId)) throw new Conflict('bundles.build.errors.alreadyBuilt');
  const limit = deps.config.limits.bundles.directorAbovePersons;
  const scope = buildScope(facts);
  if (scope.persons > limit && actor.role !== 'director') throw new DirectorNeeded({ persons: scope.persons, limit });
  const { companyId, nenbun } = page.mark;
  const requestId = meta.requestId ?? null;
  const clientKey = await repo.clientKey(deps.db, companyId);
  const payer = await repo.payerFacts(deps.db, companyId);
  const generated = clientKey ? undefined : bundlePassphrase();
  const to: Recipient = clientKey ? { kind: 'client-key', publicKey: await openpgp.readKey({ armoredKey: clientKey.publicKey }) } : { kind: 'passphrase', passphrase: generated as string };

  let officeKey: openpgp.PrivateKey | undefined = await unlockOfficeKey(deps, actor.userId, passphrase, { form: 'other', requestId });
  let numbers = new Map<string, string>();
  const put: string[] = [];
  const now = deps.clock.now();
  // The employees' own copies start first, on a thread of their own that never holds a number
  // (self-copy-thread.ts): they are made and sealed while the numbers are read and the numbered
  // bundles built here.
  const ownKey = randomStorageKey('b');
  const copies = selfCopiesOf(facts);
  let own: SelfCopyRun | undefined = sealSelfCopies(copies, nenbun, now, `kinko_${r2(nenbun)}_honnin.zip`, officeKey, to, async (body) => {
    put.push(ownKey);
    await deps.storage.bundles.put(ownKey, body);
  });
  own.done.catch(() => undefined); // awaited below; a failure while the numbered side runs must not go unhandled
  try {
    numbers = await readNumbers(deps, actor, facts, companyId, passphrase, requestId);
    const rows: repo.NewBundle[] = [];
    const seal = async (kind: repo.NewBundle['destination'], code: string | null, tag: string, files: BundleFile[], count: number, manifest: object, people: string[]) => {
      const sealed = await sealBundle(files, `kinko_${r2(nenbun)}_${tag}.zip`, officeKey as openpgp.PrivateKey, to);
      for (const f of files) f.bytes.fill(0);
      const key = randomStorageKey('b');
      await deps.storage.bundles.put(key, Readable.from([Buffer.from(sealed.message)]));
      put.push(key);
      failpoint('bundles.after-put');
      const ttl = kind === 'self-copy' ? deps.config.limits.bundles.selfCopyTtlMs : deps.config.limits.bundles.numberedTtlMs;
      rows.push({
        id: randomId(16), companyId, dropId, nenbun, destination: kind, municipalityCode: code, rows: count, storedKey: key, size: sealed.message.length, sha256: sealed.sha256,
        sealedTo: to.kind, recipientFingerprint: clientKey?.fingerprint ?? null, manifest: JSON.stringify(manifest), expiresAt: new Date(now.getTime() + ttl).toISOString(),
        builtBy: actor.userId, at: now.toISOString(), personIds: people,
      });
    };
    const numbersOf = numbersFor(facts, numbers, payer.corporateNumber);
    for (const dest of destinationsOf(facts)) {
      const d = await destinationFiles(facts, dest, numbersOf, now, payer);
      await seal(dest.kind, dest.kind === 'municipal' ? dest.code : null, d.tag, d.files, d.rows, d.manifest, rowsFor(facts.plan, dest).flatMap((r) => personIds(facts, r)));
    }
    numbers.clear();
    const sealed = await own.done;
    own = undefined;
    failpoint('bundles.after-put');
    rows.push({
      id: randomId(16), companyId, dropId, nenbun, destination: 'self-copy', municipalityCode: null, rows: copies.length, storedKey: ownKey, size: sealed.size, sha256: sealed.sha256,
      sealedTo: to.kind, recipientFingerprint: clientKey?.fingerprint ?? null, manifest: JSON.stringify(sealed.manifest),
      expiresAt: new Date(now.getTime() + deps.config.limits.bundles.selfCopyTtlMs).toISOString(), builtBy: actor.userId, at: now.toISOString(), personIds: [],
    });
    officeKey = undefined;
    const acting = requestActing(auditContext(deps), { ...actor, requestId });
    await deps.db.transaction().execute(async (trx) => {
      for (const b of rows) {
        await repo.insertBundle(trx, b);
        await repo.insertBundlePersons(trx, b.id, b.personIds);
        await record(trx, acting, {
          action: 'bundles.seal', companyId, targetIds: b.personIds, purpose: PURPOSES[b.destination].label, result: 'ok',
          // The 本人交付 bundle reads no number: its entry names no person.
          details: { bundleId: b.id, destination: b.destination, municipalityCode: b.municipalityCode, rows: b.rows, persons: b.personIds.length, sealedTo: b.sealedTo },
        });
      }
    });
    failpoint('bundles.after-commit');
    deps.logger.info({ dropId, bundles: rows.length, requestId }, 'year-end bundles sealed');
    return {
      bundles: rows.map((b) => ({ id: b.id, destination: b.destination, municipalityCode: b.municipalityCode, rows: b.rows, size: b.size, sha256: b.sha256 })),
      ...(generated ? { passphrase: generated } : {}),
    };
  } catch (err) {
    if (own) {
      own.stop();
      await own.done.catch(() => undefined);
    }
    // Only sealed messages were put; without their rows they are taken back (a crash instead leaves ciphertext only).
    if (put.length) await deps.storage.bundles.deleteMany(put).catch(() => undefined);
    throw err;
  } finally {
    numbers.clear();
    officeKey = undefined;
  }
}
