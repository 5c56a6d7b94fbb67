import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import type { Kysely } from 'kysely';
import * as openpgp from 'openpgp';
import type { Database } from '../../server/db/schema.js';
import type { Deps } from '../../server/deps.js';
import { insertDrops } from '../../server/drops/repo.js';
import { changeHolderPassphrase, createHolderCopy, readOfficePublicKey } from '../../server/keys/office-key.js';
import { randomId } from '../../server/lib/random.js';
import { makeCompany, makeUser, type MadeUser } from './actors.js';
import { variants } from './mynumber.js';
import { DIRECTOR, setUpOffice } from '../setup/setup-helpers.js';

/**
 * Arrangements for the ingest-flow suites: an office with two key holders
 * and one plain staff member, a client company, and drops put straight into
 * storage + database the way the drop room leaves them (ciphertext to the
 * office key, row in state `received`).
 */
export const STAFF_PASSPHRASE = 'sato-no-kagi-no-passphrase';

export interface Office {
  director: MadeUser;
  holder: MadeUser;
  plain: MadeUser;
  company: { id: string; accessKey: string; name: string };
  client: MadeUser;
}

export async function arrangeOffice(deps: Deps): Promise<Office> {
  const { directorId } = await setUpOffice(deps);
  const director = { id: directorId, loginId: DIRECTOR.loginId, password: DIRECTOR.password, totpSecret: '', role: 'director' as const };
  const holder = await makeUser(deps, { role: 'staff', name: '佐藤 一郎' });
  const { oneTimePassphrase } = await createHolderCopy(deps, { byUserId: directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: holder.id, now: deps.clock.now() });
  await changeHolderPassphrase(deps, { userId: holder.id, oldPassphrase: oneTimePassphrase, newPassphrase: STAFF_PASSPHRASE, now: deps.clock.now() });
  const plain = await makeUser(deps, { role: 'staff', name: '鈴木 花子' });
  const company = await makeCompany(deps, '株式会社テスト商事');
  const client = await makeUser(deps, { role: 'client', companyId: company.id });
  return { director, holder, plain, company, client };
}

export interface Person {
  code: string;
  name: string;
  kana: string;
  number: string;
  spouse?: { name: string; number: string };
}

/** A roster as a client's Excel would save it: header, one employee per row, spouse columns. */
export function rosterCsv(people: Person[], encoding: 'utf-8' | 'shift_jis' = 'utf-8', opts: { numberHeader?: string } = {}): Buffer {
  const lines = [['社員番号', '氏名', 'フリガナ', opts.numberHeader ?? '個人番号', '配偶者氏名', '配偶者の個人番号', '入社日'].join(',')];
  people.forEach((p, i) => {
    // Written as people type them: some with hyphens, some plain.
    const n = i % 2 ? variants(p.number)[1]! : p.number;
    lines.push([p.code, p.name, p.kana, n, p.spouse?.name ?? '', p.spouse?.number ?? '', '2020/04/01'].join(','));
  });
  const text = lines.join('\r\n') + '\r\n';
  return encoding === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'Shift_JIS');
}

export async function encryptToOffice(db: Kysely<Database>, plain: Buffer): Promise<Buffer> {
  const pub = await readOfficePublicKey(db);
  if (!pub) throw new Error('no office key');
  const msg = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: new Uint8Array(plain) }),
    encryptionKeys: pub,
    format: 'binary',
    config: { aeadProtect: false },
  });
  return Buffer.from(msg as Uint8Array);
}

export interface ArrangedDrop {
  id: string;
  storedKey: string;
  sha256: string;
  size: number;
}

/** A drop as the room leaves it: ciphertext in the drops location, a `received` row. */
export async function arrangeDrop(deps: Pick<Deps, 'db' | 'storage' | 'clock'>, office: Pick<Office, 'company' | 'client'>, cipher: Buffer, fileName = '社員名簿.csv'): Promise<ArrangedDrop> {
  const storedKey = `d${randomId(18)}`;
  await deps.storage.drops.put(storedKey, Readable.from([cipher]));
  const { createHash } = await import('node:crypto');
  const drop = {
    id: randomId(16),
    companyId: office.company.id,
    uploadedBy: office.client.id,
    fileName,
    storedKey,
    size: cipher.length,
    sha256: createHash('sha256').update(cipher).digest('hex'),
    kind: 'client-encrypted' as const,
    state: 'received',
    createdAt: deps.clock.now().toISOString(),
  };
  await insertDrops(deps.db, [drop]);
  return { id: drop.id, storedKey, sha256: drop.sha256, size: drop.size };
}

/** Every vault object key. */
export async function vaultKeys(deps: Pick<Deps, 'storage'>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of deps.storage.vault.list()) out.push(o.key);
  return out.sort();
}

/** Every file under a folder, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...allFiles(full));
    else if (ent.isFile()) out.push(full);
  }
  return out;
}

/** Every written form of the numbers (plain, hyphens, spaces, full-width …), as text and as the UTF-16/latin1 bytes a file could hold. */
export function numberForms(numbers: string[]): string[] {
  return numbers.flatMap((n) => variants(n));
}

/** Files under `dir` whose bytes contain any of the numbers in any written form (UTF-8, UTF-16LE, Shift_JIS). */
export function filesContaining(dir: string, numbers: string[]): string[] {
  const needles = numberForms(numbers).flatMap((f) => [Buffer.from(f, 'utf8'), Buffer.from(f, 'utf16le'), iconv.encode(f, 'Shift_JIS')]);
  return allFiles(dir).filter((file) => {
    const bytes = fs.readFileSync(file);
    return needles.some((nd) => bytes.includes(nd));
  });
}

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ingest');
