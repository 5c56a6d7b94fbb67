// The compiled server: server/ and storage-adapters/ (TypeScript) bundled by
// esbuild into one plain ES module, dist/kinko-<fingerprint>.js, which
// bin/kinko.js runs. Compiling the TypeScript at every start (tsx) cost
// ~2.5 s to a working /healthz and ~33 MiB of resident memory.
//
// Which build is current is decided by content, not by clocks: the
// fingerprint is a hash of every source file (and of this script and
// tsconfig.json). A changed, added or removed file gives another name, so a
// stale build can never run, whatever mtimes a copy, a checkout or `docker
// COPY` left behind. `npm install` builds it (the `prepare` script), and
// bin/kinko.js builds it when it is missing — a fresh clone, or sources edited
// since — so `npm start` always runs the sources as they are.
//
// Packages stay outside the bundle (they load from node_modules as before).
// Every source keeps its own `import.meta.url` — rewritten to point at the
// source file it came from — so the worker scripts (*.mjs), the locales, the
// views and everything else found relative to a source file are found exactly
// as when the sources run directly. The migrations are a static list and are
// bundled with the rest.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
const SOURCES = ['server', 'storage-adapters'];
const ALSO = ['bin/build.js', 'tsconfig.json'];

function filesUnder(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A hash of every file the build reads (~400 files, a few ms). */
export function sourceFingerprint() {
  const files = SOURCES.flatMap((s) => filesUnder(path.join(ROOT, s), [])).concat(ALSO.map((f) => path.join(ROOT, f)));
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(path.relative(ROOT, f)).update('\0');
    try {
      h.update(fs.readFileSync(f));
    } catch {
      h.update('missing');
    }
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** The folder of the build of the sources as they are now (it may not exist yet). */
export function currentBuild(fingerprint = sourceFingerprint()) {
  return path.join(DIST, `kinko-${fingerprint}`);
}

/** How many builds stay in dist/ (the newest): a server still running an older one may load one of its chunks later. */
const KEEP = 3;

function sourceUrls(outDir) {
  return {
    name: 'kinko-source-urls',
    setup(build) {
      build.onLoad({ filter: /\.(ts|mjs)$/ }, async (args) => {
        const rel = path.relative(outDir, args.path).split(path.sep).join('/');
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        const text = await fs.promises.readFile(args.path, 'utf8');
        return { contents: text.replace(/\bimport\.meta\.url\b/g, url), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}

/**
 * Builds dist/kinko-<fingerprint>/ if it is not there (into a temporary
 * folder, then renamed: two instances starting at once never run a
 * half-written build; the second rename loses and its copy is dropped),
 * removes all but the newest few builds, and returns the entry file's path.
 *
 * Code splitting keeps what the sources load lazily lazy: the S3 adapter and
 * its AWS SDK, pg, the ingest and bundle code are chunks of their own, read
 * only when first used (in one file, their packages' imports would be hoisted
 * and loaded at start).
 */
export async function ensureBuild() {
  const dir = currentBuild();
  const entry = path.join(dir, 'cli.js');
  if (fs.existsSync(entry)) return entry;
  const esbuild = createRequire(import.meta.url)('esbuild');
  fs.mkdirSync(DIST, { recursive: true });
  const tmp = `${dir}.${process.pid}.tmp`;
  try {
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'server', 'cli.ts')],
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      chunkNames: 'chunk-[hash]',
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [sourceUrls(dir)],
    });
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      if (!fs.existsSync(entry)) throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const builds = fs
    .readdirSync(DIST)
    .filter((n) => /^kinko-[0-9a-f]{16}$/.test(n))
    .map((n) => ({ p: path.join(DIST, n), at: fs.statSync(path.join(DIST, n)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of builds.slice(KEEP)) if (old.p !== dir) fs.rmSync(old.p, { recursive: true, force: true });
  return entry;
}

// `node bin/build.js` (npm run build, and the `prepare` script of npm install).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const out = await ensureBuild();
  console.log(`kinko: built ${path.relative(ROOT, out)} (${Date.now() - started} ms)`);
}
