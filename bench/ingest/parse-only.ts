/**
 * The parse alone, in this process (no child, no IPC): the bench roster's
 * .xlsx through parseBytes, timed per run, so its cost can be profiled
 * (`node --cpu-prof --import tsx bench/ingest/parse-only.ts --employees 50000`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { limits } from '../../server/config.js';
import { parseBytes } from '../../server/ingest/parse/parse-bytes.js';
import { csvToXlsx, makeEmployees, rosterCsv } from './workbook.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const employees = arg('employees', 10_000);
const runs = arg('runs', 3);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-parse-only-'));
try {
  const csv = path.join(dir, 'roster.csv');
  fs.writeFileSync(csv, rosterCsv(makeEmployees(employees)));
  const { file } = csvToXlsx(path.join(dir, 'profile'), csv, dir);
  const bytes = fs.readFileSync(file);
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const r = await parseBytes(bytes, limits as never);
    const c = process.cpuUsage(cpu);
    console.log(`run ${i + 1}: ${(performance.now() - t).toFixed(0)} ms (cpu ${((c.user + c.system) / 1000).toFixed(0)} ms), ${r.persons.length} persons, ${r.review.length} review rows`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
