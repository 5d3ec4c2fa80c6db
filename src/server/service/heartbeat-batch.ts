// Heartbeats on a shared store (PostgreSQL replicas), group-committed: while one batch of lease
// extensions is being written, the heartbeats that arrive wait and go together in the next one, as
// one statement. Each is answered only once its extension is committed, so every replica's counts
// see it and an ending made on any replica refuses the very next heartbeat: nothing is kept in
// memory that could go stale: the statement reads each session's pool too, so a subscription that
// ended (or was cut short) on any replica caps the very next lease. Under load a batch holds about
// one database round trip of heartbeats.
import type { Subscription } from '../../core/quota.ts';
import { extendLiveLeases } from '../repository/sessions.ts';
import type { Store } from '../store/store.ts';

interface Waiting {
  sessionId: string;
  userId: number;
  lease: number;
  done: ((extended: Extended | null) => void)[];
  failed: ((error: unknown) => void)[];
}

/** The lease a heartbeat got (never past its subscription's end), and that subscription. */
interface Extended {
  lease: number;
  subscription: Subscription;
}

export interface HeartbeatBatch {
  /**
   * Extends the session's lease if it is this user's and live and its subscription has not ended;
   * resolves to the lease it now has, or null if none of that holds.
   */
  extend(sessionId: string, userId: number, lease: number): Promise<Extended | null>;
}

/**
 * A batch's entry is a session and a user: another user's heartbeats for a session (its ID read in
 * a CI log) wait beside its holder's, never in their place, and extend nothing.
 */
const entryOf = (sessionId: string, userId: number) => `${userId} ${sessionId}`;

export const createHeartbeatBatch = (store: Store, clock: () => number): HeartbeatBatch => {
  let next = new Map<string, Waiting>();
  let writing = false;

  const writeAll = async () => {
    writing = true;
    while (next.size > 0) {
      const batch = next;
      next = new Map();
      try {
        const rows = [...batch.values()].map((w) => ({
          id: w.sessionId,
          userId: w.userId,
          lease: w.lease,
        }));
        const extended = new Map(
          (await extendLiveLeases(store, rows, clock())).map((r) => [
            entryOf(r.id, r.userId),
            { lease: r.lease, subscription: { product: r.product, expiresAt: r.expiresAt } },
          ]),
        );
        for (const [entry, w] of batch)
          for (const done of w.done) done(extended.get(entry) ?? null);
      } catch (error) {
        for (const w of batch.values()) for (const failed of w.failed) failed(error);
      }
    }
    writing = false;
  };

  return {
    extend: (sessionId, userId, lease) =>
      new Promise((resolve, reject) => {
        const entry = entryOf(sessionId, userId);
        const waiting = next.get(entry);
        // The same session twice in one batch (a retried heartbeat): one row, the later lease.
        if (waiting) {
          waiting.lease = Math.max(waiting.lease, lease);
          waiting.done.push(resolve);
          waiting.failed.push(reject);
        } else next.set(entry, { sessionId, userId, lease, done: [resolve], failed: [reject] });
        if (!writing) void writeAll();
      }),
  };
};
