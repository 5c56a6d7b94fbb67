import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkerScript } from '../../workers/bundle.js';

/**
 * What a parse process runs: parse-worker.ts and the parser sources it
 * imports, bundled once per server process into memory
 * (server/workers/bundle.ts) and handed to the child as a data: URL. If
 * esbuild cannot be loaded or the build fails, the child compiles the same
 * sources with tsx (entry.mjs): slower, same code.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));

// What entry.mjs imports: the parse process's body.
const ENTRY_SOURCE = `export { run } from './parse-worker.ts';
`;

let script: Promise<string | null> | undefined;

/** What a parse process loads (entry.mjs): the bundle's data: URL, built on first use (~0.2 s, in the background of the event loop), or null for tsx. */
export function parseWorkerScript(): Promise<string | null> {
  script ??= bundleWorkerScript(ENTRY_SOURCE, HERE, 'parse-worker-entry.ts').then(
    (url) => url.href,
    (e: unknown) => {
      process.emitWarning(`parse worker bundle unavailable, compiling in each parse process instead (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, 'KinkoWarning');
      return null;
    },
  );
  return script;
}
