import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { jstText } from '../audit/filter.js';
import { relationClass, type RelationClass } from './exposure.js';
import * as custody from './custody-repo.js';
import * as repo from './ledger-repo.js';

/**
 * 特定個人情報ファイル管理台帳 (issue 16 §2a): one row per file kinko keeps
 * for a company — the vault, drops and employees' submissions in flight,
 * sealed bundles — with what it is for, who is responsible and who handles
 * it, how long it is kept and why, and where it lies. It is the office's own
 * ledger: staff names appear (the 責任者 and 取扱担当者 are people); the
 * people whose numbers are held appear only as counts. Locations name the
 * folder or bucket and host — never a credential or a URL with a password.
 */
type T = (key: string, opts?: Record<string, unknown>) => string;

export interface RegisterRow {
  file: string;
  purpose: string;
  items: string;
  subjects: string;
  count: number;
  manager: string;
  handlers: string;
  retention: string;
  location: string;
  safeguards: string;
}

export const REGISTER_COLUMNS = ['file', 'purpose', 'items', 'subjects', 'count', 'manager', 'handlers', 'retention', 'location', 'safeguards'] as const;

export async function ledgerRegister(deps: Deps, companyId: string, t: T, lang: string): Promise<RegisterRow[]> {
  const en = lang === 'en';
  const k = (key: string, opts?: Record<string, unknown>) => t(`oversight.ledger.register.${key}`, opts);
  const people = await handlerNames(deps, t);
  const where = locations(deps.config, k);
  const common = { manager: people.manager, handlers: people.handlers };

  const { services, documents, contractEndedOn } = await repo.servicesOf(deps.db, companyId);
  const persons = await custody.personsByRelationAndState(deps.db, companyId);
  const vaultPurpose = services.length ? services.map((s) => (en ? s.name_en : s.name_ja)).join(k('sep')) : k('vault.noServices');
  const retention = documents.map((d) => {
    const years = d.years === null ? k('retention.unknownYears') : k('retention.years', { years: Number(d.years) });
    const from = k(`retention.anchor.${d.anchor}`);
    const flag = Number(d.confirmed) === 1 ? '' : k('retention.unconfirmed');
    return k('retention.document', { name: en ? d.name_en : d.name_ja, years, from, basis: d.basis, flag });
  });
  if (!retention.length) retention.push(k('vault.noServices'));
  if (contractEndedOn) retention.push(k('retention.contractEnded', { on: contractEndedOn }));
  retention.push(k('vault.retentionPerPerson'));

  const drops = await repo.dropsInFlight(deps.db, companyId);
  const submissions = await repo.submissionsInFlight(deps.db, companyId);
  const bundles = await repo.liveBundles(deps.db, companyId);
  const numbered = bundles.find((b) => Number(b.numbered) === 1);
  const selfCopy = bundles.find((b) => Number(b.numbered) === 0);
  const oldest = (at: string | null) => (at ? k('oldest', { at: jstText(at) }) : '');

  return [
    {
      file: k('vault.file'), purpose: vaultPurpose, items: k('vault.items'), subjects: personsText(persons, k), count: sum(persons.filter((p) => p.state !== 'disposed')),
      ...common, retention: retention.join('\n'), location: `${where.vault}\n${where.database}`,
      safeguards: k('vault.safeguards', { keys: await repo.liveDataKeys(deps.db, companyId) }),
    },
    {
      file: k('drops.file'), purpose: k('drops.purpose'), items: k('drops.items'), subjects: `${k('drops.subjects')}${oldest(drops.oldest)}`, count: drops.count,
      ...common, retention: k('drops.retention'), location: where.drops, safeguards: k('drops.safeguards'),
    },
    {
      file: k('submissions.file'), purpose: k('submissions.purpose'), items: k('submissions.items'), subjects: `${k('submissions.subjects')}${oldest(submissions.oldest)}`, count: submissions.count,
      ...common, retention: k('submissions.retention'), location: where.drops, safeguards: k('submissions.safeguards'),
    },
    {
      file: k('bundles.file'), purpose: k('bundles.purpose'), items: k('bundles.items'),
      subjects: k('bundles.subjects', { numbered: Number(numbered?.n ?? 0), selfCopy: Number(selfCopy?.n ?? 0) }),
      count: Number(numbered?.n ?? 0) + Number(selfCopy?.n ?? 0),
      ...common,
      retention: numbered?.first ? `${k('bundles.retention')}\n${k('bundles.expiry', { first: jstText(String(numbered.first)), last: jstText(String(numbered.last)) })}` : k('bundles.retention'),
      location: `${where.bundles}\n${where.database}`, safeguards: k('bundles.safeguards'),
    },
  ];
}

function sum(rows: Array<{ n: number }>): number {
  return rows.reduce((a, r) => a + Number(r.n), 0);
}

/** 「保管中: 本人 2・配偶者 1・扶養親族 1」, one line per state. */
function personsText(rows: Array<{ relation: string; state: string; n: number }>, k: T): string {
  const byState = new Map<string, Map<RelationClass, number>>();
  for (const r of rows) {
    const m = byState.get(String(r.state)) ?? new Map<RelationClass, number>();
    const c = relationClass(r.relation);
    m.set(c, (m.get(c) ?? 0) + Number(r.n));
    byState.set(String(r.state), m);
  }
  if (byState.size === 0) return k('vault.nobody');
  const order: RelationClass[] = ['self', 'spouse', 'dependent'];
  return [...byState.entries()]
    .sort(([a], [b]) => (a === 'held' ? -1 : b === 'held' ? 1 : a.localeCompare(b)))
    .map(([state, m]) => `${k(`state.${state}`, { defaultValue: state })}: ${order.map((c) => `${k(`relation.${c}`)} ${m.get(c) ?? 0}`).join(k('sep'))}`)
    .join('\n');
}

async function handlerNames(deps: Deps, t: T): Promise<{ manager: string; handlers: string }> {
  const users = await repo.handlers(deps.db);
  const sep = t('oversight.ledger.register.sep');
  const role = (r: string) => t(`oversight.ledger.roles.${r}`, { defaultValue: r });
  const manager = users.filter((u) => u.role === 'director').map((u) => u.display_name).join(sep);
  const handlers = users.filter((u) => Number(u.key_holder) === 1).map((u) => `${u.display_name}（${role(u.role)}）`).join(sep);
  return { manager: manager || t('oversight.ledger.register.none'), handlers: handlers || t('oversight.ledger.register.none') };
}

/** Where each location is, from the running configuration: kind and folder or bucket, never a secret. */
function locations(config: Pick<Config, 'storage' | 'database'>, k: T): { vault: string; drops: string; bundles: string; database: string } {
  const s = config.storage;
  const place = (name: 'vault' | 'drops' | 'bundles') => {
    if (s.kind === 'local') return k('location.local', { what: k(`location.${name}`), dir: s[`${name}Dir`] });
    const host = s.endpoint ? hostOf(s.endpoint) : `AWS ${s.region}`;
    return k('location.s3', { what: k(`location.${name}`), bucket: s[`${name}Bucket`], host });
  };
  const d = config.database;
  const database = d.kind === 'sqlite' ? k('location.sqlite', { file: d.file }) : k('location.postgres', { where: postgresWhere(d.url) });
  return { vault: place('vault'), drops: place('drops'), bundles: place('bundles'), database };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}

/** host/database of a PostgreSQL URL — the user name and password are left out. */
function postgresWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return '?';
  }
}
