import { deflate } from './deflate.js';
import type { PreparedFont } from './pdf-font.js';

/**
 * A PDF file (ISO 32000-1: header, objects, cross-reference table, trailer)
 * from pages whose content is already drawn and compressed. Kept this small
 * on purpose: kinko's slips need pages, two embedded fonts and a few form
 * XObjects (the slip's printed ruling and labels, drawn once per document and
 * placed on every page), nothing else. Deterministic: no dates and no file
 * ID, so the same slips give the same bytes.
 */
export interface PdfSpec {
  /** Page size in points. */
  readonly size: readonly [number, number];
  /** Each page's content stream, deflated. */
  readonly pages: readonly Buffer[];
  /** /F1 (the fixed font) and /F2 (the document's own glyphs), each when used. */
  readonly fonts: { readonly F1?: PreparedFont | undefined; readonly F2?: PreparedFont | undefined };
  /** Deflated content of a form XObject every page draws first. */
  readonly template?: Buffer;
  /** More form XObjects, by name, that page content draws where it needs them (`/Name Do`). */
  readonly forms?: Readonly<Record<string, Buffer>>;
  readonly title: string;
}

/** The stream each page starts with: draw the template, in its own graphics state. */
const CALL_TEMPLATE = deflate('q /Tpl Do Q', 6);

class Writer {
  private readonly chunks: Buffer[] = [];
  // Dictionaries are ASCII (titles go in hex), so they are gathered as one
  // string and turned into bytes only when a binary stream comes: one
  // allocation per stream instead of one per object.
  private text = '';
  private length = 0;
  readonly offsets: number[] = [0];
  private next = 1;

  reserve(): number {
    return this.next++;
  }

  put(b: Buffer | string): void {
    if (typeof b === 'string') {
      this.text += b;
      this.length += b.length;
      return;
    }
    this.flush();
    this.chunks.push(b);
    this.length += b.length;
  }

  private flush(): void {
    if (this.text) this.chunks.push(Buffer.from(this.text, 'latin1'));
    this.text = '';
  }

  /** With `stream`, deflated unless `flate` is false. */
  object(id: number, dict: string, stream?: Buffer, flate = true): void {
    this.offsets[id] = this.length;
    if (!stream) {
      this.put(`${id} 0 obj\n${dict}\nendobj\n`);
      return;
    }
    this.put(`${id} 0 obj\n${dict.slice(0, -2)} /Length ${stream.length}${flate ? ' /Filter /FlateDecode' : ''} >>\nstream\n`);
    this.put(stream);
    this.put('\nendstream\nendobj\n');
  }

  finish(root: number, info: number): Buffer {
    const start = this.length;
    const rows = this.offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n \n`);
    this.put(`xref\n0 ${this.offsets.length}\n0000000000 65535 f \n${rows.join('')}`);
    this.put(`trailer\n<< /Size ${this.offsets.length} /Root ${root} 0 R /Info ${info} 0 R >>\nstartxref\n${start}\n%%EOF\n`);
    this.flush();
    return Buffer.concat(this.chunks, this.length);
  }
}

/** A PDF text string: UTF-16BE with its byte-order mark, in hex (so Japanese titles survive). */
function textString(s: string): string {
  return `<FEFF${Buffer.from(s, 'utf16le').swap16().toString('hex').toUpperCase()}>`;
}

type FontIds = readonly [number, number, number, number, number, number];

const reserveFont = (w: Writer): FontIds => [w.reserve(), w.reserve(), w.reserve(), w.reserve(), w.reserve(), w.reserve()];

function writeFont(w: Writer, f: PreparedFont, [type0, cidFont, descriptor, file, toUnicode, cidToGid]: FontIds): void {
  w.object(type0, `<< /Type /Font /Subtype /Type0 /BaseFont /${f.baseFont} /Encoding /Identity-H /DescendantFonts [${cidFont} 0 R] /ToUnicode ${toUnicode} 0 R >>`);
  w.object(
    cidFont,
    `<< /Type /Font /Subtype /CIDFontType2 /BaseFont /${f.baseFont} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>` +
      ` /FontDescriptor ${descriptor} 0 R /DW 1000 /W ${f.widths} /CIDToGIDMap ${cidToGid} 0 R >>`,
  );
  w.object(descriptor, `${f.descriptor} /FontFile2 ${file} 0 R >>`);
  w.object(file, `<< /Length1 ${f.fontFileLength} >>`, f.fontFile, f.flate);
  w.object(toUnicode, '<< >>', f.toUnicode, f.flate);
  w.object(cidToGid, '<< >>', f.cidToGid);
}

/**
 * Objects are numbered and written with what every document of a build
 * shares first (the fixed font, the forms), then the document's own: in a
 * zip of many individual PDFs the same bytes then sit at the same place in
 * each file, where a compressor that sees the whole zip finds them.
 */
export function writePdf(spec: PdfSpec): Buffer {
  const w = new Writer();
  w.put('%PDF-1.7\n%\xE2\xE3\xCF\xD3\n');
  const [catalog, pages, info, resources] = [w.reserve(), w.reserve(), w.reserve(), w.reserve()];
  const { F1, F2 } = spec.fonts;
  const ids = { F1: F1 && reserveFont(w), F2: F2 && reserveFont(w) };
  const fontDict = `/Font << ${(['F1', 'F2'] as const).flatMap((n) => (ids[n] ? [`/${n} ${ids[n][0]} 0 R`] : [])).join(' ')} >>`;
  const forms = [...(spec.template ? [['Tpl', spec.template] as const] : []), ...Object.entries(spec.forms ?? {})].map(([name, content]) => ({ name, content, id: w.reserve() }));
  const call = spec.template ? w.reserve() : 0;
  if (F1 && ids.F1) writeFont(w, F1, ids.F1);
  const [width, height] = spec.size;
  for (const f of forms) w.object(f.id, `<< /Type /XObject /Subtype /Form /BBox [0 0 ${width} ${height}] /Resources << ${fontDict} >> >>`, f.content);
  if (call) w.object(call, '<< >>', CALL_TEMPLATE);
  const xobjects = forms.length ? ` /XObject << ${forms.map((f) => `/${f.name} ${f.id} 0 R`).join(' ')} >>` : '';
  w.object(resources, `<< ${fontDict}${xobjects} >>`);
  if (F2 && ids.F2) writeFont(w, F2, ids.F2);
  const prefix = call ? `${call} 0 R ` : '';
  const kids: number[] = [];
  for (const content of spec.pages) {
    const [page, stream] = [w.reserve(), w.reserve()];
    w.object(stream, '<< >>', content);
    w.object(page, `<< /Type /Page /Parent ${pages} 0 R /MediaBox [0 0 ${width} ${height}] /Resources ${resources} 0 R /Contents [${prefix}${stream} 0 R] >>`);
    kids.push(page);
  }
  w.object(pages, `<< /Type /Pages /Count ${kids.length} /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] >>`);
  w.object(catalog, `<< /Type /Catalog /Pages ${pages} 0 R >>`);
  w.object(info, `<< /Title ${textString(spec.title)} /Producer (kinko) /Creator (kinko) >>`);
  return w.finish(catalog, info);
}
