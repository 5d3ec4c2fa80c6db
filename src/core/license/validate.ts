// The validation rules: one license text in, exactly one status with a message a user can act on out.
// A license is valid only through the chain root → issuer certificate → server key → license.
import { dearmorLicense, decodePayload, FORMAT_VERSION, type LicensePayload } from './format.ts';
import {
  checkChain,
  outsideCertificate,
  type CertificateCheck,
  type IssuerCertificate,
} from './certificate.ts';
import type { Product } from '../vocabulary.ts';
import type { PublicKeyInfo } from './keys.ts';
import { CLOCK_TOLERANCE_MS, isRolledBack } from './clock.ts';

export type LicenseStatus =
  | 'valid'
  | 'testing'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-machine'
  | 'wrong-product'
  | 'tampered'
  | 'unknown-key'
  | 'revoked'
  | 'outside-certificate'
  | 'malformed'
  | 'unsupported-version'
  | 'old-format'
  | 'clock-rollback';

export interface ValidationContext {
  /** The root keys built into this katalonc. */
  roots: ReadonlyMap<string, PublicKeyInfo>;
  /** Server key IDs a root revoked. */
  revokedKeyIds: ReadonlySet<string>;
  machineId: string;
  product: Product;
  /** Now, in ms since the epoch. */
  now: number;
  /** The latest trusted time seen before (ms), or null. */
  highWaterMark: number | null;
  /** Checked certificates by their signature: licenses of one server share one (a folder of 1,000). */
  certificates?: Map<string, CertificateCheck>;
}

export interface Validation {
  status: LicenseStatus;
  message: string;
  /** Present once the signature checked out. */
  payload?: LicensePayload;
  /** The issuer certificate, once the chain checked out. */
  certificate?: IssuerCertificate;
}

const day = (iso: string): string => iso.slice(0, 10);

export const validateLicense = (text: string, ctx: ValidationContext): Validation => {
  const armored = dearmorLicense(text);
  if (!armored.ok) {
    if (armored.status === 'malformed')
      return { status: 'malformed', message: `not a readable license file: ${armored.reason}` };
    // Format 1 had no issuer certificate, format 2 no seat number: accepting either would let a
    // server key sign past its certificate. The server that issued it (upgraded) re-issues it.
    if (armored.version < FORMAT_VERSION)
      return {
        status: 'old-format',
        message: `an old license format (${armored.version}, with no ${armored.version === 1 ? 'issuer certificate' : 'seat number'}), which this katalonc no longer accepts: ask your admin to re-issue it from the upgraded license server ("offline create --replace") for this machine, ID ${ctx.machineId}`,
      };
    return {
      status: 'unsupported-version',
      message: `license format version ${armored.version} is newer than this katalonc understands: upgrade katalonc`,
    };
  }
  const license = armored.document;
  const chain = checkChain(license, ctx.roots, ctx.revokedKeyIds, ctx.certificates);
  if (!chain.ok) return { status: chain.status, message: chain.message };
  const { certificate } = chain;
  const payload = decodePayload(license);
  if (!payload || payload.kid !== license.keyId || payload.certificateId !== certificate.id) {
    return {
      status: 'malformed',
      message:
        'signed, but its content is not a license this katalonc understands: upgrade katalonc',
    };
  }
  const outside = outsideCertificate(certificate, payload);
  if (outside)
    return {
      payload,
      status: 'outside-certificate',
      message: `outside what its issuer may issue: ${outside}`,
    };
  const found = { payload, certificate };
  if (payload.machineId !== ctx.machineId) {
    return {
      ...found,
      status: 'wrong-machine',
      message: `issued for machine ${payload.machineId}, but this machine (and user) is ${ctx.machineId}: ask your admin for a license for ${ctx.machineId}`,
    };
  }
  if (payload.product !== ctx.product) {
    return {
      ...found,
      status: 'wrong-product',
      message: `a ${payload.product} license, but ${ctx.product} is needed here (see --product)`,
    };
  }
  if (isRolledBack(ctx.now, ctx.highWaterMark)) {
    return {
      ...found,
      status: 'clock-rollback',
      message: `this machine's clock (${new Date(ctx.now).toISOString()}) is more than an hour behind a time it has already seen (${new Date(ctx.highWaterMark!).toISOString()}): set the clock right; if it is right, that earlier time was wrong: run "katalonc clock sync" (online), or "katalonc clock sync --file FILE" with a time file from your admin`,
    };
  }
  if (ctx.now + CLOCK_TOLERANCE_MS < Date.parse(payload.issuedAt)) {
    return {
      ...found,
      status: 'not-yet-valid',
      message: `issued at ${payload.issuedAt}, which is in this machine's future: check the clock`,
    };
  }
  if (ctx.now >= Date.parse(payload.expiresAt)) {
    return {
      ...found,
      status: 'expired',
      message: `expired on ${day(payload.expiresAt)}: ask your admin for a new offline license, or activate online`,
    };
  }
  if (payload.kind === 'testing') {
    return {
      ...found,
      status: 'testing',
      message: `testing license: machine ID ${payload.machineId} is confirmed; it cannot run tests, ask your admin for the offline license`,
    };
  }
  return {
    ...found,
    status: 'valid',
    message: `valid until ${day(payload.expiresAt)} (${payload.orgName})`,
  };
};
