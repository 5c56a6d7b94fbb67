/**
 * What the director says may be exposed (issue 16 §3). One shape per kind of
 * event; the schema (schema.ts) turns the form into one of these, the scope
 * (breach-scope.ts) turns it into people and states.
 */
export type Exposure =
  /** A staff, director or client account, used by someone else during the window. */
  | { kind: 'account'; accountId: string; from: Date; to: Date }
  /** A lost device: what the account downloaded onto it in the window. */
  | { kind: 'device'; accountId: string; from: Date; to: Date }
  /** Everything kinko holds for one client company. */
  | { kind: 'company'; companyId: string }
  /** One storage location (bucket) as it is now. */
  | { kind: 'location'; location: 'drops' | 'vault' }
  /** A backup set taken at `takenAt`, holding some of kinko's stores. */
  | { kind: 'backup'; takenAt: Date; database: boolean; vault: boolean; drops: boolean }
  /** One sealed bundle (issue 15). */
  | { kind: 'bundle'; bundleId: string };

export type ExposureKind = Exposure['kind'];
export const EXPOSURE_KINDS: readonly ExposureKind[] = ['account', 'device', 'company', 'location', 'backup', 'bundle'];

/**
 * The state a person's number may be in, worst first. Each person counts
 * once, in the worst state any copy of their number was in.
 * - plain: shown or exported in clear (a reveal or bulk read in the window)
 * - vaultWithLockedKey: vault records together with the database that holds the wrapped data keys and the passphrase-locked office key (a full backup)
 * - sealed: in a downloaded bundle, encrypted to the client's key or a passphrase (issue 15)
 * - officeKey: in a drop's OpenPGP ciphertext, encrypted to the office key, which is not in the drops location
 * - vaultApart: a vault record (AES-256-GCM) whose data key is held apart, only wrapped by the office key
 */
export type ExposureState = 'plain' | 'vaultWithLockedKey' | 'sealed' | 'officeKey' | 'vaultApart';
export const STATES_WORST_FIRST: readonly ExposureState[] = ['plain', 'vaultWithLockedKey', 'sealed', 'officeKey', 'vaultApart'];

/** States where the 高度な暗号化 exemption (Q17-14 (a) and (b)①) is likely: ciphertext apart from its key. */
export const EXEMPTION_LIKELY: ReadonlySet<ExposureState> = new Set(['officeKey', 'vaultApart']);

export type RelationClass = 'self' | 'spouse' | 'dependent';

export function relationClass(relation: string): RelationClass {
  if (relation === '本人') return 'self';
  if (relation === '配偶者') return 'spouse';
  return 'dependent';
}
