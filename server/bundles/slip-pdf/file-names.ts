/**
 * The PDFs' names inside a bundle's zip: ASCII only, so that every unzip
 * tool (Windows' Explorer included, which mangles non-ASCII names without the
 * UTF-8 flag) shows the same name, and with nothing personal in them but the
 * employee code (受給者番号), which the office and the client already share.
 * Like the CSVs (kinko_R07_…), the 年分 is R + two digits.
 */
const era = (nenbun: number) => `R${String(nenbun).padStart(2, '0')}`;

export const taxOfficeSlipsName = (nenbun: number) => `gensen_${era(nenbun)}_zeimusho.pdf`;
export const municipalSlipsName = (nenbun: number, code: string) => `kyuyo_${era(nenbun)}_${code}.pdf`;
export const summaryName = (nenbun: number, code: string) => `soukatsu_${era(nenbun)}_${code}.pdf`;
export const selfCopyAllName = (nenbun: number) => `honnin_${era(nenbun)}_all.pdf`;

const SAFE_CODE = /^[0-9A-Za-z_-]{1,32}$/;

/**
 * One name per 本人交付 PDF, in order: `honnin_R07_<受給者番号>.pdf`, or the
 * input line (`L12`) when the code is missing, not plain ASCII, or taken by
 * an earlier slip — two files must never share a name in one zip.
 */
export function selfCopyNames(nenbun: number, each: readonly { readonly line: number; readonly employeeCode: string }[]): string[] {
  const used = new Set<string>(['all']);
  return each.map(({ line, employeeCode }, i) => {
    let tag = SAFE_CODE.test(employeeCode) && !used.has(employeeCode) ? employeeCode : `L${line}`;
    if (used.has(tag)) tag = `L${line}_${i + 1}`;
    used.add(tag);
    return `honnin_${era(nenbun)}_${tag}.pdf`;
  });
}
