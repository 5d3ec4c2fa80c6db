// A time signed by a license server, with its issuer certificate: the one thing that may move
// katalonc's clock mark back (after a run once saw a clock months ahead). Online it answers a fresh
// nonce; as a file for an air-gapped machine it names that machine. Pure.
import type { SignedBlock } from './armor.ts';
import type { PublicKeyInfo, SigningKey } from './keys.ts';
import { readStatement, signStatement } from './statement.ts';

const SIGNED_TIME = 'KATALON SIGNED TIME';
const VERSION = 1;

export interface SignedTime {
  kind: 'time';
  id: string;
  /** ms since the epoch. */
  time: number;
  /** A file's machine, or an online request's nonce. */
  machineId?: string;
  nonce?: string;
}

export const signTime = (
  key: SigningKey,
  certificate: SignedBlock,
  fields: Omit<SignedTime, 'kind'>,
): string => signStatement(SIGNED_TIME, VERSION, { kind: 'time', ...fields }, key, certificate);

export type TimeCheck = { ok: true; time: SignedTime } | { ok: false; reason: string };

/** The signed time, if a server certified by one of `roots` (and not revoked) signed it. */
export const readSignedTime = (
  text: string,
  roots: ReadonlyMap<string, PublicKeyInfo>,
  revokedKeyIds: ReadonlySet<string>,
): TimeCheck => {
  const what = 'a signed time';
  const read = readStatement(
    text,
    { type: SIGNED_TIME, version: VERSION, what },
    roots,
    revokedKeyIds,
  );
  if (!read.ok) return read;
  const p = read.payload;
  if (p.kind !== 'time' || typeof p.id !== 'string' || typeof p.time !== 'number')
    return { ok: false, reason: `it is not ${what}` };
  return {
    ok: true,
    time: {
      kind: 'time',
      id: p.id,
      time: p.time,
      ...(typeof p.machineId === 'string' ? { machineId: p.machineId } : {}),
      ...(typeof p.nonce === 'string' ? { nonce: p.nonce } : {}),
    },
  };
};
