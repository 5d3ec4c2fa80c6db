// What the person who runs the server sees: GET /metrics (scraped as Prometheus would), the log
// (one structured line per license event, none per request at the default level), and the pool
// counters the grant rules read agreeing with the rows after a workload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  activateIn,
  adminApi,
  api,
  randomMachineId,
  seedOrg,
  startServer,
  type TestServer,
  heartbeatIn,
} from '../helpers/server.ts';
import { expectCountersAgree } from '../helpers/counters.ts';

/** The value of one sample of a metric in the Prometheus text format, by its exact labels. */
const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2].split(',').sort().join(',');
    if (have === want) return Number(m[3]);
  }
  return undefined;
};

describe('operations: metrics, the license log, the counters', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.stop());

  it('GET /metrics: the admin token only; pools, license counters and route latencies as they happened', async () => {
    const { org, apiKey } = await seedOrg(server.url, { model: 'node-locked', quota: 3 });
    const at = { org: String(org), product: 'KRE' };
    const activate = () => activateIn(server.url, org, apiKey);
    const [a, b] = [await activate(), await activate()];
    expect([a.status, b.status]).toEqual([201, 201]);
    const offline = await adminApi(server.url, 'POST', `/orgs/${org}/pools/KRE/offline-licenses`, {
      machineId: randomMachineId(),
    });
    expect(offline.status).toBe(201);
    const full = await activate();
    expect(full.body.error.code).toBe('QUOTA_EXCEEDED');
    for (let i = 0; i < 25; i++)
      expect((await heartbeatIn(server.url, a.body.session.id, apiKey)).status).toBe(200);
    expect(
      (await api(server.url, 'DELETE', `/v1/sessions/${a.body.session.id}`, undefined, apiKey))
        .status,
    ).toBe(200);
    expect((await adminApi(server.url, 'DELETE', `/sessions/${b.body.session.id}`)).status).toBe(
      200,
    );

    expect((await api(server.url, 'GET', '/metrics')).status).toBe(401);
    expect((await api(server.url, 'GET', '/metrics', undefined, apiKey)).status).toBe(401);
    const scrape = await api(server.url, 'GET', '/metrics', undefined, ADMIN_TOKEN);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = scrape.body as string;
    const name = (await adminApi(server.url, 'GET', '/orgs')).body.orgs.find(
      (o: { id: number }) => o.id === org,
    ).name;
    const pool = { ...at, org_name: name, model: 'node-locked' };
    expect(sample(text, 'kls_pool_quota', pool)).toBe(3);
    expect(sample(text, 'kls_pool_sessions_in_use', pool)).toBe(0);
    expect(sample(text, 'kls_pool_offline_licenses', pool)).toBe(1);
    expect(sample(text, 'kls_pool_registered_machines', pool)).toBe(3);
    expect(
      sample(text, 'kls_activations_granted_total', {
        ...at,
        model: 'node-locked',
        resumed: 'false',
      }),
    ).toBe(2);
    expect(sample(text, 'kls_activations_refused_total', { ...at, reason: 'QUOTA_EXCEEDED' })).toBe(
      1,
    );
    expect(sample(text, 'kls_sessions_released_total', at)).toBe(1);
    expect(sample(text, 'kls_sessions_terminated_total', at)).toBe(1);
    expect(sample(text, 'kls_offline_licenses_issued_total', { ...at, kind: 'offline' })).toBe(1);
    const heartbeats = { method: 'POST', route: '/v1/sessions/:id/heartbeat', status: '200' };
    expect(sample(text, 'kls_http_request_duration_seconds_count', heartbeats)).toBe(25);
    expect(
      sample(text, 'kls_http_request_duration_seconds_bucket', { ...heartbeats, le: '+Inf' }),
    ).toBe(25);
    expect(text).toMatch(/^kls_process_cpu_seconds_total /m);
  });

  it('the log: one JSON line per license event with what happened and why, none per request, no secrets', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 1 });
    const before = server.logs().length;
    const activate = () => activateIn(server.url, org, apiKey);
    const granted = await activateIn(server.url, org, apiKey, { hostname: 'ci-runner-7' });
    expect((await activate()).status).toBe(409);
    for (let i = 0; i < 50; i++) await heartbeatIn(server.url, granted.body.session.id, apiKey);
    await api(server.url, 'DELETE', `/v1/sessions/${granted.body.session.id}`, undefined, apiKey);
    await new Promise((r) => setTimeout(r, 200)); // pino writes asynchronously
    const lines = server
      .logs()
      .slice(before)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.orgId === org);
    expect(mine.map((l) => [l.msg, l.event])).toEqual([
      ['license granted', 'granted'],
      ['license refused', 'refused'],
      ['license released', 'released'],
    ]);
    expect(mine[0]).toMatchObject({
      product: 'KRE',
      sessionId: granted.body.session.id,
      user: `dev${org}@acme.test`,
      machineHostname: 'ci-runner-7',
    });
    expect(mine[0].hostname).not.toBe('ci-runner-7'); // pino's: the server's own
    expect(mine[1]).toMatchObject({ reason: 'QUOTA_EXCEEDED' });
    expect(mine[2]).toMatchObject({ sessionIds: [granted.body.session.id], reason: 'released' });
    // 53 requests, 3 lines: nothing per heartbeat.
    expect(lines.length).toBe(3);
    expect(server.logs()).not.toContain(apiKey);
    expect(server.logs()).not.toContain(ADMIN_TOKEN);
  });

  it('after everything above, the pool counters that grants read agree with the rows', async () => {
    await expectCountersAgree({ dataDir: server.dataDir });
  });
});
