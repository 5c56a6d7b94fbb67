/**
 * More rounds of the same comparison, so the verdict does not rest on one
 * run each on a noisy machine: each round converts the workbook with
 * LibreOffice once and ingests it once more into kinko (a fresh client
 * company and a fresh drop of the same encrypted file, so every round does
 * the same work: 24,587 new persons), alternating which goes first. Each
 * kinko round starts with the drop page open and the spare parse thread
 * ready, and the preview page's plan runs between its two clicks, untimed,
 * as in the first round.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Deps } from '../../server/deps.js';
import { insertDrops } from '../../server/drops/repo.js';
import type { Actor } from '../../server/http/policies.js';
import { planIngest } from '../../server/ingest/preview.js';
import { ingestRuntime } from '../../server/ingest/runtime.js';
import * as ingestRepo from '../../server/ingest/repo.js';
import { confirmIngest, startIngest } from '../../server/ingest/service.js';
import { expectParse } from '../../server/ingest/worker/parse-drop.js';
import { spareParseWorker } from '../../server/ingest/worker/pool.js';
import { randomId } from '../../server/lib/random.js';
import { xlsxToCsv } from './workbook.js';

export interface Round {
  libreOfficeMs: number;
  kinkoMs: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A new client company with the encrypted workbook as a `received` drop, as the room leaves it. */
export async function arrangeDrop(d: Deps, cipher: Buffer, fileName: string, uploadedBy: string, name: string): Promise<{ companyId: string; dropId: string; storedKey: string }> {
  const companyId = randomId();
  const now = d.clock.now().toISOString();
  await d.db
    .insertInto('companies')
    .values({ id: companyId, name, contact_email: 'bench@example.jp', status: 'active', access_key_hash: randomId(), access_key_sealed: randomId(), created_at: now, updated_at: now })
    .execute();
  const storedKey = `d${randomId(18)}`;
  await d.storage.drops.put(storedKey, Readable.from([cipher]));
  const dropId = randomId(16);
  await insertDrops(d.db, [
    { id: dropId, companyId, uploadedBy, fileName, storedKey, size: cipher.length, sha256: createHash('sha256').update(cipher).digest('hex'), kind: 'client-encrypted', state: 'received', createdAt: now },
  ]);
  return { companyId, dropId, storedKey };
}

/**
 * As a key holder's ingest begins: the drop page is open (expectParse) and,
 * by the time the passphrase is typed, the spare parse thread is ready — as
 * in round 1, where serve()'s startParseWorkers had it ready. Untimed.
 */
async function openDropPage(): Promise<void> {
  expectParse();
  const end = Date.now() + 10_000;
  while (spareParseWorker() !== 'ready' && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

/** One more timed ingest of the same file (start + confirm, the preview plan between them untimed). */
async function ingestOnce(d: Deps, actor: Actor, dropId: string, passphrase: string, expected: number): Promise<number> {
  const none = { exclude: new Set<string>(), repair: new Set<string>() };
  await openDropPage();
  const s0 = performance.now();
  const { jobId } = await startIngest(d, actor, dropId, passphrase);
  const startMs = performance.now() - s0;
  const job = (await ingestRepo.findJob(d.db, jobId))!;
  const entry = ingestRuntime(d).cache.get(jobId, job.attempt)!;
  await planIngest(d.db, entry, none);
  const c0 = performance.now();
  const out = await confirmIngest(d, actor, jobId, { ...none, version: entry.version });
  const confirmMs = performance.now() - c0;
  if (out.counts.personsAdded !== expected || !out.destroyed) throw new Error(`round ingest added ${out.counts.personsAdded} persons (expected ${expected}), destroyed: ${out.destroyed}`);
  return startMs + confirmMs;
}

export async function moreRounds(
  d: Deps,
  o: { rounds: number; actor: Actor; passphrase: string; cipher: Buffer; xlsxFile: string; profile: string; work: string; uploadedBy: string; expected: number },
): Promise<Round[]> {
  const out: Round[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const { dropId } = await arrangeDrop(d, o.cipher, path.basename(o.xlsxFile), o.uploadedBy, `ベンチ第${r + 2}株式会社`);
    const lo = () => xlsxToCsv(o.profile, o.xlsxFile, path.join(o.work, `peer-round-${r + 2}`)).ms;
    let libreOfficeMs: number;
    let kinkoMs: number;
    if (r % 2 === 0) {
      kinkoMs = await ingestOnce(d, o.actor, dropId, o.passphrase, o.expected);
      libreOfficeMs = lo();
    } else {
      libreOfficeMs = lo();
      kinkoMs = await ingestOnce(d, o.actor, dropId, o.passphrase, o.expected);
    }
    out.push({ libreOfficeMs, kinkoMs });
  }
  return out;
}
