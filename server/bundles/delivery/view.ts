import type { TFunction } from 'i18next';
import { formatSize } from '../../drops/receipts.js';
import { formatJst } from '../../lib/jst.js';
import type { BundleRow } from './repo.js';
import { downloadName, isLive } from './service.js';

/** A bundle as a list row reads it (room and office alike): what, for whom, how big, its hash, until when. Never a number. */
export interface BundleView {
  id: string;
  nenbun: number;
  destination: string;
  label: string;
  rows: number;
  sizeLabel: string;
  sha256: string;
  sealedTo: 'client-key' | 'passphrase';
  state: string;
  stateLabel: string;
  live: boolean;
  numbered: boolean;
  expiresLabel: string;
  builtLabel: string;
  fileName: string;
}

export function destinationLabel(t: TFunction, b: Pick<BundleRow, 'destination' | 'municipality_code'>, lng: string): string {
  if (b.destination === 'municipal') return t('bundles.delivery.destinations.municipal', { code: b.municipality_code ?? '', lng });
  return t(`bundles.delivery.destinations.${b.destination}`, { lng });
}

export function bundleView(t: TFunction, lng: 'ja' | 'en', b: BundleRow, now: Date): BundleView {
  const live = isLive(b, now);
  const state = live ? 'sealed' : b.state === 'sealed' ? 'expired' : b.state;
  return {
    id: b.id,
    nenbun: b.nenbun,
    destination: b.destination,
    label: destinationLabel(t, b, lng),
    rows: b.rows,
    sizeLabel: formatSize(b.size, lng),
    sha256: b.sha256,
    sealedTo: b.sealed_to,
    state,
    stateLabel: t(`bundles.delivery.states.${state}`, { lng }),
    live,
    numbered: b.numbered === 1,
    expiresLabel: b.expires_at ? formatJst(new Date(b.expires_at), lng) : '—',
    builtLabel: formatJst(new Date(b.created_at), lng),
    fileName: downloadName(b),
  };
}

export function bundleListView(t: TFunction, lng: 'ja' | 'en', rows: readonly BundleRow[], now: Date): BundleView[] {
  return rows.map((b) => bundleView(t, lng, b, now));
}
