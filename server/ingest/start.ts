import type * as openpgp from 'openpgp';
import type { Deps } from '../deps.js';
import { failpoint } from '../failpoints.js';
import { AppError, NotFound } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { NotKeyHolder } from '../keys/errors.js';
import { keyHolderStatus, unlockOfficeKey } from '../keys/office-key.js';
import { randomId } from '../lib/random.js';
import { ingestCohort, openVaultSession } from '../vault/index.js';
import { decryptDrop, DropDecryptError } from './decrypt.js';
import { ParseError } from './parse/errors.js';
import { DropNotIngestable, DropUnreadable, IngestBusy } from './errors.js';
import type { ColumnChoice, ParseResult } from './parse/types.js';
import { parseDropInWorker } from './worker/parse-drop.js';
import type { PreviewEntry } from './preview.js';
import * as repo from './repo.js';
import { releaseUnreadable } from './unreadable-repo.js';
import { DEAD_AFTER_MS } from './instances.js';
import { ingestRuntime, PREVIEW_TTL_MS } from './runtime.js';

/**
 * Starting an ingest, as the staff member experiences it: they enter their
 * key passphrase on the drop's page and land on a preview.
 *
 *  1. The passphrase opens their copy of the office key — first, so a wrong
 *     one changes nothing at all.
 *  2. The claim (one conditional UPDATE): of two staff starting at once,
 *     exactly one proceeds; the other is told who has it and since when.
 *  3. The drop is decrypted and parsed in memory (P1). A file that cannot be
 *     read releases the claim with its reason: the drop stays as it was,
 *     intact and retryable.
 *  4. The vault session opens (data and index keys unwrapped, while the
 *     worker parses) and the office key is dropped: it lived for this
 *     request only (P4).
 *  5. The parse result waits in this process's memory for the confirmation
 *     (preview-cache.ts) — never in the database (P3).
 */
export async function startIngest(
  deps: Deps,
  actor: Actor,
  dropId: string,
  passphrase: string,
  meta: { requestId?: string; readAgain?: boolean } = {},
): Promise<{ jobId: string }> {
  const drop = await repo.findOfficeDrop(deps.db, dropId);
  if (!drop) throw new NotFound();
  if (drop.state !== 'received') throw new DropNotIngestable();
  if (!(await keyHolderStatus(deps.db, actor.userId)).holder) throw new NotKeyHolder();
  // A file that could not be read is not read again by a plain "start" (issue 12): only when asked for deliberately.
  const before = await repo.findJobOfDrop(deps.db, dropId);
  if (before?.unreadable && !meta.readAgain) throw new DropUnreadable(before.lastError ?? 'ingestFlow.errors.failed');
  let officeKey: openpgp.PrivateKey | undefined = await unlockOfficeKey(deps, actor.userId, passphrase, { form: 'ingest', requestId: meta.requestId });

  const rt = ingestRuntime(deps);
  const now = deps.clock.now();
  await repo.ensureJob(deps.db, { id: randomId(16), dropId, companyId: drop.companyId, now: now.toISOString() });
  const claimed = await repo.claimJob(deps.db, {
    dropId,
    userId: actor.userId,
    instanceId: rt.instanceId,
    now: now.toISOString(),
    staleBefore: new Date(now.getTime() - PREVIEW_TTL_MS).toISOString(),
    deadBefore: new Date(now.getTime() - DEAD_AFTER_MS).toISOString(),
  });
  const job = await repo.findJobOfDrop(deps.db, dropId);
  if (!job) throw new NotFound();
  if (!claimed) {
    if (job.state === 'committed' || job.state === 'done') throw new DropNotIngestable();
    throw new IngestBusy(job.claimedByName ?? '?', job.claimedAt ?? job.updatedAt);
  }
  rt.cache.evict(job.id); // an earlier attempt's preview is dead now
  failpoint('ingest.after-claim');
  deps.logger.info({ jobId: job.id, dropId, attempt: job.attempt, userId: actor.userId, requestId: meta.requestId }, 'ingest claimed');

  let plaintext: Buffer | undefined;
  try {
    const cipher = await deps.storage.drops.get(drop.storedKey);
    plaintext = await decryptDrop(cipher, officeKey, deps.config.limits.upload.maxFileBytes, drop.size);
    // The worker parses on the other core while this thread unwraps the vault keys.
    const [parsed, opened] = await Promise.allSettled([
      parseDropInWorker(plaintext),
      openVaultSession(deps, { companyId: drop.companyId, officeKey, cohort: ingestCohort(now) }),
    ]);
    officeKey = undefined; // P4: the unlocked key is not kept past this point
    if (parsed.status === 'rejected') {
      if (opened.status === 'fulfilled') opened.value.close();
      throw parsed.reason;
    }
    if (opened.status === 'rejected') throw opened.reason;
    const [result, session] = [parsed.value, opened.value];
    // The preview's plan needs every number's blind index: a large file's are computed off the main thread now (issue 12 item 10).
    await session.prepareIndexes(result.persons.map((p) => p.number)).catch(() => undefined);
    const entry = newEntry(deps, job, actor.userId, plaintext, result, [], session);
    if (!(await repo.moveJob(deps.db, job.id, job.attempt, ['claimed'], 'previewing', deps.clock.now().toISOString(), { readable: true }))) {
      entry.dispose();
      throw new IngestBusy(job.claimedByName ?? '?', job.claimedAt ?? job.updatedAt);
    }
    rt.cache.put(entry);
    deps.logger.info({ jobId: job.id, dropId, persons: result.persons.length, review: result.review.length, format: result.format, requestId: meta.requestId }, 'ingest preview ready');
    return { jobId: job.id };
  } catch (err) {
    plaintext?.fill(0);
    const key = err instanceof AppError ? err.messageKey : 'ingestFlow.errors.failed';
    const at = deps.clock.now().toISOString();
    if (inTheFile(err)) await releaseUnreadable(deps.db, job, at, key).catch(() => false);
    else await repo.releaseJob(deps.db, { id: job.id, attempt: job.attempt, state: 'claimed' }, at, key).catch(() => false);
    // Content-free: a code and the parser's own content-free detail, never a message from inside the file.
    deps.logger.warn({ jobId: job.id, dropId, key, detail: (err as { detail?: unknown }).detail, requestId: meta.requestId }, 'ingest stopped; drop left intact');
    throw err;
  } finally {
    officeKey = undefined;
  }
}

/** A failure that reading the same bytes again would repeat: the file is marked unreadable. Busy, aborted or a storage fault are not. */
function inTheFile(err: unknown): boolean {
  if (err instanceof ParseError) return err.code !== 'busy' && err.code !== 'aborted';
  return err instanceof DropDecryptError;
}

export function newEntry(
  deps: Deps,
  job: { id: string; dropId: string; companyId: string; attempt: number },
  userId: string,
  plaintext: Buffer,
  result: ParseResult,
  choices: ColumnChoice[],
  session: PreviewEntry['session'],
): PreviewEntry {
  return {
    jobId: job.id,
    attempt: job.attempt,
    userId,
    dropId: job.dropId,
    companyId: job.companyId,
    expiresAt: deps.clock.now().getTime() + PREVIEW_TTL_MS,
    plaintext,
    result,
    choices,
    version: 1,
    session,
    dispose() {
      this.plaintext.fill(0);
      this.session.close();
    },
  };
}
