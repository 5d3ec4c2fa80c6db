// An online session's grant: the license server's signed word that it gave this session, to this
// machine, for this organisation and product, in answer to katalonc's fresh nonce. Without it any
// HTTP server on loopback (the licensee's own) could hand out "sessions": katalonc runs only on a
// grant from a server whose key a built-in root certified for that organisation and product. Pure.
import type { SignedBlock } from './armor.ts';
import { certificateRefusal } from './certificate.ts';
import type { PublicKeyInfo, SigningKey } from './keys.ts';
import { readStatement, signStatement } from './statement.ts';
import type { Product } from '../vocabulary.ts';

const SESSION_GRANT = { type: 'KATALON SESSION GRANT', version: 1, what: 'a session grant' };

export interface SessionGrant {
  sessionId: string;
  nonce: string;
  machineId: string;
  orgId: number;
  product: Product;
}

export const signGrant = (key: SigningKey, certificate: SignedBlock, grant: SessionGrant): string =>
  signStatement(
    SESSION_GRANT.type,
    SESSION_GRANT.version,
    { kind: 'session', ...grant },
    key,
    certificate,
  );

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
  const differs = (Object.keys(expected) as (keyof SessionGrant)[]).filter(
    (k) => p[k] !== expected[k],
  );
  if (p.kind !== 'session' || differs.length > 0)
    return `its session grant is for another ${differs.join(', ') || 'kind'} (a replayed answer?)`;
  const outside = certificateRefusal(read.certificate, String(expected.orgId), expected.product, now);
  return outside ? `its issuer certificate ${outside}` : null;
};
