import zlib from 'node:zlib';
/**
 * A hand-written PDF with exactly the hostile parts a test wants: document
 * JavaScript run on open, and a cross-reference table whose offsets are all
 * wrong (pdf.js must rebuild it by scanning, and must not run the script).
 */
export function hostilePdf(rows: string[][], opts: { javascript?: string; brokenXref?: boolean } = {}): Buffer {
  const text = rows
    .map((cells, r) => cells.map((c, k) => `BT /F1 10 Tf ${60 + k * 160} ${760 - r * 16} Td (${c.replace(/[()\\]/g, '\\$&')}) Tj ET`).join('\n'))
    .join('\n');
  const objects = [
    `<< /Type /Catalog /Pages 2 0 R${opts.javascript ? ' /OpenAction 5 0 R /Names << /JavaScript << /Names [(x) 5 0 R] >> >>' : ''} >>`,
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> /AA << /O 5 0 R >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    `<< /Type /Action /S /JavaScript /JS (${(opts.javascript ?? '').replace(/[()\\]/g, '\\$&')}) >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xrefAt = Buffer.byteLength(body, 'latin1');
  const entry = (n: number) => `${String(opts.brokenXref ? n + 7919 : n).padStart(10, '0')} 00000 n \n`;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map(entry).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${opts.brokenXref ? xrefAt + 13 : xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/**
 * A "PDF bomb": a one-page table (header + one row) whose page content
 * stream is followed by `inflatedBytes` of NUL bytes (whitespace to a PDF
 * parser), Flate-compressed at level 9 — 1 GiB becomes ≈ 1 MB. The stream
 * is zlib-wrapped with its real checksum, exactly as a PDF writer makes it.
 */
export async function pdfBomb(rows: string[][], inflatedBytes: number): Promise<Buffer> {
  const text = rows
    .map((cells, r) => cells.map((c, k) => `BT /F1 10 Tf ${60 + k * 160} ${760 - r * 16} Td (${c.replace(/[()\\]/g, '\\$&')}) Tj ET`).join('\n'))
    .join('\n');
  const deflate = zlib.createDeflate({ level: 9, memLevel: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  deflate.write(Buffer.from(text + '\n', 'latin1'));
  const chunk = Buffer.alloc(1 << 20);
  for (let written = 0; written < inflatedBytes; written += chunk.length) {
    if (!deflate.write(chunk.subarray(0, Math.min(chunk.length, inflatedBytes - written)))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const stream = Buffer.concat(out);
  const head = (o: string) => Buffer.from(o, 'latin1');
  const objects: Buffer[] = [
    head('<< /Type /Catalog /Pages 2 0 R >>'),
    head('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    head('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>'),
    Buffer.concat([head(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`), stream, head('\nendstream')]),
    head('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
  ];
  const parts: Buffer[] = [head('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')];
  let size = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(size);
    const piece = Buffer.concat([head(`${i + 1} 0 obj\n`), o, head('\nendobj\n')]);
    parts.push(piece);
    size += piece.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(head(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${size}\n%%EOF\n`));
  return Buffer.concat(parts);
}
