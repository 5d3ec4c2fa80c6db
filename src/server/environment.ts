// Every environment variable the license server reads, read in this one place (README "Server").
import { fail } from '../core/errors.ts';
import { publicAddress } from '../core/strict.ts';

const env = process.env;

export const serverEnvironment = {
  /** KLS_DATA_DIR: the data dir (database, signing key, admin token). */
  dataDir: env.KLS_DATA_DIR || undefined,
  /** KLS_DATABASE_URL: a PostgreSQL database shared by replicas, instead of the embedded SQLite. */
  databaseUrl: env.KLS_DATABASE_URL || undefined,
  /** KLS_REPLICA_NAME: how this replica names itself to PostgreSQL (pg_stat_activity). */
  replicaName: env.KLS_REPLICA_NAME || undefined,
  /** KLS_ADMIN_TOKEN: the admin token; undefined when not set (set but empty is refused). */
  adminToken: env.KLS_ADMIN_TOKEN,
  /**
   * KLS_PUBLIC_URL: the server's address as its users reach it, for the console links the admin CLI
   * prints and invitations e-mail; a value that is no such address is refused where it is read.
   */
  get publicUrl(): string | undefined {
    if (!env.KLS_PUBLIC_URL) return undefined;
    const address = publicAddress(env.KLS_PUBLIC_URL);
    if (!address.ok)
      throw fail(
        'INVALID_ARGUMENT',
        `KLS_PUBLIC_URL ${address.reason}: set it to the address users reach this server at, such as https://licenses.example.com`,
      );
    return address.value;
  },
  /** KLS_SMTP_URL: the SMTP server that sends invitations (core/mail.ts); unset: links are shown instead. */
  smtpUrl: env.KLS_SMTP_URL || undefined,
  /** KLS_SMTP_FROM: the sender of those e-mails (default katalon-license-server@<hostname>). */
  smtpFrom: env.KLS_SMTP_FROM || undefined,
};
