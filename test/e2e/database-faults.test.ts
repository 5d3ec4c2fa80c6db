// Replicas on PostgreSQL when the database misbehaves: connections terminated under load (a
// failover, a pooler, an administrator), connection slots exhausted, an outage longer than the
// lease. Real replicas, a real throwaway cluster; the faults are made with SQL, as an operator would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  activateIn,
  adminApi,
  api,
  heartbeatIn,
  seedOrg,
  startServer,
  ADMIN_TOKEN,
  type TestServer,
} from '../helpers/server.ts';
import { tempDir } from '../helpers/cli.ts';
import {
  postgresAvailable,
  postgresSkipped,
  startPostgres,
  type Postgres,
} from '../../scripts/harness/postgres.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `sql` on its own connection (the test's, never one of the replicas'). */
const query = async (url: string, sql: string, params: unknown[] = []) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
};

const metrics = async (server: TestServer) =>
  (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).text();

/** The lines of a replica's log at warn (40) or above. */
const warnings = (server: TestServer) =>
  server
    .logs()
    .split('\n')
    .filter((l) => /"level":(4|5|6)0/.test(l));

describe.skipIf(!postgresAvailable())(`PostgreSQL faults${postgresSkipped()}`, () => {
  let postgres: Postgres;
  let databaseUrl: string;
  let a: TestServer;
  let b: TestServer;
  const dataDir = tempDir('kls-faults-');

  beforeAll(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.createDatabase();
    [a, b] = await Promise.all(
      ['a', 'b'].map((name) =>
        startServer({
          dataDir,
          env: { KLS_DATABASE_URL: databaseUrl, KLS_REPLICA_NAME: `replica-${name}` },
          args: ['--lease-seconds', '3', '--heartbeat-seconds', '1'],
        }),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    postgres?.destroy();
  });

  it('each replica names itself in pg_stat_activity', async () => {
    await Promise.all(
      [a, b].map((s) => api(s.url, 'GET', '/v1/admin/orgs', undefined, ADMIN_TOKEN)),
    );
    const names = (
      await query(databaseUrl, 'SELECT DISTINCT application_name AS n FROM pg_stat_activity')
    ).map((r: { n: string }) => r.n);
    expect(names).toEqual(
      expect.arrayContaining([
        'katalon-license-server/replica-a',
        'katalon-license-server/replica-b',
      ]),
    );
  });

  it('connections terminated in a loop under load: both replicas keep serving, answer 503 for what the connections carried, never over-grant, and log the outage once', async () => {
    const QUOTA = 10;
    const { org, apiKey } = await seedOrg(a.url, { quota: QUOTA });
    const statuses = new Map<string, number>();
    const seen = (r: { status: number; body: any }) => {
      const key = `${r.status} ${r.body?.error?.code ?? ''}`.trim();
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    };
    let held = 0;
    let maxHeld = 0;
    let stop = false;
    const worker = async (i: number) => {
      const server = i % 2 ? a : b;
      while (!stop) {
        const r = await activateIn(server.url, org, apiKey);
        seen(r);
        if (r.status !== 201) {
          await sleep(20);
          continue;
        }
        maxHeld = Math.max(maxHeld, ++held);
        const id = r.body.session.id as string;
        for (let h = 0; h < 2; h++) seen(await heartbeatIn((h % 2 ? b : a).url, id, apiKey));
        held--;
        // A release the database did not take is taken again (as katalonc does at exit).
        for (let tries = 0; tries < 20; tries++) {
          const released = await api(server.url, 'DELETE', `/v1/sessions/${id}`, undefined, apiKey);
          seen(released);
          if (released.status === 200) break;
          await sleep(50);
        }
      }
    };
    let terminated = 0;
    const terminator = async () => {
      while (!stop) {
        const rows = await query(
          databaseUrl,
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        terminated += rows.length;
        await sleep(30);
      }
    };
    const load = Promise.all([...Array.from({ length: 16 }, (_, i) => worker(i)), terminator()]);
    await sleep(5000);
    stop = true;
    await load;
    expect(terminated).toBeGreaterThan(20);
    // Every answer is a grant, a refusal for the quota, or a 503: never a 500, never a dead replica.
    expect(
      [...statuses.keys()].filter(
        (k) => !['201', '200', '409 QUOTA_EXCEEDED', '503 DATABASE_UNAVAILABLE'].includes(k),
      ),
      JSON.stringify([...statuses]),
    ).toEqual([]);
    expect(
      statuses.get('503 DATABASE_UNAVAILABLE') ?? 0,
      JSON.stringify([...statuses]),
    ).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(QUOTA);
    for (const server of [a, b]) {
      expect(server.process.exitCode, server.logs()).toBeNull();
      expect((await activateIn(server.url, org, apiKey)).status, server.logs()).toBe(201);
    }
    const live = await query(
      databaseUrl,
      'SELECT count(*)::int AS n FROM sessions JOIN pools ON pools.id = pool_id WHERE org_id = $1 AND ended_at IS NULL AND lease_expires_at > $2',
      [org, Date.now()],
    );
    expect(live[0].n).toBeLessThanOrEqual(QUOTA);
    // An outage is told twice (its start and its end, once the database answered for a second),
    // with the driver's words; not per request.
    await sleep(1500);
    for (const server of [a, b]) {
      const lines = warnings(server);
      const down = lines.filter((l) => l.includes('database unreachable'));
      const up = lines.filter((l) => l.includes('database reachable again'));
      expect(down.length, lines.join('\n')).toBeGreaterThan(0);
      expect(up.length).toBe(down.length);
      expect(down.length).toBeLessThan((statuses.get('503 DATABASE_UNAVAILABLE') ?? 0) + 1);
      // pg_terminate_backend reaches the driver as the server's FATAL or, when the socket closes
      // first, as a reset: either is the driver's cause, logged.
      expect(down[0]).toMatch(/"cause":"[^"]*(terminat|ECONNRESET)/i);
      const text = await metrics(server);
      expect(text).toMatch(/^kls_database_up 1$/m);
      expect(text).toMatch(new RegExp(`^kls_database_outages_total ${down.length}$`, 'm'));
    }
  }, 60_000);

  it('an outage longer than the lease: the session ends as one the server could not keep, and its run is told so', async () => {
    const { org, apiKey } = await seedOrg(a.url, { quota: 1 });
    const first = await activateIn(a.url, org, apiKey);
    const id = first.body.session.id as string;
    postgres.stop();
    try {
      const during = await heartbeatIn(b.url, id, apiKey);
      expect(during.status).toBe(503);
      expect(await metrics(b)).toMatch(/^kls_database_up 0$/m);
      await sleep(3500); // past the 3 s lease
    } finally {
      postgres.start();
    }
    // The seat goes to another run (the pool is full by its counter: the lapsed session is ended).
    expect((await activateIn(a.url, org, apiKey)).status).toBe(201);
    const heartbeat = await heartbeatIn(b.url, id, apiKey);
    expect(heartbeat.status).toBe(410);
    expect(heartbeat.body.error.message).toMatch(/could not reach its database/);
    const resume = await api(b.url, 'POST', `/v1/sessions/${id}/resume`, undefined, apiKey);
    expect(resume.body.error.message).toMatch(/could not reach its database/);
    const [row] = await query(databaseUrl, 'SELECT end_reason FROM sessions WHERE id = $1', [id]);
    expect(row.end_reason).toMatch(/could not reach its database/);
  }, 30_000);
});

describe.skipIf(!postgresAvailable())(
  `PostgreSQL out of connection slots${postgresSkipped()}`,
  () => {
    it('answers 503 DATABASE_UNAVAILABLE (not 500) while max_connections is exhausted, and serves again once slots are free', async () => {
      const postgres = await startPostgres(['-c', 'max_connections=12']);
      const url = await postgres.createDatabase();
      const server = await startServer({
        dataDir: tempDir('kls-slots-'),
        env: { KLS_DATABASE_URL: url },
      });
      const hogs: pg.Client[] = [];
      /** Takes every free slot. */
      const fill = async () => {
        for (;;) {
          const c = new pg.Client({ connectionString: url });
          try {
            await c.connect();
          } catch (error) {
            expect((error as { code?: string }).code).toBe('53300');
            return;
          }
          c.on('error', () => {});
          hogs.push(c);
        }
      };
      try {
        const { org, apiKey } = await seedOrg(server.url, { quota: 5 });
        await fill();
        // The replica's own connections go, and their slots are taken before it can reconnect.
        await hogs[0].query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> ALL($1)',
          [
            await Promise.all(
              hogs.map(async (h) => (await h.query('SELECT pg_backend_pid() AS p')).rows[0].p),
            ),
          ],
        );
        await fill();
        const refused = await activateIn(server.url, org, apiKey);
        expect(refused.status, JSON.stringify(refused.body)).toBe(503);
        expect(refused.body.error.code).toBe('DATABASE_UNAVAILABLE');
        expect((await adminApi(server.url, 'GET', '/orgs')).status).toBe(503);
        await Promise.all(hogs.splice(0).map((h) => h.end()));
        expect((await activateIn(server.url, org, apiKey)).status).toBe(201);
        const down = warnings(server).filter((l) => l.includes('database unreachable'));
        expect(down.length).toBe(1);
        expect(down[0]).toMatch(/too many clients|connection slots/);
      } finally {
        await Promise.all(hogs.map((h) => h.end().catch(() => {})));
        await server.stop();
        postgres.destroy();
      }
    }, 60_000);
  },
);
