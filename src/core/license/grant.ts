// An online session's grants: the license server's signed word, in answer to katalonc's fresh
// nonce, that it gave this session to this machine for this organisation and product (kind
// "session", on activation), and that the session still holds its seat (kind "lease", on every
// resume and one heartbeat in each lease). Without them any HTTP server on loopback (the licensee's own) could hand
// out sessions, or a proxy of the licensee's could release a real session and answer its heartbeats
// itself: katalonc runs only on grants from a server whose key a built-in root certified. Pure.
import type { SignedBlock } from './armor.ts';
import { certificateRefusal } from './certificate.ts';
import type { PublicKeyInfo, SigningKey } from './keys.ts';
import { readStatement, signStatement } from './statement.ts';
import type { Product } from '../vocabulary.ts';

const SESSION_GRANT = { type: 'KATALON SESSION GRANT', version: 1, what: 'a session grant' };

// The lease's terms are signed too: katalonc goes by them (when to heartbeat, how long a run cut
// off from the server goes on), and a proxy that stretched them would keep a released run going.
interface LeaseGrant {
  kind: 'lease';
  sessionId: string;
  nonce: string;
  leaseExpiresAt: string;
  heartbeatIntervalSeconds: number;
  /** A run cut off from the server stops here, whatever its outage grace (servers before it: absent). */
  subscriptionExpiresAt?: string | undefined;
}
interface ActivationGrant extends Omit<LeaseGrant, 'kind'> {
  kind: 'session';
  machineId: string;
  orgId: number;
  product: Product;
  outageGraceMinutes: number;
}
export type SessionGrant = LeaseGrant | ActivationGrant;

export const signGrant = (key: SigningKey, certificate: SignedBlock, grant: SessionGrant): string =>
  signStatement(SESSION_GRANT.type, SESSION_GRANT.version, { ...grant }, key, certificate);

/** Why `text` is not the grant of exactly `expected` by a certified server at `now`; null if it is. */
export const grantRefusal = (
  text: string | undefined,
  expected: SessionGrant,
  trust: { roots: ReadonlyMap<string, PublicKeyInfo>; revokedKeyIds: ReadonlySet<string> },
  now: number,
): string | null => {
  if (text === undefined) return 'it sent no signed grant for the session';
  const read = readStatement(text, SESSION_GRANT, trust.roots, trust.revokedKeyIds);
  if (!read.ok) return `its session grant is refused: ${read.reason}`;
  const p = read.payload;
  const differs = Object.entries(expected)
    .filter(([k, v]) => p[k] !== v)
    .map(([k]) => k);
  if (differs.length > 0)
    return `its session grant is for another ${differs.join(', ')} (a replayed answer?)`;
  // The activation's grant must be within the certificate; a lease renews what it granted.
  const outside =
    expected.kind === 'session'
      ? certificateRefusal(read.certificate, String(expected.orgId), expected.product, now)
      : null;
  return outside ? `its issuer certificate ${outside}` : null;
};
