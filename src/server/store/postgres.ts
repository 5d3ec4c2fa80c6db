// The shared store: PostgreSQL, for several server replicas on one database. Transactions run at
// READ COMMITTED on a connection of their own; a check-then-write on a pool first locks the pool's
// row (SELECT … FOR UPDATE), so concurrent activations on any replica take turns on that pool and
// each one counts what the previous one committed.
import pg from 'pg';
import { fail } from '../../core/errors.ts';
import { migrate } from './schema.ts';
import type { Param, Queries, Store, Transaction } from './store.ts';

const TRANSACTIONS = 4;

// Any constants: replicas starting at once migrate one after the other; offline licenses are
// issued one after the other.
const MIGRATION_LOCK = 7_160_415;
const ISSUANCE_LOCK = 7_160_416;

// int8 (counts, ids, times in ms) as numbers: every value we store is far below 2^53.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text'): unknown =>
    oid === INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Our SQL says `?`; PostgreSQL numbers its parameters (none of our statements has a `?` in a
 * literal). Each statement is named, so that every connection parses and plans it once and then
 * only executes it: our statements are a small fixed set.
 */
const prepared = new Map<string, { name: string; text: string }>();
const statement = (sql: string, values: Param[]): pg.QueryConfig<Param[]> => {
  let known = prepared.get(sql);
  if (!known) {
    let n = 0;
    known = { name: `s${prepared.size}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    prepared.set(sql, known);
  }
  return { ...known, values };
};

// Class 08: connection exceptions; 57P01–57P03: the server is shutting down or starting.
const unavailable = (error: unknown): boolean => {
  const code = (error as { code?: string }).code ?? '';
  return (
    code.startsWith('08') ||
    /^57P0[123]$/.test(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code)
  );
};
const DISK_FULL = '53100';
const explain = (error: unknown): never => {
  if ((error as { code?: string }).code === DISK_FULL)
    throw fail(
      'DISK_FULL',
      "PostgreSQL's disk is full: free space on the database server's disk; nothing was changed",
    );
  if (unavailable(error))
    throw fail('DATABASE_UNAVAILABLE', `cannot reach PostgreSQL: ${(error as Error).message}`);
  throw error;
};

const queriesOn = (db: pg.Pool | pg.PoolClient): Queries => ({
  get: async <T>(sql: string, ...params: Param[]) =>
    (await db.query(statement(sql, params)).catch(explain)).rows[0] as T | undefined,
  all: async <T>(sql: string, ...params: Param[]) =>
    (await db.query(statement(sql, params)).catch(explain)).rows as T[],
  run: async (sql: string, ...params: Param[]) =>
    (await db.query(statement(sql, params)).catch(explain)).rowCount ?? 0,
});

/** Connects to `url` (postgres://user:password@host:port/database) and brings its schema up to date. */
export const openPostgresStore = async (url: string): Promise<Store> => {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 10_000,
    types,
  });
  // An idle connection that the database drops must not crash the server; the next query reconnects.
  pool.on('error', () => {});

  // At most TRANSACTIONS open at once: grants on one license pool take turns on its row, and every
  // commit wakes all who wait for it in the database, so more waiting there only costs CPU (seen
  // here: activations 0.04x /healthz with 10, 0.05x with 4). They wait here instead, in order.
  let open = 0;
  const waiting: (() => void)[] = [];
  const transaction = async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> => {
    // A slot is handed from the transaction that ends to the next waiting one.
    if (open < TRANSACTIONS) open++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await transactionNow(fn);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else open--;
    }
  };
  const transactionNow = async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> => {
    const client = await pool.connect().catch(explain);
    try {
      await client.query('BEGIN');
      // Held until this transaction ends.
      const advisoryLock = (key: number) => async () => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [key]);
      };
      const tx: Transaction = {
        ...queriesOn(client),
        lockPool: async (poolId) => {
          await client.query('SELECT 1 FROM pools WHERE id = $1 FOR UPDATE', [poolId]);
        },
        lockSchema: advisoryLock(MIGRATION_LOCK),
        lockIssuance: advisoryLock(ISSUANCE_LOCK),
        commitLazily: async () => {
          await client.query('SET LOCAL synchronous_commit = off');
        },
        exec: async (sql) => {
          await client.query(sql);
        },
      };
      const value = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return value;
    } catch (error) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        (e: Error) => client.release(e),
      );
      return explain(error);
    }
  };

  const store: Store = {
    dialect: 'postgres',
    shared: true,
    ...queriesOn(pool),
    transaction,
    // Replicas keep no session state in memory, so there is nothing to invalidate: say yes.
    changedElsewhere: () => Promise.resolve(true),
    close: () => pool.end(),
  };
  try {
    await migrate(store);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return store;
};
