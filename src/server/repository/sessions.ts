// Rows of online sessions. "A session counts while its lease runs and nobody ended it" is LIVE,
// written once; no background job is needed for correctness.
import type { Cursor, Prefixes } from '../../core/paging.ts';
import type { Param, Queries } from '../store/store.ts';
import { anyOf, countOf, newestFirst, startsWith } from './newest-first.ts';
import type { PoolModel, Product } from '../../core/vocabulary.ts';
import type { PoolRow } from './pools.ts';

export interface SessionRow {
  id: string;
  pool_id: number;
  user_id: number;
  machine_id: string;
  hostname: string | null;
  os_user: string | null;
  created_at: number;
  lease_expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
  /** How long, in all, its run went on past its lease before a resume (ms): the outage grace bounds it. */
  lapsed_ms: number;
  /** katalonc's ephemeral X25519 key at activation, for which alone a resume delivers the lease key. */
  kx: string | null;
}

/** The end reason of a session nobody ended: its lease passed without a heartbeat. */
const LEASE_EXPIRED = 'lease expired';
/** Its lease passed while the server could not reach its database: its heartbeats were lost. */
export const LEASE_EXPIRED_IN_OUTAGE =
  'lease expired while the server could not reach its database';
/** Whether a session was ended by its lease (not by someone): its run may resume it. */
export const endedByLease = (reason: string | null): boolean =>
  reason === LEASE_EXPIRED || reason === LEASE_EXPIRED_IN_OUTAGE;

/** The live-session rule, as SQL; `?` is now. */
const LIVE = 'ended_at IS NULL AND lease_expires_at > ?';
/** Extends a running session's lease (never shortens it); `?`: the new lease, the id, the new lease. */
const EXTEND_LEASE =
  'UPDATE sessions SET lease_expires_at = ? WHERE id = ? AND ended_at IS NULL AND lease_expires_at < ?';

export const countLiveSessions = async (q: Queries, poolId: number, now: number): Promise<number> =>
  (await q.get<{ n: number }>(
    `SELECT count(*) AS n FROM sessions WHERE pool_id = ? AND ${LIVE}`,
    poolId,
    now,
  ))!.n;

/** Adds the sessions that are not ended to (or, negative, takes them from) the pool's counter. */
const countOpen = (q: Queries, poolId: number, by: number): Promise<number> =>
  q.run('UPDATE pools SET open_sessions = open_sessions + ? WHERE id = ?', by, poolId);

/** Inserts a session (the pool's open_sessions counter is the caller's to move: moveCounters). */
export const insertSession = async (
  q: Queries,
  s: Omit<SessionRow, 'ended_at' | 'end_reason' | 'lapsed_ms'>,
): Promise<void> => {
  await q.run(
    `INSERT INTO sessions (id, pool_id, user_id, machine_id, hostname, os_user, created_at, lease_expires_at, kx)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    s.id,
    s.pool_id,
    s.user_id,
    s.machine_id,
    s.hostname,
    s.os_user,
    s.created_at,
    s.lease_expires_at,
    s.kx,
  );
};

/** A session's row if it is this user's, with its pool's subscription (its product, its end). */
export const sessionOfUser = (
  q: Queries,
  sessionId: string,
  userId: number,
): Promise<(SessionRow & Pick<PoolRow, 'product' | 'expires_at'>) | undefined> =>
  q.get(
    `SELECT sessions.*, pools.product, pools.expires_at FROM sessions JOIN pools ON pools.id = pool_id
     WHERE sessions.id = ? AND user_id = ?`,
    sessionId,
    userId,
  );

/** The organisation a session belongs to. */
export const orgOfSession = async (q: Queries, sessionId: string): Promise<number | undefined> =>
  (
    await q.get<{ org_id: number }>(
      'SELECT pools.org_id FROM sessions JOIN pools ON pools.id = pool_id WHERE sessions.id = ?',
      sessionId,
    )
  )?.org_id;

/** Whether the session is one of the organisation's (an admin of another never reaches it). */
export const isSessionOfOrg = async (
  q: Queries,
  sessionId: string,
  orgId: number,
): Promise<boolean> =>
  Boolean(
    await q.get(
      'SELECT 1 AS one FROM sessions JOIN pools ON pools.id = pool_id WHERE sessions.id = ? AND pools.org_id = ?',
      sessionId,
      orgId,
    ),
  );

export const extendLease = (q: Queries, sessionId: string, lease: number): Promise<number> =>
  q.run(EXTEND_LEASE, lease, sessionId, lease);

/**
 * Extends the leases of those sessions in the batch that are their user's and live now, in a pool
 * whose subscription has not ended; resolves to them (id, user, the lease now and the subscription).
 * A lease never runs past the subscription's end (one granted before the end was moved earlier is
 * cut to it) and is otherwise never shortened. One statement for the whole batch (PostgreSQL: the
 * batch travels as one JSON array), which reads each pool's end as it is now, on every replica; a
 * session in it twice, for its user and another, joins only its user's row.
 */
export const extendLiveLeases = async (
  q: Queries,
  batch: readonly { id: string; userId: number; lease: number }[],
  now: number,
): Promise<{ id: string; userId: number; lease: number; product: Product; expiresAt: number }[]> =>
  (
    await q.all<{
      id: string;
      user_id: number;
      lease_expires_at: number;
      product: Product;
      expires_at: number;
    }>(
      `UPDATE sessions
       SET lease_expires_at = LEAST(GREATEST(sessions.lease_expires_at, b.lease), pools.expires_at)
       FROM json_to_recordset(?::json) AS b(id text, "userId" bigint, lease bigint), pools
       WHERE sessions.id = b.id AND sessions.user_id = b."userId" AND sessions.ended_at IS NULL
         AND sessions.lease_expires_at > ? AND pools.id = sessions.pool_id AND pools.expires_at > ?
       RETURNING sessions.id, sessions.user_id, sessions.lease_expires_at, pools.product, pools.expires_at`,
      JSON.stringify(batch),
      now,
      now,
    )
  ).map((r) => ({
    id: r.id,
    userId: Number(r.user_id),
    lease: Number(r.lease_expires_at),
    product: r.product,
    expiresAt: Number(r.expires_at),
  }));

/**
 * Brings back a session whose lease ran out (its run outlived a server outage), with the time it
 * has now gone on past its leases in all; resolves to whether it had been ended (then it takes a
 * seat again: the caller moves the pool's counters).
 */
export const reviveSession = async (
  q: Queries,
  sessionId: string,
  lease: number,
  lapsedMs: number,
): Promise<boolean> => {
  const notEnded = await q.run(
    'UPDATE sessions SET lease_expires_at = ?, lapsed_ms = ? WHERE id = ? AND ended_at IS NULL',
    lease,
    lapsedMs,
    sessionId,
  );
  if (notEnded > 0) return false;
  await q.run(
    'UPDATE sessions SET ended_at = NULL, end_reason = NULL, lease_expires_at = ?, lapsed_ms = ? WHERE id = ?',
    lease,
    lapsedMs,
    sessionId,
  );
  return true;
};

/**
 * Ends the pool's sessions whose lease ran out (killed runs); resolves to how many. Their seats
 * were free by the LIVE rule already; this takes them off the pool's open_sessions counter. Those
 * whose lease ran out within `outage` (from, to: ms) are ended as such.
 */
export const endLapsedSessions = async (
  q: Queries,
  poolId: number,
  now: number,
  outage: { from: number; to: number } = { from: 0, to: -1 },
): Promise<number> => {
  const ended = await q.run(
    `UPDATE sessions SET ended_at = lease_expires_at,
       end_reason = CASE WHEN lease_expires_at BETWEEN ? AND ? THEN ? ELSE ? END
     WHERE pool_id = ? AND ended_at IS NULL AND lease_expires_at <= ?`,
    outage.from,
    outage.to,
    LEASE_EXPIRED_IN_OUTAGE,
    LEASE_EXPIRED,
    poolId,
    now,
  );
  if (ended > 0) await countOpen(q, poolId, -ended);
  return ended;
};

/** The pools that have sessions whose lease ran out, for the periodic sweep. */
export const poolsWithLapsedSessions = async (q: Queries, now: number): Promise<number[]> =>
  (
    await q.all<{ pool_id: number }>(
      'SELECT DISTINCT pool_id FROM sessions WHERE ended_at IS NULL AND lease_expires_at <= ?',
      now,
    )
  ).map((r) => r.pool_id);

/**
 * Which running sessions to end: one by id, or those of a pool matching a machine and/or user, and
 * (`leaseBefore`) only those whose lease ends before that time: the ones that stopped heartbeating.
 */
export type SessionFilter =
  | { id: string; userId?: number }
  | { poolId: number; machineId?: string; userId?: number; leaseBefore?: number };

/** Ends the running sessions that match; resolves to them (id and pool). */
export const endSessions = async (
  q: Queries,
  filter: SessionFilter,
  reason: string,
  now: number,
): Promise<{ id: string; pool_id: number }[]> => {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const match = (column: string, value: string | number | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    params.push(value);
  };
  if ('id' in filter) match('id', filter.id);
  else {
    match('pool_id', filter.poolId);
    match('machine_id', filter.machineId);
    if (filter.leaseBefore !== undefined) {
      where.push('lease_expires_at < ?');
      params.push(filter.leaseBefore);
    }
  }
  match('user_id', filter.userId);
  const ended = await q.all<{ id: string; pool_id: number }>(
    `UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND ${where.join(' AND ')} RETURNING id, pool_id`,
    now,
    reason,
    ...params,
  );
  const perPool = new Map<number, number>();
  for (const r of ended) perPool.set(r.pool_id, (perPool.get(r.pool_id) ?? 0) + 1);
  for (const [poolId, n] of perPool) await countOpen(q, poolId, -n);
  return ended;
};

/**
 * Gives the machine's sessions of the pool that their lease ended (runs cut off from the server,
 * which may still resume within the outage grace) `reason` instead: ended for good, also once the
 * machine registers again. Their seats were free already; resolves to how many.
 */
export const endResumableSessions = (
  q: Queries,
  poolId: number,
  machineId: string,
  reason: string,
): Promise<number> =>
  q.run(
    'UPDATE sessions SET end_reason = ? WHERE pool_id = ? AND machine_id = ? AND end_reason IN (?, ?)',
    reason,
    poolId,
    machineId,
    LEASE_EXPIRED,
    LEASE_EXPIRED_IN_OUTAGE,
  );

export type LiveSessionRow = SessionRow & {
  email: string;
  product: Product;
  model: PoolModel;
  org_id: number;
};

/** The live sessions of one organisation, or of all, oldest first. */
export const liveSessions = (
  q: Queries,
  scope: { orgId?: number },
  now: number,
): Promise<LiveSessionRow[]> =>
  q.all<LiveSessionRow>(
    `SELECT sessions.*, users.email, pools.product, pools.model, pools.org_id FROM sessions
     JOIN users ON users.id = user_id JOIN pools ON pools.id = pool_id
     WHERE ${LIVE} ${scope.orgId === undefined ? '' : 'AND pools.org_id = ?'} ORDER BY sessions.created_at`,
    now,
    ...(scope.orgId === undefined ? [] : [scope.orgId]),
  );

/**
 * The live sessions of a pool the filter finds (its machine ID, hostname or user's e-mail). The
 * user's e-mail is looked up per session (its primary key), so that the planner reads the pool's
 * live sessions first, whatever the number of users.
 */
const liveOfPool = (poolId: number, now: number, prefixes: Prefixes | null): [string, Param[]] => {
  const [terms, params] = prefixes
    ? anyOf([
        startsWith('machine_id', prefixes.machineId),
        startsWith('hostname', prefixes.hostname),
        startsWith(EMAIL, prefixes.email),
      ])
    : ['', []];
  return [
    `FROM sessions WHERE pool_id = ? AND ${LIVE} ${terms && `AND ${terms}`}`,
    [poolId, now, ...params],
  ];
};
const EMAIL = '(SELECT email FROM users WHERE users.id = sessions.user_id)';

/**
 * A page of a pool's live sessions, newest first (then by id): at most `limit`, those before
 * `before` when given, those the filter finds. Read on the index of sessions not ended
 * (sessions_live): never the pool's history of ended ones.
 */
export const sessionsPage = (
  q: Queries,
  poolId: number,
  now: number,
  find: { before?: Cursor; prefixes: Prefixes | null },
  limit: number,
): Promise<(SessionRow & { email: string })[]> => {
  const [from, params] = liveOfPool(poolId, now, find.prefixes);
  return newestFirst(
    q,
    [`SELECT sessions.*, ${EMAIL} AS email ${from}`, params],
    { at: 'created_at', key: 'id' },
    find.before,
    limit,
  );
};

/** How many of a pool's live sessions the filter finds. */
export const countLiveFound = (
  q: Queries,
  poolId: number,
  now: number,
  prefixes: Prefixes,
): Promise<number> => {
  const [from, params] = liveOfPool(poolId, now, prefixes);
  return countOf(q, [`SELECT count(*) AS n ${from}`, params]);
};
