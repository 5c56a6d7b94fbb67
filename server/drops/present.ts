import type { TFunction } from 'i18next';
import type { Deps } from '../deps.js';
import { formatJst } from '../lib/jst.js';
import { formatSize, receiptKey, type SignedReceipt } from './receipts.js';
import type { DropRecord } from './repo.js';
import { signedReceipt } from './service.js';

/**
 * Drops as pages and JSON show them. Pure shaping: the signed receipt is the
 * part a client can verify; everything else (labels, links) is convenience
 * around it and is not signed.
 */
export interface DropView {
  dropId: string;
  fileName: string;
  size: number;
  sizeLabel: string;
  sha256: string;
  receivedAt: string;
  receivedAtLabel: string;
  state: string;
  stateLabel: string;
  kindLabel: string;
  signature: string;
  pageUrl: string;
  jsonUrl: string;
}

export interface Links {
  page(id: string): string;
  json(id: string): string;
}

export function roomLinks(base: string): Links {
  return { page: (id) => `${base}/drops/${id}`, json: (id) => `${base}/drops/${id}/receipt.json` };
}

export const apiLinks: Links = { page: (id) => `/api/v1/drops/${id}/receipt`, json: (id) => `/api/v1/drops/${id}/receipt` };

export function stateLabel(t: TFunction, state: string): string {
  const key = `drops.state.${state}`;
  const label = t(key);
  return label === key ? state : label;
}

export function dropView(deps: Deps, d: DropRecord, t: TFunction, lang: 'ja' | 'en', links: Links): DropView {
  const signed = signedReceipt(deps, d);
  return {
    dropId: d.id,
    fileName: d.fileName,
    size: d.size,
    sizeLabel: formatSize(d.size, lang),
    sha256: d.sha256,
    receivedAt: d.createdAt,
    receivedAtLabel: formatJst(d.createdAt, lang),
    state: d.state,
    stateLabel: stateLabel(t, d.state),
    kindLabel: t(`drops.kind.${d.kind}`),
    signature: signed.signature,
    pageUrl: links.page(d.id),
    jsonUrl: links.json(d.id),
  };
}

/** One element of `{ drops: [...] }`: the signed receipt plus unsigned convenience fields. */
export interface DropJson {
  receipt: SignedReceipt['receipt'];
  signature: string;
  state: string;
  stateLabel: string;
  /** How the stored file was encrypted (in the browser, or by the server on arrival), as recorded. */
  kind: DropRecord['kind'];
  kindLabel: string;
  receivedAtJst: string;
  receiptUrl: string;
}

export function dropJson(deps: Deps, d: DropRecord, t: TFunction, lang: 'ja' | 'en', links: Links): DropJson {
  const signed = signedReceipt(deps, d);
  return {
    receipt: signed.receipt,
    signature: signed.signature,
    state: d.state,
    stateLabel: stateLabel(t, d.state),
    kind: d.kind,
    kindLabel: t(`drops.kind.${d.kind}`),
    receivedAtJst: formatJst(d.createdAt, lang),
    receiptUrl: links.json(d.id),
  };
}

/** The key that signs receipts, for the top of a JSON answer. */
export function signingInfo(deps: Deps) {
  const k = receiptKey(deps.config.secretsDir);
  return { algorithm: 'Ed25519' as const, publicKey: k.publicKeyPem, keyFingerprint: k.fingerprint };
}
