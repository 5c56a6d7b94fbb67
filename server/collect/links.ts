import { randomId, sha256 } from '../lib/random.js';

/**
 * A collection link: 192 random bits in the URL the employee opens
 * (/c/<link>). Only its SHA-256 is kept, so the database alone cannot open
 * anyone's page. The shape check keeps junk away from the database and the
 * throttle (a path that is not a link is not a guess worth counting).
 */
export function newCollectLink(): string {
  return randomId(24);
}

export function collectLinkHash(link: string): string {
  return sha256(`collect:${link}`);
}

export function looksLikeCollectLink(link: unknown): link is string {
  return typeof link === 'string' && /^[A-Za-z0-9_-]{32}$/.test(link);
}

export function collectUrl(publicUrl: string, link: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/c/${link}`;
}
