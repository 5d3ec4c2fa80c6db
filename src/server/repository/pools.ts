// Rows of license pools and what hangs off a pool: licensed users, registered machines and the
// offline (and testing) licenses issued from it.
import type { Pool, PoolUsage } from '../../core/quota.ts';
import type { Billing, LicenseKind, PoolModel, Product } from '../../core/vocabulary.ts';
import type { Queries } from '../store/store.ts';
import { countLiveSessions } from './sessions.ts';

export interface PoolRow {
  id: number;
  org_id: number;
  org_name: string;
  product: Product;
  model: PoolModel;
  billing: Billing;
  quota: number;
  machine_quota: number;
  expires_at: number;
}

export const toPool = (r: PoolRow): Pool => ({
  product: r.product,
  model: r.model,
  billing: r.billing,
  quota: r.quota,
  machineQuota: r.machine_quota,
  expiresAt: r.expires_at,
});

const count = async (q: Queries, sql: string, ...params: (string | number)[]): Promise<number> =>
  (await q.get<{ n: number }>(sql, ...params))!.n;

export const findPool = (
  q: Queries,
  orgId: number,
  product: Product,
): Promise<PoolRow | undefined> =>
  q.get<PoolRow>(
    'SELECT pools.*, orgs.name AS org_name FROM pools JOIN orgs ON orgs.id = pools.org_id WHERE org_id = ? AND product = ?',
    orgId,
    product,
  );

export const poolById = (q: Queries, poolId: number): Promise<PoolRow | undefined> =>
  q.get<PoolRow>(
    'SELECT pools.*, orgs.name AS org_name FROM pools JOIN orgs ON orgs.id = pools.org_id WHERE pools.id = ?',
    poolId,
  );

/** The new pool's id, or null when the organisation already has a pool of that product. */
export const insertPool = async (
  q: Queries,
  p: Pool & { orgId: number },
  now: number,
): Promise<number | null> =>
  (
    await q.get<{ id: number }>(
      `INSERT INTO pools (org_id, product, model, billing, quota, machine_quota, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, product) DO NOTHING RETURNING id`,
      p.orgId,
      p.product,
      p.model,
      p.billing,
      p.quota,
      p.machineQuota,
      p.expiresAt,
      now,
    )
  )?.id ?? null;

/** The ids of an organisation's pools. */
export const poolIdsOf = async (q: Queries, orgId: number): Promise<number[]> =>
  (await q.all<{ id: number }>('SELECT id FROM pools WHERE org_id = ?', orgId)).map((r) => r.id);

/** The pool's usage by the LIVE rule, counted from the rows (what admins see). */
export const usage = async (q: Queries, poolId: number, now: number): Promise<PoolUsage> => ({
  activeSessions: await countLiveSessions(q, poolId, now),
  unexpiredOfflineLicenses: await countOfflineLicenses(q, poolId, now),
  registeredMachines: await count(
    q,
    'SELECT count(*) AS n FROM machines WHERE pool_id = ?',
    poolId,
  ),
});

const countOfflineLicenses = (q: Queries, poolId: number, now: number): Promise<number> =>
  count(
    q,
    "SELECT count(*) AS n FROM offline_licenses WHERE pool_id = ? AND kind = 'offline' AND expires_at > ?",
    poolId,
    now,
  );

/**
 * What a grant decision needs, in one read, without counting history: the pool's counters of
 * sessions not ended (open_sessions: at least the live ones, more while a crashed run's session
 * waits to be ended as lapsed) and of registered machines, and whether this machine is one. Read
 * after the pool's lock.
 */
export const grantState = async (
  q: Queries,
  poolId: number,
  machineId: string,
  now: number,
): Promise<{ usage: PoolUsage; registered: boolean }> => {
  const row = (await q.get<{ open: number; machines: number; offline: number; registered: number }>(
    `SELECT open_sessions AS open, machine_count AS machines,
       (SELECT count(*) FROM offline_licenses
        WHERE pool_id = pools.id AND kind = 'offline' AND expires_at > ?) AS offline,
       (SELECT count(*) FROM machines WHERE pool_id = pools.id AND machine_id = ?) AS registered
     FROM pools WHERE id = ?`,
    now,
    machineId,
    poolId,
  ))!;
  return {
    usage: {
      activeSessions: row.open,
      unexpiredOfflineLicenses: row.offline,
      registeredMachines: row.machines,
    },
    registered: row.registered > 0,
  };
};

// ---- licensed users (KSE) ----

export const isLicensed = async (q: Queries, poolId: number, userId: number): Promise<boolean> =>
  Boolean(
    await q.get(
      'SELECT 1 AS one FROM licensed_users WHERE pool_id = ? AND user_id = ?',
      poolId,
      userId,
    ),
  );

export const countLicensed = (q: Queries, poolId: number): Promise<number> =>
  count(q, 'SELECT count(*) AS n FROM licensed_users WHERE pool_id = ?', poolId);

export const insertLicensed = (q: Queries, poolId: number, userId: number): Promise<number> =>
  q.run('INSERT INTO licensed_users (pool_id, user_id) VALUES (?, ?)', poolId, userId);

export const deleteLicensed = (q: Queries, poolId: number, userId: number): Promise<number> =>
  q.run('DELETE FROM licensed_users WHERE pool_id = ? AND user_id = ?', poolId, userId);

export const licensedEmails = async (q: Queries, poolId: number): Promise<string[]> =>
  (
    await q.all<{ email: string }>(
      'SELECT email FROM licensed_users JOIN users ON users.id = user_id WHERE pool_id = ? ORDER BY email',
      poolId,
    )
  ).map((r) => r.email);

// ---- registered machines ----

export interface MachineRow {
  machine_id: string;
  hostname: string | null;
  first_seen: number;
  last_seen: number;
}

export const isRegistered = async (
  q: Queries,
  poolId: number,
  machineId: string,
): Promise<boolean> =>
  Boolean(
    await q.get(
      'SELECT 1 AS one FROM machines WHERE pool_id = ? AND machine_id = ?',
      poolId,
      machineId,
    ),
  );

/**
 * Registers the machine (counted in the pool's machine_count), or notes that it was seen again.
 * `isNew` comes from the grant state read under the pool's lock.
 */
export const registerMachine = async (
  q: Queries,
  m: { poolId: number; machineId: string; hostname: string | null; now: number; isNew: boolean },
): Promise<void> => {
  if (!m.isNew) {
    await q.run(
      'UPDATE machines SET last_seen = ?, hostname = coalesce(?, hostname) WHERE pool_id = ? AND machine_id = ?',
      m.now,
      m.hostname,
      m.poolId,
      m.machineId,
    );
    return;
  }
  await q.run(
    'INSERT INTO machines (pool_id, machine_id, hostname, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)',
    m.poolId,
    m.machineId,
    m.hostname,
    m.now,
    m.now,
  );
  await q.run('UPDATE pools SET machine_count = machine_count + 1 WHERE id = ?', m.poolId);
};

export const deleteMachine = async (
  q: Queries,
  poolId: number,
  machineId: string,
): Promise<number> => {
  const deleted = await q.run(
    'DELETE FROM machines WHERE pool_id = ? AND machine_id = ?',
    poolId,
    machineId,
  );
  if (deleted > 0)
    await q.run('UPDATE pools SET machine_count = machine_count - ? WHERE id = ?', deleted, poolId);
  return deleted;
};

export const listMachines = (q: Queries, poolId: number): Promise<MachineRow[]> =>
  q.all<MachineRow>('SELECT * FROM machines WHERE pool_id = ? ORDER BY first_seen', poolId);

// ---- offline and testing licenses ----

export interface OfflineLicenseRow {
  id: string;
  machine_id: string;
  kind: LicenseKind;
  issued_at: number;
  expires_at: number;
  certificate_id: string | null;
}

export const insertOfflineLicense = (
  q: Queries,
  poolId: number,
  l: OfflineLicenseRow,
): Promise<number> =>
  q.run(
    'INSERT INTO offline_licenses (id, pool_id, machine_id, kind, issued_at, expires_at, certificate_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
    l.id,
    poolId,
    l.machine_id,
    l.kind,
    l.issued_at,
    l.expires_at,
    l.certificate_id,
  );

/** Offline (not testing) licenses issued under an issuer certificate, by every pool. */
export const countUnderCertificate = async (q: Queries, certificateId: string): Promise<number> =>
  count(
    q,
    "SELECT count(*) AS n FROM offline_licenses WHERE certificate_id = ? AND kind = 'offline'",
    certificateId,
  );

export const unexpiredOfflineLicenses = (
  q: Queries,
  poolId: number,
  now: number,
): Promise<OfflineLicenseRow[]> =>
  q.all<OfflineLicenseRow>(
    'SELECT * FROM offline_licenses WHERE pool_id = ? AND expires_at > ? ORDER BY issued_at',
    poolId,
    now,
  );
