/**
 * The few vault functions the ingest flow uses, in one place: the vault is
 * another domain (server/vault/service.ts is its surface), and if that
 * surface moves only this file follows it.
 */
import type { Relation } from './parse/types.js';

export {
  deleteVaultObjects,
  findOrphanVaultObjects,
  insertPersons,
  NumberInPersonRow,
  openVaultSession,
  RECORD_BYTES,
  type NewPersonInput,
  type NewPersonRow,
  type VaultSession,
} from '../vault/service.js';

/**
 * The retention cohort new records join: one per calendar year of ingest
 * (e.g. "2025"), so a cohort's data key can be destroyed once every record
 * ingested that year has passed its retention end (design §3).
 */
export function ingestCohort(now: Date): string {
  return String(now.getUTCFullYear());
}

/** The relation as the persons table stores it: 本人 / 配偶者 / 扶養親族n. */
export function relationText(r: Relation): string {
  if (r.kind === 'self') return '本人';
  if (r.kind === 'spouse') return '配偶者';
  return `扶養親族${r.index}`;
}
