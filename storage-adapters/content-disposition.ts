/**
 * `Content-Disposition: attachment` for a download, shared by the S3 adapter
 * (presigned ResponseContentDisposition) and the route serving local signed URLs.
 *
 * File names come from people (Japanese names are the norm), so they are
 * sent twice: an ASCII fallback for old clients and an RFC 5987 `filename*`.
 */
export function contentDisposition(filename: string | undefined): string {
  if (!filename) return 'attachment';
  // Threat: header injection / response splitting. CR, LF and other control
  // characters never reach the header; neither do quotes or backslashes,
  // which could end the quoted fallback early.
  const cleaned = filename.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (!cleaned) return 'attachment';
  // Threat: a name like "../../x" being used as a path by a naive client.
  const base = cleaned.split(/[\\/]/).pop() || 'download';
  const ascii = base.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
