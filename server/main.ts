import http from 'node:http';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { buildDeps } from './deps.js';
import { startNoticeTimer } from './notify/service.js';
import { announceSetup } from './setup/service.js';
import { warnIfNobodyReceivesNotices } from './notify/recipients.js';
import { recoverOnStart } from './ingest/reconcile.js';
import { startInstanceHeartbeat } from './ingest/instances.js';
import { sweepInterruptedPuts } from './drops/reconcile.js';
import { stopEncryptThreads } from './drops/encrypt-thread.js';
import { startCheckpointTimer } from './audit/checkpoint-timer.js';
import { startRetentionAlarms } from './retention/alarm-timer.js';
import { startBundleExpiry } from './bundles/delivery/timer.js';
import { resumeDisposalBatches } from './disposal-batches/batch-run.js';
import { resumeCollectDisposals } from './collect/arrival-service.js';
import { startKeptImageExpiry } from './collect/image-timer.js';
import { startParseWorkers, stopParseWorkers } from './ingest/worker/parse-drop.js';
import { stopSealWorkers } from './vault/index.js';
import { stopUnlockThread } from './keys/unlock-thread.js';

/**
 * Starts kinko: config → deps → app → listen. On SIGTERM/SIGINT it stops
 * accepting connections, lets running requests finish (bounded), then closes
 * the database, so a rolling restart loses no acknowledged upload.
 */
export async function serve(env: Record<string, string | undefined> = process.env): Promise<http.Server> {
  const config = loadConfig(env);
  // The log is checkpointed on a thread of its own, not inside the requests' commits (db/checkpoints.ts).
  const deps = await buildDeps(config, { backgroundCheckpoints: true });
  const app = await createApp(deps);
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 30_000 }, app);
  server.keepAliveTimeout = 5_000; // docs/nginx.conf closes its idle connections at 4 s, before this
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  deps.logger.info({ url: config.publicUrl, host: config.host, port: config.port, database: config.database.kind, storage: config.storage.kind }, 'kinko is listening');
  void recoverOnStart(deps)
    .then(() => resumeCollectDisposals(deps).then((n) => deps.logger.info({ destroyed: n }, 'collected submissions recovery finished')))
    .then(() => resumeDisposalBatches(deps))
    .catch(() => undefined);
  // Scaled deployment: this instance's heartbeat; claims of instances that stopped beating are released (ingest/instances.ts).
  const stopHeartbeat = startInstanceHeartbeat(deps);
  // Ciphertext of uploads a killed process left half-written (issue 12 item 7).
  sweepInterruptedPuts([deps.storage.drops, deps.storage.vault, deps.storage.bundles], { now: deps.clock.now() }).then(
    (r) => deps.logger.info(r, 'interrupted upload temp files swept'),
    (err: unknown) => deps.logger.warn({ err: (err as Error).name }, 'interrupted upload temp files not swept; `kinko drops:sweep` retries'),
  );
  // Spare parse processes that have loaded the parser (holding no data), so an ingest does not wait for one to
  // start: the first when a key holder opens a drop they may ingest (expectParse), not at boot (issue 17 §5).
  startParseWorkers({ warmNow: false }).catch((err: unknown) => deps.logger.warn({ err: (err as Error).name }, 'spare parse worker not started; each ingest starts its own'));
  await announceSetup(deps);
  await warnIfNobodyReceivesNotices(deps).catch(() => false);
  const stopNotices = startNoticeTimer(deps);
  const stopCheckpoints = startCheckpointTimer(deps);
  const stopRetentionAlarms = startRetentionAlarms(deps);
  // Sealed year-end bundles marked 提出済 or past their expiry are destroyed with a record (issue 15 §6).
  const stopBundleExpiry = startBundleExpiry(deps);
  // Identity images the office's policy kept are destroyed with a record when their period ends (issue 18 §3).
  const stopImageExpiry = startKeptImageExpiry(deps);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      server.closeAllConnections();
    }, 25_000);
    force.unref();
    server.close(async () => {
      await stopHeartbeat().catch(() => {});
      await stopNotices().catch(() => {});
      await stopCheckpoints().catch(() => {});
      await stopRetentionAlarms().catch(() => {});
      await stopBundleExpiry().catch(() => {});
      await stopImageExpiry().catch(() => {});
      await stopParseWorkers().catch(() => {});
      await stopSealWorkers().catch(() => {});
      await stopEncryptThreads().catch(() => {});
      await stopUnlockThread().catch(() => {});
      await deps.close().catch(() => {});
      deps.logger.flush?.();
      process.exitCode = 0;
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}
