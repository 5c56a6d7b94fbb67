// jest loads global setup outside its ESM/TypeScript transform, so the
// TypeScript setup is loaded through tsx here.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const m = await tsImport('./global/setup.ts', import.meta.url);
  return m.default();
}
