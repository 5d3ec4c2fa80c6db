// The license server's operations: the core rules (core/quota.ts) applied to the store, each
// operation in one transaction. The HTTP API and the admin subcommands are thin layers over this.
// Every check-then-write on a pool locks the pool first, so that replicas sharing a PostgreSQL
// store serialize on it as requests on one SQLite store do.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { fail } from '../core/errors.ts';
import { parseMachineId } from '../core/machine-id/format.ts';
import { signLicense } from '../core/license/format.ts';
import type { SigningKey } from '../core/license/keys.ts';
import {
  available,
  grantRefusal,
  offlineExpiry,
  offlineRefusal,
  subscriptionRefusal,
  type Billing,
  type Pool,
  type PoolModel,
  type PoolUsage,
  type Product,
} from '../core/quota.ts';
import type { Queries, Store } from './store/store.ts';

export interface Settings {
  /** How long a session counts without a heartbeat. */
  leaseMs: number;
  /** How often clients are told to heartbeat (a third of the lease: two may be lost). */
  heartbeatMs: number;
}

export const DEFAULT_SETTINGS: Settings = { leaseMs: 60_000, heartbeatMs: 20_000 };

const LEASE_EXPIRED = 'lease expired';
const FLUSH_MS = 100;
const AUTH_CACHE_MS = 1000;
const AUTH_CACHE_MAX = 10_000;

interface PoolRow {
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
interface SessionRow {
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
}
export interface User {
  id: number;
  email: string;
}

const hashKey = (apiKey: string): string => createHash('sha256').update(apiKey).digest('hex');
const toPool = (r: PoolRow): Pool => ({
  product: r.product,
  model: r.model,
  billing: r.billing,
  quota: r.quota,
  machineQuota: r.machine_quota,
  expiresAt: r.expires_at,
});
const iso = (ms: number): string => new Date(ms).toISOString();

const checkMachineId = (input: string): string => {
  const parsed = parseMachineId(input);
  if (!parsed.ok) throw fail('BAD_REQUEST', `"${input}" is not a machine ID: ${parsed.reason}`);
  return parsed.machineId;
};

/** The rule "a session counts while its lease runs and nobody ended it", as SQL; `?` is now. */
const LIVE = 'ended_at IS NULL AND lease_expires_at > ?';
/** Extends a running session's lease (never shortens it); `?`: the new lease, the id, the new lease. */
const EXTEND_LEASE =
  'UPDATE sessions SET lease_expires_at = ? WHERE id = ? AND ended_at IS NULL AND lease_expires_at < ?';

export const createLicensing = (
  store: Store,
  signingKey: SigningKey,
  settings: Settings = DEFAULT_SETTINGS,
  clock: () => number = Date.now,
) => {
  const count = async (q: Queries, sql: string, ...params: (string | number)[]) =>
    (await q.get<{ n: number }>(sql, ...params))!.n;
  const usage = async (q: Queries, poolId: number, now: number): Promise<PoolUsage> => ({
    activeSessions: await count(
      q,
      `SELECT count(*) AS n FROM sessions WHERE pool_id = ? AND ${LIVE}`,
      poolId,
      now,
    ),
    unexpiredOfflineLicenses: await count(
      q,
      "SELECT count(*) AS n FROM offline_licenses WHERE pool_id = ? AND kind = 'offline' AND expires_at > ?",
      poolId,
      now,
    ),
    registeredMachines: await count(
      q,
      'SELECT count(*) AS n FROM machines WHERE pool_id = ?',
      poolId,
    ),
  });

  // Successful authentications are reused for a second: a storm of heartbeats then costs no hashing
  // and no lookup. A revocation through this server clears them at once; one made by another process
  // (the admin subcommand, another replica) takes effect here within AUTH_CACHE_MS.
  const authCache = new Map<string, { user: User; until: number }>();

  // On a store of its own (SQLite), this process keeps the sessions' liveness in memory, and
  // heartbeats are group-committed: each one is checked at once, and its new lease is written with
  // all others in one transaction every FLUSH_MS. Everything that counts or shows sessions flushes
  // first, so quotas stay exact; a crash loses at most FLUSH_MS of lease extensions, which leases of
  // a minute absorb. On a shared store every heartbeat is written through instead: another replica
  // must see it when it counts.
  const inMemory = !store.shared;
  const pendingLeases = new Map<string, number>();
  let flushing: Promise<void> = Promise.resolve();
  // In its own transaction: committed on its own, a later rollback cannot undo it.
  const flushLeases = (): Promise<void> => {
    if (pendingLeases.size === 0) return flushing;
    const batch = [...pendingLeases];
    pendingLeases.clear();
    flushing = store
      .transaction(async (tx) => {
        for (const [id, lease] of batch) await tx.run(EXTEND_LEASE, lease, id, lease);
      })
      .catch((error: unknown) => {
        for (const [id, lease] of batch)
          if ((pendingLeases.get(id) ?? 0) < lease) pendingLeases.set(id, lease); // try again at the next tick
        throw error;
      });
    return flushing;
  };

  // The live sessions this process has seen, with their leases: a heartbeat on one of them is
  // answered from memory, without a read. Filled at activation and at a session's first heartbeat
  // after a start. A session ended here leaves it at once; a commit by another process (an admin
  // subcommand on the data dir) empties it at the next tick, so that ending applies within FLUSH_MS.
  // Anything not found here, or found expired, is decided by the stored row.
  const liveSessions = new Map<string, { userId: number; lease: number }>();
  const tick = async () => {
    if (!inMemory) return;
    await flushLeases();
    if (await store.changedElsewhere()) return liveSessions.clear();
    const now = clock();
    for (const [id, s] of liveSessions) if (s.lease <= now) liveSessions.delete(id);
  };
  if (inMemory) setInterval(() => tick().catch(() => {}), FLUSH_MS).unref(); // a failed flush is kept and retried

  const findPool = (q: Queries, orgId: number, product: Product): Promise<PoolRow | undefined> =>
    q.get<PoolRow>(
      'SELECT pools.*, orgs.name AS org_name FROM pools JOIN orgs ON orgs.id = pools.org_id WHERE org_id = ? AND product = ?',
      orgId,
      product,
    );

  const orgOrFail = async (q: Queries, orgId: number): Promise<void> => {
    if (!(await q.get('SELECT 1 AS one FROM orgs WHERE id = ?', orgId)))
      throw fail('NOT_FOUND', `organisation ${orgId} does not exist`);
  };

  const poolOrFail = async (q: Queries, orgId: number, product: Product): Promise<PoolRow> => {
    await orgOrFail(q, orgId);
    const pool = await findPool(q, orgId, product);
    if (!pool) throw fail('NO_POOL', `organisation ${orgId} has no ${product} license pool`);
    return pool;
  };

  const userByEmail = (q: Queries, email: string): Promise<User | undefined> =>
    q.get<User>('SELECT id, email FROM users WHERE email = ?', email.toLowerCase());
  const isMember = async (q: Queries, orgId: number, userId: number): Promise<boolean> =>
    Boolean(
      await q.get(
        'SELECT 1 AS one FROM memberships WHERE org_id = ? AND user_id = ?',
        orgId,
        userId,
      ),
    );
  const isLicensed = async (q: Queries, poolId: number, userId: number): Promise<boolean> =>
    Boolean(
      await q.get(
        'SELECT 1 AS one FROM licensed_users WHERE pool_id = ? AND user_id = ?',
        poolId,
        userId,
      ),
    );
  const isRegistered = async (q: Queries, poolId: number, machineId: string): Promise<boolean> =>
    Boolean(
      await q.get(
        'SELECT 1 AS one FROM machines WHERE pool_id = ? AND machine_id = ?',
        poolId,
        machineId,
      ),
    );

  const memberOrFail = async (q: Queries, orgId: number, email: string): Promise<User> => {
    const user = await userByEmail(q, email);
    if (!user || !(await isMember(q, orgId, user.id)))
      throw fail(
        'NOT_FOUND',
        `${email} is not a member of organisation ${orgId}: add them with "user add"`,
      );
    return user;
  };

  const summary = async (q: Queries, pool: PoolRow, now: number) => ({
    product: pool.product,
    orgId: pool.org_id,
    orgName: pool.org_name,
    model: pool.model,
    quota: pool.quota,
    available: available(toPool(pool), await usage(q, pool.id, now)),
    machineQuota: pool.machine_quota,
    expiresAt: iso(pool.expires_at),
  });

  const registerMachine = (
    q: Queries,
    poolId: number,
    machineId: string,
    hostname: string | null,
    now: number,
  ) =>
    q.run(
      'INSERT INTO machines (pool_id, machine_id, hostname, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (pool_id, machine_id) DO UPDATE SET last_seen = excluded.last_seen, hostname = coalesce(excluded.hostname, machines.hostname)',
      poolId,
      machineId,
      hostname,
      now,
      now,
    );

  const endSessions = async (
    q: Queries,
    where: string,
    reason: string,
    ...params: (string | number)[]
  ): Promise<number> => {
    const ended = await q.all<{ id: string }>(
      `UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND ${where} RETURNING id`,
      clock(),
      reason,
      ...params,
    );
    for (const { id } of ended) liveSessions.delete(id); // even if the transaction then rolls back: a miss only costs a read
    return ended.length;
  };

  /** What activations and heartbeats answer about a session. */
  const sessionAnswer = (id: string, lease: number) => ({
    id,
    leaseExpiresAt: iso(lease),
    heartbeatIntervalSeconds: settings.heartbeatMs / 1000,
  });

  /** The session's lease if it is live for this user, from its row; otherwise why a heartbeat is refused. */
  const liveLeaseOrFail = async (user: User, sessionId: string, now: number): Promise<number> => {
    const s = await store.get<SessionRow>(
      'SELECT * FROM sessions WHERE id = ? AND user_id = ?',
      sessionId,
      user.id,
    );
    if (!s) throw fail('NOT_FOUND', `no session ${sessionId} for this API key`);
    if (s.ended_at !== null && s.end_reason !== LEASE_EXPIRED)
      throw fail('SESSION_TERMINATED', `the session was ended: ${s.end_reason}`);
    const lease = Math.max(s.lease_expires_at, pendingLeases.get(sessionId) ?? 0);
    if (s.ended_at !== null || lease <= now)
      throw fail(
        'SESSION_EXPIRED',
        `the session's lease ran out at ${iso(lease)} without a heartbeat`,
      );
    return lease;
  };

  // Own store: a session live in memory is extended there; anything else is decided by its row.
  const heartbeatInMemory = async (user: User, sessionId: string) => {
    const now = clock();
    const known = liveSessions.get(sessionId);
    if (!known || known.userId !== user.id || known.lease <= now)
      await liveLeaseOrFail(user, sessionId, now);
    const lease = now + settings.leaseMs;
    liveSessions.set(sessionId, { userId: user.id, lease });
    pendingLeases.set(sessionId, lease);
    return sessionAnswer(sessionId, lease);
  };

  // Shared store: written at once; the row is read only when nothing was written.
  const heartbeatWrittenThrough = async (user: User, sessionId: string) => {
    const now = clock();
    const lease = now + settings.leaseMs;
    if (
      (await store.run(
        `${EXTEND_LEASE} AND user_id = ? AND lease_expires_at > ?`,
        lease,
        sessionId,
        lease,
        user.id,
        now,
      )) === 1
    )
      return sessionAnswer(sessionId, lease);
    return sessionAnswer(sessionId, await liveLeaseOrFail(user, sessionId, now)); // live, but a later heartbeat raced ahead
  };

  const sessionView = (s: SessionRow & { email?: string }) => ({
    id: s.id,
    machineId: s.machine_id,
    hostname: s.hostname,
    osUser: s.os_user,
    user: s.email,
    startedAt: iso(s.created_at),
    leaseExpiresAt: iso(s.lease_expires_at),
  });

  return {
    settings,

    // ---- admin ----
    createOrg: (name: string) =>
      store.transaction(async (tx) => ({
        id: (await tx.get<{ id: number }>(
          'INSERT INTO orgs (name, created_at) VALUES (?, ?) RETURNING id',
          name,
          clock(),
        ))!.id,
      })),

    addUser: (orgId: number, email: string) =>
      store.transaction(async (tx) => {
        await orgOrFail(tx, orgId);
        await tx.run(
          'INSERT INTO users (email, created_at) VALUES (?, ?) ON CONFLICT (email) DO NOTHING',
          email.toLowerCase(),
          clock(),
        );
        const user = (await userByEmail(tx, email))!;
        await tx.run(
          'INSERT INTO memberships (org_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
          orgId,
          user.id,
        );
        return { orgId, email: user.email, userId: user.id };
      }),

    createApiKey: (orgId: number, email: string) =>
      store.transaction(async (tx) => {
        const user = await memberOrFail(tx, orgId, email);
        const apiKey = `kls_${randomBytes(32).toString('base64url')}`;
        const { id } = (await tx.get<{ id: number }>(
          'INSERT INTO api_keys (user_id, hash, prefix, created_at) VALUES (?, ?, ?, ?) RETURNING id',
          user.id,
          hashKey(apiKey),
          apiKey.slice(0, 8),
          clock(),
        ))!;
        return { id, apiKey, email: user.email };
      }),

    revokeApiKey: (id: number) =>
      store.transaction(async (tx) => {
        if (
          (await tx.run(
            'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
            clock(),
            id,
          )) === 0
        )
          throw fail('NOT_FOUND', `no active API key with id ${id}`);
        authCache.clear(); // at once on this server; other processes' caches expire within AUTH_CACHE_MS
        return { id, revoked: true };
      }),

    createPool: (p: {
      orgId: number;
      product: Product;
      model: PoolModel;
      billing: Billing;
      quota: number;
      machineQuota: number;
      expiresAt: number;
    }) =>
      store.transaction(async (tx) => {
        await orgOrFail(tx, p.orgId);
        const created = await tx.get<{ id: number }>(
          'INSERT INTO pools (org_id, product, model, billing, quota, machine_quota, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, product) DO NOTHING RETURNING id',
          p.orgId,
          p.product,
          p.model,
          p.billing,
          p.quota,
          p.machineQuota,
          p.expiresAt,
          clock(),
        );
        if (!created)
          throw fail('CONFLICT', `organisation ${p.orgId} already has a ${p.product} pool`);
        return created;
      }),

    grant: (orgId: number, product: Product, email: string) =>
      store.transaction(async (tx) => {
        const pool = await poolOrFail(tx, orgId, product);
        await tx.lockPool(pool.id);
        const user = await memberOrFail(tx, orgId, email);
        if (await isLicensed(tx, pool.id, user.id)) return { email, licensed: true };
        const licensed = await count(
          tx,
          'SELECT count(*) AS n FROM licensed_users WHERE pool_id = ?',
          pool.id,
        );
        if (licensed >= pool.quota)
          throw fail(
            'QUOTA_EXCEEDED',
            `the ${product} pool already has ${licensed} licensed users, its quota: revoke one first`,
          );
        await tx.run(
          'INSERT INTO licensed_users (pool_id, user_id) VALUES (?, ?)',
          pool.id,
          user.id,
        );
        return { email, licensed: true };
      }),

    revokeGrant: (orgId: number, product: Product, email: string) =>
      store.transaction(async (tx) => {
        const pool = await poolOrFail(tx, orgId, product);
        const user = await memberOrFail(tx, orgId, email);
        await tx.run(
          'DELETE FROM licensed_users WHERE pool_id = ? AND user_id = ?',
          pool.id,
          user.id,
        );
        const ended = await endSessions(
          tx,
          'pool_id = ? AND user_id = ?',
          `the license of ${email} was withdrawn by an admin`,
          pool.id,
          user.id,
        );
        return { email, licensed: false, sessionsEnded: ended };
      }),

    poolShow: async (orgId: number, product: Product) => {
      await flushLeases();
      const now = clock();
      const pool = await poolOrFail(store, orgId, product);
      return {
        ...(await summary(store, pool, now)),
        billing: pool.billing,
        licensedUsers: (
          await store.all<{ email: string }>(
            'SELECT email FROM licensed_users JOIN users ON users.id = user_id WHERE pool_id = ? ORDER BY email',
            pool.id,
          )
        ).map((r) => r.email),
        onlineSessions: (
          await store.all<SessionRow & { email: string }>(
            `SELECT sessions.*, users.email FROM sessions JOIN users ON users.id = user_id WHERE pool_id = ? AND ${LIVE} ORDER BY created_at`,
            pool.id,
            now,
          )
        ).map(sessionView),
        offlineLicenses: (
          await store.all<{
            id: string;
            machine_id: string;
            kind: string;
            issued_at: number;
            expires_at: number;
          }>(
            'SELECT * FROM offline_licenses WHERE pool_id = ? AND expires_at > ? ORDER BY issued_at',
            pool.id,
            now,
          )
        ).map((r) => ({
          id: r.id,
          machineId: r.machine_id,
          kind: r.kind,
          issuedAt: iso(r.issued_at),
          expiresAt: iso(r.expires_at),
        })),
        registeredMachines: (
          await store.all<{
            machine_id: string;
            hostname: string | null;
            first_seen: number;
            last_seen: number;
          }>('SELECT * FROM machines WHERE pool_id = ? ORDER BY first_seen', pool.id)
        ).map((r) => ({
          machineId: r.machine_id,
          hostname: r.hostname,
          firstSeen: iso(r.first_seen),
          lastSeen: iso(r.last_seen),
        })),
      };
    },

    createOffline: async (p: {
      orgId: number;
      product: Product;
      machineId: string;
      expiresAt?: number;
      testing: boolean;
    }) => {
      const machineId = checkMachineId(p.machineId); // before anything: a typo must never burn an irrevocable license
      await flushLeases();
      return store.transaction(async (tx) => {
        const now = clock();
        const pool = await poolOrFail(tx, p.orgId, p.product);
        await tx.lockPool(pool.id);
        const refusal =
          offlineRefusal(toPool(pool)) ??
          (p.testing
            ? subscriptionRefusal(toPool(pool), now)
            : grantRefusal(
                toPool(pool),
                await usage(tx, pool.id, now),
                now,
                await isRegistered(tx, pool.id, machineId),
              ));
        if (refusal) throw fail(refusal.code, refusal.message);
        if (p.expiresAt !== undefined && p.expiresAt <= now)
          throw fail('BAD_REQUEST', `the expiry ${iso(p.expiresAt)} is in the past`);
        const expiresAt = offlineExpiry(toPool(pool), now, p.testing, p.expiresAt);
        const id = randomUUID();
        const kind = p.testing ? 'testing' : 'offline';
        await tx.run(
          'INSERT INTO offline_licenses (id, pool_id, machine_id, kind, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
          id,
          pool.id,
          machineId,
          kind,
          now,
          expiresAt,
        );
        if (!p.testing) await registerMachine(tx, pool.id, machineId, null, now);
        const text = signLicense(
          {
            id,
            product: p.product,
            kind,
            orgId: String(pool.org_id),
            orgName: pool.org_name,
            machineId,
            issuedAt: iso(now),
            expiresAt: iso(expiresAt),
          },
          signingKey,
        );
        return {
          id,
          fileName: `${p.product}_${machineId}.lic`,
          text,
          kind,
          expiresAt: iso(expiresAt),
        };
      });
    },

    removeMachine: (orgId: number, product: Product, machineId: string) =>
      store.transaction(async (tx) => {
        const pool = await poolOrFail(tx, orgId, product);
        const id = checkMachineId(machineId);
        if (
          (await tx.run(
            'DELETE FROM machines WHERE pool_id = ? AND machine_id = ?',
            pool.id,
            id,
          )) === 0
        )
          throw fail('NOT_FOUND', `machine ${id} is not registered in the ${product} pool`);
        return {
          machineId: id,
          sessionsEnded: await endSessions(
            tx,
            'pool_id = ? AND machine_id = ?',
            `machine ${id} was removed by an admin`,
            pool.id,
            id,
          ),
        };
      }),

    listSessions: async (orgId?: number) => {
      await flushLeases();
      const now = clock();
      return (
        await store.all<SessionRow & { email: string; product: string; org_id: number }>(
          `SELECT sessions.*, users.email, pools.product, pools.org_id FROM sessions JOIN users ON users.id = user_id JOIN pools ON pools.id = pool_id
         WHERE ${LIVE} ${orgId === undefined ? '' : 'AND pools.org_id = ?'} ORDER BY sessions.created_at`,
          ...(orgId === undefined ? [now] : [now, orgId]),
        )
      ).map((s) => ({ ...sessionView(s), orgId: s.org_id, product: s.product }));
    },

    terminateSession: (sessionId: string, reason = 'terminated by an admin') =>
      store.transaction(async (tx) => {
        if ((await endSessions(tx, 'id = ?', reason, sessionId)) === 0)
          throw fail('NOT_FOUND', `no running session ${sessionId}`);
        return { id: sessionId, terminated: true };
      }),

    // ---- client ----
    authenticate: async (apiKey: string): Promise<User | null> => {
      const now = clock();
      const cached = authCache.get(apiKey);
      if (cached && cached.until > now) return cached.user;
      const hash = hashKey(apiKey);
      const row = await store.get<{ user_id: number; hash: string; email: string }>(
        'SELECT user_id, hash, email FROM api_keys JOIN users ON users.id = user_id WHERE hash = ? AND revoked_at IS NULL',
        hash,
      );
      // The lookup is by hash; the constant-time compare makes the final check independent of the key's bytes.
      const user =
        row && timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))
          ? { id: row.user_id, email: row.email }
          : null;
      if (!user) {
        authCache.delete(apiKey);
        return null;
      }
      if (authCache.size >= AUTH_CACHE_MAX) authCache.clear();
      authCache.set(apiKey, { user, until: now + AUTH_CACHE_MS });
      return user;
    },

    activate: async (
      user: User,
      r: { orgId: number; product: Product; machineId: string; hostname?: string; osUser?: string },
    ) => {
      const machineId = checkMachineId(r.machineId);
      await flushLeases();
      const granted = await store.transaction(async (tx) => {
        const now = clock();
        // Not found and not a member answer alike: a key holder learns nothing about other orgs.
        if (!(await isMember(tx, r.orgId, user.id)))
          throw fail(
            'NOT_A_MEMBER',
            `you are not a member of organisation ${r.orgId} (or it does not exist): check -orgID`,
          );
        const pool = await findPool(tx, r.orgId, r.product);
        if (!pool) throw fail('NO_POOL', `organisation ${r.orgId} has no ${r.product} licenses`);
        await tx.lockPool(pool.id);
        if (pool.product === 'KSE' && !(await isLicensed(tx, pool.id, user.id))) {
          throw fail(
            'NOT_LICENSED_USER',
            `${user.email} is not a licensed user of the KSE pool: ask your admin to grant you a license`,
          );
        }
        // Sessions whose lease ran out (killed runs) are ended here, so that live-session scans stay
        // about as small as the quota.
        await tx.run(
          'UPDATE sessions SET ended_at = lease_expires_at, end_reason = ? WHERE pool_id = ? AND ended_at IS NULL AND lease_expires_at <= ?',
          LEASE_EXPIRED,
          pool.id,
          now,
        );
        const refusal = grantRefusal(
          toPool(pool),
          await usage(tx, pool.id, now),
          now,
          await isRegistered(tx, pool.id, machineId),
        );
        if (refusal) throw fail(refusal.code, refusal.message);
        await registerMachine(tx, pool.id, machineId, r.hostname ?? null, now);
        const id = randomUUID();
        const leaseExpiresAt = now + settings.leaseMs;
        await tx.run(
          'INSERT INTO sessions (id, pool_id, user_id, machine_id, hostname, os_user, created_at, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          id,
          pool.id,
          user.id,
          machineId,
          r.hostname ?? null,
          r.osUser ?? null,
          now,
          leaseExpiresAt,
        );
        return {
          session: sessionAnswer(id, leaseExpiresAt),
          pool: await summary(tx, pool, now),
          leaseExpiresAt,
        };
      });
      // Only once committed: a session in memory but not on disk would answer heartbeats.
      const { leaseExpiresAt, ...answer } = granted;
      if (inMemory) liveSessions.set(answer.session.id, { userId: user.id, lease: leaseExpiresAt });
      return answer;
    },

    heartbeat: inMemory ? heartbeatInMemory : heartbeatWrittenThrough,

    /** The periodic work, now (also on shutdown): writes pending leases, notices other processes' commits. */
    tick,

    release: (user: User, sessionId: string) =>
      store.transaction(async (tx) => {
        if (
          !(await tx.get(
            'SELECT 1 AS one FROM sessions WHERE id = ? AND user_id = ?',
            sessionId,
            user.id,
          ))
        )
          throw fail('NOT_FOUND', `no session ${sessionId} for this API key`);
        await endSessions(tx, 'id = ?', 'released', sessionId);
        return { id: sessionId, released: true };
      }),

    releaseMachine: (user: User, r: { orgId: number; product: Product; machineId: string }) =>
      store.transaction(async (tx) => {
        const pool = await findPool(tx, r.orgId, r.product);
        const released =
          pool && (await isMember(tx, r.orgId, user.id))
            ? await endSessions(
                tx,
                'pool_id = ? AND user_id = ? AND machine_id = ?',
                'released by -licenseRelease',
                pool.id,
                user.id,
                checkMachineId(r.machineId),
              )
            : 0;
        return { released };
      }),
  };
};

export type Licensing = ReturnType<typeof createLicensing>;
