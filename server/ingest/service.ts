import { displayNameOf } from '../auth/repo.js';
import type { Deps } from '../deps.js';
import { findDisposal } from '../disposal/repo.js';
import { looksLikeDropId } from '../drops/service.js';
import { NotFound } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { keyHolderStatus } from '../keys/office-key.js';
import type { DropDisposal, DropPageInput } from './present.js';
import * as repo from './repo.js';
import { listReviewOfDrop } from './review-repo.js';

/**
 * The office's side of drops, read for pages: every company's drops with
 * their state, and one drop with its ingest job, disposal record and the rows
 * held back for review. The flow itself lives in start.ts, commit.ts,
 * dispose.ts and reconcile.ts.
 */
export const OFFICE_LIST_LIMIT = 500;

export { startIngest } from './start.js';
export { confirmIngest } from './commit.js';
export { chooseColumns, cancelIngest, livePreview } from './columns.js';
export { destroyOriginal } from './dispose.js';
export { confirmFromPage, dropOfJob, previewPlan, savePageChoices } from './preview-flow.js';
export { expectParse } from './worker/parse-drop.js';

export function listOfficeDrops(deps: Deps) {
  return repo.listOfficeDrops(deps.db, OFFICE_LIST_LIMIT);
}

export async function dropPage(deps: Deps, actor: Actor, dropId: string): Promise<DropPageInput> {
  if (!looksLikeDropId(dropId)) throw new NotFound();
  const drop = await repo.findOfficeDrop(deps.db, dropId);
  if (!drop) throw new NotFound();
  const [job, disposal, review, key] = await Promise.all([
    repo.findJobOfDrop(deps.db, dropId),
    dropDisposal(deps, dropId),
    listReviewOfDrop(deps.db, dropId),
    keyHolderStatus(deps.db, actor.userId),
  ]);
  return { drop, job, disposal, review, viewer: { userId: actor.userId, holder: key.holder, mustChange: key.mustChange }, now: deps.clock.now() };
}

/** The disposal record of a drop's original, as its page shows it. */
async function dropDisposal(deps: Deps, dropId: string): Promise<DropDisposal | null> {
  const d = await findDisposal(deps.db, { kind: 'drop', id: dropId });
  const original = d?.objects.find((o) => o.location === 'drops');
  if (!d || !original) return null;
  return {
    sha256: original.sha256 ?? '', size: original.size ?? 0, method: d.method, backend: original.backend,
    verifiedAt: d.verifiedAt, byUser: d.byUser, byUserName: d.byUser ? await displayNameOf(deps.db, d.byUser) : null,
  };
}

/** A job id is randomId(16): 22 base64url characters; anything else is not one. */
export function looksLikeJobId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id);
}
