// Upgrading a server: what it tells the operator at start, and a data dir of an older release
// (built from git) upgraded with everything kept, its format-1 licenses re-issued without a second seat.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { katalonc, SERVER, tempDir, userEnv } from '../helpers/cli.ts';
import {
  activateIn,
  ADMIN_TOKEN,
  adminApi,
  api,
  heartbeatIn,
  offlineCreateArgs,
  poolCreateArgs,
  randomMachineId,
  startServer,
} from '../helpers/server.ts';
import { OLD_RELEASE, oldAdmin, startOldServer } from '../helpers/old-release.ts';

/** Starts a server on `dataDir` as it is (no certificate installed); resolves to its log once it listens. */
const startupLog = (dataDir: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, '--data-dir', dataDir, 'start', '--port', '0'], {
      env: userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(out))), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('katalon-license-server listening')) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        // 'close', not 'exit': every line it wrote has been read by then.
        child.once('close', () => resolve(out));
      }
    });
    child.once('error', reject);
  });

it('a server without an issuer certificate warns at start, saying what to do in order', async () => {
  const log = await startupLog(tempDir('kls-uncertified-'));
  const warning = log.split('\n').find((l) => l.includes('no issuer certificate'));
  expect(warning, log).toBeDefined();
  expect(JSON.parse(warning!).level).toBe(40);
  expect(warning).toMatch(/keys public.*root certify.*certificate install.*re-issue/);
});

it('a certified server does not', async () => {
  const server = await startServer();
  try {
    expect(server.logs()).not.toContain('no issuer certificate');
  } finally {
    await server.stop();
  }
});

describe(`a data dir of the ${OLD_RELEASE} release`, () => {
  it('upgraded with everything kept: organisations, pools, members, keys, a live session; old keys work; the warning shown', async () => {
    const dataDir = tempDir('kls-old-release-');
    const made = async (args: string[]) => {
      const r = await oldAdmin(dataDir, args);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const acme = (await made(['org', 'create', '--name', 'Acme QA'])).id as number;
    const globex = (await made(['org', 'create', '--name', 'Globex'])).id as number;
    await made(['user', 'add', '--org', String(acme), '--email', 'dev@acme.test']);
    await made(['user', 'add', '--org', String(globex), '--email', 'ops@globex.test']);
    const { apiKey } = await made([
      'apikey',
      'create',
      '--org',
      String(acme),
      '--email',
      'dev@acme.test',
    ]);
    const expires = '2099-01-01';
    await made(poolCreateArgs(String(acme), { quota: '2', expires }));
    await made(
      poolCreateArgs(String(globex), { product: 'KSE', model: 'floating', quota: '3', expires }),
    );
    const machine = randomMachineId();
    const licenses = tempDir('kls-old-licenses-');
    const formatOne = (await made([...offlineCreateArgs(acme, machine), '--out', licenses])).id;
    // A run of that release holds a session when its server is stopped for the upgrade.
    const old = await startOldServer(dataDir);
    const live = await activateIn(old.url, acme, apiKey);
    expect(live.status).toBe(201);
    old.process.kill('SIGTERM');
    await new Promise((r) => old.process.once('exit', r));

    // The new server upgrades it, and warns that it has no issuer certificate yet.
    expect(await startupLog(dataDir)).toMatch(/no issuer certificate/);
    const server = await startServer({ dataDir });
    try {
      const orgs = (await adminApi(server.url, 'GET', '/orgs')).body.orgs;
      expect(orgs.map((o: { name: string }) => o.name).sort()).toEqual(['Acme QA', 'Globex']);
      const members = async (org: number) =>
        (await adminApi(server.url, 'GET', `/orgs/${org}/users`)).body.users.map(
          (u: { email: string }) => u.email,
        );
      expect(await members(acme)).toEqual(['dev@acme.test']);
      expect(await members(globex)).toEqual(['ops@globex.test']);
      expect(
        (await adminApi(server.url, 'GET', `/orgs/${acme}/api-keys`)).body.apiKeys,
      ).toHaveLength(1);
      const kre = (await adminApi(server.url, 'GET', `/orgs/${acme}/pools/KRE`)).body;
      expect(kre.quota).toBe(2);
      expect(kre.onlineSessions.map((s: { id: string }) => s.id)).toEqual([live.body.session.id]);
      expect(kre.offlineLicenses.map((l: { id: string }) => l.id)).toEqual([formatOne]);
      expect(kre.available).toBe(0);
      expect((await adminApi(server.url, 'GET', `/orgs/${globex}/pools/KSE`)).body.quota).toBe(3);
      // The old key still works, and the old run's session goes on.
      const heartbeat = await heartbeatIn(server.url, live.body.session.id, apiKey);
      expect(heartbeat.status, JSON.stringify(heartbeat.body)).toBe(200);
      const mine = await api(server.url, 'GET', '/v1/orgs', undefined, apiKey);
      expect(mine.body.orgs.map((o: { id: number }) => o.id)).toEqual([acme]);

      // Its format-1 license: katalonc says what to ask for, with this machine's ID.
      const home = tempDir('katalonc-home-');
      mkdirSync(join(home, '.katalon', 'license'), { recursive: true });
      copyFileSync(
        join(licenses, `KRE_${machine}.lic`),
        join(home, '.katalon', 'license', `KRE_${machine}.lic`),
      );
      const env = userEnv(home);
      const thisMachine = (await katalonc(['--print-machine-id'], env)).stdout.trim();
      const air = await katalonc(['run', '--', 'true'], env);
      expect(air.code).toBe(6);
      expect(air.stderr).toContain(
        `KRE_${machine}.lic is an old license format (1, with no issuer certificate), which this katalonc no longer accepts: ask your admin to re-issue it from the upgraded license server ("offline create --replace") for this machine, ID ${thisMachine}`,
      );

      // The re-issue takes no second license of the full pool; without --replace it would.
      const reissue = (replace: boolean) =>
        adminApi(server.url, 'POST', `/orgs/${acme}/pools/KRE/offline-licenses`, {
          machineId: machine,
          replace,
        });
      expect((await reissue(false)).body.error.code).toBe('QUOTA_EXCEEDED');
      const reissued = await reissue(true);
      expect(reissued.status, JSON.stringify(reissued.body)).toBe(201);
      expect(reissued.body.replaces).toBe(formatOne);
      expect(reissued.body.text).toMatch(/^Version: 3$/m);
      const after = (await adminApi(server.url, 'GET', `/orgs/${acme}/pools/KRE`)).body;
      expect(after.offlineLicenses.map((l: { id: string }) => l.id)).toEqual([reissued.body.id]);
      expect(after.available).toBe(0);
      const audit = (await adminApi(server.url, 'GET', `/orgs/${acme}/audit`)).body.entries;
      expect(JSON.stringify(audit)).toContain(`${formatOne} (until`);
      expect(JSON.stringify(audit)).toContain(`superseded by ${reissued.body.id}`);
    } finally {
      await server.stop();
    }
  });
});
