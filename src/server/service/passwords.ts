// Console passwords, hashed with scrypt (memory-hard: 32 MiB and ~50 ms a hash here), salted, and
// stored with their parameters so that they can be raised later without breaking old hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const COST = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 12;

const derive = (password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );

export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join(
    '$',
  );
};

// Checked against when there is no such user, so that an unknown e-mail takes as long as a known one.
const UNKNOWN = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_BYTES).toString('base64')}`;

export const verifyPassword = async (password: string, stored: string | null): Promise<boolean> => {
  const [scheme, n, r, p, salt, key] = (stored ?? UNKNOWN).split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const options = { N: Number(n), r: Number(r), p: Number(p), maxmem: COST.maxmem };
  const given = await derive(password, Buffer.from(salt, 'base64'), options);
  const expected = Buffer.from(key, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected) && stored !== null;
};
