import { generate } from 'otplib';
import type { Deps } from '../../server/deps.js';
import { changeHolderPassphrase, createHolderCopy } from '../../server/keys/office-key.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { DIRECTOR, setUpOffice } from '../setup/setup-helpers.js';

/**
 * People for the two-instance suite, made straight in the shared database
 * (the browser flow sets the office up through the pages; the invariant
 * tests only need people). The office is set up here if nobody did yet.
 */
export const HOLDER_PASSPHRASE = 'futatsu-no-server-de-mo-onaji-kagi';

export async function directorOf(deps: Deps): Promise<string> {
  const d = await deps.db.selectFrom('users').select('id').where('role', '=', 'director').executeTakeFirst();
  if (d) return d.id;
  return (await setUpOffice(deps)).directorId;
}

/** A staff member with a key copy of their own (passphrase HOLDER_PASSPHRASE). */
export async function makeHolder(deps: Deps, name: string): Promise<MadeUser & { name: string }> {
  const directorId = await directorOf(deps);
  const u = await makeUser(deps, { role: 'staff', name });
  const { oneTimePassphrase } = await createHolderCopy(deps, { byUserId: directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: u.id, now: deps.clock.now() });
  await changeHolderPassphrase(deps, { userId: u.id, oldPassphrase: oneTimePassphrase, newPassphrase: HOLDER_PASSPHRASE, now: deps.clock.now() });
  return { ...u, name };
}

export async function makeRoom(deps: Deps, name: string): Promise<{ company: { id: string; accessKey: string; name: string }; client: MadeUser }> {
  await directorOf(deps);
  const company = await makeCompany(deps, name);
  const client = await makeUser(deps, { role: 'client', companyId: company.id });
  return { company, client };
}

export function totpNow(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret: secret.replace(/\s+/g, ''), epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

/** A bearer token for the client's API session (login through `base`). */
export async function apiLogin(base: string, company: { accessKey: string }, client: MadeUser): Promise<string> {
  const res = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessKey: company.accessKey, loginId: client.loginId, password: client.password, totp: await totpNow(client.totpSecret) }),
  });
  if (res.status !== 201) throw new Error(`API login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** One upload through the API; the drop id from the receipt (201) or undefined. */
export async function upload(base: string, token: string, bytes: Buffer, fileName: string): Promise<{ status: number; dropId?: string; sha256?: string; body: string }> {
  const form = new FormData();
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), fileName);
  const res = await fetch(`${base}/api/v1/drops`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = await res.text();
  if (res.status !== 201) return { status: res.status, body };
  const r = (JSON.parse(body) as { drops: Array<{ receipt: { dropId: string; sha256?: string } }> }).drops[0]?.receipt;
  return { status: res.status, dropId: r?.dropId, sha256: r?.sha256, body };
}
