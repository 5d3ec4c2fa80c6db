// Admin operations on license pools and their quotas: the pool itself, licensed users (KSE),
// registered machines, and the pool's summary that activations answer too.
import { fail } from '../../core/errors.ts';
import {
  available,
  offlineExpiry,
  OUTAGE_GRACE_MINUTES,
  overQuotaNotes,
  type Pool,
  type PoolUsage,
} from '../../core/quota.ts';
import { poolLabel, poolTitle, type PoolRef } from '../../core/pool-ref.ts';
import { authorized } from './actor.ts';
import {
  poolsOf,
  insertPool,
  updatePool,
  poolGauges,
  toPool,
  usage,
  type PoolRow,
} from '../repository/pools.ts';
import {
  countLicensed,
  deleteLicensed,
  withdrawEntitlement,
  insertLicensed,
  isLicensed,
  licensedEmails,
} from '../repository/licensed-users.ts';
import { countMachines, deleteMachine, machinesPage } from '../repository/machines.ts';
import { replaceableLicense, unexpiredOfflineLicenses } from '../repository/offline-licenses.ts';
import {
  countLiveFound,
  endResumableSessions,
  sessionsPage,
  type SessionRow,
} from '../repository/sessions.ts';
import { audit } from './audit.ts';
import { checkMachineId, lockedPoolOrFail, memberOrFail, orgOrFail, poolOrFail } from './checks.ts';
import { endSessionsFor } from './seats.ts';
import { iso } from '../../core/text.ts';
import { PAGE_ROWS, pageOf, parseCursor, prefixesOf } from '../../core/paging.ts';
import type { PoolPaging } from '../../core/wire/shapes.ts';
import type { Context } from './context.ts';

/** A pool as katalonc and the admin see it, with what is available now. */
export const poolSummary = (pool: PoolRow, used: PoolUsage) => ({
  product: pool.product,
  orgId: pool.org_id,
  orgName: pool.org_name,
  model: pool.model,
  quota: pool.quota,
  available: available(toPool(pool), used),
  machineQuota: pool.machine_quota,
  expiresAt: iso(pool.expires_at),
  outageGraceMinutes: pool.outage_grace_minutes,
});

export const sessionView = (s: SessionRow & { email?: string }) => ({
  id: s.id,
  machineId: s.machine_id,
  hostname: s.hostname,
  osUser: s.os_user,
  user: s.email,
  startedAt: iso(s.created_at),
  leaseExpiresAt: iso(s.lease_expires_at),
});

const MANAGE = { kind: 'manage-licenses' } as const;

/** What changePool may change of a pool (at least one). */
export interface PoolChange {
  quota?: number;
  machineQuota?: number;
  /** Subscription end, ms since the epoch. */
  expiresAt?: number;
  outageGraceMinutes?: number;
}

/** Each field of a change: its column, and how the audit log names it. */
const FIELDS = [
  { key: 'quota', column: 'quota', label: 'quota', unit: '' },
  { key: 'machineQuota', column: 'machine_quota', label: 'machine quota', unit: '' },
  { key: 'expiresAt', column: 'expires_at', label: 'expires', unit: '' },
  {
    key: 'outageGraceMinutes',
    column: 'outage_grace_minutes',
    label: 'outage grace',
    unit: ' minutes',
  },
] as const;

export const pools = (ctx: Context) => {
  const { store, clock, leases } = ctx;
  /** A subscription ends in the future (made or renewed). */
  const notPast = (expiresAt: number) => {
    if (expiresAt <= clock())
      throw fail('BAD_REQUEST', `the subscription end ${iso(expiresAt)} is in the past`);
  };
  return {
    /** `machineQuota`: required for a node-locked pool; a floating one enforces none (0). */
    createPool: (
      p: Omit<Pool, 'machineQuota'> & {
        orgId: number;
        machineQuota?: number;
        outageGraceMinutes?: number;
      },
    ) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, p.orgId, { kind: 'operate' });
        await orgOrFail(tx, p.orgId);
        if (p.model === 'node-locked' && p.machineQuota === undefined)
          throw fail(
            'BAD_REQUEST',
            'a node-locked pool needs its machine quota, how many machines may register (--machine-quota N; "machineQuota" in the admin API)',
          );
        notPast(p.expiresAt);
        const outageGraceMinutes = p.outageGraceMinutes ?? OUTAGE_GRACE_MINUTES.default;
        const machineQuota = p.machineQuota ?? 0;
        const id = await insertPool(tx, { ...p, machineQuota, outageGraceMinutes }, clock());
        if (id === null)
          throw fail('CONFLICT', `organisation ${p.orgId} already has a ${poolTitle(p)}`);
        await audit(
          ctx,
          tx,
          p.orgId,
          'pool created',
          `${p.product} ${p.model}: ${p.billing}, quota ${p.quota}, machine quota ${machineQuota}, until ${iso(p.expiresAt)}, outage grace ${outageGraceMinutes} minutes`,
        );
        return { id };
      }),

    /**
     * Changes a pool: its subscription (quota, machine quota, expiry: the operator's, core/roles.ts)
     * and how long a run cut off from the server goes on past its lease (the outage grace: an
     * Owner's or the operator's). A quota lowered below what is in use ends nothing: the answer's
     * `note` says what is above it, and new grants are refused until fewer are in use. An expiry
     * moved earlier ends the pool's running sessions at their first heartbeat past it.
     */
    changePool: async (orgId: number, ref: PoolRef, change: PoolChange) => {
      await leases.flush(); // the note counts the live sessions
      const changed = await ctx.events.transaction(async (tx) => {
        const { quota, machineQuota, expiresAt, outageGraceMinutes } = change;
        const given = FIELDS.filter((f) => change[f.key] !== undefined);
        if (given.length === 0)
          throw fail(
            'BAD_REQUEST',
            'name at least one change: the quota, machine quota, expiry or outage grace',
          );
        if (quota !== undefined || machineQuota !== undefined || expiresAt !== undefined)
          await authorized(tx, orgId, { kind: 'change-subscription' });
        if (outageGraceMinutes !== undefined)
          await authorized(tx, orgId, { kind: 'change-outage-grace' });
        if (expiresAt !== undefined) notPast(expiresAt);
        // Under the lock: the audit's "before" is what this change replaces.
        const pool = await lockedPoolOrFail(tx, orgId, ref);
        await updatePool(tx, pool.id, {
          quota,
          machine_quota: machineQuota,
          expires_at: expiresAt,
          outage_grace_minutes: outageGraceMinutes,
        });
        const shown = (f: (typeof FIELDS)[number], v: number) =>
          f.key === 'expiresAt' ? iso(v) : v;
        await audit(
          ctx,
          tx,
          orgId,
          'pool changed',
          `${poolLabel(pool)}: ${given
            .map(
              (f) =>
                `${f.label} ${shown(f, pool[f.column])} → ${shown(f, change[f.key]!)}${f.unit}`,
            )
            .join(', ')}`,
        );
        const notes =
          quota === undefined && machineQuota === undefined
            ? []
            : overQuotaNotes(
                pool.model,
                { quota, machineQuota },
                {
                  ...(await usage(tx, pool.id, clock())),
                  licensedUsers: await countLicensed(tx, pool.id),
                },
              );
        return {
          product: pool.product,
          model: pool.model,
          ...Object.fromEntries(given.map((f) => [f.key, shown(f, change[f.key]!)])),
          ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
        };
      });
      // Once committed: the sessions' leases in memory end by the old expiry.
      if (change.expiresAt !== undefined) leases.invalidate();
      return changed;
    },

    grant: (orgId: number, ref: PoolRef, email: string) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, MANAGE);
        // Under the lock: the operator may have changed its quota meanwhile.
        const pool = await lockedPoolOrFail(tx, orgId, ref);
        const user = await memberOrFail(tx, orgId, email);
        if (await isLicensed(tx, pool.id, user.id)) return { email, licensed: true };
        const licensed = await countLicensed(tx, pool.id);
        if (licensed >= pool.quota)
          throw fail(
            'QUOTA_EXCEEDED',
            `the ${poolTitle(pool)} already has ${licensed} licensed users, its quota: revoke one first`,
          );
        await insertLicensed(tx, pool.id, user.id);
        await audit(ctx, tx, orgId, 'licensed user added', `${poolLabel(pool)}: ${user.email}`);
        return { email, licensed: true };
      }),

    revokeGrant: (orgId: number, ref: PoolRef, email: string) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, MANAGE);
        const pool = await poolOrFail(tx, orgId, ref);
        await withdrawEntitlement(tx, pool.id);
        const user = await memberOrFail(tx, orgId, email);
        await deleteLicensed(tx, pool.id, user.id);
        const sessionsEnded = await endSessionsFor(
          ctx,
          tx,
          { poolId: pool.id, userId: user.id },
          { event: 'terminated', reason: `the license of ${email} was withdrawn by an admin` },
        );
        await audit(
          ctx,
          tx,
          orgId,
          'licensed user removed',
          `${poolLabel(pool)}: ${user.email} (${sessionsEnded} sessions ended)`,
        );
        return { email, licensed: false, sessionsEnded };
      }),

    /** Every pool with what is in use now, for /metrics. */
    poolGauges: async () => {
      await leases.flush();
      return poolGauges(store, clock());
    },

    /** The organisation's pools, by product and model. */
    poolRefsOf: async (orgId: number): Promise<Required<PoolRef>[]> => {
      await authorized(store, orgId, MANAGE);
      return (await poolsOf(store, orgId)).map((p) => ({ product: p.product, model: p.model }));
    },

    listPools: async (orgId: number) => {
      await authorized(store, orgId, MANAGE);
      await leases.flush();
      await orgOrFail(store, orgId);
      const now = clock();
      const out = [];
      for (const pool of await poolsOf(store, orgId)) {
        const used = await usage(store, pool.id, now);
        out.push({ ...poolSummary(pool, used), billing: pool.billing, inUse: used });
      }
      return out;
    },

    /**
     * A pool and what is in it: its live sessions and registered machines a page at a time, newest
     * first (`paging`: where each list stands, and a prefix that filters both); `paging` says how
     * many each list finds in all and where its next page starts. inUse counts everything.
     */
    poolShow: async (orgId: number, ref: PoolRef, paging: PoolPaging = {}) => {
      await authorized(store, orgId, MANAGE);
      await leases.flush();
      const now = clock();
      const pool = await poolOrFail(store, orgId, ref);
      const used = await usage(store, pool.id, now);
      const prefixes = prefixesOf(paging.prefix);
      const found = {
        sessions: prefixes
          ? await countLiveFound(store, pool.id, now, prefixes)
          : used.activeSessions,
        machines: prefixes
          ? await countMachines(store, pool.id, prefixes)
          : used.registeredMachines,
      };
      const at = (cursor: string | undefined) => ({
        prefixes,
        ...(cursor === undefined ? {} : { before: parseCursor(cursor) }),
      });
      const sessions = pageOf(
        await sessionsPage(store, pool.id, now, at(paging.sessionsBefore), PAGE_ROWS + 1),
        PAGE_ROWS,
        (s) => ({ at: s.created_at, key: s.id }),
      );
      const machines = pageOf(
        await machinesPage(
          store,
          pool.id,
          { ...at(paging.machinesBefore), found: found.machines },
          PAGE_ROWS + 1,
        ),
        PAGE_ROWS,
        (m) => ({ at: m.first_seen, key: m.machine_id }),
      );
      return {
        ...poolSummary(pool, used),
        billing: pool.billing,
        inUse: used,
        licensedUsers: await licensedEmails(store, pool.id),
        onlineSessions: sessions.rows.map(sessionView),
        offlineLicenses: (await unexpiredOfflineLicenses(store, pool.id, now)).map((r) => ({
          id: r.id,
          machineId: r.machine_id,
          kind: r.kind,
          issuedAt: iso(r.issued_at),
          expiresAt: iso(r.expires_at),
          downloadable: Boolean(r.file_text),
        })),
        latestOfflineExpiry: iso(offlineExpiry(toPool(pool), now, false)),
        registeredMachines: machines.rows.map((r) => ({
          machineId: r.machine_id,
          hostname: r.hostname,
          firstSeen: iso(r.first_seen),
          lastSeen: iso(r.last_seen),
        })),
        paging: {
          ...(prefixes ? { prefix: paging.prefix!.trim() } : {}),
          sessions: {
            found: found.sessions,
            ...(sessions.older ? { older: sessions.older } : {}),
          },
          machines: {
            found: found.machines,
            ...(machines.older ? { older: machines.older } : {}),
          },
        },
      };
    },

    removeMachine: (orgId: number, ref: PoolRef, machineId: string) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, MANAGE);
        const pool = await poolOrFail(tx, orgId, ref);
        const id = checkMachineId(machineId);
        // An offline license cannot be revoked: its machine runs on until it expires, and keeps
        // its place in the machine quota (else the place would serve a second machine meanwhile).
        const held = await replaceableLicense(tx, pool.id, id, clock());
        if (held)
          throw fail(
            'CONFLICT',
            `machine ${id} holds an offline license of the ${poolTitle(pool)} (${held.id}, until ${iso(held.expires_at).slice(0, 10)}), which cannot be revoked: the machine keeps its place in the machine quota until the license expires`,
          );
        if ((await deleteMachine(tx, pool.id, id)) === 0)
          throw fail('NOT_FOUND', `machine ${id} is not registered in the ${poolTitle(pool)}`);
        const reason = `machine ${id} was removed by an admin`;
        const sessionsEnded = await endSessionsFor(
          ctx,
          tx,
          { poolId: pool.id, machineId: id },
          { event: 'terminated', reason },
        );
        // And its runs cut off from the server: their resume must not find the machine registered
        // again (the next job on it) and come back.
        await endResumableSessions(tx, pool.id, id, reason);
        await audit(
          ctx,
          tx,
          orgId,
          'machine removed',
          `${poolLabel(pool)}: ${id} (${sessionsEnded} sessions ended)`,
        );
        return { machineId: id, sessionsEnded };
      }),
  };
};
