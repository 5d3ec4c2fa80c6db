// The tables, written once for both stores. Only the spelling of a generated integer key differs.
// Times are integers: milliseconds since the epoch. E-mail addresses are stored lower-cased.
export const createTables = (generatedId: string): string => `
  CREATE TABLE orgs (id ${generatedId}, name TEXT NOT NULL, created_at BIGINT NOT NULL);
  CREATE TABLE users (id ${generatedId}, email TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL);
  CREATE TABLE memberships (org_id BIGINT NOT NULL REFERENCES orgs(id), user_id BIGINT NOT NULL REFERENCES users(id), PRIMARY KEY (org_id, user_id));
  CREATE TABLE api_keys (id ${generatedId}, user_id BIGINT NOT NULL REFERENCES users(id), hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL, revoked_at BIGINT);
  CREATE TABLE pools (id ${generatedId}, org_id BIGINT NOT NULL REFERENCES orgs(id), product TEXT NOT NULL, model TEXT NOT NULL, billing TEXT NOT NULL,
    quota INTEGER NOT NULL, machine_quota INTEGER NOT NULL, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, UNIQUE (org_id, product));
  CREATE TABLE licensed_users (pool_id BIGINT NOT NULL REFERENCES pools(id), user_id BIGINT NOT NULL REFERENCES users(id), PRIMARY KEY (pool_id, user_id));
  CREATE TABLE machines (pool_id BIGINT NOT NULL REFERENCES pools(id), machine_id TEXT NOT NULL, hostname TEXT, first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL, PRIMARY KEY (pool_id, machine_id));
  CREATE TABLE sessions (id TEXT PRIMARY KEY, pool_id BIGINT NOT NULL REFERENCES pools(id), user_id BIGINT NOT NULL REFERENCES users(id),
    machine_id TEXT NOT NULL, hostname TEXT, os_user TEXT, created_at BIGINT NOT NULL, lease_expires_at BIGINT NOT NULL,
    ended_at BIGINT, end_reason TEXT);
  -- Live sessions by pool, without the lease: a heartbeat then rewrites only its row, no index page.
  CREATE INDEX sessions_live ON sessions (pool_id) WHERE ended_at IS NULL;
  CREATE TABLE offline_licenses (id TEXT PRIMARY KEY, pool_id BIGINT NOT NULL REFERENCES pools(id), machine_id TEXT NOT NULL, kind TEXT NOT NULL,
    issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);`;
