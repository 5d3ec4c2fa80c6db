// A statement a license server signs with its key and sends with its issuer certificate (a signed
// time, an online session's grant): katalonc believes it only through the chain root → certificate
// → server key. Pure: the armored text in, its payload and certificate out.
import { armor, dearmor, payloadOf, signBlock, type SignedBlock } from './armor.ts';
import { CERTIFICATE_VERSION, checkChain, type IssuerCertificate } from './certificate.ts';
import type { PublicKeyInfo, SigningKey } from './keys.ts';

export const signStatement = (
  type: string,
  version: number,
  payload: Record<string, unknown>,
  key: SigningKey,
  certificate: SignedBlock,
): string => armor({ ...signBlock(type, version, payload, key), issuer: certificate });

export type StatementCheck =
  | { ok: true; payload: Record<string, unknown>; certificate: IssuerCertificate }
  | { ok: false; reason: string };

/** The statement's payload, if a server certified by one of `roots` (and not revoked) signed it. */
export const readStatement = (
  text: string,
  kind: { type: string; version: number; what: string },
  roots: ReadonlyMap<string, PublicKeyInfo>,
  revokedKeyIds: ReadonlySet<string>,
): StatementCheck => {
  const parsed = dearmor(text, kind.type, kind.version, CERTIFICATE_VERSION);
  if (!parsed.ok) return { ok: false, reason: `it is not ${kind.what} (or it was changed)` };
  const chain = checkChain(parsed.document, roots, revokedKeyIds);
  if (!chain.ok) return { ok: false, reason: chain.message };
  const payload = payloadOf(parsed.document);
  return payload
    ? { ok: true, payload, certificate: chain.certificate }
    : { ok: false, reason: `it is not ${kind.what}` };
};
