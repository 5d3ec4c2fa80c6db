// Attack: an old release's data dir (SQLite) or database (PostgreSQL) upgraded to two pools per
// product: its pools, machines, sessions, licensed users and offline licenses kept, and still
// enforced beside a new floating pool.
import { expect, it } from 'vitest';
import { postgresAvailable, startPostgres } from '../../scripts/harness/postgres.ts';
import { tempDir } from '../helpers/cli.ts';
import { expectCountersAgree, sqlOn } from '../helpers/counters.ts';
import {
  activateIn,
  adminApi,
  api,
  offlineCreateArgs,
  poolCreateArgs,
  randomMachineId,
  startServer,
} from '../helpers/server.ts';
import { oldAdmin, startOldServer } from '../helpers/old-release.ts';

/** An organisation with a member and their API key, made by the old release's admin CLI. */
const oldOrg = async (dataDir: string, env: Record<string, string> = {}) => {
  const made = async (args: string[]) => {
    const r = await oldAdmin(dataDir, args, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const org = (await made(['org', 'create', '--name', 'Acme QA'])).id as number;
  await made(['user', 'add', '--org', String(org), '--email', 'dev@acme.test']);
  const key = await made(['apikey', 'create', '--org', String(org), '--email', 'dev@acme.test']);
  /** A pool of the organisation, until 2099. */
  const pool = (p: Parameters<typeof poolCreateArgs>[1]) =>
    made(poolCreateArgs(String(org), { expires: '2099-01-01', ...p }));
  return { org, apiKey: key.apiKey as string, made, pool };
};

/** The upgraded server's new floating KRE pool of `quota` beside the old node-locked one. */
const addFloating = async (url: string, org: number, quota: number) => {
  const created = await adminApi(url, 'POST', `/orgs/${org}/pools`, {
    product: 'KRE',
    model: 'floating',
    billing: 'monthly',
    quota,
    machineQuota: 100,
    expiresAt: new Date(Date.now() + 86_400_000 * 30).toISOString(),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
};

const activateOn = (url: string, org: number, apiKey: string, machineId: string) =>
  api(url, 'POST', '/v1/sessions', { orgId: org, product: 'KRE', machineId }, apiKey);

it('an upgraded data dir keeps enforcing its node-locked pool beside a new floating one', async () => {
  const dataDir = tempDir('kls-old-release-');
  const { org, apiKey, made, pool } = await oldOrg(dataDir);
  await pool({ model: 'node-locked', quota: '3', machineQuota: '2' });
  await pool({ product: 'KSE', model: 'node-locked', quota: '1', machineQuota: '5' });
  await made([
    'pool',
    'grant',
    '--org',
    String(org),
    '--product',
    'KSE',
    '--email',
    'dev@acme.test',
  ]);
  const m1 = randomMachineId();
  await made([...offlineCreateArgs(org, m1), '--out', tempDir('kls-old-licenses-')]);
  const old = await startOldServer(dataDir);
  const live = await activateOn(old.url, org, apiKey, m1);
  expect(live.status).toBe(201);
  const kse = await activateIn(old.url, org, apiKey, { product: 'KSE' });
  expect(kse.status, JSON.stringify(kse.body)).toBe(201);
  old.process.kill('SIGTERM');
  await new Promise((r) => old.process.once('exit', r));

  const server = await startServer({ dataDir });
  try {
    expect(await sqlOn({ dataDir }, 'PRAGMA foreign_key_check')).toEqual([]);
    await expectCountersAgree({ dataDir });
    await addFloating(server.url, org, 1);
    const nl = (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE-node-locked`)).body;
    expect(nl.offlineLicenses).toHaveLength(1);
    expect(nl.onlineSessions.map((s: { id: string }) => s.id)).toEqual([live.body.session.id]);
    expect(nl.registeredMachines).toHaveLength(1);
    expect(nl.available).toBe(1);
    const kseShown = (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KSE`)).body;
    expect(kseShown.licensedUsers).toHaveLength(1);
    expect(kseShown.onlineSessions).toHaveLength(1);
    // Node-locked: one license and one machine left. m2 takes both; m3 floats; m4 is refused.
    const at = (m: string) => activateOn(server.url, org, apiKey, m);
    expect((await at(randomMachineId())).body.pool.model).toBe('node-locked');
    expect((await at(randomMachineId())).body.pool.model).toBe('floating');
    expect((await at(randomMachineId())).status).toBe(409);
    await expectCountersAgree({ dataDir });
  } finally {
    await server.stop();
  }
});

it.skipIf(!postgresAvailable())(
  'an old release PostgreSQL database upgraded: a floating pool beside the node-locked one, both enforced',
  async () => {
    const cluster = await startPostgres();
    try {
      const env = { KLS_DATABASE_URL: await cluster.createDatabase() };
      const dataDir = tempDir('kls-old-pg-');
      const { org, apiKey, pool } = await oldOrg(dataDir, env);
      await pool({ model: 'node-locked', quota: '1', machineQuota: '1' });
      const server = await startServer({ dataDir, env });
      try {
        await addFloating(server.url, org, 1);
        const at = () => activateOn(server.url, org, apiKey, randomMachineId());
        expect((await at()).body.pool.model).toBe('node-locked');
        expect((await at()).body.pool.model).toBe('floating');
        expect((await at()).status).toBe(409);
        await expectCountersAgree({ databaseUrl: env.KLS_DATABASE_URL });
      } finally {
        await server.stop();
      }
    } finally {
      cluster.destroy();
    }
  },
);
