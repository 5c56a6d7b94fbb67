import { actorOf } from '../http/locals.js';
import type { Request, Response } from 'express';
import { formatJst } from '../lib/jst.js';

/** View helpers of the vault pages. */

/** Twelve digits in three groups of four, the grouping printed on the card. */
export function groupNumber(number: string): string {
  return `${number.slice(0, 4)} ${number.slice(4, 8)} ${number.slice(8, 12)}`;
}

export { actorOf };

export function requestIdOf(res: Response): string | null {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : null;
}

/** A named path parameter as one string ('' for anything else; the service answers 404 for it). */
export function param(req: Request, name: string): string {
  const v = (req.params as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
}

export function jstText(res: Response, iso: string | Date | null | undefined): string {
  if (!iso) return '';
  return formatJst(typeof iso === 'string' ? new Date(iso) : iso, (res.locals.lang as string) ?? 'ja');
}

/** Ids kinko makes are base64url; anything else never reaches a redirect. */
export function safeId(v: string): string | null {
  return /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : null;
}
