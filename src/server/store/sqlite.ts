// The embedded store: one SQLite file in the data dir, in WAL mode, synchronous=FULL: a commit
// survives power loss and SIGKILL. Every rule is checked and applied inside one IMMEDIATE
// transaction; transactions take turns on the one connection, so no request interleaves between
// check and write.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { join } from 'node:path';
import type { Param, Store, Transaction } from './store.ts';
import { createTables } from './schema.ts';

const MIGRATIONS: string[] = [
  // INTEGER PRIMARY KEY: SQLite's row id, generated on insert.
  createTables('INTEGER PRIMARY KEY'),
  // Databases made by the first release had an index on (pool_id, ended_at, lease_expires_at).
  `DROP INDEX IF EXISTS sessions_live;
   CREATE INDEX sessions_live ON sessions (pool_id) WHERE ended_at IS NULL;`,
];

export const openSqliteStore = (dataDir: string): Store => {
  const db = new DatabaseSync(join(dataDir, 'licenses.db'));
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;',
  );
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const current =
    (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ??
    0;
  MIGRATIONS.slice(current).forEach((sql, i) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(current + i + 1);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  });

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
  const queries: Transaction = {
    get: async <T>(sql: string, ...params: Param[]) =>
      prepared(sql).get(...params) as T | undefined,
    all: async <T>(sql: string, ...params: Param[]) => prepared(sql).all(...params) as T[],
    run: async (sql, ...params) => Number(prepared(sql).run(...params).changes),
    // BEGIN IMMEDIATE already holds the database's one write lock for the whole transaction.
    lockPool: async () => {},
  };

  // One connection: transactions take turns, and a read waits while one is open, so that it never
  // sees another request's uncommitted writes.
  let turn: Promise<unknown> = Promise.resolve();
  const settled = async () => {
    while (db.isTransaction) await turn;
  };
  return {
    shared: false,
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
};
