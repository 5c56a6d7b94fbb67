// jest loads global setup outside its ESM/TypeScript transform, so the
// TypeScript setup is loaded through tsx here.
import { tsImport } from 'tsx/esm/api';
import { ensureBuild } from '../bin/build.js';

export default async function globalSetup() {
  // Suites that start `kinko` as a process run what users run, the compiled
  // server (bin/build.js); build it once here rather than in each of them.
  await ensureBuild();
  const m = await tsImport('./global/setup.ts', import.meta.url);
  return m.default();
}
