import { formatJst } from '../lib/jst.js';
import type { BreachScope } from './breach-service.js';

type T = (key: string, opts?: Record<string, unknown>) => string;

/** The 概要 line of the 速報 draft, from the exposure as the director described it. */
export function exposureSummary(scope: BreachScope, t: T, lang: string): string {
  const e = scope.exposure;
  const role = scope.accountRole ? t(`oversight.breach.role.${scope.accountRole}`) : '';
  switch (e.kind) {
    case 'account':
    case 'device':
      return t(`oversight.breach.summary.${e.kind}`, { name: scope.accountName ?? '', role, from: formatJst(e.from, lang), to: formatJst(e.to, lang) });
    case 'company':
      return t('oversight.breach.summary.company', { company: scope.companies.find((c) => c.companyId === e.companyId)?.name ?? scope.companyName ?? '' });
    case 'location':
      return t('oversight.breach.summary.location', { location: e.location });
    case 'backup':
      return t('oversight.breach.summary.backup', { at: formatJst(e.takenAt, lang) });
    case 'bundle':
      return t('oversight.breach.summary.bundle', { id: e.bundleId });
  }
}
