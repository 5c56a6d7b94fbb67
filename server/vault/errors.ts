import { AppError, BadRequest, Conflict, ServiceUnavailable, TooManyRequests } from '../http/errors.js';

/**
 * Typed failures of the vault. Each carries an i18n key (vault.json); none
 * ever carries a number, a name or a token in its message (P3).
 */

/**
 * A vault record that does not decrypt: bits flipped, cut short, moved to
 * another token, or missing. Treated as an incident (logged as an error and
 * audited), never retried with another key.
 */
export class VaultRecordDamaged extends AppError {
  constructor() {
    super(500, 'vault.errors.damaged');
  }
}

/** A wrapped data or index key that the office key does not open (damaged, or wrapped to another key). */
export class VaultKeyDamaged extends AppError {
  constructor() {
    super(500, 'vault.errors.keyDamaged');
  }
}

/** The data key of the record was destroyed (cohort disposed): the number is gone for good. */
export class VaultRecordDisposed extends Conflict {
  constructor() {
    super('vault.errors.disposed');
  }
}

/** No purpose, or one that is not on the statutory list. */
export class RevealPurposeRequired extends BadRequest {
  constructor() {
    super('vault.errors.purposeRequired');
  }
}

/** No key passphrase given and no open unlock window. */
export class KeyPassphraseRequired extends BadRequest {
  constructor() {
    super('vault.errors.passphraseRequired');
  }
}

/** More than limits.reveal.perHour reveals in the rolling hour, or a block not yet lifted. */
export class RevealBlocked extends TooManyRequests {
  /** `notice`: who was told — the director's console, also by mail, or nobody yet (then the person is asked to tell the director). */
  constructor(notice: 'consoleAndMail' | 'console' | 'none' = 'none') {
    super(`vault.blockAlert.${notice}`);
  }
}

/** The audit entry could not be written, so the number is not shown (security.md AUDIT). */
export class RevealNotRecorded extends ServiceUnavailable {
  constructor() {
    super('vault.errors.auditUnavailable');
  }
}
