import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';

/**
 * The script a parse worker thread runs. The parser is TypeScript and a
 * fresh thread has no loader: compiling it through tsx in every thread cost
 * ~0.3–0.5 s per drop. Instead, once per process, esbuild (tsx's own
 * compiler) bundles server/ingest/worker/parse-worker.ts and the parser
 * sources it imports into one plain ES module, kept in memory and started
 * as a `data:` URL — nothing is written to disk, so a read-only install
 * (the Docker image) works and the code can never be stale: it is built
 * from the sources this process would run anyway.
 *
 * Packages stay outside the bundle and load natively from where they are
 * installed (a `data:` module has no node_modules to look in, so their
 * imports become absolute file URLs). Each source keeps its own
 * `import.meta.url`. If esbuild cannot be loaded or the build fails, the
 * worker falls back to entry.mjs (tsx at run time): slower, same code.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TSX_ENTRY = new URL('./entry.mjs', import.meta.url);

// The same two lines as entry.mjs, minus tsx. pdf.js is imported natively here too.
const ENTRY_SOURCE = `import { run } from './parse-worker.ts';
await run({ importPdfjs: () => import('pdfjs-dist/legacy/build/pdf.mjs') });
`;

const INNER = Symbol('kinko.resolve');

function absolutePackages(): Esbuild.Plugin {
  return {
    name: 'kinko-absolute-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('node:') || args.pluginData === INNER) return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: INNER });
        if (r.errors.length > 0) return { errors: r.errors };
        if (r.external || !path.isAbsolute(r.path)) return { path: args.path, external: true };
        return { path: pathToFileURL(r.path).href, external: true };
      });
      build.onLoad({ filter: /\.ts$/ }, async (args) => ({
        contents: (await readFile(args.path, 'utf8')).replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      }));
    },
  };
}

async function bundle(): Promise<URL> {
  // esbuild comes with tsx (a dependency); required natively, outside any test runner's module registry.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  const out = await esbuild.build({
    stdin: { contents: ENTRY_SOURCE, resolveDir: HERE, sourcefile: 'parse-worker-entry.ts', loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [absolutePackages()],
  });
  const code = out.outputFiles[0]?.text;
  if (!code) throw new Error('empty bundle');
  return new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

let script: Promise<URL> | undefined;

/** The URL to start a parse worker from: the bundle, built on first use (~0.2 s, in the background of the event loop). */
export function parseWorkerScript(): Promise<URL> {
  script ??= bundle().catch((e: unknown) => {
    process.emitWarning(`parse worker bundle unavailable, compiling in each worker instead (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, 'KinkoWarning');
    return TSX_ENTRY;
  });
  return script;
}
