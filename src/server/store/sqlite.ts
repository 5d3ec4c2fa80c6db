// The embedded store: one SQLite file in the data dir, in WAL mode, synchronous=FULL: a commit
// survives power loss and SIGKILL. Every rule is checked and applied inside one IMMEDIATE
// transaction; transactions take turns on the one connection, so no request interleaves between
// check and write.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Access, Param, Store, Transaction } from './store.ts';
import { migrate } from './schema.ts';
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

export const openSqliteStore = async (dataDir: string, access: Access): Promise<Store> => {
  const db = new DatabaseSync(join(dataDir, 'licenses.db'));
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
  const queries: Transaction = {
    get: <T>(sql: string, ...params: Param[]) =>
      Promise.resolve(prepared(sql).get(...params) as T | undefined),
    all: <T>(sql: string, ...params: Param[]) =>
      Promise.resolve(prepared(sql).all(...params) as T[]),
    run: (sql, ...params) => Promise.resolve(Number(prepared(sql).run(...params).changes)),
    // BEGIN IMMEDIATE already holds the database's one write lock for the whole transaction.
    lockPool: () => Promise.resolve(),
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
          rollback.run();
          throw error;
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
