// What the licensing service needs of a database. SQL is written once, portable between SQLite and
// PostgreSQL, with `?` placeholders; each store adapts it. Times are integers (ms since the epoch).
export type Row = Record<string, string | number | null>;
export type Param = string | number | null;

export interface Queries {
  get<T = Row>(sql: string, ...params: Param[]): Promise<T | undefined>;
  all<T = Row>(sql: string, ...params: Param[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, ...params: Param[]): Promise<number>;
}

export interface Transaction extends Queries {
  /** Holds every other transaction that locks the same pool until this one ends. */
  lockPool(poolId: number): Promise<void>;
}

export interface Store extends Queries {
  /**
   * True when several server processes (replicas) serve from this store at once. Then no process
   * may keep session state in memory: each heartbeat is written through.
   */
  readonly shared: boolean;
  /** Runs `fn` in one transaction: all of it commits (durably), or a throw rolls all of it back. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** True when another process may have committed since the last call. */
  changedElsewhere(): Promise<boolean>;
  close(): Promise<void>;
}
