import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../helpers/servers.js';

/**
 * kinko installed under a path with a dot-folder (~/.local/…, /srv/.apps/…),
 * as a real process. The project is copied to `<tmp>/.apps/kinko`; its
 * node_modules is a real folder there (each package a link to this checkout's,
 * openpgp copied), so OpenPGP.js's browser build really lies under `.apps`.
 * Before the fix the vendor module answered 403 there (every segment of its
 * absolute path was judged as a dot-file), and the error page then threw,
 * so Express printed the stack trace with the install's paths.
 */
const PROJECT = ['bin', 'server', 'views', 'static', 'storage-adapters', 'package.json', 'tsconfig.json'];

function copyProjectInto(dir: string): void {
  for (const entry of PROJECT) fs.cpSync(path.resolve(entry), path.join(dir, entry), { recursive: true });
  const modules = fs.realpathSync(path.resolve('node_modules'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  for (const name of fs.readdirSync(modules)) {
    const from = path.join(modules, name);
    const to = path.join(dir, 'node_modules', name);
    if (name === 'openpgp') fs.cpSync(from, to, { recursive: true });
    else fs.symlinkSync(from, to);
  }
}

function expectKinkoErrorPage(html: string, installDir: string): void {
  expect(html).toContain('<a class="brand" href="/">金庫 kinko</a>');
  expect(html).toContain('問い合わせ番号');
  expect(html).not.toMatch(/\n\s+at\s/);
  expect(html).not.toContain('ReferenceError');
  expect(html).not.toContain(installDir);
  expect(html).not.toContain('.apps');
  expect(html).not.toContain('node_modules');
}

describe('kinko installed under a dot-folder (a real process)', () => {
  let root: string;
  let install: string;
  let child: ChildProcess;
  let origin: string;
  let output = '';

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-dot-'));
    install = path.join(root, '.apps', 'kinko');
    fs.mkdirSync(install, { recursive: true });
    copyProjectInto(install);
    fs.writeFileSync(path.join(install, 'static', '.hidden'), 'not for the web\n');
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [path.join(install, 'bin', 'kinko.js'), 'serve'], {
      cwd: install,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: root,
        // Development on purpose: kinko's error output must not depend on NODE_ENV.
        NODE_ENV: 'development',
        KINKO_DATA_DIR: path.join(root, 'data'),
        KINKO_PORT: String(port),
        KINKO_HOST: '127.0.0.1',
        KINKO_PUBLIC_URL: origin,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const end = Date.now() + 45_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`kinko ended at start-up:\n${output}`);
      const up = await fetch(`${origin}/healthz`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > end) throw new Error(`kinko did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const ended = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await ended;
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves OpenPGP.js for the room page (200), judged by its own file name only', async () => {
    const res = await fetch(`${origin}/static/vendor/openpgp.min.mjs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toContain('OpenPGP.js');
  });

  it('still refuses a dot-named file with kinko’s own page: no stack, no path', async () => {
    const res = await fetch(`${origin}/static/.hidden`);
    expect([403, 404]).toContain(res.status);
    const html = await res.text();
    expect(html).not.toContain('not for the web');
    expectKinkoErrorPage(html, install);
  });

  it('a failure on the vendor route (file gone) is kinko’s page, even with NODE_ENV=development', async () => {
    fs.rmSync(path.join(install, 'node_modules', 'openpgp', 'dist', 'openpgp.min.mjs'));
    const res = await fetch(`${origin}/static/vendor/openpgp.min.mjs`);
    expect(res.status).toBe(404);
    expectKinkoErrorPage(await res.text(), install);
    const json = await fetch(`${origin}/static/vendor/openpgp.min.mjs`, { headers: { Accept: 'application/json' } });
    expect(json.status).toBe(404);
    const body = (await json.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('notFound');
    expect(body.error.requestId).toMatch(/^[0-9a-f]{16}$/);
  });
});
