// Attack: an old release's data dir upgraded to two pools per product: its pools, machines,
// sessions, licensed users and offline licenses kept, and still enforced beside a new floating pool.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { postgresAvailable, startPostgres } from '../../scripts/harness/postgres.ts';
import { ROOT, run, tempDir, userEnv } from '../helpers/cli.ts';
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
import { OLD_RELEASE, oldAdmin, startOldServer } from '../helpers/old-release.ts';

it('an upgraded data dir keeps enforcing its node-locked pool beside a new floating one', async () => {
  const dataDir = tempDir('kls-old-release-');
  const made = async (args: string[]) => {
    const r = await oldAdmin(dataDir, args);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const org = (await made(['org', 'create', '--name', 'Acme QA'])).id as number;
  await made(['user', 'add', '--org', String(org), '--email', 'dev@acme.test']);
  const { apiKey } = await made([
    'apikey',
    'create',
    '--org',
    String(org),
    '--email',
    'dev@acme.test',
  ]);
  const expires = '2099-01-01';
  await made(
    poolCreateArgs(String(org), { model: 'node-locked', quota: '3', machineQuota: '2', expires }),
  );
  await made(
    poolCreateArgs(String(org), {
      product: 'KSE',
      model: 'node-locked',
      quota: '1',
      machineQuota: '5',
      expires,
    }),
  );
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
  const live = await api(
    old.url,
    'POST',
    '/v1/sessions',
    { orgId: org, product: 'KRE', machineId: m1 },
    apiKey,
  );
  expect(live.status).toBe(201);
  const kse = await activateIn(old.url, org, apiKey, { product: 'KSE' });
  expect(kse.status, JSON.stringify(kse.body)).toBe(201);
  old.process.kill('SIGTERM');
  await new Promise((r) => old.process.once('exit', r));

  const server = await startServer({ dataDir });
  try {
    expect(await sqlOn({ dataDir }, 'PRAGMA foreign_key_check')).toEqual([]);
    await expectCountersAgree({ dataDir });
    const created = await adminApi(server.url, 'POST', `/orgs/${org}/pools`, {
      product: 'KRE',
      model: 'floating',
      billing: 'monthly',
      quota: 1,
      machineQuota: 100,
      expiresAt: new Date(Date.now() + 86_400_000 * 30).toISOString(),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const nl = (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE-node-locked`)).body;
    expect(nl.offlineLicenses).toHaveLength(1);
    expect(nl.onlineSessions.map((s: { id: string }) => s.id)).toEqual([live.body.session.id]);
    expect(nl.registeredMachines).toHaveLength(1);
    expect(nl.available).toBe(1);
    const kseShown = (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KSE`)).body;
    expect(kseShown.licensedUsers ?? kseShown.licensed).toBeDefined();
    expect(kseShown.onlineSessions).toHaveLength(1);
    // Node-locked: one license and one machine left. m2 takes both; m3 floats; m4 is refused.
    const at = (m: string) =>
      api(server.url, 'POST', '/v1/sessions', { orgId: org, product: 'KRE', machineId: m }, apiKey);
    const [m2, m3, m4] = [randomMachineId(), randomMachineId(), randomMachineId()];
    expect((await at(m2)).body.pool.model).toBe('node-locked');
    expect((await at(m3)).body.pool.model).toBe('floating');
    const refused = await at(m4);
    expect(refused.status).toBe(409);
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
      const url = await cluster.createDatabase();
      await oldAdmin(tempDir(), ['--help']); // builds the old release
      const oldJs = join(
        ROOT,
        'build',
        `release-${OLD_RELEASE}`,
        'dist',
        'katalon-license-server.js',
      );
      const dataDir = tempDir('kls-old-pg-');
      const made = async (args: string[]) => {
        const r = await run(
          oldJs,
          ['--data-dir', dataDir, '--json', ...args],
          userEnv(undefined, { KLS_DATABASE_URL: url }),
        );
        expect(r.code, r.stdout + r.stderr).toBe(0);
        return JSON.parse(r.stdout);
      };
      const org = (await made(['org', 'create', '--name', 'Acme QA'])).id as number;
      await made(['user', 'add', '--org', String(org), '--email', 'dev@acme.test']);
      const { apiKey } = await made([
        'apikey',
        'create',
        '--org',
        String(org),
        '--email',
        'dev@acme.test',
      ]);
      await made(
        poolCreateArgs(String(org), {
          model: 'node-locked',
          quota: '1',
          machineQuota: '1',
          expires: '2099-01-01',
        }),
      );
      const server = await startServer({ dataDir, env: { KLS_DATABASE_URL: url } });
      try {
        const created = await adminApi(server.url, 'POST', `/orgs/${org}/pools`, {
          product: 'KRE',
          model: 'floating',
          billing: 'monthly',
          quota: 1,
          machineQuota: 100,
          expiresAt: new Date(Date.now() + 86_400_000 * 30).toISOString(),
        });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        const at = (m: string) =>
          api(
            server.url,
            'POST',
            '/v1/sessions',
            { orgId: org, product: 'KRE', machineId: m },
            apiKey,
          );
        expect((await at(randomMachineId())).body.pool.model).toBe('node-locked');
        expect((await at(randomMachineId())).body.pool.model).toBe('floating');
        expect((await at(randomMachineId())).status).toBe(409);
        await expectCountersAgree({ databaseUrl: url });
      } finally {
        await server.stop();
      }
    } finally {
      cluster.destroy();
    }
  },
);
