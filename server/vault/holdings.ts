import type { Db } from './repo.js';

/**
 * What the vault holds, company by company: the entry page of 保管中の個人番号
 * on the office menu (issue 11). Counts and names only; each company links to
 * its list of persons (companyPersons).
 */
export interface CompanyHolding {
  id: string;
  name: string;
  status: string;
  /** Persons whose number is held now. */
  held: number;
}

/** Every company, those holding numbers first (most first), then by name. */
export async function companyHoldings(db: Db): Promise<CompanyHolding[]> {
  const rows = await db
    .selectFrom('companies')
    .leftJoin('persons', (j) => j.onRef('persons.company_id', '=', 'companies.id').on('persons.state', '=', 'held'))
    .select((eb) => ['companies.id', 'companies.name', 'companies.status', eb.fn.count<number>('persons.id').as('held')])
    .groupBy(['companies.id', 'companies.name', 'companies.status'])
    .execute();
  return rows
    .map((r) => ({ ...r, held: Number(r.held) }))
    .sort((a, b) => b.held - a.held || a.name.localeCompare(b.name, 'ja'));
}
