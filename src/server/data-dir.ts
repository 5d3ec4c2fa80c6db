// The server's data dir: the SQLite database, the Ed25519 signing key (0600, made on first use)
// and the admin token file (0600, made on first start unless KLS_ADMIN_TOKEN is set). With
// KLS_DATABASE_URL set, the database is that PostgreSQL database instead, shared by replicas.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, signingKeyFromPem, type SigningKey } from '../core/license/keys.ts';
import { fail } from '../core/errors.ts';
import { openSqliteStore } from './store/sqlite.ts';
import type { Store } from './store/store.ts';

export const defaultDataDir = (): string =>
  process.env.KLS_DATA_DIR ?? join(homedir(), '.katalon-license-server');

/** Reads `file`, or creates it with `make()` exclusively (two first starts cannot both write it). */
const readOrCreate = (file: string, make: () => string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    writeFileSync(file, make(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8');
};

export interface DataDir {
  dir: string;
  store: Store;
  signingKey: SigningKey;
}

/** Creates the data dir if needed and reads its signing key (made on first use); no database. */
export const openSigningKey = (dir: string): SigningKey => {
  // The database and its WAL files hold hashes, sessions and licenses: readable by the server's user only.
  process.umask(0o077);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return signingKeyFromPem(
      readOrCreate(join(dir, 'signing-key.pem'), () => generateSigningKey().pem),
    );
  } catch (error) {
    throw fail('FILE_ERROR', `cannot open the data dir ${dir}: ${(error as Error).message}`);
  }
};

export const openDataDir = async (dir: string): Promise<DataDir> => {
  const signingKey = openSigningKey(dir);
  const databaseUrl = process.env.KLS_DATABASE_URL;
  if (databaseUrl) {
    const { openPostgresStore } = await import('./store/postgres.ts');
    return { dir, store: await openPostgresStore(databaseUrl), signingKey };
  }
  try {
    return { dir, store: openSqliteStore(dir), signingKey };
  } catch (error) {
    throw fail('FILE_ERROR', `cannot open the database in ${dir}: ${(error as Error).message}`);
  }
};

export const adminToken = (dir: string): string =>
  process.env.KLS_ADMIN_TOKEN ??
  readOrCreate(
    join(dir, 'admin-token'),
    () => `kla_${randomBytes(32).toString('base64url')}\n`,
  ).trim();
