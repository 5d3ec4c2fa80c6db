// The .lic file: a signed license payload plus the issuer certificate of the key that signed it
// (armor.ts has the text layout). Format 3: an offline license names its seat in its certificate's
// range (seats.ts). Format 2 had no seat number and format 1 no certificate: both are refused, since
// a server key can sign any number of such licenses and the certificate could not bound them.
import {
  armor,
  dearmor,
  LICENSE,
  payloadOf,
  signBlock,
  type SignedBlock,
  type ArmorResult,
} from './armor.ts';
import { CERTIFICATE_VERSION } from './certificate.ts';
import type { SigningKey } from './keys.ts';
import { isOneOf, LICENSE_KINDS, PRODUCTS, type LicenseKind, type Product } from '../vocabulary.ts';

export const FORMAT_VERSION = 3;

/**
 * A license's file name, as the seeds name them (KRE_<machineID>.lic); a testing license says it is
 * one (KRE_<machineID>.testing.lic), so that nobody takes it for the license that runs tests.
 */
export const licenseFileName = (l: Pick<LicensePayload, 'product' | 'machineId' | 'kind'>) =>
  `${l.product}_${l.machineId}${l.kind === 'testing' ? '.testing' : ''}.lic`;

export interface LicensePayload {
  v: number;
  kid: string;
  id: string;
  product: Product;
  kind: LicenseKind;
  orgId: string;
  orgName: string;
  machineId: string;
  issuedAt: string;
  expiresAt: string;
  /** The id of the issuer certificate it was issued under. */
  certificateId: string;
  /** An offline license's seat number, 1 to its certificate's maxLicenses; a testing license has none. */
  seat?: number;
}

/** Signs a license with a server key and attaches that key's issuer certificate. */
export const signLicense = (
  payload: Omit<LicensePayload, 'v' | 'kid'>,
  key: SigningKey,
  certificate: SignedBlock,
): string =>
  armor({
    ...signBlock(LICENSE, FORMAT_VERSION, { v: FORMAT_VERSION, kid: key.keyId, ...payload }, key),
    issuer: certificate,
  });

export const dearmorLicense = (text: string): ArmorResult =>
  dearmor(text, LICENSE, FORMAT_VERSION, CERTIFICATE_VERSION);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** The signed JSON, checked field by field; null when it is not a license payload. */
export const decodePayload = (block: SignedBlock): LicensePayload | null => {
  const p = payloadOf(block);
  if (!p) return null;
  const strings = [
    'kid',
    'id',
    'orgId',
    'orgName',
    'machineId',
    'issuedAt',
    'expiresAt',
    'certificateId',
  ] as const;
  if (!strings.every((k) => typeof p[k] === 'string')) return null;
  if (p.v !== FORMAT_VERSION || !isOneOf(PRODUCTS, p.product) || !isOneOf(LICENSE_KINDS, p.kind))
    return null;
  if (!ISO.test(p.issuedAt as string) || !ISO.test(p.expiresAt as string)) return null;
  if (p.seat !== undefined && !Number.isSafeInteger(p.seat)) return null;
  return p as unknown as LicensePayload;
};
