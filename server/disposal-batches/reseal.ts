import type { Acting } from '../accounts/acting.js';
import type { Deps } from '../deps.js';
import { Forbidden } from '../http/errors.js';
import { unlockOfficeKey } from '../keys/office-key.js';
import { pendingMoves } from '../retention/reseal.js';
import { resealPersons } from '../vault/index.js';

/**
 * 付け替える on the 廃棄予定 page (issue 14 §3): a key holder's passphrase
 * unlocks their copy of the office key, and everyone retention says is not
 * in the cohort of their disposal month (retention/reseal.ts) is moved there
 * by the vault (vault/reseal.ts), company by company. Here, beside the
 * batches, because it needs both retention's answer and the vault.
 */
export interface ResealOutcome {
  moved: number;
}

export async function resealWaiting(deps: Deps, acting: Acting, input: { passphrase: string }): Promise<ResealOutcome> {
  if (acting.role !== 'staff' && acting.role !== 'director') throw new Forbidden();
  const officeKey = await unlockOfficeKey(deps, acting.userId, input.passphrase, { form: 'other' });
  const out: ResealOutcome = { moved: 0 };
  for (const [companyId, moves] of await pendingMoves(deps)) {
    const r = await resealPersons(deps, { companyId, moves, officeKey, actor: acting });
    out.moved += r.moved;
  }
  return out;
}
