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

/** "all 3 machines", "the 1 machine": every one of a pool's n things. */
const all = (n: number, thing: string): string =>
  n === 1 ? `the ${count(n, thing)}` : `all ${count(n, thing)}`;

export const available = (pool: Pool, usage: PoolUsage): number =>
  Math.max(0, pool.quota - (usage.unexpiredOfflineLicenses + usage.activeSessions));

export type Refusal = { code: ErrorCode; message: string };

/** A pool's subscription as a session holds it: which product, and when it ends. */
export type Subscription = Pick<Pool, 'product' | 'expiresAt'>;

export const subscriptionRefusal = (pool: Subscription, now: number): Refusal | null =>
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
      message: `${all(pool.machineQuota, 'machine')} of the ${pool.product} pool ${pool.machineQuota === 1 ? 'is' : 'are'} registered: ask your admin to remove one or raise the machine quota`,
    };
  }
  if (available(pool, usage) < 1) {
    return {
      code: 'QUOTA_EXCEEDED',
      message: `${all(pool.quota, `${pool.product} license`)} ${pool.quota === 1 ? 'is' : 'are'} in use (${count(usage.activeSessions, 'online session')}, ${count(usage.unexpiredOfflineLicenses, 'offline license')})`,
    };
  }
  return null;
};

const counted = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * What a quota or machine quota lowered below what is in use leaves above it, in words (none:
 * everything fits). Nothing running is ended, nor any licensed user withdrawn: grantRefusal (and
 * the licensed-user rule) refuse new ones until fewer are in use.
 */
export const overQuotaNotes = (
  model: PoolModel,
  lowered: { quota?: number; machineQuota?: number },
  used: PoolUsage & { licensedUsers: number },
): string[] => {
  const notes: string[] = [];
  const { quota, machineQuota } = lowered;
  if (quota !== undefined) {
    const { activeSessions: online, unexpiredOfflineLicenses: offline } = used;
    if (online + offline > quota)
      notes.push(
        `${counted(online, 'session')} and ${counted(offline, 'offline license')} are in use, above the new quota ${quota}: they go on; new ones are refused until fewer are in use`,
      );
    if (used.licensedUsers > quota)
      notes.push(
        `${counted(used.licensedUsers, 'licensed user')} keep their licenses, above the new quota ${quota}: none is added until fewer are licensed`,
      );
  }
  // Only node-locked pools register machines against their machine quota.
  if (
    machineQuota !== undefined &&
    model === 'node-locked' &&
    used.registeredMachines > machineQuota
  )
    notes.push(
      `${counted(used.registeredMachines, 'machine')} registered, above the new machine quota ${machineQuota}: they go on; new machines are refused until fewer are registered`,
    );
  return notes;
};

/**
 * How long a run cut off from the server goes on past its lease: the pool's choice (its Owners'),
 * since during it a second run may take the seat the lapsed session left. The server signs it in the
 * session's grant, so katalonc goes by nothing else.
 */
export const OUTAGE_GRACE_MINUTES = { default: 5, max: 120 } as const;

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

/**
 * The lease of a session granted or extended at `now`: `leaseMs`, never past its subscription's
 * end, so that a run stops there even when it can no longer reach the server.
 */
export const leaseEnd = (now: number, leaseMs: number, subscription: Subscription): number =>
  Math.min(now + leaseMs, subscription.expiresAt);

/**
 * Whether a run cut off from the server (its lease ran out at `leaseExpiredAt`) stops at `now`: once
 * its subscription has ended (the outage grace never runs past it), or past its pool's outage grace.
 */
export const cutOffRefusal = (
  graceMinutes: number,
  leaseExpiredAt: number,
  subscription: Subscription | undefined,
  now: number,
): Refusal | null =>
  (subscription && subscriptionRefusal(subscription, now)) ??
  resumeRefusal(graceMinutes, leaseExpiredAt, now);

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
