// The license pool rules from the seeds, as pure functions over plain data.
//   Available licenses = quota − (unexpired offline licenses + active online sessions)
//   Parallel sessions never exceed the quota; registered machines never exceed the machine quota.
//   A session counts while its lease runs and nobody ended it (LIVE in server/repository/sessions.ts, as SQL):
//   no background job is needed for correctness.
//   Only node-locked pools with a yearly billing cycle can issue offline licenses, valid 60 days by
//   default and never past the subscription's expiry.
import type { ErrorCode } from './errors.ts';
import { count } from './text.ts';
import type { Billing, PoolModel, Product } from './vocabulary.ts';

export interface Pool {
  product: Product;
  model: PoolModel;
  billing: Billing;
  quota: number;
  machineQuota: number;
  /** Subscription end, ms since the epoch. */
  expiresAt: number;
}

export interface PoolUsage {
  activeSessions: number;
  unexpiredOfflineLicenses: number;
  registeredMachines: number;
}

export const DAY_MS = 86_400_000;
const OFFLINE_VALIDITY_MS = 60 * DAY_MS;
const TESTING_VALIDITY_MS = DAY_MS;

export const available = (pool: Pool, usage: PoolUsage): number =>
  Math.max(0, pool.quota - (usage.unexpiredOfflineLicenses + usage.activeSessions));

export type Refusal = { code: ErrorCode; message: string };

export const subscriptionRefusal = (pool: Pool, now: number): Refusal | null =>
  now >= pool.expiresAt
    ? {
        code: 'SUBSCRIPTION_EXPIRED',
        message: `the ${pool.product} subscription expired on ${new Date(pool.expiresAt).toISOString().slice(0, 10)}: ask your admin to renew it`,
      }
    : null;

/** Whether one more license (a session or an offline license) may be granted for a machine. */
export const grantRefusal = (
  pool: Pool,
  usage: PoolUsage,
  now: number,
  machineAlreadyRegistered: boolean,
): Refusal | null => {
  const expired = subscriptionRefusal(pool, now);
  if (expired) return expired;
  if (
    pool.model === 'node-locked' &&
    !machineAlreadyRegistered &&
    usage.registeredMachines >= pool.machineQuota
  ) {
    return {
      code: 'MACHINE_QUOTA_EXCEEDED',
      message: `all ${pool.machineQuota} machines of the ${pool.product} pool are registered: ask your admin to remove one or raise the machine quota`,
    };
  }
  if (available(pool, usage) < 1) {
    return {
      code: 'QUOTA_EXCEEDED',
      message: `all ${pool.quota} ${pool.product} licenses are in use (${count(usage.activeSessions, 'online session')}, ${count(usage.unexpiredOfflineLicenses, 'offline license')})`,
    };
  }
  return null;
};

/**
 * How long a run cut off from the server goes on past its lease: the pool's choice (its Owners'),
 * since during it a second run may take the seat the lapsed session left. Old servers said nothing
 * and katalonc allowed 30 minutes.
 */
export const OUTAGE_GRACE_MINUTES = { default: 5, max: 120, unannounced: 30 } as const;

/**
 * -licenseRelease frees a machine's leftover sessions, never a live run's: a session is a leftover
 * once it has missed a heartbeat by half an interval, i.e. its lease ends before this time.
 */
export const leftoverLeaseBefore = (now: number, leaseMs: number, heartbeatMs: number): number =>
  now + leaseMs - 1.5 * heartbeatMs;

/** Whether a session whose lease ran out at `leaseExpiredAt` may still be resumed at `now`. */
export const resumeRefusal = (
  graceMinutes: number,
  leaseExpiredAt: number,
  now: number,
): Refusal | null =>
  now - leaseExpiredAt > graceMinutes * 60_000
    ? {
        code: 'SESSION_EXPIRED',
        message: `the run could not reach the license server for longer than its pool's outage grace (${graceMinutes} minutes past the lease)`,
      }
    : null;

/** Whether a pool can issue offline licenses at all (Katalon: node-locked, billed yearly). */
export const issuesOffline = (pool: Pick<Pool, 'model' | 'billing'>): boolean =>
  pool.model === 'node-locked' && pool.billing === 'yearly';

export const offlineRefusal = (pool: Pool): Refusal | null =>
  issuesOffline(pool)
    ? null
    : {
        code: 'LICENSE_REFUSED',
        message: `only node-locked pools with a yearly billing cycle can issue offline licenses; this ${pool.product} pool is ${pool.model}, ${pool.billing}`,
      };

/** The expiry of a new offline (or testing) license: 60 days (1 for testing), an earlier chosen date, never past the subscription. */
export const offlineExpiry = (
  pool: Pool,
  now: number,
  testing: boolean,
  requested?: number,
): number =>
  Math.min(
    now + (testing ? TESTING_VALIDITY_MS : OFFLINE_VALIDITY_MS),
    pool.expiresAt,
    requested ?? Number.POSITIVE_INFINITY,
  );
