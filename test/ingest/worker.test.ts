import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { bigCsv as makeBigCsv, failure, smallCsv } from './worker-inputs.js';
import { parseDropInWorker } from '../../server/ingest/worker/parse-drop.js';

/** The isolation itself: time and memory caps, aborts, streams, and a parse process that always ends. */
const small = smallCsv(11);
const bigCsv = (rows: number) => makeBigCsv(rows, 3);

describe('parseDropInWorker', () => {
  it('parses a file handed over as a stream', async () => {
    const result = await parseDropInWorker(Readable.from([small.subarray(0, 10), small.subarray(10)]));
    expect(result.persons.map((p) => p.name)).toEqual(['山田 太郎']);
  });

  it('leaves the caller\'s bytes untouched (the worker gets its own copy)', async () => {
    const bytes = new Uint8Array(small);
    await parseDropInWorker(bytes);
    expect(Buffer.from(bytes).equals(small)).toBe(true);
  });

  it('a stream over the size limit is refused while it arrives', async () => {
    const e = await failure(parseDropInWorker(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { limits: { maxBytes: 1000 } }));
    expect(e.messageKey).toBe('ingest.errors.tooBig');
  });

  it('over the time budget the worker is terminated and the error says timeout', async () => {
    let exited: number | string | null | undefined;
    const e = await failure(
      parseDropInWorker(bigCsv(50_000), { limits: { parse: { maxMillis: 150 } }, onWorker: (w) => w.once('exit', (c, sig) => (exited = c ?? sig)) }),
    );
    expect(e.messageKey).toBe('ingest.errors.timeout');
    expect(exited).toBeDefined();
  });

  it('a parse that runs out of its memory comes back as too big, not as a crash of the process', async () => {
    // The cap is the parse process's whole resident set (≈ 70 MiB of it is node and the parser, loaded).
    const tight = { limits: { parse: { maxMemoryMiB: 160, maxRows: 10_000_000 } } };
    // The same heap is enough for a small file: it is the big file that runs out.
    expect((await parseDropInWorker(small, tight)).persons).toHaveLength(1);
    const e = await failure(parseDropInWorker(bigCsv(300_000), tight));
    expect(e.messageKey).toBe('ingest.errors.tooBig');
    expect(e.detail).toMatch(/out of memory|over its memory cap/);
  });

  it('aborting ends the worker', async () => {
    const ctl = new AbortController();
    let exited = false;
    const p = parseDropInWorker(bigCsv(50_000), { signal: ctl.signal, onWorker: (w) => w.once('exit', () => (exited = true)) });
    setTimeout(() => ctl.abort(), 50);
    const e = await failure(p);
    expect(e.messageKey).toBe('ingest.errors.aborted');
    expect(exited).toBe(true);
  });

  it('empty input and content without a My Number column have their own messages', async () => {
    expect((await failure(parseDropInWorker(Buffer.alloc(0)))).messageKey).toBe('ingest.errors.empty');
    expect((await failure(parseDropInWorker(Buffer.from('商品,価格\nりんご,100\n')))).messageKey).toBe('ingest.errors.noMyNumberColumn');
  });

  it('errors carry an i18n key with a Japanese and an English message', async () => {
    const { default: ja } = await import('../../server/i18n/locales/ja/ingest.json', { with: { type: 'json' } });
    const { default: en } = await import('../../server/i18n/locales/en/ingest.json', { with: { type: 'json' } });
    const { PARSE_ERROR_CODES } = await import('../../server/ingest/parse/errors.js');
    for (const code of PARSE_ERROR_CODES) {
      expect((ja as { ingest: { errors: Record<string, string> } }).ingest.errors[code]).toMatch(/[ぁ-んァ-ン一-龥]/);
      expect((en as { ingest: { errors: Record<string, string> } }).ingest.errors[code]).toBeTruthy();
    }
  });
});
