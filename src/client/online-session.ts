// Online activation: one session on the license server per run. The session token stays on disk
// while the run holds it, guarded by a lock that dies with the process, so the next katalonc on this
// machine releases a killed run's session at once instead of waiting for its lease to pass.
import { poolLabel } from '../core/pool-ref.ts';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  acceptGrant,
  leaseMacRefusal,
  newKeyExchange,
  type KeyExchange,
  type LeaseTerms,
} from '../core/license/grant.ts';
import { trustedNow } from '../platform/clock.ts';
import { leaseNow } from './run-clock.ts';
import { licenseDir } from '../platform/paths.ts';
import { revokedKeyIds, rootKeys } from './trust.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { fail, isKatalonError, type KatalonError } from '../core/errors.ts';
import { cutOffRefusal, type Subscription } from '../core/quota.ts';
import { tryLock } from '../platform/slot-lock/index.ts';
import { machineIdReport } from '../platform/machine/index.ts';
import { createApiClient, type ApiClient } from './http/api-client.ts';
import { connection, type ClientOptions, type OnlineCredentials } from './settings.ts';
import { readSessionRecords, removeSessionRecord, writeSessionRecord } from './state.ts';
import type { Product } from '../core/vocabulary.ts';
import type { LicenseHold } from './hold.ts';
import type {
  ActivationAnswer,
  ActivationRequest,
  LeaseAnswer,
  MachineRelease,
  MachineReleaseAnswer,
  MemberOrgsAnswer,
} from '../core/wire/client-api.ts';

/** Failures that mean the server could not be reached (not that it refused). */
const NETWORK: ReadonlySet<string> = new Set([
  'SERVER_UNREACHABLE',
  'SERVER_ERROR',
  'TIMEOUT',
  'TLS_ERROR',
  'PROXY_ERROR',
  'RATE_LIMITED',
  'INTERNAL',
]);

/** Releases the sessions of katalonc runs on this machine that died without releasing them. */
const releaseDeadRuns = async (client: ApiClient, serverUrl: string): Promise<void> => {
  for (const record of readSessionRecords()) {
    if (record.serverUrl !== serverUrl) continue;
    const lock = await tryLock(record.lock, true);
    if (!lock) continue; // its run is alive
    await client.call('DELETE', `v1/sessions/${record.id}`).catch(() => {});
    removeSessionRecord(record.id);
    await lock.release();
  }
};

/**
 * The organisation to use: -orgID (or its environment variable, or the saved one), else the one
 * organisation of the key's user that has licenses of the product. -orgID is optional, as in Katalon.
 */
export const chooseOrg = async (
  client: ApiClient,
  c: OnlineCredentials,
  product: string,
): Promise<OnlineCredentials & { orgId: number }> => {
  if (c.orgId !== undefined) return { ...c, orgId: c.orgId };
  const { orgs } = await client
    .call<MemberOrgsAnswer>('GET', 'v1/orgs')
    .catch(async (error: unknown) => {
      if (!isKatalonError(error) || error.code !== 'NO_ROUTE') throw error;
      // A license server answers /healthz, whatever its version: then only this route is missing.
      const health = await client.call<{ ok?: unknown }>('GET', 'healthz').catch(() => null);
      if (health?.ok !== true) throw error;
      throw fail(
        'INVALID_ARGUMENT',
        `the license server is older than this katalonc: it cannot tell which organisation the API key's user belongs to (no GET /v1/orgs): pass -orgID=<your organisation's ID> (your admin sees it in the console), or have the server upgraded`,
      );
    });
  const candidates = orgs.filter((o) => o.products.includes(product));
  if (candidates.length === 1) return { ...c, orgId: candidates[0].id };
  if (candidates.length === 0)
    throw fail(
      'NOT_A_MEMBER',
      `the API key's user belongs to no organisation with ${product} licenses${orgs.length > 0 ? ` (only to ${orgs.map((o) => `${o.id} ${o.name}`).join(', ')})` : ''}: ask your admin for access, or check -apiKey`,
    );
  throw fail(
    'INVALID_ARGUMENT',
    `the API key's user belongs to ${candidates.length} organisations with ${product} licenses: pass -orgID=<id> with one of\n${candidates.map((o) => `  ${o.id}  ${o.name}  ${o.products.join(',')}`).join('\n')}`,
  );
};

/** The roots and revoked keys a server's grants are checked against (read once per run). */
export const serverTrust = async (opts: Pick<ClientOptions, 'licenseDir'>) => ({
  roots: rootKeys(),
  revokedKeyIds: await revokedKeyIds(licenseDir(opts.licenseDir)),
});

/** Why katalonc does not run on this server's session, and what to do. */
const uncertified = (c: { serverUrl: string; orgId: number }, product: Product, why: string) =>
  `the license server at ${c.serverUrl} is not certified by the licensor for ${product} licenses of organisation ${c.orgId}: ${why}; katalonc runs only on sessions such a server signs: check -serverUrl, or ask the server's operator to install the licensor's certificate ("katalon-license-server certificate install") or to upgrade the server`;

const freshNonce = () => randomBytes(16).toString('hex');

/** What a heartbeat's MAC or a resume's signed grant must say of the lease katalonc is told of. */
const leaseTerms = (sessionId: string, r: LeaseAnswer, nonce: string): LeaseTerms => ({
  kind: 'lease',
  sessionId,
  nonce,
  leaseExpiresAt: r.leaseExpiresAt,
  heartbeatIntervalSeconds: r.heartbeatIntervalSeconds,
  subscriptionExpiresAt: r.subscriptionExpiresAt,
});

export const activateSession = async (
  client: ApiClient,
  c: OnlineCredentials & { orgId: number },
  product: Product,
  trust: Awaited<ReturnType<typeof serverTrust>>,
): Promise<ActivationAnswer & { leaseKey: Buffer; own: KeyExchange }> => {
  const { machineId, user } = await machineIdReport();
  const nonce = freshNonce();
  // Fresh for each activation: only this process can unwrap the lease key the grant delivers, and
  // its resumes' grants (the server delivers the key to this one only).
  const own = newKeyExchange();
  const request: ActivationRequest = {
    orgId: c.orgId,
    product,
    machineId,
    hostname: hostname().slice(0, 255) || 'unknown',
    osUser: user.slice(0, 255),
    ...(c.model ? { model: c.model } : {}),
    nonce,
    kx: own.publicKey,
  };
  const answer = await client
    .call<ActivationAnswer>('POST', 'v1/sessions', request)
    .catch((error: unknown) => {
      if (c.model && isKatalonError(error) && error.code === 'NO_POOL')
        error.message += `: leave out -licenseModel (and KATALONC_LICENSE_MODEL) to use the pool it has, or ask your admin for a ${product} ${c.model} pool`;
      throw error;
    });
  // Any HTTP server can answer: only a grant signed by a server the licensor certified counts,
  // and katalonc goes by the lease's terms only as that server signed them.
  const {
    id: sessionId,
    leaseExpiresAt,
    heartbeatIntervalSeconds,
    subscriptionExpiresAt,
  } = answer.session;
  const accepted = acceptGrant(
    answer.grant,
    {
      kind: 'session',
      sessionId,
      nonce,
      machineId,
      orgId: c.orgId,
      product,
      leaseExpiresAt,
      heartbeatIntervalSeconds,
      subscriptionExpiresAt,
      // A server that signs grants always says its grace: absent, it is refused as not signed.
      outageGraceMinutes: answer.pool.outageGraceMinutes ?? Number.NaN,
    },
    { own, orgId: c.orgId, product },
    trust,
    trustedNow().now,
  );
  if ('refused' in accepted) {
    await client.call('DELETE', `v1/sessions/${answer.session.id}`).catch(() => {});
    throw fail(
      'UNCERTIFIED_SERVER',
      uncertified(c, product, `${accepted.refused} (its session was released)`),
    );
  }
  return { ...answer, leaseKey: accepted.leaseKey, own };
};

const releaseMachineSessions = async (
  client: ApiClient,
  c: OnlineCredentials & { orgId: number },
  product: Product,
): Promise<number> => {
  const { machineId } = await machineIdReport();
  return (
    await client.call<MachineReleaseAnswer>(
      'POST',
      'v1/sessions/release-machine',
      { orgId: c.orgId, product, machineId } satisfies MachineRelease,
      { repeatable: true },
    )
  ).released;
};

/** -licenseRelease: this machine's sessions of runs that stopped are released before one is taken. */
export const releaseLeftovers = async (
  client: ApiClient,
  c: OnlineCredentials & { orgId: number },
  opts: ClientOptions,
  say: (line: string) => void,
): Promise<void> => {
  if (opts.licenseRelease)
    say(
      `Released ${await releaseMachineSessions(client, c, opts.product)} leftover session(s) of runs on this machine that had stopped (live runs are left alone)`,
    );
};

export const holdOnlineSession = async (
  credentials: OnlineCredentials,
  opts: ClientOptions,
  say: (line: string) => void,
): Promise<LicenseHold> => {
  const client = createApiClient(connection(opts, credentials.serverUrl), credentials.apiKey);
  // The run's lock is taken while the server is asked (its holder is a process that takes a few
  // ms to start), under a name of its own that the session record then carries.
  const lockName = `session-${process.pid}-${Date.now().toString(36)}`;
  const locking = tryLock(lockName, true);
  locking.catch(() => {}); // a failure is met where the lock is needed, after the activation
  try {
    await releaseDeadRuns(client, credentials.serverUrl);
    const c = await chooseOrg(client, credentials, opts.product);
    await releaseLeftovers(client, c, opts, say);
    const trust = await serverTrust(opts);
    // The lease key stays in this process's memory only: a new process resumes for a new one.
    const activation = await activateSession(client, c, opts.product, trust);
    const { session, pool, own } = activation;
    let { leaseKey } = activation;
    let lock: Awaited<ReturnType<typeof tryLock>>;
    try {
      lock = await locking;
      await writeSessionRecord({
        id: session.id,
        serverUrl: c.serverUrl,
        orgId: c.orgId,
        pid: process.pid,
        lock: lockName,
      });
    } catch (error) {
      // A full disk, say: the session must not stay counted until its lease passes.
      await client.call('DELETE', `v1/sessions/${session.id}`).catch(() => {});
      throw error;
    }
    say(
      `Online session ${session.id} (${poolLabel(pool)}, ${pool.orgName}: ${pool.available} of ${pool.quota} licenses left)`,
    );

    let stopped = false;
    let resolveLost!: (e: KatalonError) => void;
    const lost = new Promise<KatalonError>((r) => (resolveLost = r));
    let leaseExpiresAt = Date.parse(session.leaseExpiresAt);
    /** The subscription's end as signed (servers before it: unknown), past which no outage grace runs. */
    const subscriptionOf = (r: LeaseAnswer): Subscription | undefined =>
      r.subscriptionExpiresAt === undefined
        ? undefined
        : { product: pool.product, expiresAt: Date.parse(r.subscriptionExpiresAt) };
    let subscription = subscriptionOf(session);
    /** Goes by a lease the server answered for (its MAC or its signed grant checked). */
    const adopt = (r: LeaseAnswer) => {
      leaseExpiresAt = Date.parse(r.leaseExpiresAt);
      subscription = subscriptionOf(r);
    };
    const intervalMs = session.heartbeatIntervalSeconds * 1000;
    const graceMinutes = pool.outageGraceMinutes!; // signed, so present (activateSession)
    // A resume that a heartbeat's wrong MAC asked for, with no right one since: the next wrong one
    // ends the run (a server that lost its lease secret answers the first after it rightly).
    let rekeyed = false;

    const renew = (how: 'heartbeat' | 'resume', query: string) =>
      client.call<LeaseAnswer>('POST', `v1/sessions/${session.id}/${how}?${query}`, undefined, {
        repeatable: true,
      });
    /** Resumes the session, under the lease key its certified server's signed grant delivers anew. */
    const resume = async (): Promise<LeaseAnswer> => {
      const nonce = freshNonce();
      const r = await renew('resume', `nonce=${nonce}&kx=${own.publicKey}`);
      // Certified for this organisation and product too: another's server may not renew it.
      const accepted = acceptGrant(
        r.grant,
        leaseTerms(session.id, r, nonce),
        { own, orgId: c.orgId, product: opts.product },
        trust,
        trustedNow().now,
      );
      if ('refused' in accepted)
        throw fail('UNCERTIFIED_SERVER', uncertified(c, opts.product, accepted.refused));
      leaseKey = accepted.leaseKey;
      return r;
    };
    const ended = (e: KatalonError) =>
      resolveLost(
        fail(
          e.code === 'SESSION_EXPIRED' || e.code === 'SUBSCRIPTION_EXPIRED'
            ? e.code
            : 'SESSION_TERMINATED',
          // Katalon's own line for it, which says already what the server's lead says.
          `This session has been terminated: ${e.message.replace(/^the session was ended: /, '')}`,
        ),
      );
    /**
     * One heartbeat, whose answer must be under the session's lease key for a fresh nonce (a proxy
     * of the licensee's own could otherwise release the session and answer its heartbeats itself);
     * a lease that ran out (an outage, a suspended machine) is resumed if it can be.
     */
    const heartbeat = async (): Promise<void> => {
      let refused: string | null;
      try {
        const nonce = freshNonce();
        const r = await renew('heartbeat', `nonce=${nonce}`);
        refused = leaseMacRefusal(r.mac, leaseKey, leaseTerms(session.id, r, nonce));
        if (!refused) {
          rekeyed = false;
          adopt(r);
          return;
        }
      } catch (error) {
        if (!isKatalonError(error) || error.code !== 'SESSION_EXPIRED') throw error;
        adopt(await resume());
        say(`Resumed online session ${session.id}: its seat was still free`);
        return;
      }
      if (rekeyed) throw fail('UNCERTIFIED_SERVER', uncertified(c, opts.product, refused));
      // A server that lost its lease secret (a database restored from before it was made) answers
      // so too: one resume, signed by the certified server, delivers the key it has now.
      adopt(await resume());
      rekeyed = true;
      say(`Resumed online session ${session.id} under a new lease key: ${refused}`);
    };
    const beat = async () => {
      let backoff = 1000;
      while (!stopped) {
        // A lease cut short by the subscription's end: the next heartbeat at that end, not later.
        const toLeaseEnd = Math.max(1000, leaseExpiresAt - leaseNow());
        await sleep(Math.min(intervalMs, toLeaseEnd), undefined, { ref: false });
        let told = false;
        while (!stopped) {
          try {
            await heartbeat();
            backoff = 1000;
            break;
          } catch (error) {
            if (stopped) return;
            const e = isKatalonError(error) ? error : fail('INTERNAL', String(error));
            if (!NETWORK.has(e.code)) return ended(e);
            // The server could not be reached: keep trying. Within the lease nothing is lost; after
            // it, for the pool's outage grace, the session is resumed when the server is back, if
            // its seat is still free. Past the grace the run ends: its seat may serve another run;
            // and at its subscription's end, grace or not.
            const now = leaseNow();
            const late = cutOffRefusal(graceMinutes, leaseExpiresAt, subscription, now);
            if (late) return ended(fail(late.code, `${late.message}: ${e.message}`));
            const left = leaseExpiresAt - now;
            if (left > 0)
              say(
                `heartbeat failed (${e.message}); retrying, the lease holds for ${Math.round(left / 1000)} s more`,
              );
            else if (!told)
              say(
                `heartbeat failed (${e.message}); the lease has run out: the session is resumed when the server is back, if its seat is still free (for up to ${graceMinutes} minutes, the pool's outage grace)`,
              );
            told = left <= 0;
            await sleep(backoff, undefined, { ref: false });
            backoff = Math.min(backoff * 2, intervalMs);
          }
        }
      }
    };
    void beat();

    return {
      description: `online session ${session.id}`,
      license: {
        kind: 'online',
        product: pool.product,
        model: pool.model,
        orgId: String(c.orgId),
        sessionId: session.id,
        expiresAt: pool.expiresAt,
        serverUrl: c.serverUrl,
      },
      apiKey: c.apiKey,
      ...(lock?.fds ? { lockFds: lock.fds } : {}),
      // A katalonc stopped (SIGSTOP) heartbeats no more: its run must not outlive the seat. The
      // lease's end, but at least the (signed) heartbeat interval from now by the run's clock: on a
      // clock ahead of the server's by more than a lease the end had passed already, and katalonc
      // ended every run at once.
      silentUntil:
        Math.max(Date.parse(session.leaseExpiresAt), leaseNow() + intervalMs) +
        graceMinutes * 60_000,
      lost,
      release: async () => {
        stopped = true;
        // The lock at once: a katalonc that finds the record without it releases the session
        // again, which is harmless; the record only once the server has it (or cannot be reached).
        await Promise.all([
          client
            .call('DELETE', `v1/sessions/${session.id}`)
            .catch(() =>
              say('could not release the session now; the server frees it when its lease passes'),
            )
            .then(() => removeSessionRecord(session.id)),
          lock?.release(),
        ]);
        await client.close();
      },
    };
  } catch (error) {
    await (await locking.catch(() => null))?.release();
    await client.close();
    throw error;
  }
};
