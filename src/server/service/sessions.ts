// Online sessions: katalonc's activations, heartbeats and releases, and the admin's view and
// terminations. One session is one running process and holds one license of the pool.
import { randomUUID } from 'node:crypto';
import { fail, isKatalonError } from '../../core/errors.ts';
import { activationOrder, pickPool, refusalOfAll, triesNextPool } from '../../core/pool-ref.ts';
import {
  leaseEnd,
  leftoverLeaseBefore,
  resumeRefusal,
  subscriptionRefusal,
  type Refusal,
  type Subscription,
} from '../../core/quota.ts';
import type { PoolModel } from '../../core/vocabulary.ts';
import { isMember, orgsOfUser, type User } from '../repository/organisations.ts';
import { memberPools, poolById, poolsOf, toPool, type PoolRow } from '../repository/pools.ts';
import { isLicensed } from '../repository/licensed-users.ts';
import { registerMachine } from '../repository/machines.ts';
import type { Queries } from '../store/store.ts';
import {
  endedByLease,
  insertSession,
  isSessionOfOrg,
  orgOfSession,
  LEASE_EXPIRED_IN_OUTAGE,
  liveSessions,
  reviveSession,
  sessionOfUser,
  type SessionRow,
} from '../repository/sessions.ts';
import { authorized } from './actor.ts';
import { audit } from './audit.ts';
import { checkMachineId } from './checks.ts';
import { endSessionsFor, takeSeat } from './seats.ts';
import { iso } from '../../core/text.ts';
import {
  deliverLeaseKey,
  usableKx,
  leaseKeyOf,
  leaseMac,
  signGrant,
  type KeyDelivery,
  type LeaseTerms,
  type SessionGrant,
} from '../../core/license/grant.ts';
import { leaseSecret } from '../repository/lease-secret.ts';
import type { Context } from './context.ts';
import type {
  ActivationRequest,
  LeaseRequest,
  MachineRelease,
} from '../../core/wire/client-api.ts';
import { createHeartbeatBatch } from './heartbeat-batch.ts';
import { poolSummary, sessionView } from './pools.ts';

/** Thrown out of an activation's transaction to roll it back: the pool is full, the next one is tried. */
class TryNextPool extends Error {
  readonly tried: { model: PoolModel; refusal: Refusal }[];
  constructor(tried: { model: PoolModel; refusal: Refusal }[]) {
    super('the pool is full: the next one is tried');
    this.tried = tried;
  }
}

const refused = (refusal: Refusal) => fail(refusal.code, refusal.message);

// Not found and not a member answer alike: a key holder learns nothing about other orgs.
const notAMember = (orgId: number) =>
  fail(
    'NOT_A_MEMBER',
    `you are not a member of organisation ${orgId} (or it does not exist): check -orgID`,
  );

const notLicensed = (user: User) =>
  fail(
    'NOT_LICENSED_USER',
    `${user.email} is not a licensed user of the KSE pool: ask your admin to grant you a license`,
  );

/**
 * Why the user may not hold a seat of the pool now (no longer a member; a KSE license withdrawn),
 * or null. Asked under the pool's lock when takeSeat says one of those happened since the user was
 * checked (a removal counts itself on the pool under the same lock).
 */
const unentitled = async (
  q: Queries,
  pool: PoolRow,
  userId: number,
): Promise<'member' | 'licensed' | null> => {
  if (!(await isMember(q, pool.org_id, userId))) return 'member';
  if (pool.product === 'KSE' && !(await isLicensed(q, pool.id, userId))) return 'licensed';
  return null;
};

const badKx = () => fail('BAD_REQUEST', 'kx is not an X25519 public key');

export const sessions = (ctx: Context) => {
  const { store, clock, settings, leases } = ctx;

  // Read once (the first session request), again only after a failure to read it.
  let secret: Promise<Buffer> | undefined;
  const leaseKey = async (sessionId: string) => {
    secret ??= leaseSecret(store).catch((error: unknown) => {
      secret = undefined;
      throw error;
    });
    return leaseKeyOf(await secret, sessionId);
  };

  /**
   * A session's signed grant for katalonc's nonce (core/license/grant.ts), with its lease key
   * wrapped for katalonc's key `kx`, if it sent them and this server has a certificate (katalonc
   * refuses a session without one).
   */
  const signed = async (
    grant: SessionGrant | undefined | '',
    kx: string | undefined,
  ): Promise<{ grant?: string }> => {
    const { certificate, signingKey } = ctx.issuer;
    if (!grant || !certificate) return {};
    let delivery: KeyDelivery | null | undefined;
    if (kx) {
      delivery = deliverLeaseKey(await leaseKey(grant.sessionId), kx, grant);
      if (!delivery) throw badKx();
    }
    return { grant: signGrant(signingKey, certificate.block, { ...grant, ...delivery }) };
  };

  /** What activations and heartbeats answer about a session. */
  const sessionAnswer = (id: string, lease: number, subscription: Subscription) => ({
    id,
    leaseExpiresAt: iso(lease),
    heartbeatIntervalSeconds: settings.heartbeatMs / 1000,
    subscriptionExpiresAt: iso(subscription.expiresAt),
  });

  const leaseTerms = (a: ReturnType<typeof sessionAnswer>, nonce: string): LeaseTerms => ({
    kind: 'lease',
    sessionId: a.id,
    nonce,
    leaseExpiresAt: a.leaseExpiresAt,
    heartbeatIntervalSeconds: a.heartbeatIntervalSeconds,
    subscriptionExpiresAt: a.subscriptionExpiresAt,
  });

  /**
   * Once its pool's subscription has ended, a session ends (a run that started before the end, or
   * before the operator moved it earlier, does not outlive it) and its heartbeat is refused.
   */
  const refuseIfSubscriptionEnded = async (
    s: SessionRow,
    subscription: Subscription,
    now: number,
  ) => {
    const ended = subscriptionRefusal(subscription, now);
    if (!ended) return;
    // Written once: heartbeats sent again for it cost a read, as other refusals do.
    if (s.ended_at === null)
      await ctx.events.transaction((tx) =>
        endSessionsFor(ctx, tx, { id: s.id }, { event: 'terminated', reason: ended.message }),
      );
    throw fail(ended.code, ended.message);
  };

  /**
   * "while the server could not reach its database" when the session's lease ran out then (its
   * run's heartbeats were lost: the run must not be told that it sent none); else undefined.
   */
  const lostToOutage = (s: SessionRow, lease: number): string | undefined => {
    const outage = store.availability.outageAt(lease, settings.heartbeatMs);
    if (s.end_reason === LEASE_EXPIRED_IN_OUTAGE || outage)
      return `while the server could not reach its database${outage ? ` (${outage.cause})` : ''}`;
    return undefined;
  };

  /**
   * The session's lease and subscription if it is live for this user, from its row; otherwise why a
   * heartbeat is refused.
   */
  const liveLeaseOrFail = async (user: User, sessionId: string, now: number) => {
    const s = await sessionOfUser(store, sessionId, user.id);
    if (!s) throw fail('NOT_FOUND', `no session ${sessionId} for this API key`);
    const subscription = { product: s.product, expiresAt: s.expires_at };
    await refuseIfSubscriptionEnded(s, subscription, now);
    if (s.ended_at !== null && !endedByLease(s.end_reason))
      throw fail('SESSION_TERMINATED', `the session was ended: ${s.end_reason}`);
    const lease = Math.max(s.lease_expires_at, leases.pending(sessionId) ?? 0);
    if (s.ended_at !== null || lease <= now)
      throw fail(
        'SESSION_EXPIRED',
        `the session's lease ran out at ${iso(lease)} ${lostToOutage(s, lease) ?? 'without a heartbeat'}`,
      );
    return { lease, subscription };
  };

  // Own store: a session live in memory is extended there; anything else is decided by its row. A
  // lease in memory ends by its subscription's end, so past that end the row decides too.
  const heartbeatInMemory = async (user: User, sessionId: string) => {
    const now = clock();
    const asOf = leases.epoch();
    const subscription =
      leases.live(sessionId, user.id, now) ??
      (await liveLeaseOrFail(user, sessionId, now)).subscription;
    const lease = leaseEnd(now, settings.leaseMs, subscription);
    leases.remember(sessionId, { userId: user.id, lease, subscription }, true, asOf);
    return sessionAnswer(sessionId, lease, subscription);
  };

  // Shared store: written (group-committed) before the answer; the row is read only when nothing
  // was written.
  const batch = store.shared ? createHeartbeatBatch(store, clock) : undefined;
  const heartbeatWrittenThrough = async (user: User, sessionId: string) => {
    const now = clock();
    const extended = await batch!.extend(sessionId, user.id, now + settings.leaseMs);
    if (extended) return sessionAnswer(sessionId, extended.lease, extended.subscription);
    // Not extended: the row says why (or that its lease ran out only as the batch was written).
    const held = await liveLeaseOrFail(user, sessionId, now);
    return sessionAnswer(sessionId, held.lease, held.subscription);
  };

  return {
    /** Which organisations the key's user may activate in (katalonc without -orgID asks). */
    memberOrgs: async (user: User) => ({ orgs: await orgsOfUser(store, user.id) }),

    /**
     * A session in one of the organisation's pools of the product that the user may use, tried in
     * activationOrder (core/pool-ref.ts), each in a transaction of its own: a pool that is full or
     * over rolls its attempt back whole (machine, session, counters) and the next is tried.
     */
    activate: async (user: User, r: ActivationRequest) => {
      const machineId = checkMachineId(r.machineId);
      // Before the seat is taken: refused after it, the seat stayed taken for a session whose ID
      // katalonc never learnt.
      if (r.kx !== undefined && !usableKx(r.kx)) throw badKx();
      await leases.flush();
      const asOf = leases.epoch();
      const tried: { model: PoolModel; refusal: Refusal }[] = [];
      const attempt = () =>
        ctx.events.transaction(async (tx) => {
          const now = clock();
          const found = await memberPools(tx, { ...r, userId: user.id });
          if (!found) throw notAMember(r.orgId);
          if (found.length === 0)
            throw fail('NO_POOL', `organisation ${r.orgId} has no ${r.product} licenses`);
          // Asked for one model (katalonc -licenseModel): that pool only, or NO_POOL naming the other.
          const picked = r.model
            ? pickPool(
                found.map((f) => f.pool),
                r,
                r.orgId,
              )
            : null;
          if (picked && 'code' in picked) throw refused(picked);
          const usable = activationOrder(
            found
              .filter(
                (f) => (!picked || f.pool === picked) && (f.pool.product !== 'KSE' || f.licensed),
              )
              .map((f) => f.pool),
          );
          if (usable.length === 0) throw notLicensed(user);
          const pool = usable[tried.length];
          if (!pool) throw refused(refusalOfAll(tried));
          const hostname = r.hostname ?? null;
          const newMachine = await registerMachine(tx, {
            poolId: pool.id,
            machineId,
            hostname,
            now,
          });
          const id = randomUUID();
          const subscription = toPool(pool);
          const lease = leaseEnd(now, settings.leaseMs, subscription);
          await insertSession(tx, {
            id,
            pool_id: pool.id,
            user_id: user.id,
            machine_id: machineId,
            hostname,
            os_user: r.osUser ?? null,
            created_at: now,
            lease_expires_at: lease,
            kx: r.kx ?? null,
          });
          const { refusal, usage, entitlementsMoved } = await takeSeat(
            ctx,
            tx,
            pool,
            { session: 'new', newMachine },
            now,
          );
          const lost = entitlementsMoved ? await unentitled(tx, pool, user.id) : null;
          if (lost === 'member') throw notAMember(r.orgId);
          if (lost === 'licensed') throw notLicensed(user);
          if (refusal) {
            const all = [...tried, { model: pool.model, refusal }];
            if (usable.length > all.length && triesNextPool(refusal)) throw new TryNextPool(all);
            throw refused(refusalOfAll(all));
          }
          ctx.events.record(tx, {
            orgId: pool.org_id,
            product: pool.product,
            model: pool.model,
            event: 'granted',
            sessionId: id,
            user: user.email,
            machineId,
            machineHostname: hostname,
            resumed: false,
          });
          const used = { ...usage, activeSessions: usage.activeSessions + 1 };
          return { id, lease, subscription, pool: poolSummary(pool, used) };
        });
      const granted = await (async () => {
        for (;;) {
          try {
            return await attempt();
          } catch (error) {
            if (!(error instanceof TryNextPool)) throw error;
            tried.splice(0, tried.length, ...error.tried);
          }
        }
      })().catch((error: unknown) => {
        if (isKatalonError(error))
          ctx.events.record(store, {
            orgId: r.orgId,
            product: r.product,
            event: 'refused',
            reason: error.code,
            user: user.email,
            machineId,
          });
        throw error;
      });
      // Only once committed: a session in memory but not on disk would answer heartbeats.
      const { lease, subscription } = granted;
      leases.remember(granted.id, { userId: user.id, lease, subscription }, false, asOf);
      const { orgId, product, nonce, kx } = r;
      const session = sessionAnswer(granted.id, lease, subscription);
      const { outageGraceMinutes } = granted.pool;
      return {
        session,
        pool: granted.pool,
        ...(await signed(
          nonce && {
            kind: 'session',
            sessionId: session.id,
            nonce,
            machineId,
            orgId,
            product,
            leaseExpiresAt: session.leaseExpiresAt,
            heartbeatIntervalSeconds: session.heartbeatIntervalSeconds,
            subscriptionExpiresAt: session.subscriptionExpiresAt,
            outageGraceMinutes,
          },
          kx,
        )),
      };
    },

    /**
     * Extends a session's lease; for katalonc's nonce, the answer's terms under the session's lease
     * key (an HMAC: a signature on each heartbeat cost twice the rest of it).
     */
    heartbeat: async (user: User, sessionId: string, { nonce }: LeaseRequest = {}) => {
      const a = await (store.shared ? heartbeatWrittenThrough : heartbeatInMemory)(user, sessionId);
      return nonce ? { ...a, mac: leaseMac(await leaseKey(sessionId), leaseTerms(a, nonce)) } : a;
    },

    /**
     * Resumes a session whose lease ran out while its run could not reach this server: granted
     * again if the pool still has room (the rules of an activation), refused if the seat was taken
     * meanwhile. A session somebody ended stays ended, and none comes back past its subscription.
     * katalonc also resumes a live session whose heartbeat MAC failed, for its lease key anew (a
     * database restored from before the secret), wrapped for the key it activated with only.
     */
    resume: async (user: User, sessionId: string, { nonce, kx }: LeaseRequest = {}) => {
      await leases.flush();
      const asOf = leases.epoch();
      const { lease, subscription } = await ctx.events.transaction(async (tx) => {
        const s = await sessionOfUser(tx, sessionId, user.id);
        if (!s) throw fail('NOT_FOUND', `no session ${sessionId} for this API key`);
        // The lease key only to the key the run activated with: the API key's holder could
        // otherwise ask for it with a key of their own, release the seat and answer the heartbeats.
        if (kx !== undefined && s.kx !== null && kx !== s.kx)
          throw fail(
            'BAD_REQUEST',
            'kx is not the key this session was activated with: only its own run resumes it',
          );
        const now = clock();
        const pool = (await poolById(tx, s.pool_id))!;
        const subscription = toPool(pool);
        const expired = subscriptionRefusal(subscription, now);
        if (expired) throw fail(expired.code, expired.message);
        if (s.ended_at !== null && !endedByLease(s.end_reason))
          throw fail('SESSION_TERMINATED', `the session was ended: ${s.end_reason}`);
        const refuseIf = (lost: 'member' | 'licensed' | null) => {
          if (lost === 'member')
            throw fail('SESSION_TERMINATED', 'the session was ended: you are no longer a member');
          if (lost === 'licensed')
            throw fail(
              'SESSION_TERMINATED',
              'the session was ended: your KSE license was withdrawn',
            );
        };
        refuseIf(await unentitled(tx, pool, user.id));
        // Past the pool's grace a run cut off from the server has ended on its own: its seat may
        // have served another run meanwhile. The grace is for all its cut-offs together (one cut
        // off on purpose again and again would otherwise share its seat for as long as it ran).
        const lapsed = Number(s.lapsed_ms) + Math.max(0, now - s.lease_expires_at);
        const late = resumeRefusal(pool.outage_grace_minutes, now - lapsed, now);
        if (late) throw fail(late.code, late.message);
        const next = leaseEnd(now, settings.leaseMs, subscription);
        // Its machine may have been removed while its run was cut off (the session had lapsed, so
        // the removal ended none): a removal ends the machine's sessions for good.
        const removed = await registerMachine(tx, {
          poolId: pool.id,
          machineId: s.machine_id,
          hostname: s.hostname,
          now,
        });
        if (removed)
          throw fail(
            'SESSION_TERMINATED',
            `the session was ended: machine ${s.machine_id} was removed by an admin`,
          );
        const wasEnded = await reviveSession(tx, sessionId, next, lapsed);
        const session = wasEnded ? 'new' : 'held';
        const { refusal, entitlementsMoved } = await takeSeat(
          ctx,
          tx,
          pool,
          { session, newMachine: false },
          now,
        );
        if (entitlementsMoved) refuseIf(await unentitled(tx, pool, user.id));
        if (refusal)
          throw fail(
            refusal.code,
            `the seat was taken ${lostToOutage(s, s.lease_expires_at) ?? 'while the server could not be reached'}: ${refusal.message}`,
          );
        ctx.events.record(tx, {
          orgId: pool.org_id,
          product: pool.product,
          model: pool.model,
          event: 'granted',
          sessionId,
          user: user.email,
          machineId: s.machine_id,
          machineHostname: s.hostname,
          resumed: true,
        });
        return { lease: next, subscription };
      });
      leases.remember(sessionId, { userId: user.id, lease, subscription }, false, asOf);
      const a = sessionAnswer(sessionId, lease, subscription);
      // Signed again, with the lease key (katalonc's new process, or a server that lost its secret).
      return { ...a, ...(await signed(nonce && leaseTerms(a, nonce), kx)) };
    },

    release: (user: User, sessionId: string) =>
      ctx.events.transaction(async (tx) => {
        await tx.commitLazily();
        const ended = await endSessionsFor(
          ctx,
          tx,
          { id: sessionId, userId: user.id },
          { event: 'released', reason: 'released' },
        );
        // Ended already (a second release, a termination) is released too.
        if (ended === 0 && !(await sessionOfUser(tx, sessionId, user.id)))
          throw fail('NOT_FOUND', `no session ${sessionId} for this API key`);
        return { id: sessionId, released: true };
      }),

    /**
     * -licenseRelease: ends this user's sessions on this machine whose run is gone (they stopped
     * heartbeating), never a live run's.
     */
    releaseMachine: async (user: User, r: MachineRelease) => {
      await leases.flush();
      return ctx.events.transaction(async (tx) => {
        const leaseBefore = leftoverLeaseBefore(clock(), settings.leaseMs, settings.heartbeatMs);
        if (!(await isMember(tx, r.orgId, user.id))) return { released: 0 };
        const machine = checkMachineId(r.machineId);
        let released = 0;
        for (const pool of await poolsOf(tx, r.orgId, r.product))
          released += await endSessionsFor(
            ctx,
            tx,
            { poolId: pool.id, userId: user.id, machineId: machine, leaseBefore },
            { event: 'released', reason: 'released by -licenseRelease: its run had stopped' },
          );
        return { released };
      });
    },

    listSessions: async (orgId?: number) => {
      await authorized(store, orgId, { kind: 'operate' });
      await leases.flush();
      const rows = await liveSessions(store, orgId === undefined ? {} : { orgId }, clock());
      return rows.map((s) => ({
        ...sessionView(s),
        orgId: s.org_id,
        product: s.product,
        model: s.model,
      }));
    },

    /** Ends a running session; `orgId`: only if it is that organisation's (the console's admins). */
    terminateSession: (sessionId: string, reason = 'terminated by an admin', orgId?: number) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, { kind: 'terminate-session' });
        if (orgId !== undefined && !(await isSessionOfOrg(tx, sessionId, orgId)))
          throw fail('NOT_FOUND', `no running session ${sessionId}`);
        if (
          (await endSessionsFor(ctx, tx, { id: sessionId }, { event: 'terminated', reason })) === 0
        )
          throw fail('NOT_FOUND', `no running session ${sessionId}`);
        await audit(
          ctx,
          tx,
          (await orgOfSession(tx, sessionId)) ?? null,
          'session terminated',
          `${sessionId}: ${reason}`,
        );
        return { id: sessionId, terminated: true };
      }),
  };
};
