// Ed25519 keys and their text form. A public key is written "ed25519:<base64url of the 32 raw bytes>";
// its key id is the first 16 hex digits of SHA-256 over those bytes, so it never has to be typed.
import type { KeyObject } from 'node:crypto';

// node:crypto is taken when first used, not imported: loading it (OpenSSL) costs ~9 ms of start-up,
// which a run that never verifies a license file does not pay.
export const crypto = () => process.getBuiltinModule('node:crypto');

export interface PublicKeyInfo {
  keyId: string;
  key: KeyObject;
  text: string;
}

const PREFIX = 'ed25519:';

const rawPublic = (key: KeyObject): Buffer =>
  Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');

const keyIdOf = (raw: Uint8Array): string =>
  crypto().createHash('sha256').update(raw).digest('hex').slice(0, 16);

const info = (key: KeyObject): PublicKeyInfo => {
  const raw = rawPublic(key);
  return { keyId: keyIdOf(raw), key, text: `${PREFIX}${raw.toString('base64url')}` };
};

/** Parses the text form; null when it is not one. */
export const parsePublicKey = (text: string): PublicKeyInfo | null => {
  const t = text.trim();
  if (!t.startsWith(PREFIX)) return null;
  const b64 = t.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]{43}$/.test(b64)) return null;
  const raw = Buffer.from(b64, 'base64url');
  if (raw.length !== 32 || raw.toString('base64url') !== b64) return null;
  try {
    return info(
      crypto().createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64 }, format: 'jwk' }),
    );
  } catch {
    return null;
  }
};

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: PublicKeyInfo;
}

export const generateSigningKey = (): { pem: string; signingKey: SigningKey } => {
  const { privateKey } = crypto().generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { pem, signingKey: signingKeyFromPem(pem) };
};

export const signingKeyFromPem = (pem: string): SigningKey => {
  const privateKey = crypto().createPrivateKey(pem);
  const publicKey = info(crypto().createPublicKey(privateKey));
  return { keyId: publicKey.keyId, privateKey, publicKey };
};
