import { limits } from '../config.js';
import { BadRequest, Conflict, Forbidden } from '../http/errors.js';

/**
 * Typed failures of the office key. Each carries an i18n key (keys.json), so a
 * route can show it next to the right field, and an uncaught one still becomes
 * a plain page through the one error handler.
 */

/** The key passphrase did not open this holder's copy. Says nothing else (no hint how close it was). */
export class WrongKeyPassphrase extends BadRequest {
  constructor(messageKey = 'keys.errors.wrongPassphrase', params?: Record<string, string | number>) {
    super(messageKey, params);
  }
}

/** The person has no copy of the office key (never designated, or the copy was removed). */
export class NotKeyHolder extends Forbidden {
  constructor() {
    super('keys.errors.notHolder');
  }
}

/** The copy is still locked with the one-time passphrase the director saw: change it first. */
export class KeyPassphraseMustChange extends Forbidden {
  constructor() {
    super('keys.errors.mustChange');
  }
}

/** A new key passphrase that is not acceptable; `field` names the form field it belongs to. */
export class KeyPassphraseProblem extends BadRequest {
  constructor(
    messageKey: string,
    readonly field: 'newPassphrase' | 'newPassphraseConfirm' = 'newPassphrase',
  ) {
    super(messageKey, { min: limits.password.minLength });
  }
}

/** Designation/removal refused: not eligible, already a holder, last holder, office key missing. */
export class KeyHolderConflict extends Conflict {
  constructor(messageKey: string) {
    super(messageKey);
  }
}

/**
 * Too many wrong key passphrases (limits.keyPassphrase): this holder's tries
 * are refused for a while, or until a director lifts the lock. A kind of wrong
 * passphrase, so every form shows it next to its passphrase field; answered
 * 429. Says nothing about how close any try was.
 */
export class KeyPassphraseLocked extends WrongKeyPassphrase {
  override readonly status = 429;
  constructor(readonly kind: 'temporary' | 'hard') {
    // No numbers in the text: every passphrase form shows it, and /office/key-locks states the limits.
    super(kind === 'hard' ? 'keyLocks.errors.hardLocked' : 'keyLocks.errors.locked');
  }
}
