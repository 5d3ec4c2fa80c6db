// The root key of this checkout. A build without KATALONC_BUILTIN_KEYS (every build of a checkout:
// `npm run build`, the tour, the tests) builds in this root and is a development build; its private
// key is made on first use in .dev-root/ (git-ignored, 0600) and never leaves the checkout. The
// tour, the tests and the bench certify their servers' keys with it (`root certify`).
// Every build and every use sets the folder back to 0700 and its files to 0600: a checkout copied
// or unpacked with other modes (it was found 0705/0604) must not leave the key readable by others.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  generateSigningKey,
  signingKeyFromPem,
  type SigningKey,
} from '../src/core/license/keys.ts';
import { errnoCode, readOrCreate } from '../src/platform/errno.ts';

export const DEV_ROOT_DIR = resolve(import.meta.dirname, '..', '.dev-root');
export const DEV_ROOT_FILE = join(DEV_ROOT_DIR, 'root-key.pem');

/** Sets .dev-root/ to 0700 and each file in it to 0600 (if it exists). */
export const lockDownDevRoot = (): void => {
  let names: string[];
  try {
    names = readdirSync(DEV_ROOT_DIR);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  chmodSync(DEV_ROOT_DIR, 0o700);
  for (const name of names) {
    const path = join(DEV_ROOT_DIR, name);
    const stat = lstatSync(path);
    if (!stat.isSymbolicLink()) chmodSync(path, stat.isDirectory() ? 0o700 : 0o600);
  }
};

export const devRootKey = (): SigningKey => {
  lockDownDevRoot();
  mkdirSync(DEV_ROOT_DIR, { recursive: true, mode: 0o700 });
  // Exclusively: two builds at once make one key.
  return signingKeyFromPem(readOrCreate(DEV_ROOT_FILE, () => generateSigningKey().pem));
};
