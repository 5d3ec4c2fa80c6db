// The pool counters the grant rules read (open_sessions, machine_count) against the rows they
// stand for, straight from the database: after any workload they must agree. And SQL on a
// server's database from outside it, as an operator (or another version) would.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';

const SQL = `SELECT id, open_sessions, machine_count,
  (SELECT count(*) FROM sessions WHERE pool_id = pools.id AND ended_at IS NULL) AS open_rows,
  (SELECT count(*) FROM machines WHERE pool_id = pools.id) AS machine_rows
  FROM pools ORDER BY id`;

interface Row {
  id: number;
  open_sessions: number;
  machine_count: number;
  open_rows: number;
  machine_rows: number;
}

const agree = (rows: Row[]) => {
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows)
    expect({ pool: r.id, open: r.open_sessions, machines: r.machine_count }).toEqual({
      pool: r.id,
      open: r.open_rows,
      machines: r.machine_rows,
    });
};

export type StoreRef = { dataDir: string } | { databaseUrl: string };

/** Runs one statement (`?` parameters) on the store; resolves to its rows, numbers as numbers. */
export const sqlOn = async (
  store: StoreRef,
  sql: string,
  ...params: (string | number)[]
): Promise<Record<string, unknown>[]> => {
  if ('databaseUrl' in store) {
    const client = new pg.Client({ connectionString: store.databaseUrl });
    await client.connect();
    try {
      let n = 0;
      const { rows } = await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
      return rows.map((r: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v,
          ]),
        ),
      );
    } finally {
      await client.end();
    }
  }
  const db = new DatabaseSync(join(store.dataDir, 'licenses.db'));
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const statement = db.prepare(sql);
    return statement.columns().length > 0
      ? statement.all(...params)
      : (statement.run(...params), []);
  } finally {
    db.close();
  }
};

export const expectCountersAgree = async (store: StoreRef) =>
  agree((await sqlOn(store, SQL)) as unknown as Row[]);
