/**
 * Just enough MIME to read kinko's own notices in tests: header unfolding,
 * RFC 2047 encoded words (B and Q) and a single text part in base64,
 * quoted-printable or 7/8bit. Not a general parser.
 */
export interface ParsedMessage {
  headers: Record<string, string>;
  subject: string;
  text: string;
}

export function parseMessage(raw: string): ParsedMessage {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const bytes =
    cte === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
      : cte === 'quoted-printable'
        ? decodeQp(body)
        : Buffer.from(body, 'utf8');
  return { headers, subject: decodeWords(headers.subject ?? ''), text: bytes.toString('utf8').replace(/\r\n/g, '\n') };
}

function decodeQp(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(out);
}

/** Adjacent encoded words are joined as bytes first: a character may be split across them. */
function decodeWords(s: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  let out = '';
  let pending: Buffer[] = [];
  let last = 0;
  const flush = () => {
    if (pending.length) out += Buffer.concat(pending).toString('utf8');
    pending = [];
  };
  for (let m = word.exec(s); m; m = word.exec(s)) {
    const between = s.slice(last, m.index);
    if (!(pending.length && /^\s*$/.test(between))) {
      flush();
      out += between;
    }
    const [, , enc, data] = m;
    pending.push(
      enc!.toUpperCase() === 'B'
        ? Buffer.from(data!, 'base64')
        : decodeQp(data!.replace(/_/g, ' ')),
    );
    last = m.index + m[0].length;
  }
  flush();
  return out + s.slice(last);
}
