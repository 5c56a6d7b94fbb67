import type { Deps } from '../deps.js';
import { randomId } from '../lib/random.js';
import type { PreviewEntry } from './preview.js';
import { PreviewCache } from './preview-cache.js';

/** How long a parsed drop may wait for confirmation, and after which a quiet claim counts as abandoned. */
export const PREVIEW_TTL_MS = 15 * 60_000;
/** Vault objects without a persons row younger than this are left alone (a commit may be writing them). */
export const ORPHAN_MIN_AGE_MS = 10 * 60_000;

/**
 * What one running kinko process keeps for ingest: the preview cache and the
 * random id this process writes into the jobs it holds. One per Deps (not a
 * module global), so each test app has its own and nothing needs patching.
 */
export interface IngestRuntime {
  instanceId: string;
  startedAt: Date;
  cache: PreviewCache<PreviewEntry>;
}

const runtimes = new WeakMap<Deps, IngestRuntime>();

export function ingestRuntime(deps: Deps): IngestRuntime {
  let rt = runtimes.get(deps);
  if (!rt) {
    rt = { instanceId: randomId(12), startedAt: new Date(), cache: new PreviewCache<PreviewEntry>(PREVIEW_TTL_MS, () => deps.clock.now().getTime()) };
    runtimes.set(deps, rt);
  }
  return rt;
}
