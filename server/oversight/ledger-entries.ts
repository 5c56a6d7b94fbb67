import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { jstText } from '../audit/filter.js';
import { turnTaker } from '../lib/turns.js';
import * as repo from './ledger-repo.js';

/**
 * 取扱状況の記録 (issue 16 §2b): the company's acquisitions, ingests, uses,
 * exports, bundles and disposals, read from the audit trail one page at a
 * time (ledger-repo.ts) and put into words. Each row names who, when, for
 * which purpose, how many people — never whose number, never a token (a
 * reveal's entry holds the vault token; it is not copied out), never a
 * number. The audit seq on every row leads back to the tamper-evident entry.
 */
type T = (key: string, opts?: Record<string, unknown>) => string;

export type Category = 'acquire' | 'ingest' | 'use' | 'export' | 'bundle' | 'dispose';

export const LEDGER_ACTIONS: Readonly<Record<string, Category>> = Object.freeze({
  'drop.receive': 'acquire',
  'collect.submitted': 'acquire',
  'ingest.commit': 'ingest',
  'collect.confirmed': 'ingest',
  'vault.reveal': 'use',
  'vault.read.bulk': 'use',
  'vault.reveal.denied': 'use',
  'audit.export': 'export',
  'bundles.download': 'export',
  'bundles.seal': 'bundle',
  'bundles.submitted': 'bundle',
  'drop.destroy': 'dispose',
  'collect.disposed': 'dispose',
  'bundles.dispose': 'dispose',
  'retention.disposal': 'dispose',
  'vault.cohort.erase': 'dispose',
});

export const CATEGORIES: readonly Category[] = ['acquire', 'ingest', 'use', 'export', 'bundle', 'dispose'];

export const RECORD_COLUMNS = ['seq', 'at', 'category', 'action', 'result', 'actor', 'role', 'purpose', 'persons', 'subject', 'content', 'disposal'] as const;
export type RecordRow = Record<(typeof RECORD_COLUMNS)[number], string | number>;

type Details = Record<string, unknown>;
const num = (v: unknown): number | '' => (typeof v === 'number' && Number.isFinite(v) ? v : '');
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function parse(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/** What one page needs looked up besides the trail: names, disposal records, certificates, bundle sizes. */
interface Lookups {
  names: Map<string, string>;
  disposals: Map<string, { id: string; method: string; verifiedAt: string }>;
  certificates: Map<string, string[]>;
  bundlePersons: Map<string, number>;
}

interface Parsed {
  row: repo.EntryRow;
  targets: string[];
  details: Details;
}

/** The object an entry is about: a drop, a submission, a bundle, a batch, a cohort; '' for people (counted, not named). */
function subjectOf(p: Parsed): string {
  const { action } = p.row;
  const d = p.details;
  if (action === 'drop.receive') return p.targets.join(' ');
  if (action === 'ingest.commit' || action === 'drop.destroy') return p.targets[0] ?? '';
  if (action.startsWith('collect.')) return p.targets[1] ?? '';
  if (action.startsWith('bundles.')) return str(d.bundleId) || (action === 'bundles.seal' ? '' : (p.targets[0] ?? ''));
  if (action === 'retention.disposal') return str(d.batch) || (p.targets[0] ?? '');
  if (action === 'vault.cohort.erase') return str(d.cohort);
  return '';
}

function personsOf(p: Parsed, l: Lookups): number | '' {
  const d = p.details;
  switch (p.row.action) {
    case 'vault.reveal':
    case 'vault.reveal.denied':
      return p.targets.length;
    case 'vault.read.bulk':
      return num(d.count) === '' ? p.targets.length : num(d.count);
    case 'ingest.commit':
      return num(d.personsAdded);
    case 'collect.confirmed':
      return num(d.added);
    case 'bundles.seal':
      return num(d.persons) === '' ? p.targets.length : num(d.persons);
    case 'retention.disposal':
    case 'vault.cohort.erase':
      return num(d.persons);
    case 'bundles.download':
    case 'bundles.submitted':
    case 'bundles.dispose':
      return l.bundlePersons.get(str(d.bundleId) || (p.targets[0] ?? '')) ?? '';
    default:
      return '';
  }
}

function contentOf(p: Parsed, t: T): string {
  const d = p.details;
  const c = (key: string, opts?: Record<string, unknown>) => t(`oversight.ledger.content.${key}`, opts);
  const destination = () => (str(d.destination) ? t(`bundles.delivery.destinations.${str(d.destination)}`, { code: str(d.municipalityCode), defaultValue: str(d.destination) }) : '');
  switch (p.row.action) {
    case 'drop.receive':
      return c('files', { n: num(d.files) });
    case 'ingest.commit':
      return c('ingest', { added: num(d.personsAdded), duplicates: num(d.duplicates), review: num(d.review), excluded: num(d.excluded) });
    case 'collect.confirmed':
      return c('collect', { added: num(d.added), duplicates: num(d.duplicates) });
    case 'vault.reveal.denied':
      return str(d.reason) ? t(`audit.details.values.reason.${str(d.reason)}`, { defaultValue: str(d.reason) }) : '';
    case 'audit.export':
      return c('auditExport', { rows: num(d.rows) });
    case 'bundles.download':
      return `${destination()}${str(d.via) ? ` / ${c(`via.${str(d.via)}`, { defaultValue: str(d.via) })}` : ''}`;
    case 'bundles.seal':
    case 'bundles.submitted':
    case 'bundles.dispose':
      return destination();
    case 'retention.disposal':
      return c('batch', { method: c(`method.${str(d.method)}`, { defaultValue: str(d.method) }), keys: num(d.dataKeys) });
    case 'vault.cohort.erase':
      return c('erase', { keys: num(d.dataKeys) });
    default:
      return '';
  }
}

function disposalOf(p: Parsed, subject: string, l: Lookups, t: T): string {
  if (LEDGER_ACTIONS[p.row.action] !== 'dispose' || !subject) return '';
  const rec = l.disposals.get(subject);
  const parts: string[] = [];
  if (rec) parts.push(t('oversight.ledger.content.record', { id: rec.id, at: jstText(rec.verifiedAt), method: t(`audit.details.values.method.${rec.method}`, { defaultValue: rec.method }) }));
  const certs = l.certificates.get(subject);
  if (certs?.length) parts.push(t('oversight.ledger.content.certificates', { ids: certs.join(' ') }));
  return parts.join(' / ');
}

async function lookups(db: Kysely<Database>, companyId: string, page: Parsed[], names: Map<string, string>): Promise<Lookups> {
  const missing = [...new Set(page.map((p) => p.row.actor_id).filter((id): id is string => !!id && !names.has(id)))];
  for (const u of await repo.userNames(db, missing)) names.set(u.id, u.display_name);
  const disposed = page.filter((p) => LEDGER_ACTIONS[p.row.action] === 'dispose').map(subjectOf).filter(Boolean);
  const batches = page.filter((p) => p.row.action === 'retention.disposal').map(subjectOf).filter(Boolean);
  const bundleIds = page.filter((p) => p.row.action.startsWith('bundles.') && p.row.action !== 'bundles.seal').map(subjectOf).filter(Boolean);
  const disposals = new Map((await repo.disposalsOf(db, companyId, [...new Set(disposed)])).map((r) => [r.subject_id, { id: r.id, method: r.method, verifiedAt: r.verified_at }]));
  const certificates = new Map<string, string[]>();
  for (const c of await repo.certificatesOf(db, companyId, [...new Set(batches)])) certificates.set(c.batch_id, [...(certificates.get(c.batch_id) ?? []), c.id]);
  const bundlePersons = new Map((await repo.bundlePersonCounts(db, [...new Set(bundleIds)])).map((r) => [r.bundle_id, Number(r.n)]));
  return { names, disposals, certificates, bundlePersons };
}

/**
 * The rows of the record, oldest first: read 1,000 at a time, handed on in
 * slices of SLICE. better-sqlite3 is synchronous and putting 1,000 rows into
 * words is work on the web process's one thread, so the event loop gets a
 * turn between slices and whenever a slice has run for TURN_MS: other
 * requests (an upload, /healthz, whose answer takes several loop turns) are
 * answered while a long history is read.
 */
const SLICE = 200;
const TURN_MS = 2;

export async function* recordPages(db: Kysely<Database>, q: repo.EntryQuery, t: T, lang: string): AsyncGenerator<RecordRow[]> {
  const names = new Map<string, string>();
  const words = memo(t);
  const turn = turnTaker(TURN_MS);
  const between = turnTaker(0);
  let after = 0;
  for (;;) {
    const rows = await repo.entryPage(db, q, after);
    if (rows.length === 0) return;
    const page: Parsed[] = [];
    for (const row of rows) {
      const targets = parse(row.target_ids);
      const details = parse(row.details);
      page.push({ row, targets: Array.isArray(targets) ? targets.map(String) : [], details: details && typeof details === 'object' && !Array.isArray(details) ? (details as Details) : {} });
      await turn();
    }
    const l = await lookups(db, q.companyId, page, names);
    for (let i = 0; i < page.length; i += SLICE) {
      const slice: RecordRow[] = [];
      for (const p of page.slice(i, i + SLICE)) {
        slice.push(present(p, l, words, lang));
        await turn();
      }
      yield slice;
      await between();
    }
    if (rows.length < repo.LEDGER_PAGE) return;
    after = rows[rows.length - 1]!.seq;
  }
}

/**
 * i18next's t() costs microseconds a call, and a row needs about ten: over
 * 100,000 rows that was most of the ledger's time. The same key with the
 * same values gives the same words, so they are looked up once (bounded).
 */
function memo(t: T): T {
  const cache = new Map<string, string>();
  return (key, opts) => {
    const k = opts === undefined ? key : `${key}\u0000${JSON.stringify(opts)}`;
    let v = cache.get(k);
    if (v === undefined) {
      v = t(key, opts);
      if (cache.size >= 10_000) cache.clear();
      cache.set(k, v);
    }
    return v;
  };
}

function present(p: Parsed, l: Lookups, t: T, lang: string): RecordRow {
  const { row } = p;
  const subject = subjectOf(p);
  const purposeKey = str(p.details.purposeKey);
  const role = row.actor_role ?? '';
  return {
    seq: row.seq,
    at: jstText(row.at),
    category: t(`oversight.ledger.category.${LEDGER_ACTIONS[row.action] ?? 'use'}`),
    action: t(`oversight.ledger.actions.${row.action.replace(/\./g, '_')}`, { defaultValue: row.action }),
    result: t(`oversight.ledger.result.${row.result}`, { defaultValue: row.result }),
    actor: (row.actor_id && l.names.get(row.actor_id)) || '',
    role: role ? t(`oversight.ledger.roles.${role}`, { defaultValue: role }) : '',
    // The recorded purpose is Japanese; an English reader gets a reveal's purpose from its key.
    purpose: lang === 'en' && purposeKey ? t(`vault.purposes.${purposeKey}`, { defaultValue: row.purpose ?? '' }) : (row.purpose ?? ''),
    persons: personsOf(p, l),
    subject,
    content: contentOf(p, t),
    disposal: disposalOf(p, subject, l, t),
  };
}
