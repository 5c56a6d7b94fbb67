import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { requestActing } from '../../audit/acting.js';
import { record } from '../../audit/record.js';
import { auditContext } from '../../audit/service.js';
import type { Deps } from '../../deps.js';
import { BadRequest, Conflict } from '../../http/errors.js';
import type { Actor } from '../../http/policies.js';
import { unlockOfficeKey } from '../../keys/office-key.js';
import { randomId, randomStorageKey } from '../../lib/random.js';
import { readNumbersForPurpose } from '../../vault/index.js';
import { readyToBuild, type PreviewFacts } from '../input/preview.js';
import { yearEndPage } from '../input/service.js';
import type { RowRouting } from '../route/route-rows.js';
import { bundlePassphrase, fileEntry, sealBundle, type Recipient } from '../seal/seal.js';
import { rowsFor, writeUnifiedCsv, type Destination } from '../write/unified-writer.js';
import type { RowNumbers } from '../write/fill-numbers.js';
import * as repo from './repo.js';

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
 *     as one reveal, not one per employee.
 *  2. Each destination's 統一CSV is written in memory (all rows or none),
 *     zipped with its manifest and sealed; only the OpenPGP message is put
 *     into the `bundles` location. Nothing numbered is ever written unsealed.
 *  3. ONE transaction: the bundle rows and one audit entry per bundle
 *     (purpose, destination, count, person ids — never a number). A failure
 *     before it deletes what was put; a crash leaves only sealed objects
 *     without a row (ciphertext, no plaintext anywhere).
 */
export const BUNDLE_TTL_MS = 30 * 24 * 60 * 60_000;

const PURPOSES = {
  'tax-office': { key: 'withholding-slip', label: '源泉徴収票・支払調書' },
  municipal: { key: 'salary-report', label: '給与支払報告書' },
} as const;

export interface BuiltBundle {
  id: string;
  destination: 'tax-office' | 'municipal';
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

/** The persons of one routed row whose numbers the writer needs (matched only; 番号未提供 stays blank). */
function personIds(facts: PreviewFacts, r: RowRouting): string[] {
  const m = facts.matches.get(r.row.line);
  if (!m) return [];
  return [m.self, ...m.family].filter((s) => s.status === 'matched' && s.personId).map((s) => s.personId as string);
}

function numbersFor(facts: PreviewFacts, numbers: ReadonlyMap<string, string>) {
  return (r: RowRouting): RowNumbers => {
    const m = facts.matches.get(r.row.line);
    const of = (subject: string) => {
      const s = m ? [m.self, ...m.family].find((x) => x.subject === subject) : undefined;
      return s?.status === 'matched' && s.personId ? numbers.get(s.personId) : undefined;
    };
    return {
      self: of('self'),
      spouse: of('spouse'),
      dependents: r.row.dependents.map((_, i) => of(`dependents.${i}`)),
      under16: r.row.under16.map((_, i) => of(`under16.${i}`)),
    };
  };
}

export async function buildBundles(deps: Deps, actor: Actor, dropId: string, passphrase: string, meta: { requestId?: string } = {}): Promise<BuildResult> {
  const page = await yearEndPage(deps, dropId);
  if (!page.open || !page.facts) throw new BadRequest('bundles.input.errors.notOpen');
  const facts = page.facts;
  if (!readyToBuild(facts)) throw new BadRequest('bundles.build.errors.notReady');
  if (await repo.liveBundleOfDrop(deps.db, dropId)) throw new Conflict('bundles.build.errors.alreadyBuilt');
  const { companyId, nenbun } = page.mark;
  const plan = facts.plan;
  const dests: Destination[] = [
    ...(plan.taxOfficeCount > 0 ? [{ kind: 'tax-office' } as const] : []),
    ...[...plan.municipalities.keys()].sort().map((code) => ({ kind: 'municipal', code }) as const),
  ];
  const clientKey = await repo.clientKey(deps.db, companyId);
  const generated = clientKey ? undefined : bundlePassphrase();
  const to: Recipient = clientKey ? { kind: 'client-key', publicKey: await openpgp.readKey({ armoredKey: clientKey.publicKey }) } : { kind: 'passphrase', passphrase: generated as string };

  let officeKey: openpgp.PrivateKey | undefined = await unlockOfficeKey(deps, actor.userId, passphrase, { form: 'other', requestId: meta.requestId ?? null });
  const numbers = new Map<string, string>();
  const put: string[] = [];
  try {
    for (const kind of ['tax-office', 'municipal'] as const) {
      const ids = [...new Set(dests.filter((d) => d.kind === kind).flatMap((d) => rowsFor(plan, d).flatMap((r) => personIds(facts, r))))];
      if (ids.length === 0) continue;
      const read = await readNumbersForPurpose(deps, { companyId, personIds: ids, actor, passphrase, purpose: PURPOSES[kind].key, requestId: meta.requestId ?? null });
      for (const [id, n] of read.numbers) numbers.set(id, n);
      read.numbers.clear();
    }
    const now = deps.clock.now();
    const rows: repo.NewBundle[] = [];
    for (const dest of dests) {
      const written = writeUnifiedCsv(plan, dest, numbersFor(facts, numbers));
      if (!written.ok) throw new BadRequest('bundles.build.errors.writeFailed');
      const tag = dest.kind === 'tax-office' ? 'zeimusho' : dest.code;
      const csvName = `${dest.kind === 'tax-office' ? 'gensen' : 'kyuyo'}_R${String(nenbun).padStart(2, '0')}_${tag}.csv`;
      const people = rowsFor(plan, dest).flatMap((r) => personIds(facts, r));
      const manifest = {
        kind: 'kinko-year-end-bundle', version: 1, nenbun, destination: dest.kind, municipalityCode: dest.kind === 'municipal' ? dest.code : null,
        rows: written.rows, numberCellsBlank: written.blankNumberCells, builtAt: now.toISOString(), files: [fileEntry({ name: csvName, bytes: written.bytes })],
      };
      const files = [{ name: csvName, bytes: written.bytes }, { name: 'manifest.json', bytes: Buffer.from(JSON.stringify(manifest, null, 2)) }];
      const sealed = await sealBundle(files, `kinko_R${String(nenbun).padStart(2, '0')}_${tag}.zip`, officeKey, to);
      written.bytes.fill(0);
      const key = randomStorageKey('b');
      await deps.storage.bundles.put(key, Readable.from([Buffer.from(sealed.message)]));
      put.push(key);
      rows.push({
        id: randomId(16), companyId, dropId, nenbun, destination: dest.kind, municipalityCode: dest.kind === 'municipal' ? dest.code : null,
        rows: written.rows, storedKey: key, size: sealed.message.length, sha256: sealed.sha256, sealedTo: to.kind,
        recipientFingerprint: clientKey?.fingerprint ?? null, manifest: JSON.stringify(manifest), expiresAt: new Date(now.getTime() + BUNDLE_TTL_MS).toISOString(),
        builtBy: actor.userId, at: now.toISOString(), personIds: people,
      });
    }
    officeKey = undefined;
    numbers.clear();
    const acting = requestActing(auditContext(deps), { ...actor, requestId: meta.requestId ?? null });
    await deps.db.transaction().execute(async (trx) => {
      for (const b of rows) {
        await repo.insertBundle(trx, b);
        await record(trx, acting, {
          action: 'bundles.seal', companyId, targetIds: b.personIds, purpose: PURPOSES[b.destination as 'tax-office' | 'municipal'].label, result: 'ok',
          details: { bundleId: b.id, destination: b.destination, municipalityCode: b.municipalityCode, rows: b.rows, persons: b.personIds.length, sealedTo: b.sealedTo },
        });
      }
    });
    deps.logger.info({ dropId, bundles: rows.length, requestId: meta.requestId }, 'year-end bundles sealed');
    return {
      bundles: rows.map((b) => ({ id: b.id, destination: b.destination as 'tax-office' | 'municipal', municipalityCode: b.municipalityCode, rows: b.rows, size: b.size, sha256: b.sha256 })),
      ...(generated ? { passphrase: generated } : {}),
    };
  } catch (err) {
    numbers.clear();
    // Only sealed messages were put; without their rows they are taken back (a crash instead leaves ciphertext only).
    if (put.length) await deps.storage.bundles.deleteMany(put).catch(() => undefined);
    throw err;
  } finally {
    officeKey = undefined;
  }
}
