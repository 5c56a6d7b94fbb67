import type { Deps } from '../../server/deps.js';
import { randomId } from '../../server/lib/random.js';
import { makeCompany, makeUser, type MadeUser } from './actors.js';

export interface Office {
  director: MadeUser;
  keyHolder: MadeUser;
  plainStaff: MadeUser;
  emails: Record<'director' | 'keyHolder' | 'plainStaff', string>;
}

/**
 * A director, a designated key-holder staff member and a plain staff member,
 * plus people who must never get a notice: a revoked key holder and a key
 * holder without an address.
 */
export async function makeOffice(deps: Deps): Promise<Office> {
  const director = await makeUser(deps, { role: 'director', keyHolder: true });
  const keyHolder = await makeUser(deps, { role: 'staff', keyHolder: true });
  const plainStaff = await makeUser(deps, { role: 'staff' });
  const revoked = await makeUser(deps, { role: 'staff', keyHolder: true });
  await deps.db.updateTable('users').set({ status: 'revoked' }).where('id', '=', revoked.id).execute();
  const noEmail = await makeUser(deps, { role: 'staff', keyHolder: true });
  await deps.db.updateTable('users').set({ email: null }).where('id', '=', noEmail.id).execute();
  const email = (u: MadeUser) => `${u.loginId}@example.jp`;
  return { director, keyHolder, plainStaff, emails: { director: email(director), keyHolder: email(keyHolder), plainStaff: email(plainStaff) } };
}

/** A room with a client account (the client has an address too, and must not be told). */
export async function makeRoom(deps: Deps, name: string) {
  const company = await makeCompany(deps, name);
  const client = await makeUser(deps, { role: 'client', companyId: company.id });
  return { company, client, clientEmail: `${client.loginId}@example.jp` };
}

/** What the drops code knows about a drop; only `id` is handed to noteArrival. */
export function fakeDrops(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: randomId(),
    name: `給与支払報告書_従業員一覧_${i + 1}_${randomId(4)}.xlsx`,
    size: 4_194_304 + 7919 * (i + 1),
  }));
}
