// What happened to licenses, as events: the server logs each as one structured line and counts them
// for /metrics. Events of a transaction are held until it commits, so that nothing rolled back is
// reported.
import type { ErrorCode } from '../../core/errors.ts';
import type { LicenseKind, PoolModel, Product } from '../../core/vocabulary.ts';
import type { Queries, Store, Transaction } from '../store/store.ts';

/** Where it happened: the pool (no model: before one was picked, as for a refused activation). */
interface PoolRef {
  orgId: number;
  product: Product;
  model?: PoolModel;
}

export type LicenseEvent =
  | (PoolRef & {
      event: 'granted';
      sessionId: string;
      user: string;
      machineId: string;
      /** The machine's (not "hostname": that is the server's, in every log line). */
      machineHostname: string | null;
      resumed: boolean;
    })
  | (PoolRef & { event: 'refused'; reason: ErrorCode; user: string; machineId: string })
  | (PoolRef & { event: 'released' | 'terminated'; sessionIds: string[]; reason: string })
  | (PoolRef & { event: 'expired'; sessions: number })
  /** The pool's counters disagreed with its rows: the rows decided, and the counters were set to them. */
  | (PoolRef & {
      event: 'recounted';
      counted: { sessions: number; machines: number };
      rows: { sessions: number; machines: number };
    })
  | (PoolRef & {
      event: 'offline-issued';
      licenseId: string;
      kind: LicenseKind;
      machineId: string;
      expiresAt: string;
    });

export type EventSink = (e: LicenseEvent) => void;

export interface Events {
  /** Runs `fn` in one transaction and reports the events it recorded once it has committed. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Records an event of the transaction `q` (reported at once outside one). */
  record(q: Queries, e: LicenseEvent): void;
}

export const createEvents = (store: Store, sink: EventSink): Events => {
  const pending = new Map<Queries, LicenseEvent[]>();
  return {
    transaction: async (fn) => {
      const recorded: LicenseEvent[] = [];
      const value = await store.transaction((tx) => {
        pending.set(tx, recorded);
        return fn(tx).finally(() => pending.delete(tx));
      });
      for (const e of recorded) sink(e);
      return value;
    },
    record: (q, e) => {
      const recorded = pending.get(q);
      if (recorded) recorded.push(e);
      else sink(e);
    },
  };
};
