/**
 * What the extraction engine hands to the ingest service. Numbers appear in
 * exactly two places — `ExtractedPerson.number` and `ReviewRow.proposedNumber`
 * — and both stay in memory: never log, persist or put them in an error.
 */

export type FileFormat = 'xlsx' | 'xls' | 'csv' | 'pdf';
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'shift_jis' | 'utf-16le' | 'utf-16be';

/** 本人 / 配偶者 / 扶養親族n, as the column groups (or a 続柄 column) say. */
export type Relation = { kind: 'self' } | { kind: 'spouse' } | { kind: 'dependent'; index: number };

/** Where a value was read: sheet name (PDF: "PDF"), 1-based row as a person sees it, column letter. */
export interface SourceRef {
  sheet: string;
  row: number;
  /** PDF only: the page the row is on (`row` then counts text lines on that page). */
  page?: number;
  /** Column letter of the My Number cell (A, B, … AA); for PDFs the header position as a letter. */
  column: string;
}

export interface ExtractedPerson extends SourceRef {
  name: string;
  furigana?: string;
  employeeCode?: string;
  relation: Relation;
  /** The 続柄 text as written (妻, 長男 …) when the file has such a column. */
  relationLabel?: string;
  /** For a dependent: the employee on whose row (or under whose code) the dependent appears. */
  employeeName?: string;
  /** 12 ASCII digits with a valid check digit. In memory only. */
  number: string;
  /** 本人 only: the 退職日 the roster gives (YYYY-MM-DD), when it has such a column and the cell is a date. */
  leftOn?: string;
}

export type ReviewReason =
  | 'missing' // a name without a number
  | 'wrong-length' // not 12 digits
  | 'check-digit' // 12 digits, wrong check digit
  | 'excel-damaged' // numeric cell lost a leading zero / precision, or scientific notation
  | 'invalid-characters' // letters or symbols among the digits
  | 'no-name' // a number with nobody to attach it to
  | 'duplicate-number'; // the same number given for different names in this file

export interface ReviewRow extends SourceRef {
  reason: ReviewReason;
  name?: string;
  furigana?: string;
  employeeCode?: string;
  relation: Relation;
  relationLabel?: string;
  /** The value with every digit masked except at most the last four. Safe to show. */
  masked: string;
  /**
   * Only for `excel-damaged` when restoring the lost leading zero(s) gives a
   * valid number: the candidate staff may confirm. Never applied without that
   * confirmation. In memory only, like `ExtractedPerson.number`.
   */
  proposedNumber?: string;
}

export interface ColumnRef {
  sheet: string;
  /** 0-based column index (what `columnChoices` takes back). */
  column: number;
  letter: string;
  /** The header text, trimmed and capped (never a cell value). */
  header: string;
}

/** Several columns could be the My Number column of one relation: staff choose one. */
export interface AmbiguousColumns {
  sheet: string;
  relation: Relation;
  candidates: ColumnRef[];
}

export interface SheetReport {
  sheet: string;
  /** 1-based header row, when one was found. */
  headerRow?: number;
  /** The My Number columns used on this sheet. */
  numberColumns: Array<ColumnRef & { relation: Relation }>;
  /** Why nothing was read from this sheet. */
  skipped?: 'empty' | 'no-my-number-column' | 'ambiguous';
}

export interface ParseWarning {
  key: string;
  count: number;
}

export interface ParseResult {
  format: FileFormat;
  encoding?: TextEncoding;
  sheets: SheetReport[];
  persons: ExtractedPerson[];
  review: ReviewRow[];
  ambiguousColumns: AmbiguousColumns[];
  warnings: ParseWarning[];
}

/** A staff decision: read this column of this sheet as a My Number column. */
export interface ColumnChoice {
  sheet: string;
  column: number;
  /** The name column to pair with it, when the sheet's headers do not say. */
  nameColumn?: number;
}

export interface ParseLimits {
  maxBytes: number;
  parse: { maxMillis: number; maxMemoryMiB: number; maxCellChars: number; maxRows: number; maxColumns: number; maxCells: number };
  unpack: { maxTotalBytes: number; maxEntries: number; maxRatio: number };
}

export interface ParseOptions {
  /** Replaces header detection of the My Number column on the named sheets (resolving `ambiguousColumns`). */
  columnChoices?: ColumnChoice[];
  /** Tighter limits (tests, or a smaller deployment); defaults come from server/config.ts. */
  limits?: {
    maxBytes?: number;
    parse?: Partial<ParseLimits['parse']>;
    unpack?: Partial<ParseLimits['unpack']>;
  };
  /** Aborting terminates the worker and rejects with ParseError `ingest.errors.aborted`. */
  signal?: AbortSignal;
  /**
   * How long to wait for a free parse slot when limits.parse.maxConcurrent
   * parses are already running, before failing with ParseError `busy`
   * (default worker/pool.ts QUEUE_WAIT_MS; 0 = do not wait).
   */
  waitMillis?: number;
  /** Called with the parse process once it is assigned — started for this file or the pool's spare (tests, resource metrics). */
  onWorker?: (proc: import('node:child_process').ChildProcess) => void;
  /** Called once the parse is over with the highest resident memory seen of its process, in bytes (metrics, benches). */
  onPeakRss?: (bytes: number) => void;
}

/**
 * One sheet as text. `rows` may be sparse (a far-away cell does not allocate
 * the rows in between): iterate with forEach / for…in, never by `length`.
 */
export interface SheetGrid {
  name: string;
  rows: string[][];
  /** Raw value of numeric cells, same coordinates as `rows` (for Excel-damage detection). */
  numeric?: Array<Array<number | undefined> | undefined>;
  /** Row numbers as a person sees them when they are not index + 1 (PDF line numbers). */
  rowLabels?: number[];
  /** PDF: page of each row. */
  pages?: number[];
}
