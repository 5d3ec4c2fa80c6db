// What the licensing service needs of a database. SQL is written once, portable between SQLite and
// PostgreSQL, with `?` placeholders; each store adapts it. Times are integers (ms since the epoch).
import type { Availability } from './availability.ts';

export type Param = string | number | null;
export type Dialect = 'sqlite' | 'postgres';

/**
 * Who opens the store: a server (it migrates the schema; on SQLite it holds the data dir's lock),
 * an admin command that writes (it migrates only if no server uses the database), or one that only
 * reads (it never migrates, so never writes).
 */
export type Access = 'server' | 'write' | 'read';

export interface Queries {
  get<T>(sql: string, ...params: Param[]): Promise<T | undefined>;
  all<T>(sql: string, ...params: Param[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, ...params: Param[]): Promise<number>;
}

export interface Transaction extends Queries {
  /** Holds every other transaction that locks the same pool until this one ends. */
  lockPool(poolId: number): Promise<void>;
  /**
   * Holds every other transaction that locks the same organisation until this one ends: its members'
   * roles are read and changed under it, so that two Owners acting at once cannot remove the last.
   */
  lockOrg(orgId: number): Promise<void>;
  /** Holds every other migration (another replica starting) until this one ends. */
  lockSchema(): Promise<void>;
  /**
   * Holds every other offline license issued on this database until this one ends: the issuer
   * certificate's limit counts licenses of every pool, so pools' locks do not serialize it.
   */
  lockIssuance(): Promise<void>;
  /**
   * Lets this transaction's COMMIT return before it is on disk: only for changes whose loss in a
   * database crash errs on the licensor's side (a release forgotten keeps its seat until its lease
   * ends). PostgreSQL: synchronous_commit off for this transaction; SQLite: nothing.
   */
  commitLazily(): Promise<void>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Store extends Queries {
  readonly dialect: Dialect;
  /**
   * True when several server processes (replicas) serve from this store at once. Then no process
   * may keep session state in memory: each heartbeat is written through.
   */
  readonly shared: boolean;
  /** Whether the database answers (a file on this machine always does). */
  readonly availability: Availability;
  /** Runs `fn` in one transaction: all of it commits (durably), or a throw rolls all of it back. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** The other servers that use this database now, as a reader would name them (none: []). */
  otherServers(): Promise<string[]>;
  /** True when another process may have committed since the last call. */
  changedElsewhere(): Promise<boolean>;
  close(): Promise<void>;
}
