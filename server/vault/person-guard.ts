import type { Insertable } from 'kysely';
import type { PersonsTable } from '../db/tables/vault.js';
import { containsMyNumber, mayContainMyNumber } from '../log/redact.js';
import { isToken } from './crypto.js';

/**
 * The last check before persons rows reach the database, on every insert
 * path. P3: a text field that holds a valid My Number in any written form
 * (a column mix-up in a source file, a name cell holding the number) fails the
 * whole insert, so the caller's transaction rolls back instead of storing it.
 */

/** Fields a person types or a file supplies: the ones a misread column could fill with a number. */
const TEXT_FIELDS = ['name', 'furigana', 'employee_code', 'relation', 'source_sheet', 'cohort'] as const;

/** Names the field, never the value. */
export class NumberInPersonRow extends Error {
  constructor(readonly field: string) {
    super(`a person row's ${field} looks like a My Number; refusing to store it`);
    this.name = 'NumberInPersonRow';
  }
}

/** The rows checked, employees before their dependents (employee_person_id is a foreign key). */
export function checkedInsertOrder<T extends Insertable<PersonsTable>>(rows: readonly T[]): T[] {
  for (const row of rows) {
    for (const f of TEXT_FIELDS) {
      const v = row[f];
      // The digit count rules out most fields (names, codes) without the regex; the rest get the full check.
      if (typeof v === 'string' && mayContainMyNumber(v) && containsMyNumber(v)) throw new NumberInPersonRow(f);
    }
    if (!isToken(row.token)) throw new TypeError('not a vault token');
    // Four digits or nothing: a longer value here would be (part of) the number itself.
    if (row.number_last4 != null && !/^[0-9]{4}$/.test(row.number_last4)) throw new NumberInPersonRow('number_last4');
  }
  const ids = new Set(rows.map((r) => r.id));
  const dependsOnBatch = (r: T) => !!r.employee_person_id && ids.has(r.employee_person_id);
  return [...rows.filter((r) => !dependsOnBatch(r)), ...rows.filter(dependsOnBatch)];
}
