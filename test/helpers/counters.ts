// The pool counters the grant rules read (open_sessions, machine_count) against the rows they
// stand for, straight from the database: after any workload they must agree.
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

export const expectCountersAgree = async (store: { dataDir: string } | { databaseUrl: string }) => {
  if ('databaseUrl' in store) {
    const client = new pg.Client({ connectionString: store.databaseUrl });
    await client.connect();
    const rows = (await client.query(SQL)).rows.map((r: Record<string, string>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])),
    ) as unknown as Row[];
    await client.end();
    return agree(rows);
  }
  const db = new DatabaseSync(join(store.dataDir, 'licenses.db'), { readOnly: true });
  try {
    agree(db.prepare(SQL).all() as unknown as Row[]);
  } finally {
    db.close();
  }
};
