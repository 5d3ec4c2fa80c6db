// The validation rules: one license text in, exactly one status with a message a user can act on out.
import { decodePayload, dearmor, verifySignature, type LicensePayload } from './format.ts';
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
  | 'malformed'
  | 'unsupported-version'
  | 'clock-rollback';

export interface ValidationContext {
  trustedKeys: ReadonlyMap<string, PublicKeyInfo>;
  machineId: string;
  product: Product;
  /** Now, in ms since the epoch. */
  now: number;
  /** The latest trusted time seen before (ms), or null. */
  highWaterMark: number | null;
}

export interface Validation {
  status: LicenseStatus;
  message: string;
  /** Present once the signature checked out. */
  payload?: LicensePayload;
}

const day = (iso: string): string => iso.slice(0, 10);

export const validateLicense = (text: string, ctx: ValidationContext): Validation => {
  const armored = dearmor(text);
  if (!armored.ok) {
    return armored.status === 'unsupported-version'
      ? {
          status: 'unsupported-version',
          message: `license format version ${armored.version} is newer than this katalonc understands: upgrade katalonc`,
        }
      : { status: 'malformed', message: `not a readable license file: ${armored.reason}` };
  }
  const { license } = armored;
  const key = ctx.trustedKeys.get(license.keyId);
  if (!key) {
    return {
      status: 'unknown-key',
      message: `signed by key ${license.keyId}, which this katalonc does not trust: for a self-hosted server run "katalonc trust add <key>" with the output of "katalon-license-server keys public"`,
    };
  }
  if (!verifySignature(license, key)) {
    return {
      status: 'tampered',
      message:
        'the signature does not match the content: the file was changed after it was issued; ask your admin for an unmodified copy',
    };
  }
  const payload = decodePayload(license.payload);
  if (!payload || payload.kid !== license.keyId) {
    return {
      status: 'malformed',
      message:
        'signed, but its content is not a license this katalonc understands: upgrade katalonc',
    };
  }
  const found = { payload };
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
      message: `this machine's clock (${new Date(ctx.now).toISOString()}) is more than an hour behind a time it has already seen (${new Date(ctx.highWaterMark!).toISOString()}): set the clock right`,
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
