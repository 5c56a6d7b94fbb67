import * as XLSX from '@e965/xlsx';
import { decline } from './xml-text.js';

/**
 * The text SheetJS gives a numeric or boolean cell (its `w`, cellText on):
 * the cell's style `s` → cellXfs[s].numFmtId → the number format SheetJS's
 * table holds for that id once it has read this workbook's styles.xml
 * (built-ins plus the file's `<numFmt>`s; ids it has neither for get
 * SheetJS's implicit defaults below) → XLSX.SSF.format. Id 0 is SheetJS's
 * own General branch. This is how a 12-digit number stored as a number
 * shows as `1.23457E+11`, which is how Excel damage is detected downstream.
 *
 * Date serials are formatted, never turned into Dates (cellDates off), in
 * the workbook's date system (date1904), as SheetJS does through its global
 * format options — except in its id-0 branch, which has no dates.
 */

// Copied from SheetJS 0.20.3 (xlsx.mjs, SSFImplicit): what it loads for a format id the file does not define.
const IMPLICIT: Record<string, string> = {
  "5": '"$"#,##0_);\\("$"#,##0\\)',
  "6": '"$"#,##0_);[Red]\\("$"#,##0\\)',
  "7": '"$"#,##0.00_);\\("$"#,##0.00\\)',
  "8": '"$"#,##0.00_);[Red]\\("$"#,##0.00\\)',
  "23": 'General', "24": 'General', "25": 'General', "26": 'General',
  "27": 'm/d/yy', "28": 'm/d/yy', "29": 'm/d/yy', "30": 'm/d/yy', "31": 'm/d/yy',
  "32": 'h:mm:ss', "33": 'h:mm:ss', "34": 'h:mm:ss', "35": 'h:mm:ss',
  "36": 'm/d/yy',
  "41": '_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)',
  "42": '_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
  "43": '_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
  "44": '_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)',
  "50": 'm/d/yy', "51": 'm/d/yy', "52": 'm/d/yy', "53": 'm/d/yy', "54": 'm/d/yy',
  "55": 'm/d/yy', "56": 'm/d/yy', "57": 'm/d/yy', "58": 'm/d/yy',
  "59": '0',
  "60": '0.00',
  "61": '#,##0',
  "62": '#,##0.00',
  "63": '"$"#,##0_);\\("$"#,##0\\)',
  "64": '"$"#,##0_);[Red]\\("$"#,##0\\)',
  "65": '"$"#,##0.00_);\\("$"#,##0.00\\)',
  "66": '"$"#,##0.00_);[Red]\\("$"#,##0.00\\)',
  "67": '0%',
  "68": '0.00%',
  "69": '# ?/?',
  "70": '# ??/??',
  "71": 'm/d/yy',
  "72": 'm/d/yy',
  "73": 'd-mmm-yy',
  "74": 'd-mmm',
  "75": 'mmm-yy',
  "76": 'h:mm',
  "77": 'h:mm:ss',
  "78": 'm/d/yy h:mm',
  "79": 'mm:ss',
  "80": '[h]:mm:ss',
  "81": 'mmss.0'
};

const DATE1904 = { date1904: true };
const DATE1900 = { date1904: false };

type Xf = { numFmtId?: unknown };
const CANONICAL_INDEX = /^(?:0|[1-9]\d{0,8})$/;

export class CellFormats {
  private readonly byStyle = new Map<string, string>();

  /** `cellXfs` and `table` as SheetJS holds them right after reading this workbook's styles. */
  constructor(
    private readonly cellXfs: unknown,
    private readonly table: Readonly<Record<string, string>>,
    readonly date1904: boolean,
  ) {}

  /** The format SheetJS applies to a cell with style attribute `s` ('General' for its id-0 branch, which formats alike). */
  formatFor(s: string | undefined): string {
    if (s === undefined || !Array.isArray(this.cellXfs)) return 'General';
    const known = this.byStyle.get(s);
    if (known !== undefined) return known;
    if (!CANONICAL_INDEX.test(s)) decline('odd style index');
    const xf = (this.cellXfs as Array<Xf | null | undefined>)[Number(s)];
    let fmt = 'General';
    if (xf != null && xf.numFmtId != null) {
      const id = xf.numFmtId;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x188) decline('odd number format id');
      if (id !== 0) fmt = this.table[id] ?? IMPLICIT[id] ?? 'General';
    }
    this.byStyle.set(s, fmt);
    return fmt;
  }
}

/** `w` for a number or boolean: SheetJS's try { SSF.format } — a format that throws leaves no text (then String(v) is used). */
export function formatValue(formats: CellFormats, s: string | undefined, v: number | boolean): string | undefined {
  const fmt = formats.formatFor(s);
  try {
    return XLSX.SSF.format(fmt, v, fmt === 'General' ? undefined : formats.date1904 ? DATE1904 : DATE1900) as string;
  } catch {
    return undefined;
  }
}
