// What every part of the licensing service works with: its settings, and the context each
// operation gets (store, issuer, clock, caches, events). The shared steps are beside it: the grant
// (seats.ts), the checks (checks.ts), the audit log (audit.ts).
import type { Issuer } from '../data-dir.ts';
import type { InvitationMailer } from '../mail.ts';
import type { PoolModel, Product } from '../../core/vocabulary.ts';
import { poolById } from '../repository/pools.ts';
import type { Queries, Store } from '../store/store.ts';
import type { Events } from './events.ts';
import type { LeaseCache } from './lease-cache.ts';

export interface Settings {
  /** How long a session counts without a heartbeat. */
  leaseMs: number;
  /** How often clients are told to heartbeat (a third of the lease: two may be lost). */
  heartbeatMs: number;
}

export const DEFAULT_SETTINGS: Settings = { leaseMs: 60_000, heartbeatMs: 20_000 };

export interface Context {
  store: Store;
  issuer: Issuer;
  settings: Settings;
  clock: () => number;
  leases: LeaseCache;
  events: Events;
  poolRef: (q: Queries, poolId: number) => Promise<PoolPlace>;
  /** Sends invitations by e-mail; absent without SMTP settings (their makers pass the links on). */
  mail?: InvitationMailer;
}

interface PoolPlace {
  orgId: number;
  product: Product;
  model: PoolModel;
}

/** The organisation, product and model of a pool (they never change), from memory after the first read. */
export const createPoolRefs = () => {
  const known = new Map<number, PoolPlace>();
  return async (q: Queries, poolId: number) => {
    let ref = known.get(poolId);
    if (!ref) {
      const pool = (await poolById(q, poolId))!;
      known.set(poolId, (ref = { orgId: pool.org_id, product: pool.product, model: pool.model }));
    }
    return ref;
  };
};
