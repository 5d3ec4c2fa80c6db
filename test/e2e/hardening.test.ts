// The medium and low findings of the attacker's review, each reproduced through the real programs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { katalonc, run, SERVER, tempDir, userEnv } from '../helpers/cli.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';
import { freePort } from '../helpers/network.ts';
import {
  adminApi,
  adminCli,
  api,
  randomMachineId,
  seedOrg,
  startServer,
  type TestServer,
  offlineCreateArgs,
  poolCreateArgs,
  heartbeatIn,
} from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const nodeLocked = (quota = 2) =>
  seedOrg(server.url, { model: 'node-locked', quota, machineQuota: 10 });

describe('admin mistakes cost nothing', () => {
  it('offline create with an --out that cannot be written burns no quota (and does not spin)', async () => {
    const o = await nodeLocked(1);
    const started = Date.now();
    for (const out of ['/proc/1/katalonc-licenses', join(tempDir(), 'a-file')]) {
      if (!out.startsWith('/proc')) writeFileSync(out, 'not a folder');
      const r = await adminCli(server.dataDir, [
        ...offlineCreateArgs(o.org, randomMachineId()),
        '--out',
        out,
      ]);
      expect(r.code).not.toBe(0);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const pool = (await adminApi(server.url, 'GET', `/orgs/${o.org}/pools/KRE`)).body;
    expect(pool.offlineLicenses).toEqual([]);
    expect(pool.available).toBe(1);
  });

  it('numbers and dates are read strictly, by the CLI and the API; a past subscription end is refused', async () => {
    const org = String((await adminApi(server.url, 'POST', '/orgs', { name: 'Strict' })).body.id);
    const create = (quota: string, expires: string) =>
      adminCli(server.dataDir, poolCreateArgs(org, { model: 'floating', quota, expires }));
    for (const [quota, expires] of [
      ['1e300', '2030-01-01'],
      ['0x10', '2030-01-01'],
      ['', '2030-01-01'],
      ['5', '2027-02-30'],
      ['5', '0'],
      ['5', '2020-01-01'],
    ]) {
      const r = await create(quota, expires);
      expect(r.code, `${quota} ${expires}: ${r.stderr}`).toBe(4);
    }
    const api400 = await adminApi(server.url, 'POST', `/orgs/${org}/pools`, {
      product: 'KRE',
      model: 'floating',
      billing: 'yearly',
      quota: 1e300,
      machineQuota: 1,
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect(api400.status).toBe(400);
    const past = await adminApi(server.url, 'POST', `/orgs/${org}/pools`, {
      product: 'KRE',
      model: 'floating',
      billing: 'yearly',
      quota: 1,
      machineQuota: 1,
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect(past).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect((await create('5', '2030-01-01')).code).toBe(0);
  });
});

describe('the admin CLI refuses what is surely a mistake, and says what it changed', () => {
  it('a duplicate organisation name, an e-mail that is not one; an --expires beyond 60 days is capped, and says so', async () => {
    const dup = await adminCli(server.dataDir, ['org', 'create', '--name', 'Unique Org']);
    expect(dup.code).toBe(0);
    const again = await adminCli(server.dataDir, ['org', 'create', '--name', 'unique org']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/an organisation named "unique org" exists already/);
    const o = await nodeLocked(2);
    const bad = await adminCli(server.dataDir, [
      'user',
      'add',
      '--org',
      String(o.org),
      '--email',
      'not-an-email',
    ]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/is not an e-mail address/);
    const far = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
    const capped = await adminCli(server.dataDir, [
      ...offlineCreateArgs(o.org, randomMachineId()),
      '--expires',
      far,
      '--out',
      tempDir(),
      '--json',
    ]);
    expect(capped.code, capped.stderr).toBe(0);
    expect(JSON.parse(capped.stdout).capped).toMatch(
      /was capped at .*: an offline license lasts at most 60 days/,
    );
  });
});

describe('listing what exists', () => {
  it('org, user, apikey (prefixes only) and pool list, in the CLI and the admin API; no data dir, no quiet new database', async () => {
    const o = await seedOrg(server.url);
    const cli = async (args: string[]) =>
      JSON.parse((await adminCli(server.dataDir, [...args, '--json'])).stdout);
    expect((await cli(['org', 'list'])).orgs).toContainEqual(
      expect.objectContaining({ id: o.org, name: o.name }),
    );
    expect((await cli(['user', 'list', '--org', String(o.org)])).users).toEqual([
      expect.objectContaining({ email: o.email }),
    ]);
    const keys = (await cli(['apikey', 'list', '--org', String(o.org)])).apiKeys;
    expect(keys).toEqual([
      expect.objectContaining({
        prefix: `${o.apiKey.slice(0, 8)}…`,
        email: o.email,
        revoked: false,
      }),
    ]);
    expect(JSON.stringify(keys)).not.toContain(o.apiKey);
    expect((await cli(['pool', 'list', '--org', String(o.org)])).pools).toEqual([
      expect.objectContaining({ product: 'KRE', quota: 5 }),
    ]);
    expect(
      (await adminApi(server.url, 'GET', `/orgs/${o.org}/api-keys`)).body.apiKeys,
    ).toHaveLength(1);
    expect((await adminApi(server.url, 'GET', '/orgs')).body.orgs.length).toBeGreaterThan(0);
    const missing = join(tempDir(), 'typo');
    const r = await run(SERVER, ['--data-dir', missing, 'org', 'list'], userEnv());
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/there is no data dir at .*typo: pass the server's --data-dir/);
  });
});

describe('the admin subcommands against a running server (--server)', () => {
  it('the same operations through the admin API, with the admin token; no token, a wrong one, no server: clear errors', async () => {
    const { ADMIN_TOKEN } = await import('../helpers/server.ts');
    const remote = (args: string[], token: string | null = ADMIN_TOKEN) =>
      run(
        SERVER,
        ['--server', server.url, ...args, '--json'],
        userEnv(undefined, token ? { KLS_ADMIN_TOKEN: token } : {}),
      );
    const j = async (args: string[]) => {
      const r = await remote(args);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    };
    const org = String((await j(['org', 'create', '--name', `Remote ${Date.now()}`])).id);
    await j(['user', 'add', '--org', org, '--email', 'r@remote.test']);
    const { apiKey } = await j(['apikey', 'create', '--org', org, '--email', 'r@remote.test']);
    const expires = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
    await j(poolCreateArgs(org, { quota: '3', machineQuota: '3', expires }));
    const out = tempDir();
    const lic = await j([...offlineCreateArgs(org, randomMachineId()), '--out', out]);
    expect(lic.file).toMatch(/KRE_.*\.lic$/);
    const session = await api(
      server.url,
      'POST',
      '/v1/sessions',
      { orgId: Number(org), product: 'KRE', machineId: randomMachineId() },
      apiKey,
    );
    expect((await j(['session', 'list', '--org', org])).sessions).toHaveLength(1);
    await j([
      'session',
      'terminate',
      '--id',
      session.body.session.id,
      '--reason',
      'maintenance window',
    ]);
    const hb = await heartbeatIn(server.url, session.body.session.id, apiKey);
    expect(hb.body.error.message).toMatch(/maintenance window/);
    expect((await j(['pool', 'show', '--org', org, '--product', 'KRE'])).available).toBe(2);
    expect(
      (await j(['offline', 'time', '--machine-id', randomMachineId(), '--out', tempDir()])).file,
    ).toMatch(/\.ktime$/);
    const noToken = await remote(['org', 'list'], null);
    expect(noToken.code).toBe(4);
    expect(noToken.stdout).toMatch(/needs the server's admin token in KLS_ADMIN_TOKEN/);
    expect((await remote(['org', 'list'], 'x'.repeat(40))).code).toBe(8);
    const down = await run(
      SERVER,
      ['--server', 'http://127.0.0.1:9', 'org', 'list'],
      userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN }),
    );
    expect(down.code).toBe(7);
  });
});

describe('removing a member', () => {
  it('ends their live sessions at the next heartbeat, with the reason (CLI and API)', async () => {
    for (const how of ['cli', 'api'] as const) {
      const o = await seedOrg(server.url);
      const a = await api(
        server.url,
        'POST',
        '/v1/sessions',
        { orgId: o.org, product: 'KRE', machineId: randomMachineId() },
        o.apiKey,
      );
      expect(a.status).toBe(201);
      if (how === 'cli')
        expect(
          (
            await adminCli(server.dataDir, [
              'user',
              'remove',
              '--org',
              String(o.org),
              '--email',
              o.email,
            ])
          ).code,
        ).toBe(0);
      else
        expect(
          (await adminApi(server.url, 'DELETE', `/orgs/${o.org}/users/${o.email}`)).body,
        ).toMatchObject({ removed: true, sessionsEnded: 1 });
      await new Promise((r) => setTimeout(r, 250)); // the admin subcommand's commit is noticed within a tick
      const hb = await heartbeatIn(server.url, a.body.session.id, o.apiKey);
      expect(hb.status).toBe(410);
      expect(hb.body.error.message).toMatch(/was removed from the organisation by an admin/);
      const again = await api(
        server.url,
        'POST',
        '/v1/sessions',
        { orgId: o.org, product: 'KRE', machineId: randomMachineId() },
        o.apiKey,
      );
      expect(again.body.error.code).toBe('NOT_A_MEMBER');
    }
  });
});

describe('katalonc', () => {
  it('a failure to record the session after activation (a full disk) releases it at once', async () => {
    const o = await seedOrg(server.url, { quota: 1 });
    const home = tempDir();
    const state = join(home, 'state');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'sessions'), 'a file where the folder should be');
    const r = await katalonc(
      [`-orgID=${o.org}`, `-serverUrl=${server.url}`, 'run', '--', 'true'],
      userEnv(home, { KATALON_API_KEY: o.apiKey, KATALONC_HOME: state }),
    );
    expect(r.code).not.toBe(0);
    expect(
      (await adminApi(server.url, 'GET', `/orgs/${o.org}/pools/KRE`)).body.onlineSessions,
    ).toEqual([]);
  });

  it('never prints the password of a -serverUrl', async () => {
    const port = await freePort();
    const r = await katalonc(
      [
        `-serverUrl=http://ci:s3cret-pw@127.0.0.1:${port}`,
        '-apiKey=kls_x',
        '-orgID=1',
        'run',
        '--',
        'true',
      ],
      userEnv(),
    );
    expect(r.code).toBe(7);
    expect(r.stderr).not.toContain('s3cret-pw');
    expect(r.stderr).toMatch(/credentials not shown/);
  });

  it('escapes terminal control characters from names: license files, hosts, OS users', async () => {
    const home = tempDir();
    const env = userEnv(home);
    const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    const folder = join(home, '.katalon', 'license');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'evil\u001b[2J\u001b[31m.lic'),
      makeLicense(testIssuer(), { machineId }),
    );
    const list = await katalonc(['license', 'list'], env);
    expect(list.stdout).not.toContain('\u001b');
    expect(list.stdout).toContain('evil\\x1b[2J');

    // The server refuses such names outright (and escapes any stored before it did: see
    // server-limits.test.ts).
    const o = await seedOrg(server.url);
    const refused = await api(
      server.url,
      'POST',
      '/v1/sessions',
      {
        orgId: o.org,
        product: 'KRE',
        machineId: randomMachineId(),
        hostname: 'host\u001b]0;owned\u0007',
        osUser: 'u\u001b[1A',
      },
      o.apiKey,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('holds a control or bidirectional character');
  });

  it('warns about a license folder every user may write to', async () => {
    const home = tempDir();
    const folder = join(home, '.katalon', 'license');
    mkdirSync(folder, { recursive: true });
    chmodSync(folder, 0o777);
    const r = await katalonc(['license', 'list'], userEnv(home));
    expect(r.stderr).toMatch(/warning: the license folder .* is writable by every user/);
  });

  it('install names the copy as a license file (from a .txt download), and a second install changes nothing', async () => {
    const home = tempDir();
    const env = userEnv(home);
    const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    const download = join(tempDir(), 'license.txt');
    writeFileSync(download, makeLicense(testIssuer(), { machineId }));
    const first = await katalonc(['license', 'install', download], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`KRE_${machineId}.lic`);
    const second = await katalonc(['license', 'install', download], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Already installed as KRE_.*\.lic/);
    expect(
      JSON.parse((await katalonc(['license', 'list', '--json'], env)).stdout).licenses,
    ).toHaveLength(1);
  });
});

describe('the server', () => {
  it('answers 431 (headers too large) in its one error shape', async () => {
    const { hostname, port } = new URL(server.url);
    const res = await new Promise<{ status: number; body: string }>((done, failed) => {
      const req = request(
        { host: hostname, port, path: '/healthz', headers: { 'x-big': 'x'.repeat(64 * 1024) } },
        (r) => {
          let body = '';
          r.on('data', (d: Buffer) => (body += d.toString()));
          r.on('end', () => done({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on('error', failed);
      req.end();
    });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'BAD_REQUEST', message: expect.any(String) },
    });
  });
});
