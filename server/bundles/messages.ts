import type { TFunction } from 'i18next';
import type { Problem } from './problems.js';

/**
 * A problem as the sentence staff read. The `flags` parameter holds flag
 * names (officer,hei); they are shown in the reader's language.
 */
export function describeProblem(t: TFunction, p: Problem, lng: string): string {
  const params: Record<string, string | number> = { ...p.params };
  if (typeof params['flags'] === 'string') {
    params['flags'] = params['flags'].split(',').filter(Boolean).map((f) => t(`bundles.flags.${f}`, { lng })).join('・');
  }
  return t(`bundles.problems.${p.code}`, { ...params, lng });
}
