import type { Writable } from 'node:stream';
import { CSV_BOM, csvLine } from '../audit/csv.js';
import { jstText } from '../audit/filter.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { turnTaker } from '../lib/turns.js';
import { writeOrWait } from '../lib/write-or-wait.js';
import { redactMyNumbers } from '../log/redact.js';
import * as custody from './custody-repo.js';
import { CATEGORIES, LEDGER_ACTIONS, RECORD_COLUMNS, recordPages, type Category } from './ledger-entries.js';
import { ledgerRegister, REGISTER_COLUMNS, type RegisterRow } from './ledger-register.js';
import * as repo from './ledger-repo.js';
import type { LedgerPeriod } from './ledger-schema.js';

/**
 * The handling ledger of one company (issue 16 §2): the 管理台帳 (what files
 * kinko keeps for it, ledger-register.ts) and the 取扱状況の記録 for a period
 * (ledger-entries.ts), as the page's summary and as one streamed CSV. The
 * record is fixed at the audit head when the ledger is asked for: entries
 * written while a long CSV streams belong to the next one, so its count line
 * and its rows agree.
 */
type T = (key: string, opts?: Record<string, unknown>) => string;

export interface Ledger {
  company: { id: string; name: string };
  period: LedgerPeriod;
  generatedAt: string;
  register: RegisterRow[];
  /** Entries per category and action in the period (all results). */
  summary: Array<{ category: Category; action: string; ok: number; refused: number }>;
  total: number;
  query: repo.EntryQuery;
}

export async function handlingLedger(deps: Deps, companyId: string, period: LedgerPeriod, t: T, lang: string): Promise<Ledger> {
  const company = await custody.company(deps.db, companyId);
  if (!company) throw new NotFound();
  const query: repo.EntryQuery = { companyId, actions: Object.keys(LEDGER_ACTIONS), fromAt: period.fromAt, toAt: period.toAt, upTo: await repo.headSeq(deps.db) };
  const counts = new Map<string, { category: Category; action: string; ok: number; refused: number }>();
  const turn = turnTaker(0);
  for (let after = 0; after < query.upTo; after += repo.COUNT_WINDOW) {
    for (const r of await repo.entryCounts(deps.db, query, after)) {
      const c = counts.get(r.action) ?? { category: LEDGER_ACTIONS[r.action]!, action: r.action, ok: 0, refused: 0 };
      if (r.result === 'ok') c.ok += Number(r.n);
      else c.refused += Number(r.n);
      counts.set(r.action, c);
    }
    await turn();
  }
  const order = (a: { category: Category; action: string }) => CATEGORIES.indexOf(a.category) * 100 + Object.keys(LEDGER_ACTIONS).indexOf(a.action);
  const summary = [...counts.values()].sort((a, b) => order(a) - order(b));
  return {
    company,
    period,
    generatedAt: deps.clock.now().toISOString(),
    register: await ledgerRegister(deps, companyId, t, lang),
    summary,
    total: summary.reduce((a, s) => a + s.ok + s.refused, 0),
    query,
  };
}

/** Every cell passes the redactor too: the audit export's purpose is typed by hand and could hold a number. */
const line = (cells: ReadonlyArray<string | number>) => redactMyNumbers(csvLine(cells));

/**
 * Both parts as one CSV for Excel (BOM, CRLF, formula-safe cells): the
 * 台帳, a blank line, then the 記録 one page at a time, waiting for the
 * client to take each page; a client that goes away stops the reading.
 */
export async function writeLedgerCsv(deps: Deps, out: Writable, ledger: Ledger, t: T, lang: string): Promise<void> {
  let gone = false;
  out.once('close', () => (gone = true));
  const write = (chunk: string) => writeOrWait(out, chunk, () => gone);
  const k = (key: string, opts?: Record<string, unknown>) => t(`oversight.ledger.${key}`, opts);
  const p = ledger.period;
  let head = CSV_BOM + line([k('title'), ledger.company.name, k('period', { from: p.fromDay, to: p.toDay }), k('generated', { at: jstText(ledger.generatedAt) })]);
  head += line([k('noNumbers')]) + '\r\n';
  head += line([k('register.title')]) + line(REGISTER_COLUMNS.map((c) => k(`register.col.${c}`)));
  for (const r of ledger.register) head += line(REGISTER_COLUMNS.map((c) => r[c]));
  head += '\r\n' + line([k('record.title'), k('record.count', { n: ledger.total })]) + line(RECORD_COLUMNS.map((c) => k(`record.col.${c}`)));
  if (!(await write(head))) return;
  const pages = recordPages(deps.db, ledger.query, t, lang);
  for await (const page of pages) {
    let chunk = '';
    for (const r of page) chunk += line(RECORD_COLUMNS.map((c) => r[c]));
    if (!(await write(chunk))) return; // leaving the loop closes the generator
  }
  out.end();
}
