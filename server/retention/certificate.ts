/**
 * The disposal certificate (削除証明書 / 廃棄証明書, issue 14 §6): what it
 * says is built only from what was verified (retention-and-breach.md §4.5).
 * It may claim objects deleted from named stores verified by listing, and
 * key ids destroyed in every copy kinko manages; it never claims overwriting,
 * physical sanitisation of a provider's disks, crypto-erase while a backup
 * still holds the wrapped key (it names the backup and its expiry instead),
 * or deletion of copies outside kinko's custody (listed as such).
 * Two copies: the client's names the people; the office's has tokens only.
 */
export type DisposalMethod = 'crypto-erase' | 'purge';

export interface CertifiedPerson {
  relation: string;
  /** client copy only */
  name?: string;
  /** office copy only: the vault record's opaque token */
  token?: string;
}

export interface CertificateFacts {
  certificateId: string;
  batchId: string;
  issuedAt: string;
  officeName: string;
  companyName: string;
  copy: 'client' | 'office';
  persons: CertifiedPerson[];
  method: DisposalMethod;
  /** data keys destroyed (crypto-erase only) */
  keyIds: string[];
  /**
   * per store: objects deleted (every version and delete marker), the listing
   * that showed none left, and when; `versions` only where the count of
   * versions is known (null: "all versions", without a number we did not count)
   */
  stores: Array<{ store: string; objects: number; versions: number | null; verifiedAt: string }>;
  /** a decrypt attempt with each destroyed key failed (crypto-erase only) */
  decryptFailedAt: string | null;
  reason: string;
  approver: { name: string; role: string };
  executor: { name: string; role: string };
  /** backups kinko knows of that may still hold a wrapped key, and until when */
  backups: Array<{ where: string; until: string | null }>;
  /** copies outside kinko's custody (bundles downloaded, filings): not deleted, and said so */
  outsideCustody: Array<{ what: string; destination: string; date: string }>;
  kinkoVersion: string;
}

export class DishonestCertificate extends Error {
  constructor(why: string) {
    super(`certificate refused: ${why}`);
    this.name = 'DishonestCertificate';
  }
}

/**
 * Refuses a certificate that would claim more than was verified: crypto-erase
 * without destroyed keys or a failed decrypt; any store without a listing;
 * the wrong identifying field for its copy.
 */
export function assertHonest(c: CertificateFacts): void {
  if (c.persons.length === 0) throw new DishonestCertificate('no persons');
  if (c.stores.length === 0 || c.stores.some((s) => !s.verifiedAt)) throw new DishonestCertificate('a store was not verified by listing');
  if (c.method === 'crypto-erase' && (c.keyIds.length === 0 || !c.decryptFailedAt)) throw new DishonestCertificate('crypto-erase without destroyed keys and a failed decrypt');
  if (c.method === 'purge' && c.keyIds.length > 0) throw new DishonestCertificate('purge names destroyed keys');
  if (c.approver.name === c.executor.name && c.approver.role === c.executor.role) throw new DishonestCertificate('approver and executor are one person');
  for (const p of c.persons) {
    if (c.copy === 'client' && (!p.name || p.token)) throw new DishonestCertificate('client copy must name people, never tokens');
    if (c.copy === 'office' && (p.name || !p.token)) throw new DishonestCertificate('office copy must hold tokens, never names');
  }
}

export const METHOD_LABEL: Record<DisposalMethod, { ja: string; en: string }> = {
  'crypto-erase': { ja: '暗号学的消去（暗号鍵の破棄）と記録の削除', en: 'cryptographic erase (keys destroyed) and deletion of the records' },
  purge: { ja: '削除（全版・削除マーカーを含む）', en: 'deletion (every version and delete marker)' },
};
