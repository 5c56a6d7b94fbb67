import { limits as configured } from '../../config.js';
import { AppError } from '../../lib/app-error.js';

/**
 * Why a file could not be read. Each code is an i18n key under
 * `ingest.errors.*` with a plain Japanese message (locales/ja/ingest.json).
 * The message never holds file contents: a hostile file must not be able to
 * put text (or a My Number) into a log line or an error page.
 */
export const PARSE_ERROR_CODES = [
  'tooBig', // over a size / entry / ratio / memory / cell limit
  'tooManyRows', // a sheet (or PDF table) with more rows than limits.parse.maxRows: the message names the limit
  'timeout', // over the parse time budget
  'corrupt', // damaged or not what it claims to be
  'encrypted', // password-protected workbook or PDF
  'noMyNumberColumn', // readable, but no column is recognisable as My Number
  'unsupported', // a type kinko does not read (image, docx, ods …)
  'unsafe', // active content we refuse on principle (XML entities, nested archives, links outside the file)
  'empty', // no data at all
  'noText', // a PDF that is only pictures (a scan): no text to read
  'aborted', // the caller gave up
  'busy', // this process already runs limits.parse.maxConcurrent parses: nothing was read, try again shortly
] as const;
export type ParseErrorCode = (typeof PARSE_ERROR_CODES)[number];

export class ParseError extends AppError {
  constructor(
    readonly code: ParseErrorCode,
    /** A short, content-free note for the operator log (never a cell value). */
    readonly detail?: string,
  ) {
    super(code === 'busy' ? 503 : 422, `ingest.errors.${code}`, parseErrorParams(`ingest.errors.${code}`));
  }
}

export function isParseErrorCode(x: unknown): x is ParseErrorCode {
  return typeof x === 'string' && (PARSE_ERROR_CODES as readonly string[]).includes(x);
}

/**
 * The values a parse error's message names (the row limit). A job keeps only
 * the message key of its last failure; the drop page shows it again later
 * with these.
 */
export function parseErrorParams(messageKey: string): Record<string, string> {
  return messageKey === 'ingest.errors.tooManyRows' ? { max: configured.parse.maxRows.toLocaleString('en-US') } : {};
}
