import type { Readable } from 'node:stream';
import { looksLikeId } from '../../accounts/forms.js';
import type { Acting } from '../../audit/acting.js';
import { record } from '../../audit/record.js';
import type { Deps } from '../../deps.js';
import { dispose } from '../../disposal/service.js';
import { Gone, NotFound } from '../../http/errors.js';
import { randomId } from '../../lib/random.js';
import * as repo from './repo.js';
import type { BundleRow } from './repo.js';

/**
 * Delivery of a sealed bundle (issue 15 §5–6). A numbered bundle is a copy of
 * 特定個人情報, so every way out of kinko — the client's download in the room,
 * the office's download for 電子申請, the in-browser open — is one audit entry
 * (`bundles.download`: who, from where, which bundle; never a number) and a
 * row on the bundle's page, written BEFORE the ciphertext is handed out.
 * It ends either way through the one disposal routine: 提出済 at once, or at
 * its expiry; the row and its manifest stay.
 */
export type Via = repo.DownloadRow['via'];

const PURPOSES: Record<string, string> = { 'tax-office': '源泉徴収票・支払調書', municipal: '給与支払報告書', 'self-copy': '源泉徴収票（本人交付）' };

export function isLive(b: BundleRow, now: Date): boolean {
  return b.state === 'sealed' && (b.expires_at === null || b.expires_at > now.toISOString());
}

/** The file name a download gets: ASCII, says the 年分 and the destination. */
export function downloadName(b: Pick<BundleRow, 'nenbun' | 'destination' | 'municipality_code'>): string {
  const tag = b.destination === 'tax-office' ? 'zeimusho' : b.destination === 'self-copy' ? 'honnin' : (b.municipality_code ?? 'shikuchoson');
  return `kinko_R${String(b.nenbun).padStart(2, '0')}_${tag}.zip.gpg`;
}

/**
 * The bundle a caller may take now. Another company's id, or one that never
 * existed, is the same 404 (P7); a destroyed or expired one says so (410),
 * because the client followed a link kinko itself gave them.
 */
export async function liveBundle(deps: Deps, id: string, scope: { companyId?: string } = {}): Promise<BundleRow> {
  const b = looksLikeId(id) ? await repo.bundleById(deps.db, id) : undefined;
  if (!b || (scope.companyId !== undefined && b.company_id !== scope.companyId)) throw new NotFound();
  if (!isLive(b, deps.clock.now())) throw new Gone('bundles.delivery.errors.gone');
  return b;
}

async function recordDownload(deps: Deps, acting: Acting, b: BundleRow, via: Via): Promise<void> {
  const at = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    await repo.insertDownload(trx, { id: randomId(16), bundleId: b.id, companyId: b.company_id, userId: acting.userId ?? '', role: acting.role ?? '', ipClass: acting.ipClass, via, at });
    await record(trx, acting, {
      action: 'bundles.download', companyId: b.company_id, targetIds: [b.id], purpose: PURPOSES[b.destination] ?? null, result: 'ok',
      details: { bundleId: b.id, destination: b.destination, municipalityCode: b.municipality_code, via, sha256: b.sha256 },
    });
  });
}

/** A short-lived link to the sealed message (local: kinko's signed /files URL; S3: presigned), after the download is on record. */
export async function downloadLink(deps: Deps, acting: Acting, b: BundleRow, via: 'room' | 'office'): Promise<string> {
  await recordDownload(deps, acting, b, via);
  return deps.storage.bundles.downloadUrl(b.stored_key, deps.config.limits.downloadUrlTtlSeconds, { filename: downloadName(b) });
}

/** The sealed message itself, for the in-browser open: it passes through kinko as ciphertext and is opened only in the browser. */
export async function sealedStream(deps: Deps, acting: Acting, b: BundleRow): Promise<Readable> {
  await recordDownload(deps, acting, b, 'browser-open');
  return deps.storage.bundles.get(b.stored_key);
}

/**
 * Destroys one bundle's object through the disposal routine (every version,
 * verified gone by listing, then the record) and marks the row disposed in the
 * same transaction. Safe to repeat after a crash: false when it was done already.
 */
export async function disposeBundle(deps: Deps, b: BundleRow, reason: 'submitted' | 'expired', by: { userId: string | null; role: string | null; requestId?: string }): Promise<boolean> {
  return dispose(deps, {
    subject: { kind: 'bundle', id: b.id },
    companyId: b.company_id,
    reason: `bundle-${reason}`,
    objects: [{ location: 'bundles', key: b.stored_key, sha256: b.sha256, size: b.size }],
    by,
    audit: {
      action: 'bundles.dispose', purpose: PURPOSES[b.destination] ?? '', targetIds: [b.id],
      details: { bundleId: b.id, destination: b.destination, municipalityCode: b.municipality_code, reason },
    },
    notVerifiedMessage: 'bundles.delivery.errors.notDisposed',
    within: (trx, at) => repo.markDisposed(trx, b.id, at),
  });
}

/** 提出済, by the client in the room or by the office: the numbered copy has done its job and goes now (year-end.md §7 rule 4). */
export async function markSubmitted(deps: Deps, acting: Acting, b: BundleRow): Promise<void> {
  const at = deps.clock.now().toISOString();
  const marked = await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.markSubmitted(trx, b.id, acting.userId ?? '', at))) return false;
    await record(trx, acting, {
      action: 'bundles.submitted', companyId: b.company_id, targetIds: [b.id], purpose: PURPOSES[b.destination] ?? null, result: 'ok',
      details: { bundleId: b.id, destination: b.destination, municipalityCode: b.municipality_code },
    });
    return true;
  });
  if (!marked) throw new Gone('bundles.delivery.errors.gone');
  await disposeBundle(deps, { ...b, state: 'submitted' }, 'submitted', { userId: acting.userId, role: acting.role, ...(acting.requestId ? { requestId: acting.requestId } : {}) });
}

/** A build killed between storing its sealed messages and committing their rows leaves ciphertext nobody can see; after this long it is no running build's. */
export const ORPHAN_BUNDLE_AGE_MS = 60 * 60_000;

/** Sealed objects in the `bundles` location without a bundle row, older than `olderThanMs`: deleted (they hold only ciphertext). */
export async function sweepOrphanBundles(deps: Deps, olderThanMs = ORPHAN_BUNDLE_AGE_MS): Promise<number> {
  const cutoff = deps.clock.now().getTime() - olderThanMs;
  const orphans: string[] = [];
  for await (const o of deps.storage.bundles.list()) {
    if (o.lastModified.getTime() > cutoff) continue;
    const known = await deps.db.selectFrom('bundles').select('id').where('stored_key', '=', o.key).executeTakeFirst();
    if (!known) orphans.push(o.key);
  }
  if (orphans.length) await deps.storage.bundles.deleteMany(orphans);
  return orphans.length;
}

/**
 * Every bundle due now (marked 提出済, or past its expiry), destroyed one by
 * one; one that cannot be verified gone stays due and is tried next time.
 * Run at start-up and every hour (timer.ts), and by `kinko bundles:expire`.
 */
export async function disposeDueBundles(deps: Deps): Promise<{ disposed: number; failed: number }> {
  let disposed = 0;
  let failed = 0;
  for (const b of await repo.dueForDisposal(deps.db, deps.clock.now().toISOString())) {
    try {
      if (await disposeBundle(deps, b, b.state === 'submitted' ? 'submitted' : 'expired', { userId: null, role: 'system' })) disposed++;
    } catch (err) {
      failed++;
      deps.logger.error({ bundleId: b.id, err: { name: (err as Error).name } }, 'bundle not disposed; tried again at the next run');
    }
  }
  const orphans = await sweepOrphanBundles(deps).catch((err: unknown) => {
    deps.logger.warn({ err: { name: (err as Error).name } }, 'orphan bundle objects not swept; tried again at the next run');
    return 0;
  });
  if (orphans) deps.logger.info({ orphans }, 'sealed bundle objects without a row (an interrupted build) deleted');
  return { disposed, failed };
}
