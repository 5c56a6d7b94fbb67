import { TEMPLATE_HEADERS } from './template-columns.js';

/**
 * kinko's template as the room offers it (issue 15 §1): one header row a
 * person can read, no rows, no number column (numbers come from the vault).
 * UTF-8 with a BOM and CRLF, so Excel opens it with the Japanese intact and
 * saves it back as 「CSV UTF-8」, which the reader takes. Four 扶養親族 and two
 * 16歳未満 column pairs; more can be added by the same pattern.
 */
export function templateCsv(): Buffer {
  const family = (group: string, n: number) => Array.from({ length: n }, (_, i) => [`${group}${i + 1} 氏名`, `${group}${i + 1} フリガナ`]).flat();
  const headers = [...TEMPLATE_HEADERS.keys(), ...family('扶養親族', 4), ...family('16歳未満', 2)];
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(headers.join(',') + '\r\n', 'utf8')]);
}

/** An Excel workbook (xlsx is a zip, xls an OLE file) sent as it is: the client is asked to save it as CSV. */
export function looksLikeSpreadsheet(bytes: Uint8Array): boolean {
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  const ole = bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0;
  return zip || ole;
}
