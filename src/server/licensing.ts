// The license server's operations: the core rules (core/quota.ts) applied to the store, each
// operation in one transaction. The HTTP API and the admin subcommands are thin layers over this.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { fail } from '../core/errors.ts';
import { parseMachineId } from '../core/machine-id/format.ts';
import { signLicense } from '../core/license/format.ts';
import type { SigningKey } from '../core/license/keys.ts';
import {
  available, grantRefusal, offlineExpiry, offlineRefusal, subscriptionRefusal,
  type Billing, type Pool, type PoolModel, type PoolUsage, type Product,
} from '../core/quota.ts';
import type { Store } from './store/sqlite.ts';

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

interface PoolRow { id: number; org_id: number; org_name: string; product: Product; model: PoolModel; billing: Billing; quota: number; machine_quota: number; expires_at: number }
interface SessionRow { id: string; pool_id: number; user_id: number; machine_id: string; hostname: string | null; os_user: string | null; created_at: number; lease_expires_at: number; ended_at: number | null; end_reason: string | null }
export interface User { id: number; email: string }

const hashKey = (apiKey: string): string => createHash('sha256').update(apiKey).digest('hex');
const toPool = (r: PoolRow): Pool => ({ product: r.product, model: r.model, billing: r.billing, quota: r.quota, machineQuota: r.machine_quota, expiresAt: r.expires_at });
const iso = (ms: number): string => new Date(ms).toISOString();

const checkMachineId = (input: string): string => {
  const parsed = parseMachineId(input);
  if (!parsed.ok) throw fail('BAD_REQUEST', `"${input}" is not a machine ID: ${parsed.reason}`);
  return parsed.machineId;
};

/** The rule "a session counts while its lease runs and nobody ended it", as SQL; `?` is now. */
const LIVE = 'ended_at IS NULL AND lease_expires_at > ?';

export const createLicensing = (store: Store, signingKey: SigningKey, settings: Settings = DEFAULT_SETTINGS, clock: () => number = Date.now) => {
  const usage = (poolId: number, now: number): PoolUsage => ({
    activeSessions: store.get<{ n: number }>(`SELECT count(*) AS n FROM sessions WHERE pool_id = ? AND ${LIVE}`, poolId, now)!.n,
    unexpiredOfflineLicenses: store.get<{ n: number }>("SELECT count(*) AS n FROM offline_licenses WHERE pool_id = ? AND kind = 'offline' AND expires_at > ?", poolId, now)!.n,
    registeredMachines: store.get<{ n: number }>('SELECT count(*) AS n FROM machines WHERE pool_id = ?', poolId)!.n,
  });

  // Successful authentications are reused for a second: a storm of heartbeats then costs no hashing
  // and no lookup. A revocation through this server clears them at once; one made by another process
  // (the admin subcommand) takes effect here within AUTH_CACHE_MS.
  const authCache = new Map<string, { user: User; until: number }>();

  // Heartbeats are group-committed: each one is checked against its row at once, and its new lease
  // is written with all others in one transaction every FLUSH_MS. Everything that counts or shows
  // sessions flushes first, in its own transaction, so quotas stay exact; a crash loses at most
  // FLUSH_MS of lease extensions, which leases of a minute absorb.
  const pendingLeases = new Map<string, number>();
  // Called outside any other transaction: committed on its own, a later rollback cannot undo it.
  const flushLeases = () => {
    if (pendingLeases.size === 0) return;
    store.transaction(() => {
      for (const [id, lease] of pendingLeases) {
        store.run('UPDATE sessions SET lease_expires_at = max(lease_expires_at, ?) WHERE id = ? AND ended_at IS NULL', lease, id);
      }
    });
    pendingLeases.clear(); // only once written: nothing runs between the commit and here
  };

  // The live sessions this process has seen, with their leases: a heartbeat on one of them is
  // answered from memory, without a read. Filled at activation and at a session's first heartbeat
  // after a start. A session ended here leaves it at once; a commit by another process (an admin
  // subcommand on the data dir) empties it at the next tick, so that ending applies within FLUSH_MS.
  // Anything not found here, or found expired, is decided by the stored row.
  const liveSessions = new Map<string, { userId: number; lease: number }>();
  const tick = () => {
    flushLeases();
    if (store.changedElsewhere()) return liveSessions.clear();
    const now = clock();
    for (const [id, s] of liveSessions) if (s.lease <= now) liveSessions.delete(id);
  };
  const timer = setInterval(tick, FLUSH_MS);
  timer.unref();

  const findPool = (orgId: number, product: Product): PoolRow | undefined =>
    store.get<PoolRow>('SELECT pools.*, orgs.name AS org_name FROM pools JOIN orgs ON orgs.id = pools.org_id WHERE org_id = ? AND product = ?', orgId, product);

  const orgOrFail = (orgId: number): void => {
    if (!store.get('SELECT 1 FROM orgs WHERE id = ?', orgId)) throw fail('NOT_FOUND', `organisation ${orgId} does not exist`);
  };

  const poolOrFail = (orgId: number, product: Product): PoolRow => {
    orgOrFail(orgId);
    const pool = findPool(orgId, product);
    if (!pool) throw fail('NO_POOL', `organisation ${orgId} has no ${product} license pool`);
    return pool;
  };

  const userByEmail = (email: string): User | undefined => store.get<User>('SELECT id, email FROM users WHERE email = ?', email);
  const isMember = (orgId: number, userId: number): boolean => Boolean(store.get('SELECT 1 FROM memberships WHERE org_id = ? AND user_id = ?', orgId, userId));

  const memberOrFail = (orgId: number, email: string): User => {
    const user = userByEmail(email);
    if (!user || !isMember(orgId, user.id)) throw fail('NOT_FOUND', `${email} is not a member of organisation ${orgId}: add them with "user add"`);
    return user;
  };

  const summary = (pool: PoolRow, now: number) => ({
    product: pool.product,
    orgId: pool.org_id,
    orgName: pool.org_name,
    model: pool.model,
    quota: pool.quota,
    available: available(toPool(pool), usage(pool.id, now)),
    machineQuota: pool.machine_quota,
    expiresAt: iso(pool.expires_at),
  });

  const registerMachine = (poolId: number, machineId: string, hostname: string | null, now: number) =>
    store.run('INSERT INTO machines (pool_id, machine_id, hostname, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (pool_id, machine_id) DO UPDATE SET last_seen = excluded.last_seen, hostname = coalesce(excluded.hostname, hostname)',
      poolId, machineId, hostname, now, now);

  const endSessions = (where: string, reason: string, ...params: (string | number)[]): number => {
    const ended = store.all<{ id: string }>(`UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND ${where} RETURNING id`, clock(), reason, ...params);
    for (const { id } of ended) liveSessions.delete(id); // even if the transaction then rolls back: a miss only costs a read
    return ended.length;
  };

  const sessionView = (s: SessionRow & { email?: string }) => ({
    id: s.id, machineId: s.machine_id, hostname: s.hostname, osUser: s.os_user, user: s.email,
    startedAt: iso(s.created_at), leaseExpiresAt: iso(s.lease_expires_at),
  });

  return {
    settings,

    // ---- admin ----
    createOrg: (name: string) => store.transaction(() => ({ id: store.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', name, clock()).lastInsertRowid })),

    addUser: (orgId: number, email: string) => store.transaction(() => {
      orgOrFail(orgId);
      store.run('INSERT INTO users (email, created_at) VALUES (?, ?) ON CONFLICT (email) DO NOTHING', email, clock());
      const user = userByEmail(email)!;
      store.run('INSERT INTO memberships (org_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING', orgId, user.id);
      return { orgId, email: user.email, userId: user.id };
    }),

    createApiKey: (orgId: number, email: string) => store.transaction(() => {
      const user = memberOrFail(orgId, email);
      const apiKey = `kls_${randomBytes(32).toString('base64url')}`;
      const { lastInsertRowid } = store.run('INSERT INTO api_keys (user_id, hash, prefix, created_at) VALUES (?, ?, ?, ?)', user.id, hashKey(apiKey), apiKey.slice(0, 8), clock());
      return { id: lastInsertRowid, apiKey, email: user.email };
    }),

    revokeApiKey: (id: number) => store.transaction(() => {
      if (store.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', clock(), id).changes === 0) throw fail('NOT_FOUND', `no active API key with id ${id}`);
      authCache.clear(); // at once on this server; other processes' caches expire within AUTH_CACHE_MS
      return { id, revoked: true };
    }),

    createPool: (p: { orgId: number; product: Product; model: PoolModel; billing: Billing; quota: number; machineQuota: number; expiresAt: number }) => store.transaction(() => {
      orgOrFail(p.orgId);
      if (findPool(p.orgId, p.product)) throw fail('CONFLICT', `organisation ${p.orgId} already has a ${p.product} pool`);
      const { lastInsertRowid } = store.run('INSERT INTO pools (org_id, product, model, billing, quota, machine_quota, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        p.orgId, p.product, p.model, p.billing, p.quota, p.machineQuota, p.expiresAt, clock());
      return { id: lastInsertRowid };
    }),

    grant: (orgId: number, product: Product, email: string) => store.transaction(() => {
      const pool = poolOrFail(orgId, product);
      const user = memberOrFail(orgId, email);
      const licensed = store.get<{ n: number }>('SELECT count(*) AS n FROM licensed_users WHERE pool_id = ?', pool.id)!.n;
      if (store.get('SELECT 1 FROM licensed_users WHERE pool_id = ? AND user_id = ?', pool.id, user.id)) return { email, licensed: true };
      if (licensed >= pool.quota) throw fail('QUOTA_EXCEEDED', `the ${product} pool already has ${licensed} licensed users, its quota: revoke one first`);
      store.run('INSERT INTO licensed_users (pool_id, user_id) VALUES (?, ?)', pool.id, user.id);
      return { email, licensed: true };
    }),

    revokeGrant: (orgId: number, product: Product, email: string) => store.transaction(() => {
      const pool = poolOrFail(orgId, product);
      const user = memberOrFail(orgId, email);
      store.run('DELETE FROM licensed_users WHERE pool_id = ? AND user_id = ?', pool.id, user.id);
      const ended = endSessions('pool_id = ? AND user_id = ?', `the license of ${email} was withdrawn by an admin`, pool.id, user.id);
      return { email, licensed: false, sessionsEnded: ended };
    }),

    poolShow: (orgId: number, product: Product) => {
      flushLeases();
      const now = clock();
      const pool = poolOrFail(orgId, product);
      return {
        ...summary(pool, now),
        billing: pool.billing,
        licensedUsers: store.all<{ email: string }>('SELECT email FROM licensed_users JOIN users ON users.id = user_id WHERE pool_id = ? ORDER BY email', pool.id).map((r) => r.email),
        onlineSessions: store.all<SessionRow & { email: string }>(`SELECT sessions.*, users.email FROM sessions JOIN users ON users.id = user_id WHERE pool_id = ? AND ${LIVE} ORDER BY created_at`, pool.id, now).map(sessionView),
        offlineLicenses: store.all<{ id: string; machine_id: string; kind: string; issued_at: number; expires_at: number }>("SELECT * FROM offline_licenses WHERE pool_id = ? AND expires_at > ? ORDER BY issued_at", pool.id, now)
          .map((r) => ({ id: r.id, machineId: r.machine_id, kind: r.kind, issuedAt: iso(r.issued_at), expiresAt: iso(r.expires_at) })),
        registeredMachines: store.all<{ machine_id: string; hostname: string | null; first_seen: number; last_seen: number }>('SELECT * FROM machines WHERE pool_id = ? ORDER BY first_seen', pool.id)
          .map((r) => ({ machineId: r.machine_id, hostname: r.hostname, firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen) })),
      };
    },

    createOffline: (p: { orgId: number; product: Product; machineId: string; expiresAt?: number; testing: boolean }) => {
      const machineId = checkMachineId(p.machineId); // before anything: a typo must never burn an irrevocable license
      flushLeases();
      return store.transaction(() => {
        const now = clock();
        const pool = poolOrFail(p.orgId, p.product);
        const refusal = offlineRefusal(toPool(pool)) ?? (p.testing ? subscriptionRefusal(toPool(pool), now)
          : grantRefusal(toPool(pool), usage(pool.id, now), now, Boolean(store.get('SELECT 1 FROM machines WHERE pool_id = ? AND machine_id = ?', pool.id, machineId))));
        if (refusal) throw fail(refusal.code, refusal.message);
        if (p.expiresAt !== undefined && p.expiresAt <= now) throw fail('BAD_REQUEST', `the expiry ${iso(p.expiresAt)} is in the past`);
        const expiresAt = offlineExpiry(toPool(pool), now, p.testing, p.expiresAt);
        const id = randomUUID();
        const kind = p.testing ? 'testing' : 'offline';
        store.run('INSERT INTO offline_licenses (id, pool_id, machine_id, kind, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', id, pool.id, machineId, kind, now, expiresAt);
        if (!p.testing) registerMachine(pool.id, machineId, null, now);
        const text = signLicense({ id, product: p.product, kind, orgId: String(pool.org_id), orgName: pool.org_name, machineId, issuedAt: iso(now), expiresAt: iso(expiresAt) }, signingKey);
        return { id, fileName: `${p.product}_${machineId}.lic`, text, kind, expiresAt: iso(expiresAt) };
      });
    },

    removeMachine: (orgId: number, product: Product, machineId: string) => store.transaction(() => {
      const pool = poolOrFail(orgId, product);
      const id = checkMachineId(machineId);
      if (store.run('DELETE FROM machines WHERE pool_id = ? AND machine_id = ?', pool.id, id).changes === 0) throw fail('NOT_FOUND', `machine ${id} is not registered in the ${product} pool`);
      return { machineId: id, sessionsEnded: endSessions('pool_id = ? AND machine_id = ?', `machine ${id} was removed by an admin`, pool.id, id) };
    }),

    listSessions: (orgId?: number) => {
      flushLeases();
      const now = clock();
      return store.all<SessionRow & { email: string; product: string; org_id: number }>(
        `SELECT sessions.*, users.email, pools.product, pools.org_id FROM sessions JOIN users ON users.id = user_id JOIN pools ON pools.id = pool_id
         WHERE ${LIVE} ${orgId === undefined ? '' : 'AND pools.org_id = ?'} ORDER BY sessions.created_at`,
        ...(orgId === undefined ? [now] : [now, orgId])).map((s) => ({ ...sessionView(s), orgId: s.org_id, product: s.product }));
    },

    terminateSession: (sessionId: string, reason = 'terminated by an admin') => store.transaction(() => {
      if (endSessions('id = ?', reason, sessionId) === 0) throw fail('NOT_FOUND', `no running session ${sessionId}`);
      return { id: sessionId, terminated: true };
    }),

    // ---- client ----
    authenticate: (apiKey: string): User | null => {
      const now = clock();
      const cached = authCache.get(apiKey);
      if (cached && cached.until > now) return cached.user;
      const hash = hashKey(apiKey);
      const row = store.get<{ user_id: number; hash: string; email: string }>('SELECT user_id, hash, email FROM api_keys JOIN users ON users.id = user_id WHERE hash = ? AND revoked_at IS NULL', hash);
      // The lookup is by hash; the constant-time compare makes the final check independent of the key's bytes.
      const user = row && timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash)) ? { id: row.user_id, email: row.email } : null;
      if (!user) {
        authCache.delete(apiKey);
        return null;
      }
      if (authCache.size >= AUTH_CACHE_MAX) authCache.clear();
      authCache.set(apiKey, { user, until: now + AUTH_CACHE_MS });
      return user;
    },

    activate: (user: User, r: { orgId: number; product: Product; machineId: string; hostname?: string; osUser?: string }) => {
      const machineId = checkMachineId(r.machineId);
      flushLeases();
      const granted = store.transaction(() => {
        const now = clock();
        // Not found and not a member answer alike: a key holder learns nothing about other orgs.
        if (!isMember(r.orgId, user.id)) throw fail('NOT_A_MEMBER', `you are not a member of organisation ${r.orgId} (or it does not exist): check -orgID`);
        const pool = findPool(r.orgId, r.product);
        if (!pool) throw fail('NO_POOL', `organisation ${r.orgId} has no ${r.product} licenses`);
        if (pool.product === 'KSE' && !store.get('SELECT 1 FROM licensed_users WHERE pool_id = ? AND user_id = ?', pool.id, user.id)) {
          throw fail('NOT_LICENSED_USER', `${user.email} is not a licensed user of the KSE pool: ask your admin to grant you a license`);
        }
        // Sessions whose lease ran out (killed runs) are ended here, so that live-session scans stay
        // about as small as the quota.
        store.run('UPDATE sessions SET ended_at = lease_expires_at, end_reason = ? WHERE pool_id = ? AND ended_at IS NULL AND lease_expires_at <= ?', LEASE_EXPIRED, pool.id, now);
        const registered = Boolean(store.get('SELECT 1 FROM machines WHERE pool_id = ? AND machine_id = ?', pool.id, machineId));
        const refusal = grantRefusal(toPool(pool), usage(pool.id, now), now, registered);
        if (refusal) throw fail(refusal.code, refusal.message);
        registerMachine(pool.id, machineId, r.hostname ?? null, now);
        const id = randomUUID();
        const leaseExpiresAt = now + settings.leaseMs;
        store.run('INSERT INTO sessions (id, pool_id, user_id, machine_id, hostname, os_user, created_at, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          id, pool.id, user.id, machineId, r.hostname ?? null, r.osUser ?? null, now, leaseExpiresAt);
        return { session: { id, leaseExpiresAt: iso(leaseExpiresAt), heartbeatIntervalSeconds: settings.heartbeatMs / 1000 }, pool: summary(pool, now), leaseExpiresAt };
      });
      // Only once committed: a session in memory but not on disk would answer heartbeats.
      const { leaseExpiresAt, ...answer } = granted;
      liveSessions.set(answer.session.id, { userId: user.id, lease: leaseExpiresAt });
      return answer;
    },

    heartbeat: (user: User, sessionId: string) => {
      const now = clock();
      const known = liveSessions.get(sessionId);
      if (!known || known.userId !== user.id || known.lease <= now) {
        const s = store.get<SessionRow>('SELECT * FROM sessions WHERE id = ? AND user_id = ?', sessionId, user.id);
        if (!s) throw fail('NOT_FOUND', `no session ${sessionId} for this API key`);
        if (s.ended_at !== null && s.end_reason !== LEASE_EXPIRED) throw fail('SESSION_TERMINATED', `the session was ended: ${s.end_reason}`);
        const lease = Math.max(s.lease_expires_at, pendingLeases.get(sessionId) ?? 0);
        if (s.ended_at !== null || lease <= now) throw fail('SESSION_EXPIRED', `the session's lease ran out at ${iso(lease)} without a heartbeat`);
      }
      const leaseExpiresAt = now + settings.leaseMs;
      liveSessions.set(sessionId, { userId: user.id, lease: leaseExpiresAt });
      pendingLeases.set(sessionId, leaseExpiresAt);
      return { id: sessionId, leaseExpiresAt: iso(leaseExpiresAt), heartbeatIntervalSeconds: settings.heartbeatMs / 1000 };
    },

    /** The periodic work, now (also on shutdown): writes pending leases, notices other processes' commits. */
    tick,

    release: (user: User, sessionId: string) => store.transaction(() => {
      const s = store.get<SessionRow>('SELECT * FROM sessions WHERE id = ? AND user_id = ?', sessionId, user.id);
      if (!s) throw fail('NOT_FOUND', `no session ${sessionId} for this API key`);
      endSessions('id = ?', 'released', sessionId);
      return { id: sessionId, released: true };
    }),

    releaseMachine: (user: User, r: { orgId: number; product: Product; machineId: string }) => store.transaction(() => {
      const pool = findPool(r.orgId, r.product);
      const released = pool && isMember(r.orgId, user.id)
        ? endSessions('pool_id = ? AND user_id = ? AND machine_id = ?', 'released by -licenseRelease', pool.id, user.id, checkMachineId(r.machineId))
        : 0;
      return { released };
    }),
  };
};

export type Licensing = ReturnType<typeof createLicensing>;
