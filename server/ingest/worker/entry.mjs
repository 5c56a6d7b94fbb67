// Fallback entry of the parse worker thread, used only when the in-memory
// bundle (source.ts) cannot be built. The parser is TypeScript; a fresh
// worker thread has no loader, so tsx compiles it here (as bin/kinko.js does
// for the server and test/global-setup.mjs for jest). pdf.js is imported from
// this plain module so that it loads natively: through the tsx loader its
// 2 MB worker script takes seconds to pass the transform.
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('./parse-worker.ts', import.meta.url);
await worker.run({ importPdfjs: () => import('pdfjs-dist/legacy/build/pdf.mjs') });
