import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';

/**
 * The layer rules (.dependency-cruiser.cjs, drawn in docs/architecture.md)
 * are checked by dependency-cruiser itself, on kinko's tree and on a small
 * tree that breaks each rule once — so a rule that silently stopped matching
 * (a renamed folder, a typo in a pattern) fails here too.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const BIN = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const run = promisify(execFile);

interface Violation { rule: { name: string }; from: string; to: string }

async function cruise(cwd: string, targets: string[]): Promise<Violation[]> {
  const args = [BIN, '--config', CONFIG, '--output-type', 'json', ...targets];
  // exit code 1+ means violations; the JSON report is on stdout either way
  const { stdout } = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const report = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function brokenTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-layers-'));
  made.push(dir);
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowJs: true } }),
    'server/config.ts': 'export const x = 1;\n',
    // folders a → b → a, files never in a loop
    'server/a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
    'server/b/two.ts': "import { three } from '../a/three.js';\nexport const two = three;\n",
    'server/a/three.ts': 'export const three = 3;\n',
    // files c/x ↔ c/y
    'server/c/x.ts': "import { y } from './y.js';\nexport const x = () => y;\n",
    'server/c/y.ts': "import { x } from './x.js';\nexport const y = () => x;\n",
    // storage reaching for the server's config
    'storage-adapters/store.ts': "import { x } from '../server/config.js';\nexport const store = x;\n",
    // the parser reaching the web tier through a helper in between
    'server/ingest/parse/reader.ts': "import { m } from '../../mynumber/m.js';\nexport const reader = m;\n",
    'server/mynumber/m.ts': "import { E } from '../http/errors.js';\nexport const m = E;\n",
    'server/http/errors.ts': 'export class E extends Error {}\n',
    // a domain-free helper importing a domain
    'server/lib/helper.ts': "import { u } from '../auth/users.js';\nexport const helper = u;\n",
    'server/auth/users.ts': 'export const u = 1;\n',
    // the 本人交付 path reaching the vault through a helper, and the number-filling writer
    'server/bundles/self-copy.ts': "import { h } from './helper.js';\nimport { f } from './write/fill-numbers.js';\nexport const c = [h, f];\n",
    'server/bundles/helper.ts': "import { open as v } from '../vault/index.js';\nexport const h = v;\n",
    'server/bundles/write/fill-numbers.ts': 'export const f = 1;\n',
    // the 本人交付 PDFs reaching the numbered slips' writer through the slip drawer
    'server/bundles/self-copy-pdf.ts': "import { d } from './slip-pdf/draw-slip.js';\nexport const p = d;\n",
    'server/bundles/slip-pdf/draw-slip.ts': "import { s } from '../write/slips-pdf.js';\nexport const d = s;\n",
    'server/bundles/write/slips-pdf.ts': 'export const s = 1;\n',
    // a domain reaching past the vault's API into its repo; app.ts past it into a key file
    'server/vault/index.ts': "export { open } from './repo.js';\n",
    'server/vault/repo.ts': 'export const open = 1;\n',
    'server/vault/keys.ts': 'export const k = 1;\n',
    'server/vault/routes.ts': 'export const r = 1;\n',
    'server/ingest/commit.ts': "import { open } from '../vault/index.js';\nimport { open as raw } from '../vault/repo.js';\nexport const c = [open, raw];\n",
    'server/app.ts': "import { r } from './vault/routes.js';\nimport { k } from './vault/keys.js';\nexport const app = [r, k];\n",
    // the employee's collection page reaching the submission decoder through a helper
    'server/collect/employee-service.ts': "import { g } from './glue.js';\nexport const e = g;\n",
    'server/collect/glue.ts': "import { decode } from './payload.js';\nexport const g = decode;\n",
    'server/collect/payload.ts': 'export const decode = 1;\n',
    // a browser script importing server code
    'static/js/page.js': "import { x } from '../../server/config.js';\nexport const page = x;\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('the layer rules', () => {
  it("when the checker reads kinko's own tree, it finds no violation", async () => {
    const violations = await cruise(ROOT, ['server', 'storage-adapters', 'views', 'static']);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 120_000);

  it('when a tree breaks each rule once, the checker names every broken rule and where', async () => {
    const violations = await cruise(brokenTree(), ['server', 'storage-adapters', 'static']);
    const found = (rule: string) => violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} → ${v.to}`);
    expect(found('no-file-cycles')).toEqual(expect.arrayContaining(['server/c/x.ts → server/c/y.ts']));
    expect(found('no-folder-cycles').join(' ')).toMatch(/server\/a.*server\/b|server\/b.*server\/a/);
    expect(found('storage-knows-no-server')).toEqual(['storage-adapters/store.ts → server/config.ts']);
    expect(found('worker-code-knows-no-http')).toEqual(['server/ingest/parse/reader.ts → server/http/errors.ts']);
    expect(found('lib-is-domain-free')).toEqual(['server/lib/helper.ts → server/auth/users.ts']);
    expect(found('self-copy-reaches-no-numbers').sort()).toEqual([
      'server/bundles/self-copy-pdf.ts → server/bundles/write/slips-pdf.ts',
      'server/bundles/self-copy.ts → server/bundles/write/fill-numbers.ts',
      'server/bundles/self-copy.ts → server/vault/index.ts',
      'server/bundles/self-copy.ts → server/vault/repo.ts',
    ]);
    expect(found('vault-only-through-its-api')).toEqual(['server/ingest/commit.ts → server/vault/repo.ts']);
    expect(found('vault-routes-only-mounted')).toEqual(['server/app.ts → server/vault/keys.ts']);
    expect(found('browser-code-knows-no-server')).toEqual(['static/js/page.js → server/config.ts']);
    expect(found('collect-employee-side-opens-nothing')).toEqual(['server/collect/employee-service.ts → server/collect/payload.ts']);
  }, 120_000);
});
