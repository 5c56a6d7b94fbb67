import type { Writable } from 'node:stream';
import type { ExportStart } from './console.js';
import { writeOrWait } from '../lib/write-or-wait.js';
import { CSV_BOM, csvLine } from './csv.js';
import { presentRow } from './present.js';

type T = (key: string, opts?: Record<string, unknown>) => string;

/**
 * Streams the export one page at a time, waiting for the client to take each
 * page (backpressure): a 100,000-entry trail never sits in memory as a whole,
 * and a client that goes away stops the queries.
 */
export async function writeAuditCsv(out: Writable, exp: ExportStart, t: T): Promise<void> {
  let gone = false;
  out.once('close', () => (gone = true));
  const write = (chunk: string) => writeOrWait(out, chunk, () => gone);
  const header = ['seq', 'at', 'action', 'result', 'actor', 'loginId', 'role', 'company', 'companyId', 'targets', 'purpose', 'details', 'requestId'];
  if (!(await write(CSV_BOM + csvLine(header.map((h) => t(`audit.col.${h}`)))))) {
    await exp.pages.return(undefined);
    return;
  }
  for await (const page of exp.pages) {
    let chunk = '';
    for (const row of page) {
      const p = presentRow(row, t);
      chunk += csvLine([
        p.seq, p.at, p.action, p.resultLabel, p.actorName || p.actorId, p.actorLogin, p.roleLabel,
        p.companyName, p.companyId, p.targetsJson, p.purpose, p.detailsJson, p.requestId,
      ]);
    }
    if (!(await write(chunk))) return; // leaving the loop closes the generator
  }
  out.end();
}
