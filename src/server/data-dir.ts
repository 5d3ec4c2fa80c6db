// The server's data dir: the SQLite database, the Ed25519 signing key (0600, made on first use)
// and the admin token file (0600, made on first start unless KLS_ADMIN_TOKEN is set). With
// KLS_DATABASE_URL set, the database is that PostgreSQL database instead, shared by replicas.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, signingKeyFromPem, type SigningKey } from '../core/license/keys.ts';
import type { SignedBlock } from '../core/license/armor.ts';
import {
  decodeCertificate,
  olderCertificate,
  readCertificateFile,
  type IssuerCertificate,
} from '../core/license/certificate.ts';
import { fail, isKatalonError } from '../core/errors.ts';
import { replaceFile } from '../platform/files.ts';
import { openSqliteStore } from './store/sqlite.ts';
import type { Access, Store } from './store/store.ts';
import { serverEnvironment } from './environment.ts';
import { errnoCode, readOrCreate } from '../platform/errno.ts';

export const defaultDataDir = (): string =>
  serverEnvironment.dataDir ?? join(homedir(), '.katalon-license-server');

/** The server's signing key, and the root's certificate for it (needed to issue offline licenses). */
export interface Issuer {
  signingKey: SigningKey;
  certificate?: { block: SignedBlock; fields: IssuerCertificate };
  /** Installs a certificate for this key into the data dir (see installCertificate). */
  install(where: string, text: string): IssuerCertificate;
}

export interface DataDir {
  dir: string;
  store: Store;
  issuer: Issuer;
}

export const CERTIFICATE_FILE = 'issuer-certificate.cert';

/** Reads and checks a certificate file: it must certify `signingKey`. */
const readIssuerCertificate = (
  text: string,
  signingKey: SigningKey,
  where: string,
): { block: SignedBlock; fields: IssuerCertificate } => {
  const block = readCertificateFile(text);
  const fields = block && decodeCertificate(block);
  if (!block || !fields)
    throw fail(
      'INVALID_ARGUMENT',
      `${where} is not an issuer certificate ("katalon-license-server root certify" makes one)`,
    );
  if (fields.keyId !== signingKey.keyId)
    throw fail(
      'INVALID_ARGUMENT',
      `${where} certifies key ${fields.keyId}, but this server's signing key is ${signingKey.keyId}: certify the output of "katalon-license-server keys public"`,
    );
  return { block, fields };
};

/** The installed certificate file's text, or null when none is installed. */
const installedCertificate = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** The certificate file's identity: it changes when "certificate install" replaces the file. */
const fileStamp = (file: string): string | null => {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
};

/**
 * The data dir's signing key and its certificate, if one was installed. A running server reads the
 * certificate again once "certificate install" has replaced its file (a stat per use: issuance is
 * rare), so a certificate installed while it runs counts at once, without a restart.
 */
const openIssuer = (dir: string): Issuer => {
  const signingKey = openSigningKey(dir);
  const file = join(dir, CERTIFICATE_FILE);
  const read = () => {
    const text = installedCertificate(file);
    return text === null ? undefined : readIssuerCertificate(text, signingKey, file);
  };
  let stamp = fileStamp(file);
  let certificate = read();
  return {
    signingKey,
    install: (where, text) => installCertificate(dir, where, text),
    get certificate() {
      const now = fileStamp(file);
      if (now !== stamp) {
        certificate = read();
        stamp = now;
      }
      return certificate;
    },
  };
};

/**
 * Installs a certificate (from `where`) for the data dir's key, unless the one installed for that
 * key is newer: re-installing an older, perhaps broader, certificate must not undo the licensor's
 * newer word. A certificate for another key (before a key rotation) or a broken file is replaced.
 */
export const installCertificate = (dir: string, where: string, text: string): IssuerCertificate => {
  const { fields } = readIssuerCertificate(text, openSigningKey(dir), where);
  const file = join(dir, CERTIFICATE_FILE);
  const old = installedCertificate(file);
  const oldBlock = old === null ? null : readCertificateFile(old);
  const installed = oldBlock && decodeCertificate(oldBlock);
  const older = installed && olderCertificate(installed, fields);
  if (older) throw fail('CONFLICT', `${where} ${older}`);
  replaceFile(file, text);
  return fields;
};

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
    const code = errnoCode(error);
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw fail(
        'FILE_ERROR',
        `the data dir ${dir} is a file, not a folder: give --data-dir a folder`,
      );
    throw fail('FILE_ERROR', `cannot open the data dir ${dir}: ${(error as Error).message}`);
  }
};

/** Opens the data dir's database (see Access: `access` decides whether it may be migrated). */
export const openDataDir = async (dir: string, access: Access = 'server'): Promise<DataDir> => {
  const issuer = openIssuer(dir);
  const { databaseUrl } = serverEnvironment;
  if (databaseUrl) {
    const { openPostgresStore } = await import('./store/postgres.ts');
    return { dir, store: await openPostgresStore(databaseUrl, access), issuer };
  }
  try {
    return { dir, store: await openSqliteStore(dir, access), issuer };
  } catch (error) {
    if (isKatalonError(error)) throw error;
    throw fail('FILE_ERROR', `cannot open the database in ${dir}: ${(error as Error).message}`);
  }
};

/** Where the running server says its address, for links the admin subcommands print. */
const SERVER_URL_FILE = 'server-url';

/**
 * The address users reach the server at: KLS_PUBLIC_URL, else what the running server on this data
 * dir wrote when it started (its own host and port), else undefined.
 */
export const serverUrlOf = (dir: string): string | undefined => {
  if (serverEnvironment.publicUrl) return serverEnvironment.publicUrl;
  try {
    return readFileSync(join(dir, SERVER_URL_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
};

/** Said by a server once it listens (a wildcard host as this machine's loopback address). */
export const recordServerUrl = (
  dir: string,
  protocol: 'http' | 'https',
  host: string,
  port: number,
) => {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url =
    serverEnvironment.publicUrl ??
    `${protocol}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  replaceFile(join(dir, SERVER_URL_FILE), `${url}\n`, 0o644);
  return url.replace(/\/+$/, '');
};

/** A token guessable in fewer tries than an API key would open the admin API to anyone. */
const MIN_ADMIN_TOKEN = 32;

/** The admin token: KLS_ADMIN_TOKEN, else the data dir's token file (made on first use). */
export const adminToken = (dir: string): string => {
  const given = serverEnvironment.adminToken;
  if (given === undefined)
    return readOrCreate(
      join(dir, 'admin-token'),
      () => `kla_${randomBytes(32).toString('base64url')}\n`,
    ).trim();
  if (given.trim().length < MIN_ADMIN_TOKEN)
    throw fail(
      'INVALID_ARGUMENT',
      `KLS_ADMIN_TOKEN is ${given.trim() === '' ? 'empty' : `${given.trim().length} characters`}: it must be at least ${MIN_ADMIN_TOKEN} random characters (for example: openssl rand -base64 32), or unset to use the data dir's token file`,
    );
  return given.trim();
};
