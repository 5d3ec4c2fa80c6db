// A running session does not outlive its pool's subscription: katalonc running a command against a
// real server (SQLite, and PostgreSQL where it is installed) stops it at the first heartbeat past the
// subscription's end, whether the end passes on its own or the operator moves it earlier (admin API,
// admin CLI on the same database), says why and exits 8; a lease never runs past the end, and a run
// cut off from the server stops there too, its outage grace notwithstanding.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startKatalonc, tempDir, userEnv, waitFor } from '../helpers/cli.ts';
import { stores } from '../../scripts/harness/postgres.ts';
import { startProxy } from '../helpers/network.ts';
import {
  activateIn,
  adminApi,
  adminCli,
  api,
  seedOrg,
  serverOnStore,
  startServer,
} from '../helpers/server.ts';

const ENDED =
  /error: This session has been terminated: the KRE subscription expired on \d{4}-\d\d-\d\d: ask your admin to renew it/;

/** katalonc running a 30 s command on an organisation's pool (`proxy`: reached through it). */
const longRun = async (url: string, expiresAt?: number, proxy?: number) => {
  const o = await seedOrg(url, {
    quota: 1,
    ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
  });
  const marker = join(tempDir(), 'started');
  const through = proxy
    ? [
        '--config',
        '-proxy.auth.option=MANUAL_CONFIG',
        '-proxy.auth.server.type=HTTP',
        '-proxy.auth.server.address=127.0.0.1',
        `-proxy.auth.server.port=${proxy}`,
      ]
    : [];
  const run = startKatalonc(
    [
      'run',
      `-orgID=${o.org}`,
      `-serverUrl=${url}`,
      ...through,
      '--',
      'sh',
      '-c',
      `touch ${marker}; exec sleep 30`,
    ],
    userEnv(undefined, { KATALON_API_KEY: o.apiKey }),
  );
  await waitFor(() => existsSync(marker), 15_000, 'the command');
  const stopped = run.result.then((r) => ({ ...r, at: Date.now() }));
  return { o, stopped };
};

/** The run stopped at its first heartbeat past `end`, with the reason and exit 8. */
const expectStoppedAt = async (
  run: Promise<{ code: number; stderr: string; at: number }>,
  end: number,
  within = 6000, // a heartbeat (1 s apart), and slack for a loaded machine
) => {
  const r = await run;
  expect(r.code, r.stderr).toBe(8);
  expect(r.stderr).toMatch(ENDED);
  expect(r.at).toBeGreaterThanOrEqual(end);
  expect(r.at - end).toBeLessThan(within);
};

describe.each(stores)('the end of a subscription on $name', (store) => {
  const on = serverOnStore(store, ['--lease-seconds', '3', '--heartbeat-seconds', '1']);

  const onlineSessions = async (org: number) =>
    (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KRE`)).body.onlineSessions;

  it.each(['the admin API', 'the admin CLI'])(
    'the operator moves the end to a moment during a run (%s): katalonc stops the command at the first heartbeat past it and exits 8 saying to renew',
    async (how) => {
      const { o, stopped } = await longRun(on.server.url);
      const end = Date.now() + 3000;
      const expires = new Date(end).toISOString();
      if (how === 'the admin API') {
        const set = await adminApi(on.server.url, 'PATCH', `/orgs/${o.org}/pools/KRE`, {
          expiresAt: expires,
        });
        expect(set.status, JSON.stringify(set.body)).toBe(200);
      } else {
        const set = await adminCli(
          on.server.dataDir,
          ['pool', 'set', '--org', String(o.org), '--product', 'KRE', '--expires', expires],
          on.dbEnv,
        );
        expect(set.code, set.stderr).toBe(0);
      }
      await expectStoppedAt(stopped, end);
      expect(await onlineSessions(o.org)).toEqual([]);
    },
    60_000,
  );

  it('the end passes on its own during a run: katalonc stops the command at the first heartbeat past it', async () => {
    const end = Date.now() + 8000;
    const { o, stopped } = await longRun(on.server.url, end);
    await expectStoppedAt(stopped, end);
    expect(await onlineSessions(o.org)).toEqual([]);
  }, 60_000);

  it("a run cut off from the server stops at the subscription's end, within its outage grace or not", async () => {
    const proxy = await startProxy();
    const end = Date.now() + 8000;
    const { o, stopped } = await longRun(on.server.url, end, proxy.port);
    expect((await adminApi(on.server.url, 'GET', `/orgs/${o.org}/pools/KRE`)).body).toMatchObject({
      outageGraceMinutes: 5,
    });
    proxy.stop();
    await expectStoppedAt(stopped, end);
  }, 60_000);

  it('a lease near the end is cut to it; past it, heartbeats and resumes are refused with SUBSCRIPTION_EXPIRED and the session is ended', async () => {
    const end = Date.now() + 2500;
    const expires = new Date(end).toISOString();
    const o = await seedOrg(on.server.url, { expiresAt: expires });
    const a = await activateIn(on.server.url, o.org, o.apiKey);
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    // A 3 s lease from now would run past the end.
    expect(a.body.session).toMatchObject({
      leaseExpiresAt: expires,
      subscriptionExpiresAt: expires,
    });
    const id = a.body.session.id as string;
    const beat = await api(
      on.server.url,
      'POST',
      `/v1/sessions/${id}/heartbeat`,
      undefined,
      o.apiKey,
    );
    expect(beat.body).toMatchObject({ leaseExpiresAt: expires, subscriptionExpiresAt: expires });
    await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now()) + 100));
    for (const how of ['heartbeat', 'resume']) {
      const r = await api(on.server.url, 'POST', `/v1/sessions/${id}/${how}`, undefined, o.apiKey);
      expect(r.status, `${how}: ${JSON.stringify(r.body)}`).toBe(403);
      expect(r.body.error.code).toBe('SUBSCRIPTION_EXPIRED');
      expect(r.body.error.message).toMatch(/the KRE subscription expired on .*: ask your admin/);
    }
    expect(await onlineSessions(o.org)).toEqual([]);
  }, 30_000);
});

describe('heartbeats far apart', () => {
  it('katalonc heartbeats when a lease cut short by the end runs out: the run stops at the end, not at its next heartbeat after it', async () => {
    const own = await startServer({ args: ['--lease-seconds', '30', '--heartbeat-seconds', '10'] });
    const end = Date.now() + 4000;
    const { stopped } = await longRun(own.url, end);
    await expectStoppedAt(stopped, end, 3000);
    await own.stop();
  }, 60_000);
});
