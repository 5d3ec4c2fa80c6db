// The live sessions this process serves from memory, and the lease extensions it has not written
// yet. Only on a store of its own (SQLite): there a heartbeat on a known live session is answered
// without a read, and its new lease is group-committed with all others every FLUSH_MS. Everything
// that counts or shows sessions flushes first, so quotas stay exact; a crash loses at most FLUSH_MS
// of extensions, which leases of a minute absorb. A session ended here leaves memory at once; a
// commit by another process (an admin subcommand on the data dir) empties it at the next tick.
import { extendLease } from '../repository/sessions.ts';
import type { Store } from '../store/store.ts';

const FLUSH_MS = 100;

export interface LeaseCache {
  /** The known live session, if this user's and its lease runs at `now`. */
  live(sessionId: string, userId: number, now: number): boolean;
  /** Records a lease granted or extended (written at the next flush when `pending`). */
  remember(sessionId: string, userId: number, lease: number, pending: boolean): void;
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
  const liveSessions = new Map<string, { userId: number; lease: number }>();
  let flushing: Promise<void> = Promise.resolve();

  const cache: LeaseCache = {
    live: (sessionId, userId, now) => {
      const known = liveSessions.get(sessionId);
      return known !== undefined && known.userId === userId && known.lease > now;
    },
    remember: (sessionId, userId, lease, pending) => {
      liveSessions.set(sessionId, { userId, lease });
      if (pending) pendingLeases.set(sessionId, lease);
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
      if (await store.changedElsewhere()) return liveSessions.clear();
      for (const [id, s] of liveSessions) if (s.lease <= now) liveSessions.delete(id);
    },
  };
  // A failed flush is kept and retried at the next tick.
  setInterval(() => void cache.tick(clock()).catch(() => {}), FLUSH_MS).unref();
  return cache;
};

/** A shared store keeps nothing in memory: every heartbeat is written through. */
export const noLeaseCache: LeaseCache = {
  live: () => false,
  remember: () => {},
  pending: () => undefined,
  forget: () => {},
  flush: () => Promise.resolve(),
  tick: () => Promise.resolve(),
};
