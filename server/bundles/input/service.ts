import { requestActing } from '../../audit/acting.js';
import { record } from '../../audit/record.js';
import { auditContext } from '../../audit/service.js';
import type { Deps } from '../../deps.js';
import { findDrop, looksLikeDropId } from '../../drops/service.js';
import { BadRequest, NotFound } from '../../http/errors.js';
import type { Actor } from '../../http/policies.js';
import { decryptDrop } from '../../ingest/decrypt.js';
import { keyHolderStatus, unlockOfficeKey } from '../../keys/office-key.js';
import { NotKeyHolder } from '../../keys/errors.js';
import { checkMyNumberCell } from '../../mynumber/cell.js';
import { ingestCohort, openVaultSession } from '../../vault/index.js';
import { knownNenbun } from '../layout/layouts.js';
import { carriedNumberCells } from '../read/carried-numbers.js';
import { decodeLines, splitRecord } from '../read/decode.js';
import { looksLikeSpreadsheet } from '../read/template-file.js';
import { readTemplateCsv } from '../read/template-reader.js';
import { readUnifiedCsv } from '../read/unified-reader.js';
import { problem } from '../problems.js';
import type { PayRow } from '../rows.js';
import { sameName } from './match.js';
import { closeInput, keepOpen, openInput, OPEN_INPUT_TTL_MS, type OpenInput } from './open-inputs.js';
import { previewFacts } from './preview.js';
import * as repo from './repo.js';

/**
 * The year-end input as its users live it (issue 15 §1): the client marks a
 * drop as 年末調整データ for a 年分; a key holder opens it with their key
 * passphrase (as for ingest); kinko reads it in memory, keeps the typed rows
 * (no numbers) for the preview, and turns any number the file carried into
 * its blind index at once, to be compared with the vault — the number itself
 * is dropped with the decrypted bytes.
 */
export async function markYearEnd(deps: Deps, client: Actor, companyId: string, dropId: string, nenbun: number, meta: { requestId?: string } = {}): Promise<void> {
  const drop = await findDrop(deps, companyId, dropId);
  if (!knownNenbun().includes(nenbun)) throw new BadRequest('bundles.input.errors.unknownNenbun');
  if (drop.state !== 'received') throw new BadRequest('bundles.input.errors.notReceived');
  const acting = requestActing(auditContext(deps), { ...client, companyId, requestId: meta.requestId ?? null });
  await deps.db.transaction().execute(async (trx) => {
    await repo.markDrop(trx, { dropId: drop.id, companyId, nenbun, markedBy: client.userId, markedAt: deps.clock.now().toISOString() });
    await record(trx, acting, { action: 'bundles.input.mark', companyId, targetIds: [drop.id], result: 'ok', details: { nenbun } });
  });
}

/** A drop of the client's own room and its mark (null: not marked). Another company's drop is a 404 (P7). */
export async function roomYearEnd(deps: Deps, companyId: string, dropId: string) {
  const drop = await findDrop(deps, companyId, dropId);
  const mark = await repo.findMark(deps.db, drop.id);
  return { drop, mark: mark && mark.companyId === companyId ? mark : null };
}

/** The mark of a drop, for the office; an unmarked or unknown drop is a 404. */
export async function yearEndMark(deps: Deps, dropId: string): Promise<repo.YearEndMark> {
  const mark = looksLikeDropId(dropId) ? await repo.findMark(deps.db, dropId) : null;
  if (!mark) throw new NotFound();
  return mark;
}

const CARRIED_SUBJECT: ReadonlyMap<number, string> = new Map([
  [95, 'self'],
  [99, 'spouse'],
  ...[103, 107, 111, 115].map((c, i) => [c, `dependents.${i}`] as [number, string]),
  ...[119, 123, 127, 131].map((c, i) => [c, `under16.${i}`] as [number, string]),
]);

export async function openYearEnd(deps: Deps, actor: Actor, dropId: string, passphrase: string, meta: { requestId?: string } = {}): Promise<OpenInput> {
  const mark = await yearEndMark(deps, dropId);
  const drop = await findDrop(deps, mark.companyId, dropId);
  if (drop.state !== 'received') throw new BadRequest('bundles.input.errors.notReceived');
  if (!(await keyHolderStatus(deps.db, actor.userId)).holder) throw new NotKeyHolder();
  let officeKey = await unlockOfficeKey(deps, actor.userId, passphrase, { form: 'other', requestId: meta.requestId ?? null });
  const plain = await decryptDrop(await deps.storage.drops.get(drop.storedKey), officeKey, deps.config.limits.upload.maxFileBytes, drop.size);
  try {
    const bytes = new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    if (looksLikeSpreadsheet(bytes)) throw new BadRequest('bundles.input.errors.spreadsheet');
    const format = isTemplate(bytes) ? 'template' : 'unified';
    const company = await deps.db.selectFrom('companies').select('name').where('id', '=', mark.companyId).executeTakeFirstOrThrow();
    const payer = await deps.db.selectFrom('company_bundle_settings').select(['payer_address', 'contact_phone']).where('company_id', '=', mark.companyId).executeTakeFirst();
    const read = format === 'template'
      ? readTemplateCsv(bytes, mark.nenbun, { name: company.name, address: payer?.payer_address ?? '', phone: payer?.contact_phone ?? '' })
      : { ...readUnifiedCsv(bytes, mark.nenbun), flags: new Map() };
    const cells = format === 'unified' ? carriedNumberCells(bytes, mark.nenbun) : new Map<number, Map<number, string>>();
    const carried = new Map<number, Map<string, string>>();
    const problems = [...read.problems];
    if (cells.size > 0) {
      // Only the blind index leaves this block; the session (its index key) is closed before the bytes are wiped.
      const session = await openVaultSession(deps, { companyId: mark.companyId, officeKey, cohort: ingestCohort(deps.clock.now()) });
      try {
        for (const [line, byCol] of cells) {
          const out = new Map<string, string>();
          for (const [col, text] of byCol) {
            const subject = CARRIED_SUBJECT.get(col);
            if (!subject) {
              problems.push(problem('input.carriedListUnchecked', 'review', { line, col }, { line, col }));
              continue;
            }
            const cell = checkMyNumberCell(text);
            out.set(subject, cell.ok ? session.indexOf(cell.number) : 'invalid');
          }
          carried.set(line, out);
        }
      } finally {
        session.close();
      }
    }
    const open: OpenInput = {
      dropId, companyId: mark.companyId, nenbun: mark.nenbun, format, openedBy: actor.userId,
      expiresAt: deps.clock.now().getTime() + OPEN_INPUT_TTL_MS,
      rows: read.rows, flags: read.flags, readProblems: problems, carried,
    };
    // Opening decrypts pay data (names, amounts): the trail says who read which drop, and how many rows.
    const acting = requestActing(auditContext(deps), { ...actor, requestId: meta.requestId ?? null });
    await record(deps.db, acting, {
      action: 'bundles.input.open', companyId: mark.companyId, targetIds: [dropId], result: 'ok',
      details: { nenbun: mark.nenbun, format, rows: read.rows.length, carriedNumbers: [...carried.values()].reduce((n, m) => n + m.size, 0) },
    });
    closeInput(deps, dropId);
    keepOpen(deps, open);
    deps.logger.info({ dropId, rows: read.rows.length, problems: problems.length, format, requestId: meta.requestId }, 'year-end input opened');
    return open;
  } finally {
    plain.fill(0);
    officeKey = undefined as never;
  }
}

/** kinko's template has a header row a person can read (氏名 and 支払金額 among its cells); the 統一CSV has none. */
function isTemplate(bytes: Uint8Array): boolean {
  const eol = bytes.indexOf(0x0a);
  const d = decodeLines(eol < 0 ? bytes : bytes.subarray(0, eol), { allowUtf8: true });
  if (!d.ok) return false;
  const head = splitRecord(d.lines[0] ?? '').map((h) => h.normalize('NFKC').trim());
  return head.includes('氏名') && head.includes('支払金額');
}

/** The preview page's facts: the mark, and — while the drop is open in this process — the rows matched and routed. */
export async function yearEndPage(deps: Deps, dropId: string) {
  const mark = await yearEndMark(deps, dropId);
  const drop = await findDrop(deps, mark.companyId, dropId);
  const open = openInput(deps, dropId);
  if (!open) return { mark, drop, open: undefined };
  const held = await repo.companyPersons(deps.db, mark.companyId);
  const resolutions = await repo.listResolutions(deps.db, dropId);
  const codes = [...new Set(open.rows.map((r) => r.employeeCode).filter(Boolean))];
  const elsewhere = await repo.codesHeldElsewhere(deps.db, mark.companyId, codes);
  const heldElsewhere = (row: PayRow) => elsewhere.some((e) => e.code === row.employeeCode && sameName(e.name, row.name));
  return { mark, drop, open, held, facts: previewFacts(open, held, resolutions, heldElsewhere) };
}

export interface ResolveInput {
  line: number;
  subject: string;
  action: 'link' | 'not-provided';
  personId: string;
  note: string;
}

const SUBJECT = /^(self|spouse|dependents\.\d{1,2}|under16\.\d{1,2})$/;
/** A note is about why a number is missing; twelve digits in it would be a number in the database (P3). */
const DIGIT_RUN = /[0-9０-９](?:[\s\-－ー‐]*[0-9０-９]){11}/;
export const NOTE_MAX = 500;

export async function resolveSubject(deps: Deps, actor: Actor, dropId: string, r: ResolveInput, meta: { requestId?: string } = {}): Promise<void> {
  const mark = await yearEndMark(deps, dropId);
  const open = openInput(deps, dropId);
  if (!open) throw new BadRequest('bundles.input.errors.notOpen');
  const row = open.rows.find((x) => x.line === r.line);
  if (!row || !SUBJECT.test(r.subject) || !subjectExists(row, r.subject)) throw new BadRequest('bundles.input.errors.noSuchSubject');
  let personId: string | null = null;
  let note: string | null = null;
  if (r.action === 'link') {
    const held = await repo.companyPersons(deps.db, mark.companyId);
    if (!held.some((p) => p.id === r.personId)) throw new BadRequest('bundles.input.errors.noSuchPerson');
    personId = r.personId;
  } else {
    note = r.note.trim();
    if (note === '') throw new BadRequest('bundles.input.errors.noteRequired');
    if (note.length > NOTE_MAX) throw new BadRequest('bundles.input.errors.noteTooLong');
    if (DIGIT_RUN.test(note)) throw new BadRequest('bundles.input.errors.noteDigits');
  }
  const acting = requestActing(auditContext(deps), { ...actor, requestId: meta.requestId ?? null });
  await deps.db.transaction().execute(async (trx) => {
    await repo.saveResolution(trx, { dropId, line: r.line, subject: r.subject, action: r.action, personId, note, decidedBy: actor.userId, decidedAt: deps.clock.now().toISOString() });
    await record(trx, acting, {
      action: 'bundles.input.resolve', companyId: mark.companyId, targetIds: personId ? [dropId, personId] : [dropId], result: 'ok',
      details: { line: r.line, subject: r.subject, resolution: r.action },
    });
  });
}

function subjectExists(row: PayRow, subject: string): boolean {
  if (subject === 'self') return true;
  if (subject === 'spouse') return row.spouse !== undefined;
  const [group, i] = subject.split('.') as ['dependents' | 'under16', string];
  return Number(i) < row[group].length;
}
