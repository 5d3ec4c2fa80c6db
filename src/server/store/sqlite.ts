// The embedded store: one SQLite file in the data dir, in WAL mode, synchronous=FULL: a commit
// survives power loss and SIGKILL. Every rule is checked and applied inside one IMMEDIATE
// transaction; transactions take turns on the one connection, so no request interleaves between
// check and write.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { join } from 'node:path';
import type { Param, Store, Transaction } from './store.ts';
import { migrate } from './schema.ts';
import { createAvailability } from './availability.ts';

export const openSqliteStore = async (dataDir: string): Promise<Store> => {
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
    await migrate(store);
  } catch (error) {
    db.close();
    throw error;
  }
  return store;
};
