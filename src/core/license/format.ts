// The .lic file: armored text that survives e-mail and copy-paste.
//
//   -----BEGIN KATALON LICENSE-----
//   Version: 1
//   Key-Id: 3f9a2b7c01d2e4f5
//
//   <base64 of the payload (UTF-8 JSON), 64 characters a line>
//   -----BEGIN SIGNATURE-----
//   <base64 of the Ed25519 signature over exactly those payload bytes>
//   -----END KATALON LICENSE-----
//
// Reading is strict: the text must be exactly what writing those bytes produces (LF or CRLF line
// ends, with or without the final line end), so that any change to the file is noticed.
import { sign as edSign, verify as edVerify } from 'node:crypto';
import type { PublicKeyInfo, SigningKey } from './keys.ts';
import { isOneOf, LICENSE_KINDS, PRODUCTS, type LicenseKind, type Product } from '../vocabulary.ts';

const FORMAT_VERSION = 1;
const BEGIN = '-----BEGIN KATALON LICENSE-----';
const SIGNATURE = '-----BEGIN SIGNATURE-----';
const END = '-----END KATALON LICENSE-----';
const LINE = 64;

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
}

export interface ArmoredLicense {
  version: number;
  keyId: string;
  payload: Uint8Array;
  signature: Uint8Array;
}

export type ArmorResult =
  | { ok: true; license: ArmoredLicense }
  | { ok: false; status: 'malformed'; reason: string }
  | { ok: false; status: 'unsupported-version'; version: string };

const wrap = (bytes: Uint8Array): string[] =>
  Buffer.from(bytes)
    .toString('base64')
    .match(new RegExp(`.{1,${LINE}}`, 'g')) ?? [];

const armor = (license: ArmoredLicense): string =>
  [
    BEGIN,
    `Version: ${license.version}`,
    `Key-Id: ${license.keyId}`,
    '',
    ...wrap(license.payload),
    SIGNATURE,
    ...wrap(license.signature),
    END,
    '',
  ].join('\n');

export const signLicense = (
  payload: Omit<LicensePayload, 'v' | 'kid'>,
  key: SigningKey,
): string => {
  const full: LicensePayload = { v: FORMAT_VERSION, kid: key.keyId, ...payload };
  const bytes = new TextEncoder().encode(JSON.stringify(full));
  const signature = edSign(null, bytes, key.privateKey);
  return armor({ version: FORMAT_VERSION, keyId: key.keyId, payload: bytes, signature });
};

export const verifySignature = (license: ArmoredLicense, key: PublicKeyInfo): boolean =>
  license.signature.length === 64 && edVerify(null, license.payload, key.key, license.signature);

const malformed = (reason: string): ArmorResult => ({ ok: false, status: 'malformed', reason });

const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;

const decodeBlock = (lines: string[]): Uint8Array | null => {
  if (lines.length === 0 || !lines.every((l) => BASE64_LINE.test(l))) return null;
  return Buffer.from(lines.join(''), 'base64');
};

/** Splits the armor into its parts; it does not look at the payload or the signature. */
export const dearmor = (text: string): ArmorResult => {
  if (/[^\x20-\x7e\r\n]/.test(text))
    return malformed('it contains bytes that are not printable text');
  const crlf = text.includes('\r\n');
  const normal = crlf ? text.replaceAll('\r\n', '\n') : text;
  if (normal.includes('\r')) return malformed('its line ends are mixed');
  const lines = normal.split('\n');
  if (lines[0] !== BEGIN) return malformed(`it does not start with ${BEGIN}`);
  const version = /^Version: (.*)$/.exec(lines[1] ?? '')?.[1];
  if (version === undefined) return malformed('its "Version:" line is missing');
  if (version !== String(FORMAT_VERSION)) {
    return /^[1-9][0-9]{0,5}$/.test(version)
      ? { ok: false, status: 'unsupported-version', version }
      : malformed(`its version "${version}" is not a number`);
  }
  const keyId = /^Key-Id: ([0-9a-f]{16})$/.exec(lines[2] ?? '')?.[1];
  if (!keyId) return malformed('its "Key-Id:" line is missing or not 16 hex digits');
  if (lines[3] !== '') return malformed('a blank line must follow the headers');
  const sigAt = lines.indexOf(SIGNATURE);
  const endAt = lines.indexOf(END);
  if (sigAt < 0 || endAt < sigAt) return malformed('its signature block is missing');
  const payload = decodeBlock(lines.slice(4, sigAt));
  const signature = decodeBlock(lines.slice(sigAt + 1, endAt));
  if (!payload || !signature) return malformed('a block is not base64');
  const license: ArmoredLicense = { version: FORMAT_VERSION, keyId, payload, signature };
  // Anything the writer would not have produced (extra lines, other wrapping, padding tricks) is a change.
  const canonical = armor(license);
  if (normal !== canonical && normal !== canonical.slice(0, -1))
    return malformed('its text differs from how a license is written (edited or re-wrapped)');
  return { ok: true, license };
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** The signed JSON, checked field by field; null when it is not a license payload. */
export const decodePayload = (bytes: Uint8Array): LicensePayload | null => {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<
      string,
      unknown
    >;
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null) return null;
  const strings = ['kid', 'id', 'orgId', 'orgName', 'machineId', 'issuedAt', 'expiresAt'] as const;
  if (!strings.every((k) => typeof p[k] === 'string')) return null;
  if (p.v !== FORMAT_VERSION || !isOneOf(PRODUCTS, p.product) || !isOneOf(LICENSE_KINDS, p.kind))
    return null;
  if (!ISO.test(p.issuedAt as string) || !ISO.test(p.expiresAt as string)) return null;
  return p as unknown as LicensePayload;
};
