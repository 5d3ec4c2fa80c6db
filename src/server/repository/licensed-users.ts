// Rows of a KSE pool's licensed users, and the count a removal moves on the pool.
import type { Queries } from '../store/store.ts';
import { count } from './pools.ts';

/**
 * Before a member is removed or a KSE license withdrawn: counts it on the pool, which also takes
 * the pool's lock. An activation holding that lock commits first, and its session is then ended by
 * the removal; one that checked the user earlier sees the count move under the lock (takeSeat).
 */
export const withdrawEntitlement = (q: Queries, poolId: number): Promise<number> =>
  q.run('UPDATE pools SET entitlements = entitlements + 1 WHERE id = ?', poolId);

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
