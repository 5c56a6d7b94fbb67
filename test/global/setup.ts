import { startMoto, startPostgres, type Started } from '../helpers/servers.js';

declare global {
  // eslint-disable-next-line no-var
  var __kinkoServers: Started[] | undefined;
}

/** Starts the shared real servers once; their addresses reach every test file through env. */
export default async function globalSetup(): Promise<void> {
  const started = await Promise.all([startMoto(), startPostgres()]);
  globalThis.__kinkoServers = started;
  const reasons: string[] = [];
  for (const s of started) {
    Object.assign(process.env, s.env);
    if (s.reason) reasons.push(s.reason);
  }
  if (reasons.length) {
    process.env.KINKO_TEST_UNAVAILABLE = reasons.join('; ');
    if (process.env.CI === 'true') throw new Error(`test servers unavailable under CI: ${reasons.join('; ')}`);
    console.warn(`\n[kinko tests] some suites will skip: ${reasons.join('; ')}\n`);
  }
}
