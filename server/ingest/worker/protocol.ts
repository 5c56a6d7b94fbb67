import type { ParseErrorCode } from '../parse/errors.js';
import type { ColumnChoice, ParseLimits } from '../parse/types.js';
import type { PackedResult } from './pack.js';

/**
 * What crosses between the server and a parse process (child-process.ts),
 * in order, over its IPC channel — except the file itself, which goes over
 * the child's stdin pipe. Never file data in a message to the child.
 */

/** First message to the child: the parser bundle to import (a data: URL; null = compile with tsx), and whether to warm up before it is ready. */
export interface WorkerStart {
  script: string | null;
  warmUp: boolean;
}

/** The child tells it is loaded (and warmed up) and waiting for its one job. */
export interface WorkerReady {
  ready: true;
}

/** The one job of a child; then exactly `size` bytes of the file arrive on its stdin. */
export interface ParseJob {
  size: number;
  limits: ParseLimits;
  columnChoices?: ColumnChoice[];
}

/** The child's one answer (the result packed, pack.ts). A failure carries only a code and a content-free detail. */
export type ParseReply = { ok: true; result: PackedResult } | { ok: false; code: ParseErrorCode; detail?: string };
