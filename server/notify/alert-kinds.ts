import { limits } from '../config.js';

/*
 * The kinds of director alert that come from a key holder's passphrase lock
 * (raised by keys/lock-alert.ts). They are named here, beside the alerts
 * themselves, because the director's console lists every alert and must say
 * how long such a lock holds without reaching up into the keys domain.
 */
/** The director-alert kinds of a passphrase lock: the kind of lock is part of the alert's kind. */
export const KEY_LOCK_ALERT = { temporary: 'key-lock-temporary', hard: 'key-lock-hard' } as const;
export const KEY_LOCK_ALERT_KINDS: readonly string[] = Object.values(KEY_LOCK_ALERT);

/**
 * Until when a temporary lock announced by an alert raised at `createdAt` was
 * set: lockIfReached sets it to the same `now` + lockMs in the same
 * transaction, so it need not be stored twice. Null for a hard lock.
 */
export function lockedUntilOfAlert(kind: string, createdAt: string): string | null {
  return kind === KEY_LOCK_ALERT.temporary ? new Date(Date.parse(createdAt) + limits.keyPassphrase.lockMs).toISOString() : null;
}
