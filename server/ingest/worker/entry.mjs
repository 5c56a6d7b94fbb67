// Entry of a parse process (child-process.ts). It is started with nothing but
// this file; its first message names the parser to load: the in-memory
// bundle (source.ts, a data: URL — nothing written to disk), or null when
// the bundle could not be built, and then tsx compiles the TypeScript here.
// pdf.js is imported from this plain module so that it loads natively.
const importPdfjs = () => import('pdfjs-dist/legacy/build/pdf.mjs');

// The server went away (exit, crash, kill -9): a parse process never outlives it.
process.on('disconnect', () => process.exit(0));

process.once('message', async ({ script, warmUp }) => {
  let worker;
  if (script) worker = await import(script);
  else {
    const { tsImport } = await import('tsx/esm/api');
    worker = await tsImport('./parse-worker.ts', import.meta.url);
  }
  await worker.run({ importPdfjs }, warmUp === true);
});
