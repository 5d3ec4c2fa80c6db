// Admin operations on license pools and their quotas: the pool itself, licensed users (KSE),
// registered machines, and the pool's summary that activations answer too.
import { fail } from '../../core/errors.ts';
import {
  available,
  offlineExpiry,
  OUTAGE_GRACE_MINUTES,
  type Pool,
  type PoolUsage,
} from '../../core/quota.ts';
import { poolLabel, poolTitle, type PoolRef } from '../../core/pool-ref.ts';
import { authorized } from './actor.ts';
import {
  poolsOf,
  insertPool,
  setOutageGrace,
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
import { deleteMachine, listMachines } from '../repository/machines.ts';
import { replaceableLicense, unexpiredOfflineLicenses } from '../repository/offline-licenses.ts';
import { liveSessions, type SessionRow } from '../repository/sessions.ts';
import { audit } from './audit.ts';
import { checkMachineId, memberOrFail, orgOrFail, poolOrFail } from './checks.ts';
import { endSessionsFor } from './seats.ts';
import { iso } from '../../core/text.ts';
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

export const pools = (ctx: Context) => {
  const { store, clock, leases } = ctx;
  return {
    createPool: (p: Pool & { orgId: number; outageGraceMinutes?: number }) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, p.orgId, { kind: 'operate' });
        await orgOrFail(tx, p.orgId);
        if (p.expiresAt <= clock())
          throw fail('BAD_REQUEST', `the subscription end ${iso(p.expiresAt)} is in the past`);
        const outageGraceMinutes = p.outageGraceMinutes ?? OUTAGE_GRACE_MINUTES.default;
        const id = await insertPool(tx, { ...p, outageGraceMinutes }, clock());
        if (id === null)
          throw fail('CONFLICT', `organisation ${p.orgId} already has a ${poolTitle(p)}`);
        await audit(
          ctx,
          tx,
          p.orgId,
          'pool created',
          `${p.product} ${p.model}: ${p.billing}, quota ${p.quota}, machine quota ${p.machineQuota}, until ${iso(p.expiresAt)}, outage grace ${outageGraceMinutes} minutes`,
        );
        return { id };
      }),

    /**
     * How long a run cut off from the server goes on past its lease (new sessions and resumes).
     * An Owner's or the operator's choice (core/roles.ts).
     */
    setOutageGrace: (orgId: number, ref: PoolRef, minutes: number) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, { kind: 'change-outage-grace' });
        const pool = await poolOrFail(tx, orgId, ref);
        await setOutageGrace(tx, pool.id, minutes);
        await audit(
          ctx,
          tx,
          orgId,
          'outage grace changed',
          `${poolLabel(pool)}: ${pool.outage_grace_minutes} → ${minutes} minutes`,
        );
        return { product: pool.product, model: pool.model, outageGraceMinutes: minutes };
      }),

    grant: (orgId: number, ref: PoolRef, email: string) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, MANAGE);
        const pool = await poolOrFail(tx, orgId, ref);
        await tx.lockPool(pool.id);
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

    /** A pool and everything in it; `rows`: at most that many sessions and machines (inUse counts all). */
    poolShow: async (orgId: number, ref: PoolRef, rows = -1) => {
      await authorized(store, orgId, MANAGE);
      await leases.flush();
      const now = clock();
      const pool = await poolOrFail(store, orgId, ref);
      const used = await usage(store, pool.id, now);
      return {
        ...poolSummary(pool, used),
        billing: pool.billing,
        inUse: used,
        licensedUsers: await licensedEmails(store, pool.id),
        onlineSessions: (await liveSessions(store, { poolId: pool.id }, now, rows)).map(
          sessionView,
        ),
        offlineLicenses: (await unexpiredOfflineLicenses(store, pool.id, now)).map((r) => ({
          id: r.id,
          machineId: r.machine_id,
          kind: r.kind,
          issuedAt: iso(r.issued_at),
          expiresAt: iso(r.expires_at),
          downloadable: Boolean(r.file_text),
        })),
        latestOfflineExpiry: iso(offlineExpiry(toPool(pool), now, false)),
        registeredMachines: (await listMachines(store, pool.id, rows)).map((r) => ({
          machineId: r.machine_id,
          hostname: r.hostname,
          firstSeen: iso(r.first_seen),
          lastSeen: iso(r.last_seen),
        })),
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
        const sessionsEnded = await endSessionsFor(
          ctx,
          tx,
          { poolId: pool.id, machineId: id },
          { event: 'terminated', reason: `machine ${id} was removed by an admin` },
        );
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
