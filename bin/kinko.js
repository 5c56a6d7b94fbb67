#!/usr/bin/env node
// Entry point of the `kinko` command (npm start, npx kinko …). It runs the
// compiled server (bin/build.js: one ES module in dist/, named by a hash of
// the sources), building it first when the sources changed since — so a
// checkout runs as is, and a start does not pay for compiling TypeScript.
// When no build can be made (esbuild missing, a read-only install whose
// build is gone), the sources are compiled in memory by tsx instead: slower
// to start, same code.
import { pathToFileURL } from 'node:url';
import { ensureBuild } from './build.js';

let main;
try {
  ({ main } = await import(pathToFileURL(await ensureBuild()).href));
} catch (e) {
  process.emitWarning(`compiled kinko unavailable, compiling the sources at start instead (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, 'KinkoWarning');
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../server/cli.ts'));
}
await main(process.argv.slice(2));
