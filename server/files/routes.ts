import { Router } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Deps } from '../deps.js';
import { Gone, NotFound } from '../http/errors.js';
import { policy } from '../http/policies.js';
import { StorageNotFoundError, StorageUrlError, contentDisposition, openSignedDownload } from '../../storage-adapters/index.js';

/**
 * Short-lived signed download links of local storage (S3 presigns its own).
 * The signature is the credential, so the route is public; an expired, forged
 * or unknown link answers like any unknown URL. The vault is never served this
 * way: its records leave kinko only through a purpose-bound reveal (P2, P6).
 * An expired link says so (410), so a client who waited knows to click again.
 */
export function fileRoutes(deps: Deps): Router {
  const r = Router();
  // Sealed bundles are OpenPGP messages, handed out only after their download is on record (bundles/delivery).
  const servable = [deps.storage.drops, deps.storage.bundles];
  r.get('/files/:location/*key', policy({ audience: 'public', note: 'signed, expiring download link' }), async (req, res) => {
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    let d;
    try {
      d = await openSignedDownload(servable, req.path, query, deps.clock.now());
    } catch (err) {
      if (err instanceof StorageUrlError && err.message === 'download URL expired') throw new Gone('errors.linkExpired');
      if (err instanceof StorageUrlError || err instanceof StorageNotFoundError) throw new NotFound();
      throw err;
    }
    res.set({
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(d.size),
      'Content-Disposition': contentDisposition(d.filename),
      'Cache-Control': 'no-store',
    });
    await pipeline(d.stream, res);
  });
  return r;
}
