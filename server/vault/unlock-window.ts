import type * as openpgp from 'openpgp';

/**
 * The short unlock window of design §2 P4 ("unlocked keys live in memory, for
 * one operation or a short unlock window").
 *
 * After a reveal with the right key passphrase, the unlocked office key stays
 * in this process's memory for at most UNLOCK_WINDOW_MS, tied to that one
 * sign-in session (its id hash) and person, so the next reveals of the same
 * sitting need no passphrase and skip the costly S2K derivation. The window
 * never slides: it closes 5 minutes after the passphrase was typed, whatever
 * happens in between, or earlier when the person locks it ("鍵を閉じる").
 *
 * What it does not widen: nothing is written anywhere (not the database, not a
 * cookie, not a log); another session, another instance or another person
 * cannot use it; a reveal through it still needs a purpose, still counts toward
 * the hourly limit and is still audited; the holder's copy is checked at every
 * reveal, so a removed key holder is refused even inside the window.
 * When a window ends, the key's private parameters are zeroed (openpgp.js
 * clearPrivateParams) as soon as no reveal is using them.
 *
 * Windows live in a WeakMap keyed by the app's Deps: no module-level state
 * shared between apps or tests, and nothing survives the app.
 */
export const UNLOCK_WINDOW_MS = 5 * 60_000;

interface Window {
  userId: string;
  key: openpgp.PrivateKey;
  expiresAt: number;
  inUse: number;
  closed: boolean;
}

const tables = new WeakMap<object, Map<string, Window>>();

function table(owner: object): Map<string, Window> {
  let t = tables.get(owner);
  if (!t) tables.set(owner, (t = new Map()));
  return t;
}

/** Zeroes an unlocked key's private parameters (runtime method of openpgp.js keys, not in its typings). */
export function forgetKey(key: openpgp.PrivateKey): void {
  (key as unknown as { clearPrivateParams?: () => void }).clearPrivateParams?.();
}

function end(t: Map<string, Window>, sessionId: string, w: Window): void {
  w.closed = true;
  if (t.get(sessionId) === w) t.delete(sessionId);
  if (w.inUse === 0) forgetKey(w.key);
}

function sweep(t: Map<string, Window>, now: number): void {
  for (const [sid, w] of t) if (w.expiresAt <= now) end(t, sid, w);
}

export interface WindowHolder {
  userId: string;
  sessionId?: string;
}

/** Keeps `key` open for this session for UNLOCK_WINDOW_MS from `now` (replacing an older window). */
export function openWindow(owner: object, who: WindowHolder, key: openpgp.PrivateKey, now: Date): Date | null {
  if (!who.sessionId) return null;
  const t = table(owner);
  sweep(t, now.getTime());
  const old = t.get(who.sessionId);
  if (old && old.key !== key) end(t, who.sessionId, old);
  const expiresAt = now.getTime() + UNLOCK_WINDOW_MS;
  t.set(who.sessionId, { userId: who.userId, key, expiresAt, inUse: 0, closed: false });
  return new Date(expiresAt);
}

export interface Borrowed {
  key: openpgp.PrivateKey;
  /** Call when the operation is done: lets a window that ended meanwhile zero the key. */
  release(): void;
}

/** The key of this session's open window, borrowed for one operation; null if none or expired. */
export function borrowWindowKey(owner: object, who: WindowHolder, now: Date): Borrowed | null {
  if (!who.sessionId) return null;
  const t = table(owner);
  sweep(t, now.getTime());
  const w = t.get(who.sessionId);
  if (!w || w.userId !== who.userId) return null;
  w.inUse += 1;
  let released = false;
  return {
    key: w.key,
    release() {
      if (released) return;
      released = true;
      w.inUse -= 1;
      if (w.closed && w.inUse === 0) forgetKey(w.key);
    },
  };
}

/** When this session's window closes, or null when none is open. */
export function windowExpiry(owner: object, who: WindowHolder, now: Date): Date | null {
  if (!who.sessionId) return null;
  const t = table(owner);
  sweep(t, now.getTime());
  const w = t.get(who.sessionId);
  return w && w.userId === who.userId ? new Date(w.expiresAt) : null;
}

/** Locks the key now ("鍵を閉じる"). */
export function closeWindow(owner: object, who: WindowHolder): boolean {
  if (!who.sessionId) return false;
  const t = table(owner);
  const w = t.get(who.sessionId);
  if (!w || w.userId !== who.userId) return false;
  end(t, who.sessionId, w);
  return true;
}

/** Closes every window of a person (e.g. their key copy was removed). */
export function closeWindowsOf(owner: object, userId: string): void {
  const t = table(owner);
  for (const [sid, w] of t) if (w.userId === userId) end(t, sid, w);
}
