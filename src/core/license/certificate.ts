// The chain of trust: a root key (held by the licensor, built into every release of katalonc)
// certifies a license server's signing key with an issuer certificate, which says what that key may
// issue: for which organisations and products, how many offline licenses, until when. Every .lic
// carries its certificate. A root may also revoke server keys (a compromised server) with a signed
// revocation list. Pure: documents in, facts out.
import {
  armor,
  dearmor,
  ISSUER_CERTIFICATE,
  payloadOf,
  REVOCATION_LIST,
  signBlock,
  verifyBlock,
  type SignedBlock,
} from './armor.ts';
import { parsePublicKey, type PublicKeyInfo, type SigningKey } from './keys.ts';
import { isOneOf, PRODUCTS, type LicenseKind, type Product } from '../vocabulary.ts';
import { fail } from '../errors.ts';

export const CERTIFICATE_VERSION = 1;

export interface IssuerCertificate {
  kind: 'issuer';
  /** The certificate's own id (licenses count against it). */
  id: string;
  /** The server key it certifies. */
  keyId: string;
  publicKey: string;
  /** Organisation IDs, or ["*"] for any. */
  orgs: string[];
  products: Product[];
  /** Its seats: offline licenses under it are numbered 1 to maxLicenses (seats.ts). */
  maxLicenses: number;
  notBefore: string;
  notAfter: string;
}

export interface RevocationList {
  kind: 'revocations';
  id: string;
  issuedAt: string;
  /** Server key IDs whose licenses are no longer valid. */
  revokedKeyIds: string[];
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const strings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

export const certify = (
  root: SigningKey,
  certificate: Omit<IssuerCertificate, 'kind'>,
): SignedBlock =>
  signBlock(ISSUER_CERTIFICATE, CERTIFICATE_VERSION, { kind: 'issuer', ...certificate }, root);

/**
 * What "root certify" was asked for (its options as typed), checked: the fields of the certificate
 * to sign (`id`, from `now` on), or the refusal that names the option to fix.
 */
export const certificateFields = (
  asked: { serverKey: string; orgs: string; products: string; maxLicenses: number; until: number },
  id: string,
  now: number,
): Omit<IssuerCertificate, 'kind'> => {
  const serverKey = parsePublicKey(asked.serverKey);
  if (!serverKey)
    throw fail(
      'INVALID_ARGUMENT',
      `--server-key "${asked.serverKey}" is not a public key (ed25519:…)`,
    );
  const products: Product[] = [];
  for (const p of asked.products.split(',').map((x) => x.trim().toUpperCase())) {
    if (!isOneOf(PRODUCTS, p))
      throw fail('INVALID_ARGUMENT', `--products: "${p}" is not one of ${PRODUCTS.join(', ')}`);
    products.push(p);
  }
  if (asked.until <= now) throw fail('INVALID_ARGUMENT', '--until is in the past');
  return {
    id,
    keyId: serverKey.keyId,
    publicKey: serverKey.text,
    orgs: asked.orgs
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
    products,
    maxLicenses: asked.maxLicenses,
    notBefore: new Date(now).toISOString(),
    notAfter: new Date(asked.until).toISOString(),
  };
};

export const revoke = (root: SigningKey, list: Omit<RevocationList, 'kind'>): string =>
  armor(signBlock(REVOCATION_LIST, CERTIFICATE_VERSION, { kind: 'revocations', ...list }, root));

/** An issuer certificate's fields, checked one by one; null when it is not one. */
export const decodeCertificate = (block: SignedBlock): IssuerCertificate | null => {
  const p = payloadOf(block);
  if (!p || p.kind !== 'issuer') return null;
  const { id, keyId, publicKey, orgs, products, maxLicenses, notBefore, notAfter } = p;
  if (typeof id !== 'string' || typeof keyId !== 'string' || typeof publicKey !== 'string')
    return null;
  if (!strings(orgs) || !Array.isArray(products) || !products.every((x) => isOneOf(PRODUCTS, x)))
    return null;
  if (typeof maxLicenses !== 'number' || !Number.isInteger(maxLicenses) || maxLicenses < 0)
    return null;
  if (typeof notBefore !== 'string' || typeof notAfter !== 'string') return null;
  if (!ISO.test(notBefore) || !ISO.test(notAfter)) return null;
  const key = parsePublicKey(publicKey);
  if (!key || key.keyId !== keyId) return null;
  return { kind: 'issuer', id, keyId, publicKey, orgs, products, maxLicenses, notBefore, notAfter };
};

export type CertificateCheck =
  | { ok: true; certificate: IssuerCertificate; key: PublicKeyInfo }
  | { ok: false; status: 'unknown-key' | 'tampered' | 'malformed'; message: string };

/** Whether a root in `roots` signed this certificate; then the server key it certifies. */
const checkCertificate = (
  block: SignedBlock,
  roots: ReadonlyMap<string, PublicKeyInfo>,
): CertificateCheck => {
  const root = roots.get(block.keyId);
  if (!root)
    return {
      ok: false,
      status: 'unknown-key',
      message: `its issuer certificate is signed by key ${block.keyId}, which is not a root this katalonc trusts: only licenses from a server certified by the licensor are valid`,
    };
  if (!verifyBlock(block, root))
    return {
      ok: false,
      status: 'tampered',
      message:
        'its issuer certificate was changed after it was signed; ask your admin for an unmodified copy',
    };
  const certificate = decodeCertificate(block);
  if (!certificate)
    return {
      ok: false,
      status: 'malformed',
      message: 'its issuer certificate is not one this katalonc understands: upgrade katalonc',
    };
  return { ok: true, certificate, key: parsePublicKey(certificate.publicKey)! };
};

export type ChainCheck =
  | { ok: true; certificate: IssuerCertificate }
  | { ok: false; status: 'unknown-key' | 'tampered' | 'malformed' | 'revoked'; message: string };

/**
 * The whole chain of a signed document that carries its issuer certificate (a license, a signed
 * time): a root signed the certificate, the certificate names the key that signed the document,
 * that key is not revoked, and its signature holds. `certificates` caches the certificate checks
 * (the licenses of one server share one certificate).
 */
export const checkChain = (
  document: SignedBlock & { issuer?: SignedBlock },
  roots: ReadonlyMap<string, PublicKeyInfo>,
  revokedKeyIds: ReadonlySet<string>,
  certificates?: Map<string, CertificateCheck>,
): ChainCheck => {
  const issuer = document.issuer!;
  const cacheKey = Buffer.from(issuer.signature).toString('base64');
  const chain = certificates?.get(cacheKey) ?? checkCertificate(issuer, roots);
  certificates?.set(cacheKey, chain);
  if (!chain.ok) return chain;
  const { certificate, key } = chain;
  if (certificate.keyId !== document.keyId)
    return {
      ok: false,
      status: 'tampered',
      message:
        'it is signed by another key than its issuer certificate names: it was changed after it was issued',
    };
  if (revokedKeyIds.has(certificate.keyId))
    return {
      ok: false,
      status: 'revoked',
      message: `its issuing server's key ${certificate.keyId} was revoked by the licensor (compromised): ask your admin for a new license`,
    };
  if (!verifyBlock(document, key))
    return {
      ok: false,
      status: 'tampered',
      message:
        'the signature does not match the content: the file was changed after it was issued; ask your admin for an unmodified copy',
    };
  return { ok: true, certificate };
};

/** Why a license (org, product, issue and expiry times, seat) is outside its certificate, or null. */
export const outsideCertificate = (
  c: IssuerCertificate,
  l: {
    orgId: string;
    product: Product;
    issuedAt: string;
    expiresAt: string;
    kind: LicenseKind;
    seat?: number;
  },
): string | null => {
  if (!c.orgs.includes('*') && !c.orgs.includes(l.orgId))
    return `its issuer may not issue licenses for organisation ${l.orgId}`;
  if (!c.products.includes(l.product)) return `its issuer may not issue ${l.product} licenses`;
  if (l.issuedAt < c.notBefore || l.issuedAt > c.notAfter)
    return `it was issued at ${l.issuedAt}, outside its issuer's certificate (${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)})`;
  if (l.expiresAt > c.notAfter)
    return `it expires after its issuer's certificate does (${c.notAfter.slice(0, 10)})`;
  // The certificate's maxLicenses is its seats: an offline license beyond them is never valid.
  if (l.kind === 'offline') {
    if (l.seat === undefined) return 'it carries no seat number';
    if (l.seat < 1 || l.seat > c.maxLicenses)
      return `its seat number ${l.seat} is outside its issuer's range (1 to ${c.maxLicenses})`;
  }
  return null;
};

/** Why a server may not issue a license for this org and product now, or null (the server's check). */
export const certificateRefusal = (
  c: IssuerCertificate,
  orgId: string,
  product: Product,
  now: number,
): string | null => {
  if (!c.orgs.includes('*') && !c.orgs.includes(orgId))
    return `does not cover organisation ${orgId}`;
  if (!c.products.includes(product)) return `does not cover ${product}`;
  if (now < Date.parse(c.notBefore)) return `is valid only from ${c.notBefore.slice(0, 10)}`;
  if (now >= Date.parse(c.notAfter)) return `expired on ${c.notAfter.slice(0, 10)}`;
  return null;
};

/** Why `next` may not replace `installed`: it certifies the same key and was issued earlier; or null. */
export const olderCertificate = (
  installed: IssuerCertificate,
  next: IssuerCertificate,
): string | null =>
  installed.keyId === next.keyId && Date.parse(next.notBefore) < Date.parse(installed.notBefore)
    ? `was issued on ${next.notBefore}, before the installed certificate ${installed.id} for this server's key (issued on ${installed.notBefore}): an older certificate never replaces a newer one; if the installed one is wrong, ask the licensor for a new certificate`
    : null;

/** A revocation list's revoked key IDs if a root signed it; null otherwise. */
export const readRevocationList = (
  text: string,
  roots: ReadonlyMap<string, PublicKeyInfo>,
): RevocationList | null => {
  const parsed = dearmor(text, REVOCATION_LIST, CERTIFICATE_VERSION);
  if (!parsed.ok) return null;
  const root = roots.get(parsed.document.keyId);
  if (!root || !verifyBlock(parsed.document, root)) return null;
  const p = payloadOf(parsed.document);
  if (!p || p.kind !== 'revocations' || typeof p.id !== 'string' || typeof p.issuedAt !== 'string')
    return null;
  if (!strings(p.revokedKeyIds)) return null;
  return { kind: 'revocations', id: p.id, issuedAt: p.issuedAt, revokedKeyIds: p.revokedKeyIds };
};

/** A standalone issuer certificate file (what a root holder gives a server's admin). */
export const armorCertificate = (block: SignedBlock): string => armor(block);

export const readCertificateFile = (text: string): SignedBlock | null => {
  const parsed = dearmor(text, ISSUER_CERTIFICATE, CERTIFICATE_VERSION);
  return parsed.ok ? parsed.document : null;
};
