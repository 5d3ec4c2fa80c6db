// Node-locked and floating pools of one product side by side, as Katalon's License Management holds
// them: made and named by the admin CLI and API, each shown in the console (offline forms only where
// offline licenses can be issued), and activations taking node-locked first, then floating, with a
// refused attempt leaving nothing behind in the pool it tried.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { stores } from '../../scripts/harness/postgres.ts';
import { katalonc, tempDir, userEnv } from '../helpers/cli.ts';
import { csrfOf, joinAs } from '../helpers/console.ts';
import {
  adminApi,
  adminCli,
  api,
  ADMIN_TOKEN,
  offlineCreateArgs,
  poolCreateArgs,
  randomMachineId,
  seedOrg,
  serverOnStore,
} from '../helpers/server.ts';

describe.each(stores)('node-locked and floating pools of one product on $name', (store) => {
  const on = serverOnStore(store);

  /** An organisation with a node-locked KRE pool (quota 1, one machine) and a floating one (quota 2). */
  const twoPools = async () => {
    const seed = await seedOrg(on.server.url, { model: 'node-locked', quota: 1, machineQuota: 1 });
    const org = String(seed.org);
    const floating = await adminCli(
      on.server.dataDir,
      [...poolCreateArgs(org, { model: 'floating', billing: 'monthly', quota: '2' }), '--json'],
      on.dbEnv,
    );
    expect(floating.code, floating.stderr).toBe(0);
    return seed;
  };
  const activate = (org: number, apiKey: string, machineId: string) =>
    api(on.server.url, 'POST', '/v1/sessions', { orgId: org, product: 'KRE', machineId }, apiKey);
  const pool = async (org: number, name: string) =>
    (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/${name}`)).body;

  it('both are made, listed and named; a second of one model is refused; a bare product must say which', async () => {
    const { org } = await twoPools();
    const again = await adminCli(
      on.server.dataDir,
      poolCreateArgs(String(org), { model: 'floating' }),
      on.dbEnv,
    );
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/already has a KRE floating pool/);

    const list = await adminCli(
      on.server.dataDir,
      ['pool', 'list', '--org', String(org), '--json'],
      on.dbEnv,
    );
    expect(
      JSON.parse(list.stdout).pools.map((p: { product: string; model: string }) => [
        p.product,
        p.model,
      ]),
    ).toEqual([
      ['KRE', 'node-locked'],
      ['KRE', 'floating'],
    ]);

    const bare = await adminCli(
      on.server.dataDir,
      ['pool', 'show', '--org', String(org), '--product', 'KRE'],
      on.dbEnv,
    );
    expect(bare.code).toBe(4);
    expect(bare.stderr).toMatch(
      /has a node-locked and a floating KRE pool: name one \(--model node-locked or --model floating/,
    );
    const named = await adminCli(
      on.server.dataDir,
      ['pool', 'show', '--org', String(org), '--product', 'KRE', '--model', 'floating', '--json'],
      on.dbEnv,
    );
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({
      model: 'floating',
      billing: 'monthly',
      quota: 2,
    });
    // Through the running server (the admin API names a pool in its path), and the same refusal.
    const remote = await adminCli(
      on.server.dataDir,
      [
        '--server',
        on.server.url,
        'pool',
        'show',
        '--org',
        String(org),
        '--product',
        'KRE',
        '--model',
        'node-locked',
        '--json',
      ],
      { ...on.dbEnv, KLS_ADMIN_TOKEN: ADMIN_TOKEN },
    );
    expect(remote.code, remote.stderr).toBe(0);
    expect(JSON.parse(remote.stdout)).toMatchObject({ model: 'node-locked', quota: 1 });
    expect(await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KRE`)).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'BAD_REQUEST',
          message: expect.stringMatching(/KRE-node-locked or KRE-floating/),
        },
      },
    });
    expect((await pool(org, 'KRE-floating')).model).toBe('floating');
    expect(
      (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KSE-floating`)).body.error.code,
    ).toBe('NO_POOL');

    // One pool of a product: the bare name still means it.
    const single = await seedOrg(on.server.url, { model: 'floating' });
    expect((await pool(single.org, 'KRE')).model).toBe('floating');
    expect(
      (await adminApi(on.server.url, 'GET', `/orgs/${single.org}/pools/KRE-node-locked`)).body
        .error,
    ).toMatchObject({
      code: 'NO_POOL',
      message: `organisation ${single.org} has no KRE node-locked license pool (it has a floating one)`,
    });
  });

  it('an activation takes the node-locked pool first, then the floating one; a refused try leaves nothing behind', async () => {
    const { org, apiKey } = await twoPools();
    const [a, b, c] = [randomMachineId(), randomMachineId(), randomMachineId()];
    const first = await activate(org, apiKey, a);
    expect(first.status).toBe(201);
    expect(first.body.pool).toMatchObject({ model: 'node-locked', available: 0 });
    // The node-locked pool's one machine is taken: machine b runs on a floating license.
    const second = await activate(org, apiKey, b);
    expect(second.body.pool).toMatchObject({ model: 'floating', available: 1 });
    // Machine a again: registered, but its pool's one license is in use.
    const third = await activate(org, apiKey, a);
    expect(third.body.pool).toMatchObject({ model: 'floating', available: 0 });
    // Both full: refused as full (katalonc waits and retries), with each pool's reason.
    const fourth = await activate(org, apiKey, c);
    expect(fourth).toMatchObject({ status: 409, body: { error: { code: 'QUOTA_EXCEEDED' } } });
    expect(fourth.body.error.message).toBe(
      'node-locked: the 1 machine of the KRE pool is registered: ask your admin to remove one or raise the machine quota; floating: all 2 KRE licenses are in use (2 online sessions, 0 offline licenses)',
    );
    // What the refused tries did in the node-locked pool was rolled back: b and c are not there.
    const nodeLocked = await pool(org, 'KRE-node-locked');
    expect(nodeLocked.registeredMachines.map((m: { machineId: string }) => m.machineId)).toEqual([
      a,
    ]);
    expect(nodeLocked.onlineSessions.map((s: { id: string }) => s.id)).toEqual([
      first.body.session.id,
    ]);
    const floating = await pool(org, 'KRE-floating');
    expect(floating.onlineSessions.map((s: { id: string }) => s.id).sort()).toEqual(
      [second.body.session.id, third.body.session.id].sort(),
    );
    // The operator's list of sessions says which pool each runs on.
    const listed = (await adminApi(on.server.url, 'GET', `/sessions?orgId=${org}`)).body.sessions;
    expect(listed.map((s: { model: string }) => s.model).sort()).toEqual([
      'floating',
      'floating',
      'node-locked',
    ]);
    // A floating seat freed: c runs on it.
    await api(on.server.url, 'DELETE', `/v1/sessions/${second.body.session.id}`, undefined, apiKey);
    expect((await activate(org, apiKey, c)).body.pool).toMatchObject({ model: 'floating' });
  });

  it('katalonc runs on whichever pool has room and says which', async () => {
    const { org, apiKey } = await twoPools();
    const env = userEnv(undefined, { KATALON_API_KEY: apiKey });
    const args = [
      'run',
      `-orgID=${org}`,
      `-serverUrl=${on.server.url}`,
      '-enableLicenseRetry=false',
      '--',
      'true',
    ];
    const nodeLocked = await katalonc(args, env);
    expect(nodeLocked.code, nodeLocked.stderr).toBe(0);
    expect(nodeLocked.stderr).toMatch(/Online session \S+ \(KRE node-locked, /);
    // Two other machines: the node-locked pool's one machine is this one, so they float.
    for (const machine of [randomMachineId(), randomMachineId()])
      expect((await activate(org, apiKey, machine)).body.pool.model).toBe('floating');
    // The floating pool is full; this machine's node-locked seat is free again (its run ended).
    const again = await katalonc(args, env);
    expect(again.stderr).toMatch(/Online session \S+ \(KRE node-locked, /);
  });

  it('offline licenses come from the node-locked pool: by default where both exist, and never from a floating one', async () => {
    const { org } = await twoPools();
    const out = tempDir();
    const machineId = randomMachineId();
    const testing = await adminCli(
      on.server.dataDir,
      [...offlineCreateArgs(org, machineId), '--testing', '--out', out, '--json'],
      on.dbEnv,
    );
    expect(testing.code, testing.stderr).toBe(0);
    expect(readdirSync(out)).toEqual([`KRE_${machineId}.testing.lic`]);
    expect((await pool(org, 'KRE-node-locked')).offlineLicenses).toHaveLength(1);
    const floating = await adminCli(
      on.server.dataDir,
      [
        ...offlineCreateArgs(org, machineId),
        '--model',
        'floating',
        '--testing',
        '--out',
        join(out, 'f'),
      ],
      on.dbEnv,
    );
    expect(floating.code).toBe(8);
    expect(floating.stderr).toMatch(
      /only node-locked pools with a yearly billing cycle can issue offline licenses; this KRE pool is floating, monthly/,
    );
  });

  it('the console shows each pool, acts on the one its form names, and offers offline licenses only where they can be issued', async () => {
    const { org, apiKey } = await twoPools();
    const b = randomMachineId();
    await activate(org, apiKey, randomMachineId()); // node-locked
    const onFloating = await activate(org, apiKey, b);
    expect(onFloating.body.pool.model).toBe('floating');
    const owner = await joinAs(on.server.url, org, `owner-${org}@acme.test`, 'owner');
    const page = await owner.get(`/console/orgs/${org}/licenses`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Katalon Runtime Engine (KRE): Node-locked');
    expect(page.text).toContain('Katalon Runtime Engine (KRE): Floating');
    expect(page.text.match(/Create Offline License/g)).toHaveLength(1);
    expect(page.text).toContain(
      `action="/console/orgs/${org}/pools/KRE-node-locked/offline-licenses"`,
    );
    expect(page.text).not.toContain(`/pools/KRE-floating/offline-licenses`);
    expect(page.text).toMatch(/A floating, monthly pool serves online sessions only/);
    const removed = await owner.post(`/console/orgs/${org}/pools/KRE-floating/machines/remove`, {
      _csrf: csrfOf(page.text),
      machineId: b,
    });
    expect(removed.status).toBe(303);
    expect((await pool(org, 'KRE-floating')).registeredMachines).toEqual([]);
    expect((await pool(org, 'KRE-node-locked')).registeredMachines).toHaveLength(1);
    const audit = (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body.entries;
    expect(audit.map((e: { detail: string }) => e.detail)).toContain(
      `KRE floating: ${b} (1 sessions ended)`,
    );
  });
});
