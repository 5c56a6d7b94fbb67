import type { Deps } from '../deps.js';
import type { Actor } from '../http/policies.js';
import { rosterDepartures } from './departures.js';
import { japanToday } from '../retention/calendar.js';
import { livePreview } from './columns.js';
import { confirmIngest } from './commit.js';
import { applyPageChoices, planOnce, selectionOf, type PageChoices } from './preview-cache.js';
import { planIngest } from './preview.js';
import * as repo from './repo.js';

/**
 * The preview pages' steps, as the claimant takes them: look at a page of the
 * plan, tick boxes and move on (the ticks kept with the preview in memory, so
 * no JavaScript is needed to page through a large file), then confirm with
 * every page's ticks. Each step throws PreviewGone when the preview is no
 * longer there, and the routes show that page.
 */

/** The preview with its plan (reused while paging, see planOnce). */
export async function previewPlan(deps: Deps, actor: Actor, jobId: string) {
  const live = await livePreview(deps, actor, jobId);
  const { plan, selection } = await planOnce(live.entry, deps.clock.now().getTime(), (sel) => planIngest(deps.db, live.entry, sel));
  return { ...live, plan, selection, departures: rosterDepartures(plan, japanToday(deps.clock.now())) };
}

/** Keeps one page's ticks; 'changed' (and nothing kept) when the file was read again since the page was made. */
export async function savePageChoices(deps: Deps, actor: Actor, jobId: string, form: { version: number; choices: PageChoices }): Promise<'saved' | 'changed'> {
  const { entry } = await livePreview(deps, actor, jobId);
  if (entry.version !== form.version) return 'changed';
  applyPageChoices(entry, form.choices);
  return 'saved';
}

/**
 * Confirms with the saved choices and this page's boxes as they are now (what
 * the page says: the confirm button takes both, no need to save first).
 */
export async function confirmFromPage(deps: Deps, actor: Actor, jobId: string, form: { version: number; choices: PageChoices; departures?: boolean }, meta: { requestId?: string }) {
  const { entry } = await livePreview(deps, actor, jobId);
  if (entry.version === form.version) applyPageChoices(entry, form.choices);
  const sel = selectionOf(entry);
  return confirmIngest(deps, actor, jobId, { exclude: new Set(sel.exclude), repair: new Set(sel.repair), version: form.version, departures: form.departures === true }, meta);
}

/** The drop a job is for (the "gone" page links back to it), or null. */
export async function dropOfJob(deps: Deps, jobId: string): Promise<string | null> {
  return (await repo.findJob(deps.db, jobId))?.dropId ?? null;
}
