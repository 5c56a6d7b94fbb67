// Loaded with `node --import` into a kinko child process by test/ops/lazy-backends.test.ts:
// registers a resolve hook that appends every module URL the process loads to
// the file named by KINKO_TEST_MODULE_LOG, so a test can see which packages
// were loaded at all (ESM has no require.cache to look into).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import fs from 'node:fs';
const file = process.env.KINKO_TEST_MODULE_LOG;
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (file) fs.appendFileSync(file, r.url + '\\n');
  return r;
}
`)}`,
);
