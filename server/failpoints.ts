/**
 * Named crash points for the kill-at-every-step tests (security.md INGEST
 * FAULTS, P9). A step that writes calls `failpoint('ingest.after-commit')`;
 * when that name is listed in KINKO_FAILPOINTS (config.failpoints) the process
 * dies at once with SIGKILL — no finally blocks, no shutdown hooks, no flushed
 * buffers — exactly what a power cut or an OOM kill does. Unset (production),
 * every call is a Set lookup on an empty set and nothing else.
 *
 * The names in use, so tests and code agree:
 */
export const FAILPOINTS = [
  'ingest.after-claim',
  'ingest.after-vault-write', // after the first and after the last batch of vault records (config.vaultBatch)
  'ingest.after-commit',
  'ingest.after-drop-delete',
  'ingest.after-disposal-record',
  // a disposal batch (disposal-batches/batch-run.ts), in the order it runs
  'disposal.after-approve',
  'disposal.after-key-destroy',
  'disposal.after-images', // the persons' kept identity images destroyed and recorded, the records not yet
  'disposal.after-object-delete',
  'disposal.after-record',
  'disposal.after-certificate',
  // moving persons into their disposal cohort (vault/reseal.ts)
  'reseal.after-write',
  'reseal.after-commit',
  // a collected submission confirmed or sent back (collect/arrival-service.ts)
  'collect.after-commit',
  'collect.after-return',
  'collect.after-delete',
  // kept identity images (collect/kept-images.ts): stored at a confirmation, and destroyed when their time is up
  'collect-images.after-put',
  'collect-images.after-delete',
  // building the year-end bundles (bundles/build/build.ts)
  'bundles.after-put', // after the first sealed bundle is stored, before any row
  'bundles.after-commit',
] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

/** Armed names → on which hit to fire (1 = the first time the step is reached). */
let armed: ReadonlyMap<string, number> = new Map();
const hits = new Map<string, number>();

/**
 * Arms the named failpoints (config.failpoints, i.e. KINKO_FAILPOINTS); the
 * start-up recovery calls it once. `name@N` fires on the N-th hit instead of
 * the first — `ingest.after-vault-write@2` with two batches is "after the
 * last batch".
 */
export function armFailpoints(names: readonly string[]): void {
  const m = new Map<string, number>();
  for (const raw of names) {
    const [name, nth] = raw.split('@');
    if (name) m.set(name, Math.max(1, Number(nth) || 1));
  }
  armed = m;
  hits.clear();
}

export function failpoint(name: FailpointName): void {
  if (armed.size === 0) return;
  const nth = armed.get(name);
  if (nth === undefined) return;
  const hit = (hits.get(name) ?? 0) + 1;
  hits.set(name, hit);
  if (hit !== nth) return;
  // Written straight to fd 2 (the logger may buffer): the test sees which point fired.
  process.stderr.write(`kinko: failpoint ${name} — killing the process\n`);
  process.kill(process.pid, 'SIGKILL');
}
