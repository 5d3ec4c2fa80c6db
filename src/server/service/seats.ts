// The central grant rule applied to the store: a seat taken under the pool's lock (takeSeat), and
// seats given back when sessions end (endSessionsFor), or lapse, also in a database outage.
import { grantRefusal, type Pool, type PoolUsage, type Refusal } from '../../core/quota.ts';
import {
  countPoolRows,
  moveCounters,
  seenPoolRows,
  setCounters,
  toPool,
  type PoolRow,
} from '../repository/pools.ts';
import { endLapsedSessions, endSessions, type SessionFilter } from '../repository/sessions.ts';
import type { Queries } from '../store/store.ts';
import type { Context } from './context.ts';

/**
 * Takes one more license for a machine (a session, or an offline license when `session` is none)
 * and decides whether the pool has room for it. The counters move first, as the transaction's one
 * write under the pool's lock (so that in PostgreSQL the lock is held only from here to COMMIT),
 * and the rules decide on the pool's rows, counted under that lock (one query on the pool's
 * indexes): counters that disagree with them (left wrong by another version, a hand edit, a
 * restore) are corrected and never decide; a refusal thrown after this rolls the move back. Only
 * when the pool is full are the sessions whose lease ran out (crashed runs) ended and the decision
 * taken again. Every grant locks the machine's row (registerMachine) before the pool's, never
 * after, so that two grants cannot deadlock.
 */
export const takeSeat = async (
  ctx: Context,
  q: Queries,
  pool: PoolRow,
  take: {
    /** new: a session now inserted; held: a session not ended that is this grant's; none: no session. */
    session: 'new' | 'held' | 'none';
    newMachine: boolean;
  },
  now: number,
): Promise<{
  refusal: Refusal | null;
  usage: PoolUsage;
  /** The pool's rules as read under its lock (an operator's change since `pool` was read). */
  rules: Pool;
  /** A member was removed or a KSE license withdrawn since `pool` was read: check the user again. */
  entitlementsMoved: boolean;
}> => {
  const counters = await moveCounters(q, pool.id, {
    openSessions: take.session === 'new' ? 1 : 0,
    machines: take.newMachine ? 1 : 0,
  });
  // The subscription under the lock decides: an operator's change since `pool` was read is seen.
  const rules = toPool({
    ...pool,
    quota: counters.quota,
    machine_quota: counters.machine_quota,
    expires_at: counters.expires_at,
  });
  // The rows, counted only as far as the decision needs (a pool's history can be long): licenses up
  // to one past the quota; machines only for a new machine of a node-locked pool.
  const licenses = rules.quota + 1;
  const machines = rules.model === 'node-locked' && take.newMachine ? rules.machineQuota + 1 : null;
  const seen = await seenPoolRows(q, pool.id, now, { licenses, machines });
  /** A counter agrees with a count stopped at `limit` if both are exact and equal, or both at it. */
  const same = (counted: number, rows: number, limit: number) =>
    rows < limit ? counted === rows : counted >= limit;
  const agree =
    same(counters.open_sessions, seen.open_sessions, licenses) &&
    (machines === null || same(counters.machine_count, seen.machine_count!, machines));
  const offlineAgrees =
    now < counters.offline_counted_until &&
    same(counters.offline_count, seen.offline_count, licenses);
  // Counters that disagree are counted again whole, and the rows decide.
  const rows = agree && offlineAgrees ? null : await countPoolRows(q, pool.id, now);
  if (rows) {
    await setCounters(q, pool.id, rows);
    if (!agree)
      ctx.events.record(q, {
        orgId: pool.org_id,
        product: pool.product,
        model: pool.model,
        event: 'recounted',
        counted: { sessions: counters.open_sessions, machines: counters.machine_count },
        rows: { sessions: rows.open_sessions, machines: rows.machine_count },
      });
  }
  const decided = rows ?? {
    open_sessions: seen.open_sessions,
    offline_count: seen.offline_count,
    machine_count: seen.machine_count ?? counters.machine_count,
  };
  const ours = take.session === 'none' ? 0 : 1;
  const usage: PoolUsage = {
    activeSessions: decided.open_sessions - ours,
    registeredMachines: decided.machine_count - (take.newMachine ? 1 : 0),
    unexpiredOfflineLicenses: decided.offline_count,
  };
  let refusal = grantRefusal(rules, usage, now, !take.newMachine);
  if (refusal?.code === 'QUOTA_EXCEEDED') {
    const lapsed = await endLapsedSessions(q, pool.id, now, lostInOutage(ctx, now));
    if (lapsed > 0) {
      ctx.events.record(q, {
        orgId: pool.org_id,
        product: pool.product,
        model: pool.model,
        event: 'expired',
        sessions: lapsed,
      });
      // Counted again, not less `lapsed`: a count stopped at its limit (a quota lowered below what
      // is in use) says nothing of how many live sessions are left.
      const left = await seenPoolRows(q, pool.id, now, { licenses, machines: null });
      usage.activeSessions = left.open_sessions - ours;
      refusal = grantRefusal(rules, usage, now, !take.newMachine);
    }
  }
  return {
    refusal,
    usage,
    rules,
    entitlementsMoved: counters.entitlements !== pool.entitlements,
  };
};

/**
 * When a lease that ran out was lost to the database's latest outage (its run's heartbeats could
 * not be written): from the outage's start until a heartbeat interval after its end.
 */
export const lostInOutage = (
  ctx: Context,
  now: number,
): { from: number; to: number } | undefined => {
  const outage = ctx.store.availability.latest;
  return outage && { from: outage.from, to: (outage.to ?? now) + ctx.settings.heartbeatMs };
};

/**
 * Ends the matching running sessions, here and in the lease cache, and records it (released by
 * their run, or terminated); resolves to how many.
 */
export const endSessionsFor = async (
  ctx: Context,
  q: Queries,
  filter: SessionFilter,
  end: { event: 'released' | 'terminated'; reason: string },
): Promise<number> => {
  const ended = await endSessions(q, filter, end.reason, ctx.clock());
  ctx.leases.forget(ended.map((s) => s.id));
  for (const poolId of new Set(ended.map((s) => s.pool_id)))
    ctx.events.record(q, {
      ...(await ctx.poolRef(q, poolId)),
      event: end.event,
      reason: end.reason,
      sessionIds: ended.filter((s) => s.pool_id === poolId).map((s) => s.id),
    });
  return ended.length;
};
