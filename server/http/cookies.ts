import type { CookieOptions } from 'express';

/**
 * Cookie names and flags in one place. Behind TLS the `__Host-` prefix pins the
 * cookie to this exact host and path `/` with Secure, so a sibling subdomain
 * cannot plant or read it. HttpOnly keeps scripts away from the session id;
 * SameSite=Lax stops cross-site POSTs from carrying it (CSRF tokens do the rest).
 */
export function cookieNames(tls: boolean) {
  const p = tls ? '__Host-' : '';
  return { session: `${p}kinko_sid`, pre: `${p}kinko_pre`, csrf: `${p}kinko_csrf` };
}

export function cookieOptions(tls: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: tls, path: '/' };
}
