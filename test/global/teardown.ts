export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__kinkoServers ?? []).map((s) => s.stop()));
}
