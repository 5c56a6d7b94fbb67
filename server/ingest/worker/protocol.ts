import type { ParseErrorCode } from '../parse/errors.js';
import type { ColumnChoice, ParseLimits, ParseResult } from '../parse/types.js';

/** What the main thread hands the parse worker (the bytes travel as a transferred ArrayBuffer). */
export interface ParseJob {
  bytes: ArrayBuffer;
  limits: ParseLimits;
  columnChoices?: ColumnChoice[];
}

/** The worker's one answer. A failure carries only a code and a content-free detail. */
export type ParseReply = { ok: true; result: ParseResult } | { ok: false; code: ParseErrorCode; detail?: string };
