// An online session's grants: the license server's signed word, in answer to katalonc's fresh
// nonce, that it gave this session to this machine for this organisation and product (kind
// "session", on activation), and that the session still holds its seat (kind "lease", on every
// resume). Each delivers the session's lease key, wrapped for katalonc's ephemeral X25519 key, and
// every heartbeat is answered with an HMAC under that key over katalonc's nonce and the lease's
// terms. Without them any HTTP server on loopback (the licensee's own) could hand out sessions, a
// proxy of the licensee's could release a real session and answer its heartbeats itself, or a
// second certified server could answer the heartbeats of a session granted by another: katalonc
// runs only on grants from a server whose key a built-in root certified for the organisation and
// product, and on heartbeats from the server that knows its session's key. Pure (the key pairs'
// randomness aside).
import type { KeyObject } from 'node:crypto';
import type { SignedBlock } from './armor.ts';
import { certificateRefusal } from './certificate.ts';
import { crypto, type PublicKeyInfo, type SigningKey } from './keys.ts';
import { readStatement, signStatement } from './statement.ts';
import type { Product } from '../vocabulary.ts';

const SESSION_GRANT = { type: 'KATALON SESSION GRANT', version: 1, what: 'a session grant' };
// Domain separation: a lease key is good for nothing else, nor its wrapping pad.
const LEASE_KEY_LABEL = 'katalonc lease key v1\0';
const WRAP_LABEL = 'katalonc lease key wrap v1\0';

// The lease's terms are signed (or MACed) too: katalonc goes by them (when to heartbeat, how long a
// run cut off from the server goes on), and a proxy that stretched them would keep a released run going.
export interface LeaseTerms {
  kind: 'lease';
  sessionId: string;
  nonce: string;
  leaseExpiresAt: string;
  heartbeatIntervalSeconds: number;
  /** A run cut off from the server stops here, whatever its outage grace (servers before it: absent). */
  subscriptionExpiresAt?: string | undefined;
}
interface ActivationGrant extends Omit<LeaseTerms, 'kind'> {
  kind: 'session';
  machineId: string;
  orgId: number;
  product: Product;
  outageGraceMinutes: number;
}
export type SessionGrant = LeaseTerms | ActivationGrant;
/**
 * The session's lease key for katalonc: its ephemeral X25519 public key (kx, which it checks is its
 * own: a proxy that put its own there is refused), the server's (ex), and the key XOR their pad.
 */
export interface KeyDelivery {
  kx: string;
  ex: string;
  wrappedKey: string;
}

/** An ephemeral X25519 key pair; `publicKey` is base64url of the raw 32 bytes (the wire's kx). */
export interface KeyExchange {
  privateKey: KeyObject;
  publicKey: string;
}
export const newKeyExchange = (): KeyExchange => {
  const { privateKey, publicKey } = crypto().generateKeyPairSync('x25519');
  return { privateKey, publicKey: publicKey.export({ format: 'jwk' }).x! };
};

const BLOCK = 64; // SHA-256's block size
const sha256 = (...parts: Uint8Array[]): Buffer =>
  crypto().hash('sha256', Buffer.concat(parts), 'buffer');
const padded = (key: Uint8Array, byte: number): Buffer => {
  const k = Buffer.alloc(BLOCK);
  k.set(key.length > BLOCK ? sha256(key) : key);
  for (let i = 0; i < BLOCK; i++) k[i] ^= byte;
  return k;
};
/**
 * HMAC-SHA256 (RFC 2104) over one-shot hashes: createHmac costs as much as an Ed25519 signature
 * under Node.js's OpenSSL 3 (about 22 µs against 5 µs here), which would undo what a MAC saves a
 * heartbeat. unit/grant.test.ts checks it against createHmac.
 */
export const hmac = (key: Uint8Array, text: string): Buffer =>
  sha256(padded(key, 0x5c), sha256(padded(key, 0x36), Buffer.from(text)));

/** A session's lease key: any replica derives it from the server's lease secret, nothing stored. */
export const leaseKeyOf = (secret: Uint8Array, sessionId: string): Buffer =>
  hmac(secret, `${LEASE_KEY_LABEL}${sessionId}`);

/** The pad that wraps a session's lease key, from one side's private and the other's public key. */
const padOf = (own: KeyObject, other: string, nonce: string, sessionId: string): Buffer | null => {
  try {
    const publicKey = crypto().createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: other },
      format: 'jwk',
    });
    const shared = crypto().diffieHellman({ privateKey: own, publicKey });
    return Buffer.from(crypto().hkdfSync('sha256', shared, nonce, `${WRAP_LABEL}${sessionId}`, 32));
  } catch {
    return null; // not an X25519 key, or a low-order point (no shared secret)
  }
};

/** Whether `kx` is an X25519 public key a lease key can be wrapped for (no low-order point). */
export const usableKx = (kx: string): boolean =>
  padOf(newKeyExchange().privateKey, kx, '', '') !== null;

const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((x, i) => x ^ b[i]));

/** The lease key wrapped for katalonc's `kx`; null if `kx` is not a usable X25519 key. */
export const deliverLeaseKey = (
  leaseKey: Buffer,
  kx: string,
  to: { nonce: string; sessionId: string },
  server: KeyExchange = newKeyExchange(),
): KeyDelivery | null => {
  const pad = padOf(server.privateKey, kx, to.nonce, to.sessionId);
  return pad && { kx, ex: server.publicKey, wrappedKey: xor(leaseKey, pad).toString('base64url') };
};

const leaseBytes = (t: LeaseTerms): string =>
  JSON.stringify([
    t.kind,
    t.sessionId,
    t.nonce,
    t.leaseExpiresAt,
    t.heartbeatIntervalSeconds,
    t.subscriptionExpiresAt ?? null,
  ]);

/** A heartbeat's answer: the lease's terms for katalonc's nonce, under the session's lease key. */
export const leaseMac = (leaseKey: Uint8Array, terms: LeaseTerms): string =>
  hmac(leaseKey, leaseBytes(terms)).toString('base64url');

/** Why `mac` is not the server's answer of exactly `terms` under `leaseKey`; null if it is. */
export const leaseMacRefusal = (
  mac: string | undefined,
  leaseKey: Uint8Array,
  terms: LeaseTerms,
): string | null => {
  if (mac === undefined) return "it sent no proof of the session's lease key";
  const want = Buffer.from(leaseMac(leaseKey, terms));
  const got = Buffer.from(mac);
  // Constant time: how much of a guess matched must not show in how long the check took.
  return got.length === want.length && crypto().timingSafeEqual(got, want)
    ? null
    : "its heartbeat's answer is not under the session's lease key (a server or proxy other than the one that granted the session, or a replayed answer?)";
};

export const signGrant = (
  key: SigningKey,
  certificate: SignedBlock,
  grant: SessionGrant & Partial<KeyDelivery>,
): string =>
  signStatement(SESSION_GRANT.type, SESSION_GRANT.version, { ...grant }, key, certificate);

type Trust = { roots: ReadonlyMap<string, PublicKeyInfo>; revokedKeyIds: ReadonlySet<string> };

/**
 * The session's lease key if `text` is the grant of exactly `expected`, for katalonc's `own` key,
 * by a server certified at `now` for the session's organisation and product; else why not.
 */
export const acceptGrant = (
  text: string | undefined,
  expected: SessionGrant,
  session: { own: KeyExchange; orgId: number; product: Product },
  trust: Trust,
  now: number,
): { leaseKey: Buffer } | { refused: string } => {
  if (text === undefined) return { refused: 'it sent no signed grant for the session' };
  const read = readStatement(text, SESSION_GRANT, trust.roots, trust.revokedKeyIds);
  if (!read.ok) return { refused: `its session grant is refused: ${read.reason}` };
  const p = read.payload;
  const differs = Object.entries({ ...expected, kx: session.own.publicKey })
    .filter(([k, v]) => p[k] !== v)
    .map(([k]) => k);
  if (differs.length > 0)
    return {
      refused: `its session grant is for another ${differs.join(', ')} (a replayed answer?)`,
    };
  // A resume's grant too: a server certified for another organisation must not renew this one's.
  const outside = certificateRefusal(read.certificate, String(session.orgId), session.product, now);
  if (outside) return { refused: `its issuer certificate ${outside}` };
  const pad =
    typeof p.ex === 'string'
      ? padOf(session.own.privateKey, p.ex, expected.nonce, expected.sessionId)
      : null;
  const wrapped = typeof p.wrappedKey === 'string' ? Buffer.from(p.wrappedKey, 'base64url') : null;
  return pad && wrapped?.length === 32
    ? { leaseKey: xor(wrapped, pad) }
    : { refused: 'its session grant delivers no lease key' };
};
