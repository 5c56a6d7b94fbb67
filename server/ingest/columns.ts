import type { Deps } from '../deps.js';
import type { Actor } from '../http/policies.js';
import { PreviewChanged, PreviewGone } from './errors.js';
import type { ColumnChoice } from './parse/types.js';
import type { PreviewEntry } from './preview.js';
import * as repo from './repo.js';
import { ingestRuntime, PREVIEW_TTL_MS } from './runtime.js';
import { parseDropInWorker } from './worker/parse-drop.js';

/** The live preview of this job for its claimant, or PreviewGone (expired, other instance, newer attempt). */
export async function livePreview(deps: Deps, actor: Actor, jobId: string): Promise<{ job: repo.JobRecord; entry: PreviewEntry }> {
  const job = await repo.findJob(deps.db, jobId);
  if (!job || job.claimedBy !== actor.userId || job.state !== 'previewing') throw new PreviewGone();
  const entry = ingestRuntime(deps).cache.get(job.id, job.attempt);
  if (!entry || entry.userId !== actor.userId) {
    // The claimant is here and the preview is not (expired, restarted, another
    // instance): give the drop back now rather than after the TTL.
    await repo.releaseJob(deps.db, job, deps.clock.now().toISOString(), 'ingestFlow.errors.previewGone');
    throw new PreviewGone();
  }
  return { job, entry };
}

/**
 * Staff resolve an ambiguous My Number column: the file (still in memory) is
 * read again in the parse worker with their choice. `picks` are indexes into
 * the current result's ambiguousColumns and their candidates, so nothing
 * from the request names a column the file does not have.
 */
export async function chooseColumns(
  deps: Deps,
  actor: Actor,
  jobId: string,
  picks: Array<{ group: number; candidate: number }>,
  version: number,
): Promise<void> {
  const { job, entry } = await livePreview(deps, actor, jobId);
  if (entry.version !== version) throw new PreviewChanged();
  const added: ColumnChoice[] = [];
  for (const p of picks) {
    const col = entry.result.ambiguousColumns[p.group]?.candidates[p.candidate];
    if (col) added.push({ sheet: col.sheet, column: col.column });
  }
  if (added.length === 0) return;
  const choices = [...entry.choices.filter((c) => !added.some((a) => a.sheet === c.sheet && a.column === c.column)), ...added];
  const result = await parseDropInWorker(entry.plaintext, { columnChoices: choices });
  // The entry may have been evicted while the worker ran (TTL, cancel): then the answer is dropped too.
  if (ingestRuntime(deps).cache.get(job.id, job.attempt) !== entry) throw new PreviewGone();
  entry.result = result;
  entry.choices = choices;
  entry.version += 1;
  entry.expiresAt = deps.clock.now().getTime() + PREVIEW_TTL_MS;
  await repo.moveJob(deps.db, job.id, job.attempt, ['previewing'], 'previewing', deps.clock.now().toISOString());
}

/** The claimant gives up: the preview is dropped and the drop is free again, untouched. */
export async function cancelIngest(deps: Deps, actor: Actor, jobId: string): Promise<string | null> {
  const job = await repo.findJob(deps.db, jobId);
  if (!job || job.claimedBy !== actor.userId || !['claimed', 'previewing'].includes(job.state)) return job?.dropId ?? null;
  ingestRuntime(deps).cache.evict(job.id);
  await repo.releaseJob(deps.db, job, deps.clock.now().toISOString(), null);
  return job.dropId;
}
