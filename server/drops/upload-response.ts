import type { Request, Response } from 'express';
import { ClientGone } from './errors.js';
import type { DropRecord } from './service.js';

/** Runs an upload; when the client went away mid-upload there is no one to answer: end quietly. */
export async function receiveOrEnd(res: Response, run: () => Promise<DropRecord[]>): Promise<DropRecord[] | undefined> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ClientGone) {
      res.destroy();
      return undefined;
    }
    throw err;
  }
}

/**
 * After a refused upload the rest of the body is read and thrown away, so the
 * client can read the error instead of a reset connection — but only up to a
 * bound: a client that keeps sending a huge body after the answer is cut off.
 */
const DRAIN_AFTER_RESPONSE_BYTES = 8 * 1024 * 1024;

export function limitDrainAfterResponse(req: Request, res: Response): void {
  res.once('finish', () => {
    if (req.complete || req.destroyed) return;
    let drained = 0;
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_AFTER_RESPONSE_BYTES) req.socket.destroy();
    });
    req.resume();
  });
}

