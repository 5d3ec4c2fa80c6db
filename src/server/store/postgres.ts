// The shared store: PostgreSQL, for several server replicas on one database. Transactions run at
// READ COMMITTED on a connection of their own; a check-then-write on a pool first locks the pool's
// row (SELECT … FOR UPDATE), so concurrent activations on any replica take turns on that pool and
// each one counts what the previous one committed.
import { hostname } from 'node:os';
import pg from 'pg';
import { fail } from '../../core/errors.ts';
import { serverEnvironment } from '../environment.ts';
import { createAvailability } from './availability.ts';
import { migrate } from './schema.ts';
import type { Access, Param, Queries, Store, Transaction } from './store.ts';

const TRANSACTIONS = 4;
// How often an idle replica asks whether the database answers: an outage is then seen (and its
// end told) even without requests, and a lease lost to it is known for one on any replica.
const PROBE_MS = 1000;

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

// Class 08: connection exceptions; class 53: out of connection slots, memory or disk; 57P01–57P05:
// the connection was terminated (an administrator, a failover, a pooler), the server is shutting
// down or starting, the database dropped, an idle session timed out. The driver's own errors for a
// connection lost or never made carry no code, only their words.
const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
];
const DRIVER_WORDS =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection refused/i;
const unavailable = (error: unknown): boolean => {
  const { code = '', message = '' } = error as { code?: string; message?: string };
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    /^57P0[1-5]$/.test(code) ||
    NETWORK_CODES.includes(code) ||
    (code === '' && DRIVER_WORDS.test(message))
  );
};
const DISK_FULL = '53100';

/**
 * How processes tell themselves apart in pg_stat_activity: a serving replica is
 * `katalon-license-server/<KLS_REPLICA_NAME, else host/pid>`; a server that is starting (migrating)
 * and an admin command have names of their own, so that only serving replicas hold back a
 * migration.
 */
const SERVING = 'katalon-license-server/';
const applicationName = (role: string): string =>
  `katalon-license-server${role}/${serverEnvironment.replicaName ?? `${hostname()}/${process.pid}`}`;

/** The serving replicas connected to the database, but this process. */
const servingReplicas = async (q: Queries): Promise<string[]> =>
  (
    await q.all<{ name: string }>(
      `SELECT DISTINCT application_name AS name FROM pg_stat_activity
       WHERE datname = current_database() AND application_name LIKE ? AND pid <> pg_backend_pid()
       ORDER BY name`,
      `${SERVING}%`,
    )
  ).map((r) => r.name);

/**
 * Connects to `url` (postgres://user:password@host:port/database) and checks its schema (see
 * migrate). A server migrates on a connection of its own, named as starting, and serves on another.
 */
export const openPostgresStore = async (url: string, access: Access): Promise<Store> => {
  if (access !== 'server') return connect(url, applicationName(' admin'), access);
  await (await connect(url, applicationName(' starting'), 'write')).close();
  return connect(url, applicationName(''), undefined);
};

/** A store on `url` named `name`; migrated as `access` allows (undefined: it was just now). */
const connect = async (url: string, name: string, access: Access | undefined): Promise<Store> => {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // One connection stays open (the probe's): a serving replica is always seen in
    // pg_stat_activity, by an administrator and by a migration that must wait for it to stop.
    min: 1,
    connectionTimeoutMillis: 10_000,
    application_name: name,
    types,
  });
  // A connection the database terminates (an administrator, a failover, a pooler) tells its client
  // with an 'error' event, also when no query is in flight, and an event without a listener would
  // stop the process: every client gets one for good. The query in flight, or the next one on that
  // client, fails (a 503), and the pool drops the client. An idle client's error reaches the pool,
  // which only drops it; the next query connects again.
  pool.on('connect', (client) => client.on('error', (error) => lostWith.set(client, error)));
  pool.on('error', () => {});
  // Why a client's connection was lost: its later queries say only that it is "not queryable".
  const lostWith = new WeakMap<pg.ClientBase, Error>();

  const availability = createAvailability();
  /** A lost database is DATABASE_UNAVAILABLE (a 503), and the start of an outage. */
  const explain = (error: unknown, client?: pg.ClientBase): never => {
    if ((error as { code?: string }).code === DISK_FULL)
      throw fail(
        'DISK_FULL',
        "PostgreSQL's disk is full: free space on the database server's disk; nothing was changed",
      );
    if (!unavailable(error)) throw error;
    const cause = ((client && lostWith.get(client)) ?? (error as Error)).message;
    availability.failed(cause);
    throw fail('DATABASE_UNAVAILABLE', `cannot reach PostgreSQL: ${cause}`);
  };
  const answered = <R>(result: R): R => (availability.succeeded(), result);
  const queriesOn = (db: pg.Pool | pg.PoolClient): Queries => {
    const query = async (sql: string, params: Param[]) =>
      answered(
        await db
          .query(statement(sql, params))
          .catch((e: unknown) => explain(e, db instanceof pg.Pool ? undefined : db)),
      );
    return {
      get: async <T>(sql: string, ...params: Param[]) =>
        (await query(sql, params)).rows[0] as T | undefined,
      all: async <T>(sql: string, ...params: Param[]) => (await query(sql, params)).rows as T[],
      run: async (sql: string, ...params: Param[]) => (await query(sql, params)).rowCount ?? 0,
    };
  };

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
        // NO KEY UPDATE: rows that refer to the organisation (memberships, pools) are still inserted.
        lockOrg: async (orgId) => {
          await client.query('SELECT 1 FROM orgs WHERE id = $1 FOR NO KEY UPDATE', [orgId]);
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
      return explain(error, client);
    }
  };

  const store: Store = {
    dialect: 'postgres',
    shared: true,
    availability,
    ...queriesOn(pool),
    transaction,
    // Replicas keep no session state in memory, so there is nothing to invalidate: say yes.
    changedElsewhere: () => Promise.resolve(true),
    otherServers: () => servingReplicas(store),
    close: () => (clearInterval(probe), pool.end()),
  };
  try {
    if (access) await migrate(store, access);
    else await store.get('SELECT 1 AS one'); // that connection, before serving
  } catch (error) {
    await pool.end();
    throw error;
  }
  const probe = setInterval(() => void store.get('SELECT 1 AS one').catch(() => {}), PROBE_MS);
  probe.unref();
  return store;
};
