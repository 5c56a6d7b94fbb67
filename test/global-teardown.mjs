import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const m = await tsImport('./global/teardown.ts', import.meta.url);
  return m.default();
}
