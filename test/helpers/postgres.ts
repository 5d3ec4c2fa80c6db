// A throwaway PostgreSQL cluster for the tests of the shared store: initdb in a temp dir, listening
// on 127.0.0.1 only, stopped when the tests end. Uses Debian's server binaries (package postgresql,
// which .ci/run installs). PostgreSQL refuses to run as root, so as root it runs as "postgres".
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { tempDir } from './cli.ts';
import { freePort } from './network.ts';

const ROOT = '/usr/lib/postgresql';
const binDir = (): string | undefined => {
  const versions = existsSync(ROOT)
    ? readdirSync(ROOT).filter((v) => existsSync(join(ROOT, v, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest && join(ROOT, newest, 'bin');
};

/** False where no PostgreSQL server is installed; CI sets KLS_REQUIRE_POSTGRES=1 so that it cannot skip. */
export const postgresAvailable = (): boolean => {
  if (binDir()) return true;
  if (process.env.KLS_REQUIRE_POSTGRES === '1' || process.env.KATALONC_REQUIRE_ALL === '1')
    throw new Error(
      `KLS_REQUIRE_POSTGRES=1, but no PostgreSQL server under ${ROOT}: apt-get install postgresql`,
    );
  return false;
};

export interface Postgres {
  /** A new empty database, by URL. */
  createDatabase(): Promise<string>;
  stop(): void;
  start(): void;
  /** Stops and removes the cluster. */
  destroy(): void;
}

export const startPostgres = async (): Promise<Postgres> => {
  const bin = binDir()!;
  const dir = tempDir('kls-pg-');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, id('-u'), id('-g'));
  }
  const pgRun = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
    execFileSync(cmd, argv, { stdio: 'pipe', cwd: dir });
  };
  const port = await freePort();
  const data = join(dir, 'data');
  pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'kls', '-E', 'UTF8', '--no-sync']);
  const start = () =>
    pgRun('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=200`,
      'start',
    ]);
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

/** What a skipped PostgreSQL test says. */
export const postgresSkipped = (): string =>
  postgresAvailable()
    ? ''
    : ' (skipped: needs the PostgreSQL server binaries: apt-get install postgresql; CI installs them)';
