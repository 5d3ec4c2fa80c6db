// The embedded store: one SQLite file in the data dir, in WAL mode, synchronous=FULL: a commit
// survives power loss and SIGKILL. Every rule is checked and applied inside one IMMEDIATE
// transaction; transactions take turns on the one connection, so no request interleaves between
// check and write.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Access, Param, Store, Transaction } from './store.ts';
import { migrate } from './schema.ts';
import { fail } from '../../core/errors.ts';

const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

const damaged = (file: string, what: string) =>
  fail(
    'DATABASE_DAMAGED',
    `the database ${file} is damaged (${what}): stop the server, restore the file from a backup (or salvage it: sqlite3 ${file} .recover | sqlite3 recovered.db), then start again`,
  );

/** A full disk or a damaged file as what it is (the answer says so, 503), anything else as it came. */
const explain = (error: unknown, file: string): Error => {
  const code = ((error as { errcode?: number }).errcode ?? 0) % 256;
  if (code === SQLITE_FULL)
    return fail(
      'DISK_FULL',
      `the disk of the database ${file} is full: free space on it (or move the data dir to a larger disk); nothing was changed`,
    );
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB)
    return damaged(file, (error as Error).message);
  return error as Error;
};

/** Refuses a damaged file before serving from it (a damaged page would fail only when read). */
const checkIntegrity = (db: DatabaseSync, file: string) => {
  let problems: string[];
  try {
    problems = (db.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[]).map(
      (r) => r.quick_check,
    );
  } catch (error) {
    throw explain(error, file);
  }
  if (problems.join() !== 'ok') throw damaged(file, problems.join('; ').replace(/\s*\n\s*/g, ' '));
};

import { createAvailability } from './availability.ts';

/** The pid a server on the data dir wrote at its start ("unknown" if none). */
export const serverPid = (dataDir: string): string => {
  try {
    return readFileSync(join(dataDir, 'server.pid'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
};

/** The server running on the data dir, if one holds its lock (Linux: see serve.ts). */
const serverOnDataDir = async (dataDir: string): Promise<string[]> => {
  if (process.platform !== 'linux') return [];
  const flock = await import('../../platform/slot-lock/flock.ts');
  if (!flock.flockAvailable()) return [];
  const lock = await flock.tryLock('server.lock', dataDir);
  if (!lock) return [`the server on ${dataDir}, pid ${serverPid(dataDir)}`];
  await lock.release();
  return [];
};

/** The data dir's database; a server's start checks its integrity first (quick_check reads every page). */
export const openSqliteStore = async (dataDir: string, access: Access): Promise<Store> => {
  const file = join(dataDir, 'licenses.db');
  const db = new DatabaseSync(file);
  try {
    if (access === 'server') checkIntegrity(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;',
  );
  const [begin, commit, rollback] = ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'].map((sql) =>
    db.prepare(sql),
  ) as [StatementSync, StatementSync, StatementSync];
  // SQLite counts commits by other connections only: this server's own writes leave it alone.
  const dataVersion = db.prepare('PRAGMA data_version');
  const readVersion = () => (dataVersion.get() as { data_version: number }).data_version;
  let seenVersion = readVersion();
  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  // node:sqlite is synchronous; the interface is not, so that a shared store can follow it.
  const attempt = <T>(query: () => T): Promise<T> => {
    try {
      return Promise.resolve(query());
    } catch (error) {
      return Promise.reject(explain(error, file));
    }
  };
  const queries: Transaction = {
    get: <T>(sql: string, ...params: Param[]) =>
      attempt(() => prepared(sql).get(...params) as T | undefined),
    all: <T>(sql: string, ...params: Param[]) => attempt(() => prepared(sql).all(...params) as T[]),
    run: (sql, ...params) => attempt(() => Number(prepared(sql).run(...params).changes)),
    // BEGIN IMMEDIATE already holds the database's one write lock for the whole transaction.
    lockPool: () => Promise.resolve(),
    lockOrg: () => Promise.resolve(),
    lockSchema: () => Promise.resolve(),
    lockIssuance: () => Promise.resolve(),
    // One write lock, so nothing waits on a commit in flight: keep every commit durable.
    commitLazily: () => Promise.resolve(),
    exec: (sql) => Promise.resolve(db.exec(sql)),
  };

  // One connection: transactions take turns, and a read waits while one is open, so that it never
  // sees another request's uncommitted writes.
  let turn: Promise<unknown> = Promise.resolve();
  const settled = async () => {
    while (db.isTransaction) await turn;
  };
  const store: Store = {
    dialect: 'sqlite',
    shared: false,
    availability: createAvailability(),
    // A server holds the data dir's lock itself: no other server can be on it.
    otherServers: () => (access === 'server' ? Promise.resolve([]) : serverOnDataDir(dataDir)),
    get: async (sql, ...params) => (await settled(), queries.get(sql, ...params)),
    all: async (sql, ...params) => (await settled(), queries.all(sql, ...params)),
    run: async (sql, ...params) => (await settled(), queries.run(sql, ...params)),
    transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      const result = turn.then(async () => {
        begin.run();
        try {
          const value = await fn(queries);
          commit.run();
          return value;
        } catch (error) {
          // SQLite rolls back by itself after some errors (a full disk): then there is nothing to.
          if (db.isTransaction) rollback.run();
          throw explain(error, file);
        }
      });
      turn = result.catch(() => {});
      return result;
    },
    async changedElsewhere() {
      await settled();
      const version = readVersion();
      const changed = version !== seenVersion;
      seenVersion = version;
      return changed;
    },
    close: async () => {
      await settled();
      db.close();
    },
  };
  try {
    await migrate(store, access);
  } catch (error) {
    db.close();
    throw error;
  }
  return store;
};
