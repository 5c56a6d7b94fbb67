import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { formatMiB } from '../../server/lib/bytes.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { clientInRoom, installOfficeKey, type RoomClient } from '../drops/helpers.js';

/**
 * The room page's drop panel as HTML (no browser): what works without
 * JavaScript, how the script and OpenPGP.js are served, and the browser-side
 * type check on its own. The browser flows are in drop-room.test.ts.
 */
describe('room page: the drop panel as served', () => {
  let t: TestApp;
  let c: RoomClient;
  beforeAll(async () => {
    t = await makeTestApp();
    await installOfficeKey(t.deps);
    c = await clientInRoom(t, '<b>ほし</b>商事株式会社');
  });
  afterAll(async () => {
    await t.close();
  });

  it('is a plain multipart form with the CSRF token in the action, several files, the limits and types stated, and no inline script', async () => {
    const res = await c.agent.get(c.base);
    expect(res.status).toBe(200);
    const html = res.text;
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    expect(html).toContain(`<form class="drop-form" method="post" enctype="multipart/form-data" action="${c.base}/drops?_csrf=${encodeURIComponent(csrf)}">`);
    expect(html).toMatch(/<input id="drop-files" type="file" name="files" multiple accept="\.xlsx,\.xls,\.csv,\.pdf" required>/);
    expect(html).toContain(`1ファイル ${formatMiB(limits.upload.maxFileBytes)} まで。一度に ${limits.upload.maxFilesPerRequest} ファイルまで選べます。`);
    expect(html).toContain('Excel（.xlsx / .xls）、CSV（.csv）、PDF（.pdf）');
    expect(html).toContain(`data-max-bytes="${limits.upload.maxFileBytes}"`);
    expect(html).toContain('<script type="module" src="/static/js/room-upload.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/static/css/room.css">');
    // Every <script> has a src: nothing inline for the CSP to block, nothing injected.
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="\/static\//);
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toMatch(/\son[a-z]+="/);
    // Texts for the script are attributes, escaped like everything else; the company name is escaped.
    expect(html).toMatch(/data-t-refused-content="「\{\{name\}\}」は中身がファイル名の拡張子（\.\{\{ext\}\}）と合いません/);
    expect(html).toContain(`data-t-refused-too-big="「{{name}}」は大きすぎます。1ファイル ${formatMiB(limits.upload.maxFileBytes)} までです。`);
    expect(html).toContain('&lt;b&gt;ほし&lt;/b&gt;商事株式会社');
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(res.headers['cache-control']).toContain('no-store');
  });

  it('in English when the visitor chose English', async () => {
    const res = await c.agent.get(`${c.base}?lang=en`);
    expect(res.text).toContain('Send files to the office');
    expect(res.text).toContain(`Size: up to ${formatMiB(limits.upload.maxFileBytes)} per file. Up to ${limits.upload.maxFilesPerRequest} files at a time.`);
    expect(res.text).toContain('data-t-retry="Send again"');
    await c.agent.get(`${c.base}?lang=ja`);
  });

  it('serves OpenPGP.js from node_modules as JavaScript with a long cache, without a session', async () => {
    const res = await request(t.app).get('/static/vendor/openpgp.min.mjs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe(`public, max-age=${30 * 24 * 60 * 60}`);
    expect(res.headers.etag).toBeTruthy();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const body = res.text;
    expect(body).toContain('OpenPGP.js');
    expect(body).toMatch(/export\s*\{/);
    const again = await request(t.app).get('/static/vendor/openpgp.min.mjs').set('If-None-Match', res.headers.etag!);
    expect(again.status).toBe(304);
    // Only that one file: nothing else of node_modules is reachable.
    for (const p of ['/static/vendor/openpgp.mjs', '/static/vendor/../package.json', '/static/vendor/openpgp.min.mjs.map']) {
      expect((await request(t.app).get(p)).status).toBe(404);
    }
  });

  it('serves the page scripts as JavaScript', async () => {
    for (const f of ['room-upload.js', 'upload-check.js', 'upload-encrypt.js', 'upload-send.js', 'upload-texts.js', 'upload-views.js']) {
      const res = await request(t.app).get(`/static/js/${f}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    }
  });
});

describe('browser-side type check (static/js/upload-check.js)', () => {
  type Check = (name: string, size: number, head: Uint8Array, maxBytes: number) => { reason: string; ext: string } | null;
  let checkHead: Check;
  beforeAll(async () => {
    const url = pathToFileURL(path.resolve('static/js/upload-check.js')).href;
    ({ checkHead } = (await import(url)) as { checkHead: Check });
  });
  const max = limits.upload.maxFileBytes;
  const bytes = (...b: number[]) => new Uint8Array([...b, ...new Array(32).fill(0x41)]);
  const text = (s: string) => new Uint8Array(Buffer.from(s));

  it.each([
    ['給与.xlsx', bytes(0x50, 0x4b, 0x03, 0x04)],
    ['名簿.XLSX', bytes(0x50, 0x4b, 0x03, 0x04)],
    ['old.xls', bytes(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)],
    ['一覧.pdf', text('%PDF-1.7\n')],
    ['roster.csv', text('社員番号,氏名\r\nE00001,山田 太郎\r\n')],
    ['sjis.csv', new Uint8Array(Buffer.from('8eD088f594d48d86', 'hex'))],
  ])('accepts %s', (name, head) => {
    expect(checkHead(name, head.length, head, max)).toBeNull();
  });

  it.each([
    ['program renamed .xlsx', '給与一覧.xlsx', bytes(0x4d, 0x5a, 0x90, 0x00), 'content'],
    ['zip named .xls', 'a.xls', bytes(0x50, 0x4b, 0x03, 0x04), 'content'],
    ['image named .pdf', 'a.pdf', bytes(0x89, 0x50, 0x4e, 0x47), 'content'],
    ['binary named .csv', 'a.csv', new Uint8Array([0x41, 0x00, 0x42]), 'content'],
    ['UTF-16 text named .csv', 'a.csv', new Uint8Array(Buffer.from('\ufeffID', 'utf16le')), 'content'],
    ['an .exe', 'setup.exe', bytes(0x4d, 0x5a), 'type'],
    ['no extension', 'README', text('hello'), 'type'],
    ['a dot file', '.xlsx', bytes(0x50, 0x4b, 0x03, 0x04), 'type'],
    ['a .docx', 'a.docx', bytes(0x50, 0x4b, 0x03, 0x04), 'type'],
  ])('refuses %s', (_what, name, head, reason) => {
    expect(checkHead(name, head.length, head, max)?.reason).toBe(reason);
  });

  it('refuses an empty file and one over the limit before reading it', () => {
    expect(checkHead('a.csv', 0, new Uint8Array(0), max)?.reason).toBe('empty');
    expect(checkHead('a.xlsx', max + 1, new Uint8Array(0), max)?.reason).toBe('tooBig');
    expect(checkHead('a.xlsx', max, bytes(0x50, 0x4b, 0x03, 0x04), max)).toBeNull();
  });
});
