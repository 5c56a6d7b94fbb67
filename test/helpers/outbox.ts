import fs from 'node:fs';
import path from 'node:path';

/** The text of a single-part outbox message, decoded from the transfer encoding nodemailer chose. */
export function mailText(raw: string): string {
  const cut = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, cut);
  const body = raw.slice(cut).trim();
  if (/Content-Transfer-Encoding: base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** The .eml files of the app's outbox folder (mail to an outbox: the embedded default), oldest first. */
export function outboxMails(dataDir: string): Array<{ file: string; raw: string; text: string }> {
  const dir = path.join(dataDir, 'outbox');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.eml'))
    .sort()
    .map((n) => {
      const raw = fs.readFileSync(path.join(dir, n), 'utf8');
      return { file: n, raw, text: mailText(raw) };
    });
}
