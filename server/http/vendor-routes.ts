import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import { policy } from './policies.js';

/**
 * /static/vendor/openpgp.min.mjs — OpenPGP.js for the room page, which
 * encrypts every file to the office key before it leaves the browser (and
 * opens a passphrase-sealed year-end bundle there); /static/vendor/fflate.mjs
 * — fflate's browser build, which unpacks that bundle's zip. Served
 * from the installed package (node_modules), never from a CDN and never as a
 * copy in the repository: the file the browser runs is the one `npm install`
 * verified against the lockfile, and upgrading the package upgrades it.
 *
 * Cached for 30 days (not "immutable" for a year): the URL carries no version,
 * and a security fix of openpgp must reach browsers within weeks. The ETag
 * lets a browser revalidate cheaply after that.
 */
const require = createRequire(import.meta.url);
// The package's entry for require is dist/node/openpgp.min.cjs; the browser build sits in dist/.
const OPENPGP_BROWSER_BUILD = path.join(path.dirname(require.resolve('openpgp')), '..', 'openpgp.min.mjs');
// fflate's package exports hide esm/browser.js from require.resolve; its folder is found from the main entry (lib/index.cjs).
const FFLATE_BROWSER_BUILD = path.join(path.dirname(require.resolve('fflate')), '..', 'esm', 'browser.js');
const VENDOR: Record<string, { file: string; note: string }> = {
  'openpgp.min.mjs': { file: OPENPGP_BROWSER_BUILD, note: 'OpenPGP.js (browser build from node_modules) for in-browser encryption and opening' },
  'fflate.mjs': { file: FFLATE_BROWSER_BUILD, note: 'fflate (browser build from node_modules) to unpack a bundle’s zip in the browser' },
};
const MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

export function vendorRoutes(): Router {
  const r = Router();
  for (const [name, v] of Object.entries(VENDOR)) {
  r.get(`/static/vendor/${name}`, policy({ audience: 'public', note: v.note }), (_req, res, next) => {
    // The file is named relative to its own folder (`root`), so `dotfiles`
    // judges only the file's name. Given as one absolute path, every segment
    // is judged and an install under ~/.local/… or /srv/.apps/… is refused
    // (403) — and the room page silently loses in-browser encryption (P1).
    res.sendFile(
      path.basename(v.file),
      {
        root: path.dirname(v.file),
        dotfiles: 'deny',
        etag: true,
        lastModified: true,
        cacheControl: false,
        headers: {
          'Content-Type': 'text/javascript; charset=utf-8',
          'Cache-Control': `public, max-age=${MAX_AGE_SECONDS}`,
        },
      },
      (err) => {
        if (err) next(err);
      },
    );
  });
  }
  return r;
}
