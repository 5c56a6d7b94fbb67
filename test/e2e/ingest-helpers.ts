import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Page } from 'playwright-core';
import type { Deps } from '../../server/deps.js';
import { changeHolderPassphrase, createHolderCopy } from '../../server/keys/office-key.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { variants } from '../helpers/mynumber.js';
import { DIRECTOR, setUpOffice } from '../setup/setup-helpers.js';
import { type MovableClock, totpAt } from './browser.js';

/**
 * Arrangements for the ingest e2e test: an office whose people can sign in
 * through the real login page (every TOTP secret kept), the shared sample
 * files with their truth, and byte-level searches for what must never be
 * written anywhere.
 */
export const FIXTURES = '/work/shared/fixtures';
export const SAMPLE_FILES = ['sample_roster.csv', 'sample_title_rows.xlsx', 'sample_list.pdf'] as const;
export type SampleFile = (typeof SAMPLE_FILES)[number];

export interface TruthFile {
  persons: Array<{ name: string; number: string }>;
  review: Array<{ name: string; reason: string }>;
}

/** truth.json names its reasons in its own words; kinko's keys for them. */
export const TRUTH_REASON: Record<string, string> = { check_digit: 'check-digit', length: 'wrong-length' };

export function loadTruth(): Record<SampleFile, TruthFile> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'truth.json'), 'utf8')) as Record<SampleFile, TruthFile>;
}

export interface Person extends MadeUser {
  name: string;
}

export interface IngestOffice {
  director: Person & { keyPassphrase: string };
  /** A staff member holding a copy of the office key, with a passphrase of their own. */
  holder: Person & { keyPassphrase: string };
  /** A staff member without a key copy. */
  plain: Person;
  company: { id: string; accessKey: string; name: string };
  client: Person;
}

export const HOLDER_PASSPHRASE = 'kyuryo-no-hi-wa-maitsuki-nijugo-nichi';

export async function arrangeIngestOffice(deps: Deps, companyName: string): Promise<IngestOffice> {
  const { directorId, totpSecret } = await setUpOffice(deps);
  const director = {
    id: directorId,
    loginId: DIRECTOR.loginId,
    password: DIRECTOR.password,
    totpSecret,
    role: 'director' as const,
    name: DIRECTOR.directorName,
    keyPassphrase: DIRECTOR.keyPassphrase,
  };
  const holderName = '佐藤 一郎';
  const holder = await makeUser(deps, { role: 'staff', name: holderName });
  const { oneTimePassphrase } = await createHolderCopy(deps, { byUserId: directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: holder.id, now: deps.clock.now() });
  await changeHolderPassphrase(deps, { userId: holder.id, oldPassphrase: oneTimePassphrase, newPassphrase: HOLDER_PASSPHRASE, now: deps.clock.now() });
  const plainName = '鈴木 花子';
  const plain = await makeUser(deps, { role: 'staff', name: plainName });
  const company = await makeCompany(deps, companyName);
  const clientName = '総務 担当';
  const client = await makeUser(deps, { role: 'client', companyId: company.id, name: clientName });
  return {
    director,
    holder: { ...holder, name: holderName, keyPassphrase: HOLDER_PASSPHRASE },
    plain: { ...plain, name: plainName },
    company,
    client: { ...client, name: clientName },
  };
}

/**
 * Signs in through the login form (office: /office/login, room: the room URL)
 * with password and the TOTP code of a fresh time step — each step's code is
 * good once per account, so the clock moves on first.
 */
export async function signIn(page: Page, clock: MovableClock, loginUrl: string, user: MadeUser, landing: string): Promise<void> {
  await page.goto(loginUrl);
  await page.fill('#loginId', user.loginId);
  await page.fill('#password', user.password);
  clock.nextTotpStep();
  await page.fill('#totp', await totpAt(user.totpSecret, clock.now()));
  await Promise.all([page.waitForURL(landing), page.click('form.login-form button[type=submit]')]);
}

/** Every file under a folder, recursively. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : e.isFile() ? [full] : [];
  });
}

/** A text as the bytes a file could hold it in: UTF-8, UTF-16LE and Shift_JIS. */
export function encodings(text: string): Buffer[] {
  const out: Buffer[] = [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le')];
  const sjis: Buffer = iconv.encode(text, 'Shift_JIS');
  if (!out[0]!.equals(sjis)) out.push(sjis);
  return out;
}

/** Every written form of the numbers (plain, hyphens, spaces, full-width …) in every encoding. */
export function numberNeedles(numbers: readonly string[]): Buffer[] {
  return numbers.flatMap((n) => variants(n)).flatMap(encodings);
}

/**
 * Which needles each file holds, reported by needle label only (a failure
 * must not print a number). `needles`: label → the byte forms to look for.
 */
export function findInFiles(files: readonly string[], needles: ReadonlyMap<string, Buffer[]>): Array<{ file: string; found: string[] }> {
  const hits: Array<{ file: string; found: string[] }> = [];
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const found = [...needles].filter(([, forms]) => forms.some((f) => bytes.includes(f))).map(([label]) => label);
    if (found.length) hits.push({ file, found });
  }
  return hits;
}

/** Digits only: a number as the reveal page groups it (1234 5678 9012) compares equal to the plain one. */
export function digits(text: string): string {
  return text.replace(/[^0-9]/g, '');
}

/**
 * The preview's person list, every page of it (it is paged), read through
 * each page's "next" button: per page its HTML, the table's text and cells.
 */
export async function readPersonPages(page: Page, origin: string): Promise<Array<{ html: string; table: string; cells: string[][] }>> {
  const pages: Array<{ html: string; table: string; cells: string[][] }> = [];
  for (;;) {
    pages.push({
      html: await page.content(),
      table: (await page.locator('table.preview-persons').textContent()) ?? '',
      cells: await page
        .locator('table.preview-persons tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim()))),
    });
    // "Next" is a button of the page's form (it saves the page's ticks on the way).
    const next = page.locator('nav.pager button[data-rel=next]').first();
    if ((await next.count()) === 0) return pages;
    void origin;
    await Promise.all([page.waitForNavigation(), next.click()]);
  }
}
