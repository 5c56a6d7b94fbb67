import type { ParseErrorCode } from '../parse/errors.js';
import type { ColumnChoice, ParseLimits } from '../parse/types.js';
import type { PackedResult } from './pack.js';

/**
 * What a parse worker is given when it starts (workerData): never file data.
 * A spare (pool.ts) warms up on a synthetic workbook while it waits.
 */
export interface WorkerStart {
  warmUp: boolean;
}

/** A spare tells it is loaded (and warmed up) and waiting for its one job. */
export interface WorkerReady {
  ready: true;
}

/** The one job of a worker, sent as a message (the bytes travel as a transferred ArrayBuffer). */
export interface ParseJob {
  bytes: ArrayBuffer;
  limits: ParseLimits;
  columnChoices?: ColumnChoice[];
}

/** The worker's one answer (the result packed, pack.ts). A failure carries only a code and a content-free detail. */
export type ParseReply = { ok: true; result: PackedResult } | { ok: false; code: ParseErrorCode; detail?: string };
