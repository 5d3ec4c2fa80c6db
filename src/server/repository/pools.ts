// Rows of license pools: the pool, its counters and what is in use (licensed-users.ts, machines.ts
// and offline-licenses.ts have what hangs off a pool).
import type { Pool, PoolUsage } from '../../core/quota.ts';
import type { Billing, PoolModel, Product } from '../../core/vocabulary.ts';
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
  /** Removals and withdrawals so far (see withdrawEntitlement). */
  entitlements: number;
  outage_grace_minutes: number;
}

export const toPool = (r: PoolRow): Pool => ({
  product: r.product,
  model: r.model,
  billing: r.billing,
  quota: r.quota,
  machineQuota: r.machine_quota,
  expiresAt: r.expires_at,
});

export const count = async (
  q: Queries,
  sql: string,
  ...params: (string | number)[]
): Promise<number> => (await q.get<{ n: number }>(sql, ...params))!.n;

/** The organisation's pools (of `product` if given): node-locked before floating of a product. */
export const poolsOf = (q: Queries, orgId: number, product?: Product): Promise<PoolRow[]> =>
  q.all<PoolRow>(
    `SELECT pools.*, orgs.name AS org_name FROM pools JOIN orgs ON orgs.id = pools.org_id
     WHERE org_id = ? ${product ? 'AND product = ?' : ''} ORDER BY product, model DESC`,
    orgId,
    ...(product ? [product] : []),
  );

/**
 * For an activation, in one read: whether the user is a member of the organisation (undefined if
 * not), and its pools of that product, each with whether the user is licensed in it (KSE).
 */
export const memberPools = async (
  q: Queries,
  r: { orgId: number; product: Product; userId: number },
): Promise<{ pool: PoolRow; licensed: boolean }[] | undefined> => {
  const rows = await q.all<(PoolRow & { licensed: number }) | { id: null }>(
    `SELECT pools.*, orgs.name AS org_name,
       (SELECT count(*) FROM licensed_users WHERE pool_id = pools.id AND user_id = ?) AS licensed
     FROM memberships JOIN orgs ON orgs.id = memberships.org_id
     LEFT JOIN pools ON pools.org_id = orgs.id AND pools.product = ?
     WHERE memberships.org_id = ? AND memberships.user_id = ? ORDER BY pools.model DESC`,
    r.userId,
    r.product,
    r.orgId,
    r.userId,
  );
  if (rows.length === 0) return undefined;
  return rows.flatMap((row) =>
    row.id === null ? [] : [{ pool: row, licensed: (row as { licensed: number }).licensed > 0 }],
  );
};

export const poolById = (q: Queries, poolId: number): Promise<PoolRow | undefined> =>
  q.get<PoolRow>(
    'SELECT pools.*, orgs.name AS org_name FROM pools JOIN orgs ON orgs.id = pools.org_id WHERE pools.id = ?',
    poolId,
  );

/** The new pool's id, or null when the organisation already has a pool of that product and model. */
export const insertPool = async (
  q: Queries,
  p: Pool & { orgId: number; outageGraceMinutes: number },
  now: number,
): Promise<number | null> =>
  (
    await q.get<{ id: number }>(
      `INSERT INTO pools (org_id, product, model, billing, quota, machine_quota, expires_at, outage_grace_minutes, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, product, model) DO NOTHING RETURNING id`,
      p.orgId,
      p.product,
      p.model,
      p.billing,
      p.quota,
      p.machineQuota,
      p.expiresAt,
      p.outageGraceMinutes,
      now,
    )
  )?.id ?? null;

/** What an operator (or, for the outage grace, an Owner) may change of a pool. */
export type PoolChange = Partial<
  Pick<PoolRow, 'quota' | 'machine_quota' | 'expires_at' | 'outage_grace_minutes'>
>;

/** Sets the columns `change` names (at least one). */
export const updatePool = (q: Queries, poolId: number, change: PoolChange): Promise<number> => {
  const columns = Object.entries(change).filter(([, v]) => v !== undefined);
  return q.run(
    `UPDATE pools SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`,
    ...columns.map(([, v]) => v),
    poolId,
  );
};

export interface PoolGaugeRow {
  org_id: number;
  org_name: string;
  product: Product;
  model: PoolModel;
  quota: number;
  sessions: number;
  offline: number;
  machines: number;
}

/** An offline license that counts against its pool's quota at `?`: unexpired, not superseded. */
export const COUNTS = "kind = 'offline' AND expires_at > ? AND superseded_by IS NULL";

/** Every pool with what is in use now (the LIVE rule for sessions), for /metrics. */
export const poolGauges = (q: Queries, now: number): Promise<PoolGaugeRow[]> =>
  q.all<PoolGaugeRow>(
    `SELECT pools.org_id, orgs.name AS org_name, pools.product, pools.model, pools.quota,
       pools.machine_count AS machines,
       (SELECT count(*) FROM sessions
        WHERE pool_id = pools.id AND ended_at IS NULL AND lease_expires_at > ?) AS sessions,
       (SELECT count(*) FROM offline_licenses WHERE pool_id = pools.id AND ${COUNTS}) AS offline
     FROM pools JOIN orgs ON orgs.id = pools.org_id ORDER BY pools.org_id, pools.product, pools.model`,
    now,
    now,
  );

/**
 * The ids of an organisation's pools, in id order: a transaction that locks several takes them in
 * the same order as any other.
 */
export const poolIdsOf = async (q: Queries, orgId: number): Promise<number[]> =>
  (await q.all<{ id: number }>('SELECT id FROM pools WHERE org_id = ? ORDER BY id', orgId)).map(
    (r) => r.id,
  );

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
    `SELECT count(*) AS n FROM offline_licenses WHERE pool_id = ? AND ${COUNTS}`,
    poolId,
    now,
  );

/** A pool's counters, as the grant rules read them. */
export interface PoolCounters {
  /** Sessions not ended: the live ones, and crashed runs' sessions not yet marked lapsed. */
  open_sessions: number;
  machine_count: number;
  /** The unexpired offline licenses, exact until offline_counted_until. */
  offline_count: number;
  offline_counted_until: number;
  entitlements: number;
}

/**
 * Moves the pool's counters and resolves to them as moved, with the pool's subscription as it is
 * under the lock (a change committed since the pool was read decides). In PostgreSQL this takes
 * the pool row's lock (and reads its latest version), so that it is the one write a grant makes
 * under that lock, just before COMMIT; a refusal after it rolls the move back.
 */
export const moveCounters = async (
  q: Queries,
  poolId: number,
  by: { openSessions: number; machines: number },
): Promise<PoolCounters & Pick<PoolRow, 'quota' | 'machine_quota' | 'expires_at'>> =>
  (await q.get<PoolCounters & Pick<PoolRow, 'quota' | 'machine_quota' | 'expires_at'>>(
    `UPDATE pools SET open_sessions = open_sessions + ?, machine_count = machine_count + ?
     WHERE id = ? RETURNING open_sessions, machine_count, offline_count, offline_counted_until,
       entitlements, quota, machine_quota, expires_at`,
    by.openSessions,
    by.machines,
    poolId,
  ))!;

const FAR_FUTURE = 8.64e15; // the largest Date: no offline license expires before it

/**
 * What the pool's counters stand for, counted from its rows now: one query, on the pool's indexes.
 * Under the pool's lock (PostgreSQL: a statement after it, so it sees every grant committed
 * before), the count is exact.
 */
export const countPoolRows = async (
  q: Queries,
  poolId: number,
  now: number,
): Promise<Omit<PoolCounters, 'entitlements'>> => {
  const rows = (await q.get<Omit<PoolCounters, 'entitlements'>>(
    `SELECT (SELECT count(*) FROM sessions WHERE pool_id = ? AND ended_at IS NULL) AS open_sessions,
       (SELECT count(*) FROM machines WHERE pool_id = ?) AS machine_count,
       (SELECT count(*) FROM offline_licenses WHERE pool_id = ? AND ${COUNTS}) AS offline_count,
       (SELECT min(expires_at) FROM offline_licenses WHERE pool_id = ? AND ${COUNTS})
         AS offline_counted_until`,
    poolId,
    poolId,
    poolId,
    now,
    poolId,
    now,
  ))!;
  return { ...rows, offline_counted_until: rows.offline_counted_until ?? FAR_FUTURE };
};

/**
 * What a grant needs of the pool's rows, each count stopped at its limit (it reads at most that
 * many index entries): a count under its limit is exact, one at it means "the limit or more".
 * `machines` null: not counted (an existing machine, or a floating pool, takes no machine).
 */
export const seenPoolRows = async (
  q: Queries,
  poolId: number,
  now: number,
  limits: { licenses: number; machines: number | null },
): Promise<{ open_sessions: number; offline_count: number; machine_count: number | null }> =>
  (await q.get<{ open_sessions: number; offline_count: number; machine_count: number | null }>(
    `SELECT
       (SELECT count(*) FROM (SELECT 1 FROM sessions WHERE pool_id = ? AND ended_at IS NULL LIMIT ?) AS s) AS open_sessions,
       (SELECT count(*) FROM (SELECT 1 FROM offline_licenses WHERE pool_id = ? AND ${COUNTS} LIMIT ?) AS o) AS offline_count,
       ${limits.machines === null ? 'NULL' : '(SELECT count(*) FROM (SELECT 1 FROM machines WHERE pool_id = ? LIMIT ?) AS m)'} AS machine_count`,
    poolId,
    limits.licenses,
    poolId,
    now,
    limits.licenses,
    ...(limits.machines === null ? [] : [poolId, limits.machines]),
  ))!;

/** Sets the pool's counters to what its rows say (countPoolRows). */
export const setCounters = (
  q: Queries,
  poolId: number,
  c: Omit<PoolCounters, 'entitlements'>,
): Promise<number> =>
  q.run(
    `UPDATE pools SET open_sessions = ?, machine_count = ?, offline_count = ?,
       offline_counted_until = ? WHERE id = ?`,
    c.open_sessions,
    c.machine_count,
    c.offline_count,
    c.offline_counted_until,
    poolId,
  );

/** Counts the pool's unexpired offline licenses again (under its lock); resolves to the count. */
export const recountOffline = async (q: Queries, poolId: number, now: number): Promise<number> => {
  const rows = await countPoolRows(q, poolId, now);
  await q.run(
    'UPDATE pools SET offline_count = ?, offline_counted_until = ? WHERE id = ?',
    rows.offline_count,
    rows.offline_counted_until,
    poolId,
  );
  return rows.offline_count;
};
