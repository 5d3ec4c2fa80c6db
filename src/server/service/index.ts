// The license server's one service: the core rules (core/quota.ts) applied to the store, each
// operation in one transaction. The HTTP routes and the admin subcommands are thin layers over it.
// Every check-then-write on a pool locks the pool first, so that replicas sharing a PostgreSQL
// store serialize on it as requests on one SQLite store do.
import type { Issuer } from '../data-dir.ts';
import type { InvitationMailer } from '../mail.ts';
import { endLapsedSessions, poolsWithLapsedSessions } from '../repository/sessions.ts';
import type { Store } from '../store/store.ts';
import { accounts } from './accounts.ts';
import { createAuthenticator } from './auth.ts';
import { createPoolRefs, DEFAULT_SETTINGS, type Context, type Settings } from './context.ts';
import { lostInOutage } from './seats.ts';
import { createEvents, type EventSink } from './events.ts';
import { createLeaseCache, noLeaseCache } from './lease-cache.ts';
import { offlineLicenses } from './offline-licenses.ts';
import { operations } from './operations.ts';
import { organisations } from './organisations.ts';
import { pools } from './pools.ts';
import { sessions } from './sessions.ts';

export { DEFAULT_SETTINGS, type Settings };
export type { LicenseEvent } from './events.ts';
export type { User } from '../repository/organisations.ts';

// How often sessions whose lease ran out (crashed runs) are marked ended. Only what pools show
// depends on it: a grant decides on exact counts whenever the pool looks full.
const SWEEP_MS = 10_000;

/** What a service may be given besides its store and issuer (each has a default). */
export interface ServiceOptions {
  settings?: Settings;
  clock?: () => number;
  /** Every license event, once its transaction committed (the log and the metrics). */
  onEvent?: EventSink;
  /** Sends invitations by e-mail (none: their makers pass the links on). */
  mail?: InvitationMailer;
}

export const createService = (
  store: Store,
  issuer: Issuer,
  { settings = DEFAULT_SETTINGS, clock = Date.now, onEvent = () => {}, mail }: ServiceOptions = {},
) => {
  const leases = store.shared ? noLeaseCache : createLeaseCache(store, clock);
  const events = createEvents(store, onEvent);
  const ctx: Context = {
    store,
    issuer,
    settings,
    clock,
    leases,
    events,
    poolRef: createPoolRefs(),
    ...(mail ? { mail } : {}),
  };
  const auth = createAuthenticator(store, clock);
  const sweep = async () => {
    await leases.flush();
    for (const poolId of await poolsWithLapsedSessions(store, clock()))
      await events.transaction(async (tx) => {
        await tx.lockPool(poolId);
        const sessions = await endLapsedSessions(tx, poolId, clock(), lostInOutage(ctx, clock()));
        if (sessions > 0)
          events.record(tx, { ...(await ctx.poolRef(tx, poolId)), event: 'expired', sessions });
      });
  };
  // A failed sweep (the database away) is simply tried again.
  setInterval(() => void sweep().catch(() => {}), SWEEP_MS).unref();
  return operations(
    {
      settings,
      authenticate: auth.authenticate,
      /** The periodic work, now (also on shutdown): writes pending leases, notices other commits. */
      tick: () => leases.tick(clock()),
    },
    organisations(ctx, auth),
    accounts(ctx),
    pools(ctx),
    offlineLicenses(ctx),
    sessions(ctx),
  );
};

export type Service = ReturnType<typeof createService>;
