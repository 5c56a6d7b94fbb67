import type { Deps } from '../deps.js';

export type CheckResult = { name: string; ok: boolean; millis: number; problem?: string };

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

/** Database and both storage locations, each with a time limit so a hung backend cannot hang the probe. */
export async function checkHealth(deps: Pick<Deps, 'database' | 'storage'>, timeoutMs = 3000): Promise<CheckResult[]> {
  const checks: Array<[string, () => Promise<unknown>]> = [
    ['database', () => deps.database.ping()],
    ['drops', () => deps.storage.drops.check()],
    ['vault', () => deps.storage.vault.check()],
  ];
  return Promise.all(
    checks.map(async ([name, fn]) => {
      const start = Date.now();
      try {
        await withTimeout(fn(), timeoutMs);
        return { name, ok: true, millis: Date.now() - start };
      } catch (err) {
        return { name, ok: false, millis: Date.now() - start, problem: (err as Error).message };
      }
    }),
  );
}
