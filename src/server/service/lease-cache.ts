// The live sessions this process serves from memory, and the lease extensions it has not written
// yet. Only on a store of its own (SQLite): there a heartbeat on a known live session is answered
// without a read, and its new lease is group-committed with all others every FLUSH_MS. Everything
// that counts or shows sessions flushes first, so quotas stay exact; a crash loses at most FLUSH_MS
// of extensions, which leases of a minute absorb. A session ended here leaves memory at once; a
// commit by another process (an admin subcommand on the data dir) empties it at the next tick, and
// so does a change of a pool's expiry here: each session is known with its subscription's end, past
// which its leases never run, so a heartbeat after it misses and reads its row.
import type { Subscription } from '../../core/quota.ts';
import { extendLease } from '../repository/sessions.ts';
import type { Store } from '../store/store.ts';

const FLUSH_MS = 100;

/** A session's lease as it was granted (never past `subscription`'s end). */
interface HeldLease {
  userId: number;
  lease: number;
  subscription: Subscription;
}

export interface LeaseCache {
  /** The subscription of the known live session, if this user's and its lease runs at `now`. */
  live(sessionId: string, userId: number, now: number): Subscription | undefined;
  /**
   * Records a lease granted or extended (written at the next flush when `pending`); known as live
   * only if nothing was invalidated since `asOf` (the `epoch()` before its rows were read).
   */
  remember(sessionId: string, held: HeldLease, pending: boolean, asOf: number): void;
  /** Changes whenever what memory holds may have gone stale (see invalidate). */
  epoch(): number;
  /** Forgets every live session (a pool's subscription changed): each is read again at its next heartbeat. */
  invalidate(): void;
  /** The newest lease not yet written, if any. */
  pending(sessionId: string): number | undefined;
  forget(sessionIds: readonly string[]): void;
  /** Writes the pending leases in a transaction of their own (a later rollback cannot undo them). */
  flush(): Promise<void>;
  /** The periodic work, now (also on shutdown): flush, notice other processes' commits. */
  tick(now: number): Promise<void>;
}

export const createLeaseCache = (store: Store, clock: () => number): LeaseCache => {
  const pendingLeases = new Map<string, number>();
  const liveSessions = new Map<string, HeldLease>();
  let flushing: Promise<void> = Promise.resolve();
  // A row read before an invalidation and remembered after it would bring back what it forgot.
  let epoch = 0;

  const cache: LeaseCache = {
    live: (sessionId, userId, now) => {
      const known = liveSessions.get(sessionId);
      return known?.userId === userId && known.lease > now ? known.subscription : undefined;
    },
    remember: (sessionId, held, pending, asOf) => {
      if (asOf === epoch) liveSessions.set(sessionId, held);
      if (pending) pendingLeases.set(sessionId, held.lease);
    },
    epoch: () => epoch,
    invalidate: () => {
      epoch++;
      liveSessions.clear();
    },
    pending: (sessionId) => pendingLeases.get(sessionId),
    // Even if the ending's transaction then rolls back: a miss only costs a read.
    forget: (sessionIds) => {
      for (const id of sessionIds) liveSessions.delete(id);
    },
    flush: () => {
      if (pendingLeases.size === 0) return flushing;
      const batch = [...pendingLeases];
      pendingLeases.clear();
      flushing = store
        .transaction(async (tx) => {
          for (const [id, lease] of batch) await extendLease(tx, id, lease);
        })
        .catch((error: unknown) => {
          // Kept for the next tick, unless a newer lease came meanwhile.
          for (const [id, lease] of batch)
            if ((pendingLeases.get(id) ?? 0) < lease) pendingLeases.set(id, lease);
          throw error;
        });
      return flushing;
    },
    tick: async (now) => {
      await cache.flush();
      if (await store.changedElsewhere()) return cache.invalidate();
      for (const [id, s] of liveSessions) if (s.lease <= now) liveSessions.delete(id);
    },
  };
  // A failed flush is kept and retried at the next tick.
  setInterval(() => void cache.tick(clock()).catch(() => {}), FLUSH_MS).unref();
  return cache;
};

/** A shared store keeps nothing in memory: every heartbeat is written through. */
export const noLeaseCache: LeaseCache = {
  live: () => undefined,
  remember: () => {},
  epoch: () => 0,
  invalidate: () => {},
  pending: () => undefined,
  forget: () => {},
  flush: () => Promise.resolve(),
  tick: () => Promise.resolve(),
};
