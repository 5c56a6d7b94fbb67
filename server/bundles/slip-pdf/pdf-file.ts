import zlib from 'node:zlib';
import type { PreparedFont } from './pdf-font.js';

/**
 * A PDF file (ISO 32000-1: header, objects, cross-reference table, trailer)
 * from pages whose content is already drawn and compressed. Kept this small
 * on purpose: kinko's slips need pages, two embedded fonts and one form
 * XObject (the slip's printed ruling and labels, drawn once per document and
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
  readonly title: string;
}

/** The stream each page starts with: draw the template, in its own graphics state. */
const CALL_TEMPLATE = zlib.deflateSync('q /Tpl Do Q');

class Writer {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  readonly offsets: number[] = [0];
  private next = 1;

  reserve(): number {
    return this.next++;
  }

  put(b: Buffer | string): void {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    this.chunks.push(buf);
    this.length += buf.length;
  }

  object(id: number, dict: string, stream?: Buffer): void {
    this.offsets[id] = this.length;
    if (!stream) {
      this.put(`${id} 0 obj\n${dict}\nendobj\n`);
      return;
    }
    this.put(`${id} 0 obj\n${dict.slice(0, -2)} /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`);
    this.put(stream);
    this.put('\nendstream\nendobj\n');
  }

  finish(root: number, info: number): Buffer {
    const start = this.length;
    const rows = this.offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n \n`);
    this.put(`xref\n0 ${this.offsets.length}\n0000000000 65535 f \n${rows.join('')}`);
    this.put(`trailer\n<< /Size ${this.offsets.length} /Root ${root} 0 R /Info ${info} 0 R >>\nstartxref\n${start}\n%%EOF\n`);
    return Buffer.concat(this.chunks, this.length);
  }
}

/** A PDF text string: UTF-16BE with its byte-order mark, in hex (so Japanese titles survive). */
function textString(s: string): string {
  return `<FEFF${Buffer.from(s, 'utf16le').swap16().toString('hex').toUpperCase()}>`;
}

function writeFont(w: Writer, f: PreparedFont): number {
  const [type0, cidFont, descriptor, file, toUnicode, cidToGid] = [w.reserve(), w.reserve(), w.reserve(), w.reserve(), w.reserve(), w.reserve()];
  w.object(type0, `<< /Type /Font /Subtype /Type0 /BaseFont /${f.baseFont} /Encoding /Identity-H /DescendantFonts [${cidFont} 0 R] /ToUnicode ${toUnicode} 0 R >>`);
  w.object(
    cidFont,
    `<< /Type /Font /Subtype /CIDFontType2 /BaseFont /${f.baseFont} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>` +
      ` /FontDescriptor ${descriptor} 0 R /DW 1000 /W ${f.widths} /CIDToGIDMap ${cidToGid} 0 R >>`,
  );
  w.object(descriptor, `${f.descriptor} /FontFile2 ${file} 0 R >>`);
  w.object(file, `<< /Length1 ${f.fontFileLength} >>`, f.fontFile);
  w.object(toUnicode, '<< >>', f.toUnicode);
  w.object(cidToGid, '<< >>', f.cidToGid);
  return type0;
}

export function writePdf(spec: PdfSpec): Buffer {
  const w = new Writer();
  w.put('%PDF-1.7\n%\xE2\xE3\xCF\xD3\n');
  const [catalog, pages, info, resources] = [w.reserve(), w.reserve(), w.reserve(), w.reserve()];
  const fonts = (['F1', 'F2'] as const).flatMap((name) => {
    const f = spec.fonts[name];
    return f ? [`/${name} ${writeFont(w, f)} 0 R`] : [];
  });
  const fontDict = `/Font << ${fonts.join(' ')} >>`;
  let xobjects = '';
  let prefix = '';
  if (spec.template) {
    const [form, call] = [w.reserve(), w.reserve()];
    const [width, height] = spec.size;
    w.object(form, `<< /Type /XObject /Subtype /Form /BBox [0 0 ${width} ${height}] /Resources << ${fontDict} >> >>`, spec.template);
    w.object(call, '<< >>', CALL_TEMPLATE);
    xobjects = ` /XObject << /Tpl ${form} 0 R >>`;
    prefix = `${call} 0 R `;
  }
  w.object(resources, `<< ${fontDict}${xobjects} >>`);
  const kids: number[] = [];
  for (const content of spec.pages) {
    const [page, stream] = [w.reserve(), w.reserve()];
    w.object(stream, '<< >>', content);
    w.object(page, `<< /Type /Page /Parent ${pages} 0 R /MediaBox [0 0 ${spec.size[0]} ${spec.size[1]}] /Resources ${resources} 0 R /Contents [${prefix}${stream} 0 R] >>`);
    kids.push(page);
  }
  w.object(pages, `<< /Type /Pages /Count ${kids.length} /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] >>`);
  w.object(catalog, `<< /Type /Catalog /Pages ${pages} 0 R >>`);
  w.object(info, `<< /Title ${textString(spec.title)} /Producer (kinko) /Creator (kinko) >>`);
  return w.finish(catalog, info);
}
