import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  activateUntilKilled,
  adminApi,
  adminCli,
  ADMIN_TOKEN,
  api,
  expectFiftyOf200,
  expectSessionsKept,
  randomMachineId,
  seedOrg,
  startServer,
  type TestServer,
  offlineCreateArgs,
  poolCreateArgs,
  heartbeatIn,
} from '../helpers/server.ts';
import { run, SERVER, tempDir, userEnv } from '../helpers/cli.ts';
import { freePort } from '../helpers/network.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: ['--lease-seconds', '3'] });
});
afterAll(async () => {
  await server?.stop();
});

const activate = (apiKey: string, body: Record<string, unknown>) =>
  api(server.url, 'POST', '/v1/sessions', body, apiKey);

describe('client API', () => {
  it('activates, heartbeats, releases, and the pool summary follows', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 2 });
    const a = await activate(apiKey, {
      orgId: org,
      product: 'KRE',
      machineId: randomMachineId(),
      hostname: 'ci-1',
      osUser: 'jenkins',
    });
    expect(a.status).toBe(201);
    expect(a.body.session).toMatchObject({ id: expect.any(String), heartbeatIntervalSeconds: 1 });
    expect(a.body.pool).toMatchObject({ orgId: org, product: 'KRE', quota: 2, available: 1 });
    const hb = await heartbeatIn(server.url, a.body.session.id, apiKey);
    expect(hb.status).toBe(200);
    expect(Date.parse(hb.body.leaseExpiresAt)).toBeGreaterThan(Date.now());
    expect(
      (await api(server.url, 'DELETE', `/v1/sessions/${a.body.session.id}`, undefined, apiKey))
        .status,
    ).toBe(200);
    expect((await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`)).body.available).toBe(2);
  });

  it('a session stops counting once its lease passes, with no background job', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 1 });
    const a = await activate(apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() });
    expect(a.status).toBe(201);
    expect(
      (await activate(apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() })).body
        .error.code,
    ).toBe('QUOTA_EXCEEDED');
    await new Promise((r) => setTimeout(r, 3200));
    expect(
      (await activate(apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() })).status,
    ).toBe(201);
    const late = await heartbeatIn(server.url, a.body.session.id, apiKey);
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('SESSION_EXPIRED');
  });

  it('refuses with a stable code for each reason', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 1 });
    const m = randomMachineId();
    expect(
      (await activate('kls_wrong', { orgId: org, product: 'KRE', machineId: m })).body.error.code,
    ).toBe('INVALID_API_KEY');
    const other = await seedOrg(server.url);
    // Another org's key: not a member; a missing org answers exactly alike.
    const notMember = await activate(other.apiKey, { orgId: org, product: 'KRE', machineId: m });
    const missing = await activate(other.apiKey, { orgId: 999_999, product: 'KRE', machineId: m });
    expect(notMember.status).toBe(403);
    expect(notMember.body.error.code).toBe('NOT_A_MEMBER');
    expect(missing.status).toBe(notMember.status);
    expect(missing.body.error.code).toBe(notMember.body.error.code);
    expect(missing.body.error.message.replace('999999', String(org))).toBe(
      notMember.body.error.message,
    );
    expect(
      (await activate(apiKey, { orgId: org, product: 'KSE', machineId: m })).body.error.code,
    ).toBe('NO_POOL');
    expect(
      (await activate(apiKey, { orgId: org, product: 'KRE', machineId: 'NOT-A-MACHINE' })).status,
    ).toBe(400);

    // A pool cannot be created already expired: this one ends in a second.
    const expired = await seedOrg(server.url, {
      expiresAt: new Date(Date.now() + 1000).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 1200));
    expect(
      (await activate(expired.apiKey, { orgId: expired.org, product: 'KRE', machineId: m })).body
        .error.code,
    ).toBe('SUBSCRIPTION_EXPIRED');

    const kse = await seedOrg(server.url, { product: 'KSE', quota: 1 });
    expect(
      (await activate(kse.apiKey, { orgId: kse.org, product: 'KSE', machineId: m })).body.error
        .code,
    ).toBe('NOT_LICENSED_USER');
    expect(
      (
        await adminApi(server.url, 'POST', `/orgs/${kse.org}/pools/KSE/licensed-users`, {
          email: kse.email,
        })
      ).status,
    ).toBe(200);
    await adminApi(server.url, 'POST', `/orgs/${kse.org}/users`, { email: 'second@acme.test' });
    const tooMany = await adminApi(
      server.url,
      'POST',
      `/orgs/${kse.org}/pools/KSE/licensed-users`,
      { email: 'second@acme.test' },
    );
    expect(tooMany.body.error.code).toBe('QUOTA_EXCEEDED'); // licensed users never exceed the quota
    expect(
      (await activate(kse.apiKey, { orgId: kse.org, product: 'KSE', machineId: m })).status,
    ).toBe(201);

    const nodeLocked = await seedOrg(server.url, {
      model: 'node-locked',
      machineQuota: 1,
      quota: 10,
    });
    expect(
      (await activate(nodeLocked.apiKey, { orgId: nodeLocked.org, product: 'KRE', machineId: m }))
        .status,
    ).toBe(201);
    expect(
      (await activate(nodeLocked.apiKey, { orgId: nodeLocked.org, product: 'KRE', machineId: m }))
        .status,
    ).toBe(201); // same machine: fine
    expect(
      (
        await activate(nodeLocked.apiKey, {
          orgId: nodeLocked.org,
          product: 'KRE',
          machineId: randomMachineId(),
        })
      ).body.error.code,
    ).toBe('MACHINE_QUOTA_EXCEEDED');
  });

  it('a revoked API key stops working', async () => {
    const { org } = await seedOrg(server.url);
    const key = (
      await adminApi(server.url, 'POST', `/orgs/${org}/api-keys`, { email: `dev${org}@acme.test` })
    ).body;
    expect(
      (await activate(key.apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() }))
        .status,
    ).toBe(201);
    expect((await adminApi(server.url, 'DELETE', `/api-keys/${key.id}`)).status).toBe(200);
    expect(
      (await activate(key.apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() }))
        .body.error.code,
    ).toBe('INVALID_API_KEY');
  });

  it('admin termination, machine removal and licensed-user removal end sessions at the next heartbeat, with the reason', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 5 });
    const heartbeat = (id: string) => heartbeatIn(server.url, id, apiKey);
    const s1 = (
      await activate(apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() })
    ).body.session.id;
    expect((await adminApi(server.url, 'DELETE', `/sessions/${s1}`)).status).toBe(200);
    expect((await heartbeat(s1)).body.error).toMatchObject({
      code: 'SESSION_TERMINATED',
      message: expect.stringContaining('terminated by an admin'),
    });

    const machine = randomMachineId();
    const s2 = (await activate(apiKey, { orgId: org, product: 'KRE', machineId: machine })).body
      .session.id;
    expect(
      (await adminApi(server.url, 'DELETE', `/orgs/${org}/pools/KRE/machines/${machine}`)).body
        .sessionsEnded,
    ).toBe(1);
    expect((await heartbeat(s2)).body.error.message).toContain(`machine ${machine} was removed`);

    const kse = await seedOrg(server.url, { product: 'KSE' });
    await adminApi(server.url, 'POST', `/orgs/${kse.org}/pools/KSE/licensed-users`, {
      email: kse.email,
    });
    const s3 = (
      await activate(kse.apiKey, { orgId: kse.org, product: 'KSE', machineId: randomMachineId() })
    ).body.session.id;
    await adminApi(server.url, 'DELETE', `/orgs/${kse.org}/pools/KSE/licensed-users/${kse.email}`);
    expect((await heartbeatIn(server.url, s3, kse.apiKey)).body.error.message).toContain(
      'withdrawn',
    );
  });

  it('a session terminated by the admin subcommand (another process) while the server runs ends within a tick', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 5 });
    const id = (
      await activate(apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() })
    ).body.session.id;
    const heartbeat = () => heartbeatIn(server.url, id, apiKey);
    expect((await heartbeat()).status).toBe(200); // now answered from the server's memory
    const cli = await adminCli(server.dataDir, ['session', 'terminate', '--id', id, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 250));
    expect((await heartbeat()).body.error).toMatchObject({
      code: 'SESSION_TERMINATED',
      message: expect.stringContaining('terminated by an admin'),
    });
  });

  it('the admin API lists live sessions, for all organisations or one', async () => {
    const one = await seedOrg(server.url, { quota: 5 });
    const two = await seedOrg(server.url, { quota: 5 });
    const id = (
      await activate(one.apiKey, {
        orgId: one.org,
        product: 'KRE',
        machineId: randomMachineId(),
        hostname: 'ci-7',
      })
    ).body.session.id;
    const other = (
      await activate(two.apiKey, { orgId: two.org, product: 'KRE', machineId: randomMachineId() })
    ).body.session.id;
    const mine = (await adminApi(server.url, 'GET', `/sessions?orgId=${one.org}`)).body.sessions;
    expect(mine).toEqual([
      expect.objectContaining({
        id,
        orgId: one.org,
        product: 'KRE',
        hostname: 'ci-7',
        user: one.email,
      }),
    ]);
    const all = (await adminApi(server.url, 'GET', '/sessions')).body.sessions.map(
      (s: { id: string }) => s.id,
    );
    expect(all).toEqual(expect.arrayContaining([id, other]));
  });

  it("release-machine ends this machine's sessions for this user only, and only those that stopped heartbeating", async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 5 });
    const m = randomMachineId();
    const release = async () =>
      (
        await api(
          server.url,
          'POST',
          '/v1/sessions/release-machine',
          { orgId: org, product: 'KRE', machineId: m },
          apiKey,
        )
      ).body.released as number;
    const live = (await activate(apiKey, { orgId: org, product: 'KRE', machineId: m })).body.session
      .id as string;
    await activate(apiKey, { orgId: org, product: 'KRE', machineId: m });
    await activate(apiKey, { orgId: org, product: 'KRE', machineId: m });
    await activate(apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() });
    expect(await release()).toBe(0); // every run still heartbeats on time
    // The 3 s lease beats every second: past 1.5 s of silence a run is gone; one keeps beating.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      expect((await heartbeatIn(server.url, live, apiKey)).status).toBe(200);
    }
    expect(await release()).toBe(2);
    expect(
      (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`)).body.onlineSessions,
    ).toHaveLength(2);
  });
});

describe('concurrency', () => {
  it('200 concurrent activations against quota 50: exactly 50 granted, 150 refused with the quota code', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 50 });
    await expectFiftyOf200([server], org, apiKey, 'QUOTA_EXCEEDED');
  });

  it('200 concurrent activations from 200 machines against machine quota 50: exactly 50 machines', async () => {
    const { org, apiKey } = await seedOrg(server.url, {
      quota: 1000,
      machineQuota: 50,
      model: 'node-locked',
    });
    await expectFiftyOf200([server], org, apiKey, 'MACHINE_QUOTA_EXCEEDED');
  });
});

describe('durability', () => {
  it('SIGKILL under load, restart: every granted session is still there, none twice, counts right', async () => {
    const own = await startServer({ args: ['--lease-seconds', '600'] });
    const { org, apiKey } = await seedOrg(own.url, { quota: 1000 });
    const granted = await activateUntilKilled(own, apiKey, org);
    const again = await startServer({ dataDir: own.dataDir, args: ['--lease-seconds', '600'] });
    try {
      await expectSessionsKept(again.url, org, 1000, granted);
    } finally {
      await again.stop();
    }
  });

  it('SIGTERM: stops accepting, exits 0', async () => {
    const own = await startServer();
    expect((await api(own.url, 'GET', '/healthz')).body).toEqual({ ok: true });
    expect(await own.stop('SIGTERM')).toBe(0);
    expect(own.logs()).toMatch(/finishing requests in flight/);
    // Its last line says it stopped cleanly, for whoever watches the log.
    expect(own.logs().trimEnd().split('\n').at(-1)).toMatch(
      /"signal":"SIGTERM","msg":"stopped: leases written, database closed"}$/,
    );
  });
});

describe('bad input and security', () => {
  it('wrong types, missing fields, huge bodies, unknown routes, malformed JSON, bad machine IDs: 4xx with the stable shape', async () => {
    const { org, apiKey } = await seedOrg(server.url);
    const cases: [string, string, unknown][] = [
      ['POST', '/v1/sessions', { orgId: 'abc', product: 'KRE', machineId: randomMachineId() }],
      ['POST', '/v1/sessions', { orgId: org, product: 'XYZ', machineId: randomMachineId() }],
      ['POST', '/v1/sessions', { product: 'KRE' }],
      ['POST', '/v1/sessions', '{"orgId": 1,'],
      ['POST', '/v1/sessions', { orgId: org, product: 'KRE', machineId: 'x'.repeat(100_000) }],
      [
        'POST',
        '/v1/sessions',
        { orgId: org, product: 'KRE', machineId: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ' },
      ],
      ['POST', '/v1/sessions', [1, 2, 3]],
      ['GET', '/v1/nope', undefined],
      ['POST', '/v1/sessions/not-a-uuid/heartbeat', undefined],
    ];
    for (const [method, path, body] of cases) {
      const r = await api(server.url, method, path, body, apiKey);
      expect(
        r.status,
        `${method} ${path} ${JSON.stringify(body)?.slice(0, 50)}`,
      ).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
  });

  it('fuzz: random bodies and paths on every route never give a 500', async () => {
    const own = await startServer(); // its failed keys must not throttle the other tests
    const { apiKey } = await seedOrg(own.url);
    const routes = [
      '/v1/sessions',
      '/v1/sessions/release-machine',
      `/v1/sessions/${crypto.randomUUID()}/heartbeat`,
      '/v1/admin/orgs',
      '/v1/admin/orgs/1/pools',
      '/v1/admin/orgs/1/users',
      '/v1/admin/orgs/1/pools/KRE/offline-licenses',
    ];
    const json = fc.oneof(
      fc.json(),
      fc.object().map((o) => JSON.stringify(o)),
      fc.string(),
      fc
        .record({
          orgId: fc.oneof(fc.integer(), fc.string(), fc.double()),
          product: fc.string(),
          machineId: fc.string(),
          name: fc.string(),
          email: fc.string(),
          quota: fc.integer(),
        })
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.constantFrom('POST', 'DELETE', 'GET', 'PUT'),
        json,
        fc.constantFrom(apiKey, ADMIN_TOKEN, 'junk'),
        async (route, method, body, token) => {
          const res = await fetch(`${own.url}${route}`, {
            method,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: method === 'GET' ? undefined : body,
          });
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    await own.stop();
  });

  it('start: options from the environment; one line and exit 1 or 4 for every start error; one server per data dir', async () => {
    const dataDir = tempDir('kls-data-');
    const first = await startServer({ dataDir });
    const second = await run(SERVER, ['--data-dir', dataDir, 'start', '--port', '0'], userEnv());
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /^error: another katalon-license-server \(pid \d+\) is running on the data dir/,
    );
    const onlyEnv = await run(
      SERVER,
      ['--data-dir', tempDir('kls-data-'), 'start'],
      userEnv(undefined, {
        KLS_PORT: new URL(first.url).port,
        KLS_HOST: '127.0.0.1',
      }),
    );
    expect(onlyEnv.code).toBe(1);
    expect(onlyEnv.stderr).toMatch(/^error: 127\.0\.0\.1:\d+ is in use \(another server\?\)/);
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    for (const [args, env, code, why] of [
      [['start', '--port', '99999'], {}, 4, /--port must be from 0 to 65535/],
      [['start'], { KLS_PORT: '-1' }, 4, /from env 'KLS_PORT' is invalid/],
      [['start', '--log-level', 'chatty'], {}, 4, /Allowed choices are/],
    ] as const) {
      const r = await run(
        SERVER,
        ['--data-dir', tempDir('kls-data-'), ...args],
        userEnv(undefined, env),
      );
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
    const notAFolder = await run(SERVER, ['--data-dir', file, 'start'], userEnv());
    expect(notAFolder.code).toBe(1);
    expect(notAFolder.stderr).toMatch(/is a file, not a folder/);
    await first.stop();
  });

  it('refuses to start on an empty or short KLS_ADMIN_TOKEN (fail closed), and says why', async () => {
    for (const [token, why] of [
      ['', /KLS_ADMIN_TOKEN is empty/],
      ['abc', /KLS_ADMIN_TOKEN is 3 characters: it must be at least 32 random characters/],
    ] as const) {
      const r = await run(
        SERVER,
        ['--data-dir', tempDir('kls-data-'), 'start', '--port', '0'],
        userEnv(undefined, { KLS_ADMIN_TOKEN: token }),
      );
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(why);
    }
  });

  it('slows down repeated failed API keys from one address (429 with Retry-After), never a valid one', async () => {
    const own = await startServer();
    try {
      const { org, apiKey } = await seedOrg(own.url);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push(
          (
            await api(
              own.url,
              'POST',
              '/v1/sessions',
              { orgId: 1, product: 'KRE', machineId: randomMachineId() },
              `kls_guess${i}`,
            )
          ).status,
        );
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
      const r = await api(
        own.url,
        'POST',
        '/v1/sessions',
        { orgId: 1, product: 'KRE', machineId: randomMachineId() },
        'kls_x',
      );
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      // The same address (a CI host behind one NAT): valid credentials still pass.
      const valid = await api(
        own.url,
        'POST',
        '/v1/sessions',
        { orgId: org, product: 'KRE', machineId: randomMachineId() },
        apiKey,
      );
      expect(valid.status).toBe(201);
      expect((await adminApi(own.url, 'GET', '/sessions')).status).toBe(200);
    } finally {
      await own.stop();
    }
  });

  it('never logs API keys or the admin token; keeps its files user-only', async () => {
    const { apiKey, org } = await seedOrg(server.url);
    await activate(apiKey, { orgId: org, product: 'KRE', machineId: randomMachineId() });
    await new Promise((r) => setTimeout(r, 200));
    expect(server.logs()).not.toContain(apiKey);
    expect(server.logs()).not.toContain(ADMIN_TOKEN);
    for (const f of readdirSync(server.dataDir))
      expect(statSync(join(server.dataDir, f)).mode & 0o077, f).toBe(0);
  });

  it('the admin API needs the admin token', async () => {
    expect((await api(server.url, 'POST', '/v1/admin/orgs', { name: 'x' }, 'wrong')).status).toBe(
      401,
    );
    expect((await api(server.url, 'POST', '/v1/admin/orgs', { name: 'x' })).status).toBe(401);
  });
});

describe('an unreachable PostgreSQL (KLS_DATABASE_URL)', () => {
  it('start and the admin subcommands fail with one line and exit 1, never showing the password', async () => {
    const env = {
      KLS_DATABASE_URL: `postgres://kls:s3cret-pw@127.0.0.1:${await freePort()}/licenses`,
    };
    for (const args of [
      ['start', '--port', '0'],
      ['org', 'create', '--name', 'x'],
    ]) {
      const r = await adminCli(tempDir('kls-nodb-'), args, env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: cannot reach PostgreSQL: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/,
      );
      expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
    }
    const key = await adminCli(tempDir('kls-nodb-'), ['keys', 'public'], env); // needs the data dir only
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^ed25519:/);
  });
});

describe('admin subcommands on the data dir', () => {
  it('org, user, apikey, pool, offline create, pool show, session list, machine remove (refused while it holds an offline license)', async () => {
    const dir = tempDir('kls-admin-');
    const j = async (args: string[]) => {
      const r = await adminCli(dir, [...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    };
    const org = (await j(['org', 'create', '--name', 'Acme'])).id;
    await j(['user', 'add', '--org', String(org), '--email', 'a@acme.test']);
    expect(
      (await j(['apikey', 'create', '--org', String(org), '--email', 'a@acme.test'])).apiKey,
    ).toMatch(/^kls_/);
    expect((await j(poolCreateArgs(String(org)))).id).toBeGreaterThan(0);
    const out = tempDir();
    const m = randomMachineId();
    const first = await j([...offlineCreateArgs(org, m.toLowerCase()), '--out', out]);
    expect(first.file).toBe(join(out, `KRE_${m}.lic`));
    expect(Date.parse(first.expiresAt) - Date.now()).toBeGreaterThan(59 * 86_400_000);
    expect(Date.parse(first.expiresAt) - Date.now()).toBeLessThanOrEqual(60 * 86_400_000);
    const second = await j([
      ...offlineCreateArgs(org, m),
      '--expires',
      new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10),
      '--out',
      out,
    ]);
    expect(second.file).toBe(join(out, `KRE_${m} (1).lic`));
    const testing = await j([...offlineCreateArgs(org, m), '--testing', '--out', out]);
    expect(testing.kind).toBe('testing');
    expect(testing.file).toBe(join(out, `KRE_${m}.testing.lic`)); // its name says what it is
    const shown = await j(['pool', 'show', '--org', String(org), '--product', 'KRE']);
    expect(shown).toMatchObject({
      quota: 2,
      available: 0,
      machineQuota: 5,
      licensedUsers: [],
      onlineSessions: [],
    });
    expect(shown.offlineLicenses).toHaveLength(3);
    expect(shown.registeredMachines).toHaveLength(1);
    const full = await adminCli(dir, [...offlineCreateArgs(org, m), '--out', out, '--json']);
    expect(JSON.parse(full.stdout).error.code).toBe('QUOTA_EXCEEDED'); // offline licenses count against the quota
    const typo = await adminCli(dir, [
      ...offlineCreateArgs(
        org,
        m.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      ),
      '--out',
      out,
    ]);
    expect(typo.code).toBe(4);
    expect(typo.stderr).toMatch(/check character/);
    expect(readdirSync(out)).toHaveLength(3);
    expect((await j(['session', 'list'])).sessions).toEqual([]);
    // Its offline license cannot be revoked, so the machine keeps its place until it expires.
    const remove = ['machine', 'remove', '--org', String(org), '--product', 'KRE'];
    const kept = await adminCli(dir, [...remove, '--machine-id', m]);
    expect(kept.code).toBe(4);
    expect(kept.stderr).toMatch(
      /holds an offline license of the KRE node-locked pool \(.+, until \d{4}-\d{2}-\d{2}\), which cannot be revoked/,
    );
    expect(
      (await j(['pool', 'show', '--org', String(org), '--product', 'KRE'])).registeredMachines,
    ).toHaveLength(1);
    const key = await adminCli(dir, ['keys', 'public']);
    expect(key.stdout).toMatch(/^ed25519:[A-Za-z0-9_-]{43}\n$/);
  });

  it('refuses offline licenses from floating or monthly pools', async () => {
    const dir = tempDir('kls-admin-');
    await adminCli(dir, ['org', 'create', '--name', 'A']);
    await adminCli(dir, poolCreateArgs('1', { model: 'floating' }));
    await adminCli(dir, poolCreateArgs('1', { product: 'KSE', billing: 'monthly' }));
    for (const product of ['KRE', 'KSE']) {
      const r = await adminCli(dir, [
        ...offlineCreateArgs('1', randomMachineId(), product),
        '--out',
        tempDir(),
      ]);
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/only node-locked pools with a yearly billing cycle/);
    }
  });
});
