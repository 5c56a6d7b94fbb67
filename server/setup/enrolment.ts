import QRCode from 'qrcode';
import { newTotpSecret, totpUri } from '../auth/totp.js';
import { Sealer } from '../lib/secret-box.js';

/**
 * TOTP enrolment on the setup page. The secret has to survive the form round
 * trip (a typo elsewhere must not force a new QR scan), but the server keeps no
 * state before setup completes: so it travels in a hidden field, sealed with
 * the server secret and bound to this setup token's hash — a sealed value from
 * another token, or edited in the browser, does not open.
 */
export interface Enrolment {
  secret: string;
  sealed: string;
  uri: string;
  /** PNG as a data: URL (the CSP allows img data:), so no extra request and no inline script. */
  qrDataUrl: string;
  /** The secret in groups of four, easier to type into an authenticator app. */
  grouped: string;
}

const ISSUER = 'kinko';
const LABEL = 'director';
const purpose = (tokenHash: string) => `setup-totp:${tokenHash}`;

export async function enrolmentFor(signing: Buffer, tokenHash: string, secret = newTotpSecret()): Promise<Enrolment> {
  const uri = totpUri(secret, ISSUER, LABEL);
  return {
    secret,
    sealed: new Sealer(signing).seal(secret, purpose(tokenHash)),
    uri,
    qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 }),
    grouped: secret.replace(/(.{4})(?=.)/g, '$1 '),
  };
}

/** The secret from the hidden field, or null if it is missing, altered or from another token. */
export function reopenEnrolment(signing: Buffer, tokenHash: string, sealed: string): string | null {
  if (!sealed || sealed.length > 500) return null;
  try {
    return new Sealer(signing).unseal(sealed, purpose(tokenHash));
  } catch {
    return null;
  }
}
