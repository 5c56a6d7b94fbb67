/**
 * The original file name as the client sent it, kept only as metadata for
 * people (receipt, room history, office inbox detail). It never becomes a
 * path or a storage key — those are random ids — so traversal (`../`) cannot
 * reach anything; what is defended against here is display trickery:
 *
 * - NFC normalisation, so the same Japanese name always looks and compares the
 *   same (macOS sends NFD: が as か + ゛).
 * - Control characters (NUL, newlines, escape sequences) are removed: they
 *   corrupt logs and CSV exports and can hide parts of a name.
 * - Bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069,
 *   U+200E/U+200F, U+061C) are removed: "invoice\u202Excod.exe" would display
 *   as "invoiceexe.docx".
 * - Only the last path segment is kept (busboy already does; a backslash
 *   path from old browsers is cut here too).
 * - At most 255 characters (code points); when cut, the extension is kept so
 *   people still see the type.
 *
 * HTML escaping is the view's job (`<%= %>`); a name like
 * `<script>alert(1)</script>.csv` is stored as text and shown as text.
 */
export const MAX_NAME_CHARS = 255;

const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/gu;
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/gu;

export function cleanFileName(raw: string | undefined): string {
  if (typeof raw !== 'string') return '';
  let name = raw.normalize('NFC').replace(CONTROLS, '').replace(BIDI, '');
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1).trim();
  if (name === '.' || name === '..') return '';
  const chars = [...name];
  if (chars.length <= MAX_NAME_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? [...name.slice(dot)] : [];
  if (ext.length > 0 && ext.length <= 16) {
    const stem = [...name.slice(0, dot)];
    return stem.slice(0, MAX_NAME_CHARS - ext.length).join('') + ext.join('');
  }
  return chars.slice(0, MAX_NAME_CHARS).join('');
}
