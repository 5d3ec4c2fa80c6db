// The armored text of every signed document (a license, an issuer certificate, a revocation list):
// text that survives e-mail and copy-paste.
//
//   -----BEGIN KATALON LICENSE-----
//   Version: 2
//   Key-Id: 3f9a2b7c01d2e4f5                   (the key that signed the payload)
//
//   <base64 of the payload (UTF-8 JSON), 64 characters a line>
//   -----BEGIN SIGNATURE-----
//   <base64 of the Ed25519 signature over exactly those payload bytes>
//   -----BEGIN KATALON ISSUER CERTIFICATE-----  (a license only: the root's word for that key)
//   … the same four parts, signed by a root key …
//   -----END KATALON ISSUER CERTIFICATE-----
//   -----END KATALON LICENSE-----
//
// Reading is strict: the text must be exactly what writing those bytes produces (LF or CRLF line
// ends, with or without the final line end), so that any change to the file is noticed.
import { crypto, type PublicKeyInfo, type SigningKey } from './keys.ts';

export const LICENSE = 'KATALON LICENSE';
export const ISSUER_CERTIFICATE = 'KATALON ISSUER CERTIFICATE';
export const REVOCATION_LIST = 'KATALON REVOCATION LIST';

const SIGNATURE = '-----BEGIN SIGNATURE-----';
const LINE = 64;
const begin = (type: string) => `-----BEGIN ${type}-----`;
const end = (type: string) => `-----END ${type}-----`;

export interface SignedBlock {
  type: string;
  version: number;
  keyId: string;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** A signed block, and for a license the issuer certificate that vouches for its key. */
export interface SignedDocument extends SignedBlock {
  issuer?: SignedBlock;
}

export type ArmorResult =
  | { ok: true; document: SignedDocument }
  | { ok: false; status: 'malformed'; reason: string }
  | { ok: false; status: 'unsupported-version'; version: number };

const wrap = (bytes: Uint8Array): string[] =>
  Buffer.from(bytes)
    .toString('base64')
    .match(new RegExp(`.{1,${LINE}}`, 'g')) ?? [];

const blockLines = (b: SignedBlock): string[] => [
  begin(b.type),
  `Version: ${b.version}`,
  `Key-Id: ${b.keyId}`,
  '',
  ...wrap(b.payload),
  SIGNATURE,
  ...wrap(b.signature),
];

export const armor = (d: SignedDocument): string =>
  [
    ...blockLines(d),
    ...(d.issuer ? [...blockLines(d.issuer), end(d.issuer.type)] : []),
    end(d.type),
    '',
  ].join('\n');

/** Signs `payload` (JSON) with `key` into a block of `type`. */
export const signBlock = (
  type: string,
  version: number,
  payload: unknown,
  key: SigningKey,
): SignedBlock => {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  return {
    type,
    version,
    keyId: key.keyId,
    payload: bytes,
    signature: crypto().sign(null, bytes, key.privateKey),
  };
};

export const verifyBlock = (block: SignedBlock, key: PublicKeyInfo): boolean =>
  block.signature.length === 64 && crypto().verify(null, block.payload, key.key, block.signature);

const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
const decode = (lines: string[]): Uint8Array | null =>
  lines.length > 0 && lines.every((l) => BASE64_LINE.test(l))
    ? Buffer.from(lines.join(''), 'base64')
    : null;

type Parsed = { block: SignedBlock; next: number } | { error: string } | { version: number };

/** One block from `lines[at]`, up to (not including) the line `stop` accepts. */
const parseBlock = (
  lines: string[],
  at: number,
  type: string,
  version: number,
  stop: (line: string) => boolean,
): Parsed => {
  if (lines[at] !== begin(type)) return { error: `it does not start with ${begin(type)}` };
  const v = /^Version: (.*)$/.exec(lines[at + 1] ?? '')?.[1];
  if (v === undefined) return { error: 'its "Version:" line is missing' };
  if (!/^[1-9][0-9]{0,5}$/.test(v)) return { error: `its version "${v}" is not a number` };
  if (Number(v) !== version) return { version: Number(v) };
  const keyId = /^Key-Id: ([0-9a-f]{16})$/.exec(lines[at + 2] ?? '')?.[1];
  if (!keyId) return { error: 'its "Key-Id:" line is missing or not 16 hex digits' };
  if (lines[at + 3] !== '') return { error: 'a blank line must follow the headers' };
  const sigAt = lines.indexOf(SIGNATURE, at + 4);
  if (sigAt < 0) return { error: 'its signature block is missing' };
  let stopAt = sigAt + 1;
  while (stopAt < lines.length && !stop(lines[stopAt])) stopAt++;
  if (stopAt >= lines.length) return { error: `it does not end with ${end(type)}` };
  const payload = decode(lines.slice(at + 4, sigAt));
  const signature = decode(lines.slice(sigAt + 1, stopAt));
  if (!payload || !signature) return { error: 'a block is not base64' };
  return { block: { type, version, keyId, payload, signature }, next: stopAt };
};

/**
 * Splits the armor of a document of `type` into its parts; it checks no signature and reads no
 * payload. `issuer`: the version of the issuer certificate the document must carry, if any.
 */
export const dearmor = (
  text: string,
  type: string,
  version: number,
  issuer?: number,
): ArmorResult => {
  const malformed = (reason: string): ArmorResult => ({ ok: false, status: 'malformed', reason });
  if (/[^\x20-\x7e\r\n]/.test(text))
    return malformed('it contains bytes that are not printable text');
  const normal = text.includes('\r\n') ? text.replaceAll('\r\n', '\n') : text;
  if (normal.includes('\r')) return malformed('its line ends are mixed');
  const lines = normal.split('\n');
  const outer = parseBlock(
    lines,
    0,
    type,
    version,
    (l) => l === end(type) || l === begin(ISSUER_CERTIFICATE),
  );
  if ('error' in outer) return malformed(outer.error);
  if ('version' in outer)
    return { ok: false, status: 'unsupported-version', version: outer.version };
  const document: SignedDocument = outer.block;
  let at = outer.next;
  if (issuer !== undefined) {
    const cert = parseBlock(
      lines,
      at,
      ISSUER_CERTIFICATE,
      issuer,
      (l) => l === end(ISSUER_CERTIFICATE),
    );
    if ('error' in cert)
      return malformed(`its issuer certificate is missing or broken (${cert.error})`);
    if ('version' in cert) return malformed(`its issuer certificate has version ${cert.version}`);
    document.issuer = cert.block;
    at = cert.next + 1;
  }
  if (lines[at] !== end(type)) return malformed(`it does not end with ${end(type)}`);
  // Anything the writer would not have produced (extra lines, other wrapping, padding tricks) is a change.
  const canonical = armor(document);
  if (normal !== canonical && normal !== canonical.slice(0, -1))
    return malformed('its text differs from how it is written (edited or re-wrapped)');
  return { ok: true, document };
};

/** The signed JSON of a block, or null when it is not JSON of an object. */
export const payloadOf = (block: SignedBlock): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(block.payload),
    );
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
};
