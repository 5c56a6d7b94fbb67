import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps, type Clock, type Deps } from '../../server/deps.js';
import { createLogger } from '../../server/log/logger.js';

/** Everything the app logged during a test, as written (after redaction). */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  /** The lines logged at error level or worse: the cause of a 500, for a failure message. */
  errorLines(): string[] {
    return this.lines.filter((l) => /"level":(50|60)\b/.test(l));
  }
}

export interface TestApp {
  app: Express;
  deps: Deps;
  logs: LogSink;
  dataDir: string;
  close(): Promise<void>;
}

/** The real app from the real factory, on a temp data folder, with env overrides. */
export async function makeTestApp(env: Record<string, string> = {}, opts: { clock?: Clock } = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-test-'));
  const config = loadConfig({ KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'debug', ...env });
  const logs = new LogSink();
  const logger = createLogger({ level: config.logLevel, destination: logs as never });
  const deps = await buildDeps(config, { logger, clock: opts.clock });
  const app = await createApp(deps);
  return {
    app,
    deps,
    logs,
    dataDir,
    close: async () => {
      await deps.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
