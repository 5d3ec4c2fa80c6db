// The embedded store: one SQLite file in the data dir, in WAL mode, synchronous=FULL: a commit
// survives power loss and SIGKILL. Every rule is checked and applied inside one IMMEDIATE transaction, and
// node:sqlite is synchronous, so no other request can interleave between check and write.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { join } from 'node:path';

const MIGRATIONS: string[] = [
  `CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, created_at INTEGER NOT NULL);
   CREATE TABLE memberships (org_id INTEGER NOT NULL REFERENCES orgs(id), user_id INTEGER NOT NULL REFERENCES users(id), PRIMARY KEY (org_id, user_id));
   CREATE TABLE api_keys (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
     created_at INTEGER NOT NULL, revoked_at INTEGER);
   CREATE TABLE pools (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL REFERENCES orgs(id), product TEXT NOT NULL, model TEXT NOT NULL, billing TEXT NOT NULL,
     quota INTEGER NOT NULL, machine_quota INTEGER NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, UNIQUE (org_id, product));
   CREATE TABLE licensed_users (pool_id INTEGER NOT NULL REFERENCES pools(id), user_id INTEGER NOT NULL REFERENCES users(id), PRIMARY KEY (pool_id, user_id));
   CREATE TABLE machines (pool_id INTEGER NOT NULL REFERENCES pools(id), machine_id TEXT NOT NULL, hostname TEXT, first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL, PRIMARY KEY (pool_id, machine_id));
   CREATE TABLE sessions (id TEXT PRIMARY KEY, pool_id INTEGER NOT NULL REFERENCES pools(id), user_id INTEGER NOT NULL REFERENCES users(id),
     machine_id TEXT NOT NULL, hostname TEXT, os_user TEXT, created_at INTEGER NOT NULL, lease_expires_at INTEGER NOT NULL,
     ended_at INTEGER, end_reason TEXT);
   CREATE INDEX sessions_live ON sessions (pool_id, ended_at, lease_expires_at);
   CREATE TABLE offline_licenses (id TEXT PRIMARY KEY, pool_id INTEGER NOT NULL REFERENCES pools(id), machine_id TEXT NOT NULL, kind TEXT NOT NULL,
     issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);`,
  // Live sessions by pool, without the lease: a heartbeat then rewrites only its row, no index page.
  `DROP INDEX sessions_live;
   CREATE INDEX sessions_live ON sessions (pool_id) WHERE ended_at IS NULL;`,
];

export type Row = Record<string, string | number | null>;
type Param = string | number | null;

export interface Store {
  get<T = Row>(sql: string, ...params: Param[]): T | undefined;
  all<T = Row>(sql: string, ...params: Param[]): T[];
  run(sql: string, ...params: Param[]): { changes: number; lastInsertRowid: number };
  /** Runs `fn` in one IMMEDIATE transaction; a throw rolls everything back. Commits wait for the disk. */
  transaction<T>(fn: () => T): T;
  /** True when another connection (another process) committed since the last call. */
  changedElsewhere(): boolean;
  close(): void;
}

export const openSqliteStore = (dataDir: string): Store => {
  const db = new DatabaseSync(join(dataDir, 'licenses.db'));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const current = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
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

  const [begin, commit, rollback] = ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'].map((sql) => db.prepare(sql)) as [StatementSync, StatementSync, StatementSync];
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
  return {
    get: <T>(sql: string, ...params: Param[]) => prepared(sql).get(...params) as T | undefined,
    all: <T>(sql: string, ...params: Param[]) => prepared(sql).all(...params) as T[],
    run: (sql, ...params) => {
      const r = prepared(sql).run(...params);
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    },
    transaction(fn) {
      if (db.isTransaction) return fn();
      begin.run();
      try {
        const result = fn();
        commit.run();
        return result;
      } catch (error) {
        rollback.run();
        throw error;
      }
    },
    changedElsewhere() {
      const version = readVersion();
      const changed = version !== seenVersion;
      seenVersion = version;
      return changed;
    },
    close: () => db.close(),
  };
};
