import * as openpgp from 'openpgp';

/**
 * A detached OpenPGP signature over the certificate's bytes, made with the
 * office key (unlocked by the approving director), so anyone holding the
 * office public key (/office-key.asc) can check it with GnuPG
 * (`gpg --verify cert.pdf.asc cert.pdf`) or `kinko certificate:verify`.
 */
export async function signDetached(bytes: Uint8Array, officeKey: openpgp.PrivateKey): Promise<string> {
  const message = await openpgp.createMessage({ binary: bytes });
  return openpgp.sign({ message, signingKeys: officeKey, detached: true, format: 'armored' });
}

export async function verifyDetached(bytes: Uint8Array, armoredSignature: string, officePublic: openpgp.PublicKey): Promise<boolean> {
  try {
    const signature = await openpgp.readSignature({ armoredSignature });
    const message = await openpgp.createMessage({ binary: bytes });
    const { signatures } = await openpgp.verify({ message, signature, verificationKeys: officePublic });
    if (signatures.length === 0) return false;
    await signatures[0]!.verified;
    return true;
  } catch {
    return false;
  }
}
