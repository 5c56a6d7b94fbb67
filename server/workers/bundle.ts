import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';

/**
 * The script a worker thread of kinko's own runs (the parse worker, the seal
 * worker). Their bodies are TypeScript and a fresh thread has no loader:
 * compiling through tsx in every thread costs ~0.3–0.5 s. Instead, once per
 * process and entry, esbuild (tsx's own compiler) bundles the entry and the
 * sources it imports into one plain ES module, kept in memory and started as
 * a `data:` URL — nothing is written to disk, so a read-only install (the
 * Docker image) works and the code can never be stale: it is built from the
 * sources this process would run anyway.
 *
 * Packages stay outside the bundle and load natively from where they are
 * installed (a `data:` module has no node_modules to look in, so their
 * imports become absolute file URLs). Each source keeps its own
 * `import.meta.url`. A build that fails rejects; callers fall back (tsx at
 * run time, or doing the work on the main thread).
 */
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

/** Bundles `entrySource` (TypeScript, imports relative to `resolveDir`) into a `data:` URL a Worker can start from. */
export async function bundleWorkerScript(entrySource: string, resolveDir: string, sourcefile: string): Promise<URL> {
  // esbuild comes with tsx (a dependency); required natively, outside any test runner's module registry.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  const out = await esbuild.build({
    stdin: { contents: entrySource, resolveDir, sourcefile, loader: 'ts' },
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
