import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkerScript } from '../../workers/bundle.js';

/**
 * The script a parse worker thread runs: parse-worker.ts and the parser
 * sources it imports, bundled once per process into memory
 * (server/workers/bundle.ts). If esbuild cannot be loaded or the build
 * fails, the worker falls back to entry.mjs (tsx at run time): slower, same code.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TSX_ENTRY = new URL('./entry.mjs', import.meta.url);

// The same two lines as entry.mjs, minus tsx. pdf.js is imported natively here too.
const ENTRY_SOURCE = `import { run } from './parse-worker.ts';
await run({ importPdfjs: () => import('pdfjs-dist/legacy/build/pdf.mjs') });
`;

let script: Promise<URL> | undefined;

/** The URL to start a parse worker from: the bundle, built on first use (~0.2 s, in the background of the event loop). */
export function parseWorkerScript(): Promise<URL> {
  script ??= bundleWorkerScript(ENTRY_SOURCE, HERE, 'parse-worker-entry.ts').catch((e: unknown) => {
    process.emitWarning(`parse worker bundle unavailable, compiling in each worker instead (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, 'KinkoWarning');
    return TSX_ENTRY;
  });
  return script;
}
