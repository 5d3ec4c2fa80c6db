// An operator changes a pool: renews it (an expired pool grants again), raises its machine quota (a
// refused machine gets in), lowers its quota below what is in use (nothing ends, the next grant is
// refused, and the answer says so), through the admin CLI on the data dir, through --server and the
// admin API; each change audited. Quota, machine quota and expiry are the operator's: an Owner
// changes only the outage grace. A floating pool needs no machine quota; a node-locked one does.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import { csrfOf, joinAs } from '../helpers/console.ts';
import {
  adminApi,
  adminCli,
  api,
  ADMIN_TOKEN,
  poolCreateArgs,
  randomMachineId,
  seedOrg,
  serverOnStore,
} from '../helpers/server.ts';

const YEAR_MS = 365 * 86_400_000;

describe.each(stores)('an operator changes a pool on $name', (store) => {
  const on = serverOnStore(store);

  const activate = (org: number, apiKey: string, machineId = randomMachineId()) =>
    api(on.server.url, 'POST', '/v1/sessions', { orgId: org, product: 'KRE', machineId }, apiKey);
  const pool = async (org: number, name = 'KRE') =>
    (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/${name}`)).body;
  /** `pool set` on the data dir, or through the running server (`remote`). */
  const poolSet = (org: number, args: string[], remote = false) =>
    adminCli(
      on.server.dataDir,
      [
        ...(remote ? ['--server', on.server.url] : []),
        ...['pool', 'set', '--org', String(org), '--product', 'KRE', ...args],
      ],
      { ...on.dbEnv, ...(remote ? { KLS_ADMIN_TOKEN: ADMIN_TOKEN } : {}) },
    );
  const audit = async (org: number) =>
    (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body.entries as {
      who: string;
      action: string;
      detail: string;
    }[];

  it('renewal: an expired pool grants again once its expiry is extended; an expiry in the past or no change is refused', async () => {
    const ends = new Date(Date.now() + 1500);
    const { org, apiKey } = await seedOrg(on.server.url, { expiresAt: ends.toISOString() });
    await new Promise((done) => setTimeout(done, 1600));
    const expired = await activate(org, apiKey);
    expect(expired).toMatchObject({
      status: 403,
      body: { error: { code: 'SUBSCRIPTION_EXPIRED' } },
    });
    const past = await poolSet(org, ['--expires', '2020-01-01']);
    expect(past.code).toBe(4);
    expect(past.stderr).toContain('the subscription end 2020-01-01T23:59:59.999Z is in the past');
    const nothing = await poolSet(org, []);
    expect(nothing.code).toBe(4);
    expect(nothing.stderr).toContain(
      'name at least one change: the quota, machine quota, expiry or outage grace',
    );
    expect(
      (await adminApi(on.server.url, 'PATCH', `/orgs/${org}/pools/KRE`, {})).body.error,
    ).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/at least one change/) });

    const until = new Date(Date.now() + YEAR_MS).toISOString().slice(0, 10);
    const renewed = await poolSet(org, ['--expires', until, '--json']);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(JSON.parse(renewed.stdout)).toEqual({
      product: 'KRE',
      model: 'floating',
      expiresAt: `${until}T23:59:59.999Z`,
    });
    expect((await activate(org, apiKey)).status).toBe(201);
    expect((await pool(org)).expiresAt).toBe(`${until}T23:59:59.999Z`);
    expect((await audit(org))[0]).toMatchObject({
      who: 'operator',
      action: 'pool changed',
      detail: `KRE floating: expires ${ends.toISOString()} → ${until}T23:59:59.999Z`,
    });
  });

  it('a raised machine quota lets a refused machine in (through --server); the two pools are named by --model and in the path', async () => {
    const { org, apiKey } = await seedOrg(on.server.url, {
      model: 'node-locked',
      quota: 3,
      machineQuota: 1,
    });
    expect((await activate(org, apiKey)).status).toBe(201);
    const refused = await activate(org, apiKey);
    expect(refused).toMatchObject({
      status: 409,
      body: { error: { code: 'MACHINE_QUOTA_EXCEEDED' } },
    });
    const raised = await poolSet(org, ['--machine-quota', '2', '--json'], true);
    expect(raised.code, raised.stderr).toBe(0);
    expect(JSON.parse(raised.stdout)).toEqual({
      product: 'KRE',
      model: 'node-locked',
      machineQuota: 2,
    });
    expect((await activate(org, apiKey)).status).toBe(201);
    expect((await activate(org, apiKey)).body.error.code).toBe('MACHINE_QUOTA_EXCEEDED');

    // A floating pool beside it: the bare product must say which, in the CLI and in the path.
    const floating = await adminCli(
      on.server.dataDir,
      poolCreateArgs(String(org), { model: 'floating', billing: 'monthly', quota: '2' }),
      on.dbEnv,
    );
    expect(floating.code, floating.stderr).toBe(0);
    for (const remote of [false, true]) {
      const bare = await poolSet(org, ['--quota', '9'], remote);
      expect(bare.code).toBe(4);
      expect(bare.stderr).toMatch(/name one \(--model node-locked or --model floating/);
    }
    expect(
      (await adminApi(on.server.url, 'PATCH', `/orgs/${org}/pools/KRE`, { quota: 9 })).status,
    ).toBe(400);
    const named = await poolSet(org, ['--model', 'floating', '--quota', '7'], true);
    expect(named.code, named.stderr).toBe(0);
    const patched = await adminApi(on.server.url, 'PATCH', `/orgs/${org}/pools/KRE-node-locked`, {
      quota: 4,
      outageGraceMinutes: 10,
    });
    expect(patched).toMatchObject({
      status: 200,
      body: { model: 'node-locked', quota: 4, outageGraceMinutes: 10 },
    });
    expect((await pool(org, 'KRE-floating')).quota).toBe(7);
    expect(await pool(org, 'KRE-node-locked')).toMatchObject({
      quota: 4,
      machineQuota: 2,
      outageGraceMinutes: 10,
    });
    const changes = (await audit(org)).filter((e) => e.action === 'pool changed');
    expect(changes.map((e) => [e.who, e.detail])).toEqual([
      ['operator', 'KRE node-locked: quota 3 → 4, outage grace 5 → 10 minutes'],
      ['operator', 'KRE floating: quota 2 → 7'],
      ['operator', 'KRE node-locked: machine quota 1 → 2'],
    ]);
  });

  it('a quota lowered below what is in use ends nothing: the answer and the CLI say so, and new grants are refused until fewer are in use', async () => {
    const { org, apiKey } = await seedOrg(on.server.url, {
      model: 'node-locked',
      quota: 5,
      machineQuota: 10,
    });
    const offline = await adminApi(
      on.server.url,
      'POST',
      `/orgs/${org}/pools/KRE/offline-licenses`,
      {
        machineId: randomMachineId(),
      },
    );
    expect(offline.status, JSON.stringify(offline.body)).toBe(201);
    const sessions: string[] = [];
    for (let i = 0; i < 3; i++) sessions.push((await activate(org, apiKey)).body.session.id);

    const lowered = await poolSet(org, ['--quota', '2', '--json']);
    expect(lowered.code, lowered.stderr).toBe(0);
    const note =
      '3 sessions and 1 offline license are in use, above the new quota 2: they go on; new ones are refused until fewer are in use';
    expect(lowered.stderr).toContain(`warning: ${note}`);
    expect(JSON.parse(lowered.stdout)).toEqual({
      product: 'KRE',
      model: 'node-locked',
      quota: 2,
      note,
    });
    // Nothing ended: each session's heartbeat is answered.
    for (const id of sessions)
      expect(
        (await api(on.server.url, 'POST', `/v1/sessions/${id}/heartbeat`, undefined, apiKey))
          .status,
      ).toBe(200);
    expect(await pool(org)).toMatchObject({
      quota: 2,
      available: 0,
      inUse: { activeSessions: 3, unexpiredOfflineLicenses: 1 },
    });
    const full = await activate(org, apiKey);
    expect(full).toMatchObject({ status: 409, body: { error: { code: 'QUOTA_EXCEEDED' } } });
    expect(full.body.error.message).toBe(
      'all 2 KRE licenses are in use (3 online sessions, 1 offline license)',
    );
    // Two released: still 1 session and 1 offline license, the quota: refused; a third frees one.
    for (const id of sessions.slice(0, 2))
      await api(on.server.url, 'DELETE', `/v1/sessions/${id}`, undefined, apiKey);
    expect((await activate(org, apiKey)).body.error.code).toBe('QUOTA_EXCEEDED');
    await api(on.server.url, 'DELETE', `/v1/sessions/${sessions[2]}`, undefined, apiKey);
    expect((await activate(org, apiKey)).status).toBe(201);

    // Through the admin API, the same note; a machine quota below the registered machines too.
    const patched = await adminApi(on.server.url, 'PATCH', `/orgs/${org}/pools/KRE`, {
      quota: 1,
      machineQuota: 2,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.note).toBe(
      '1 session and 1 offline license are in use, above the new quota 1: they go on; new ones are refused until fewer are in use; 5 machines registered, above the new machine quota 2: they go on; new machines are refused until fewer are registered',
    );
  });

  it('an Owner changes only the outage grace: quota, machine quota and expiry are the operator’s', async () => {
    const { org } = await seedOrg(on.server.url, { quota: 2 });
    const owner = await joinAs(on.server.url, org, `owner-${org}@acme.test`, 'owner');
    const page = await owner.get(`/console/orgs/${org}/licenses`);
    // The console's form sends minutes only; fields added to it change nothing.
    const saved = await owner.post(`/console/orgs/${org}/pools/KRE/outage-grace`, {
      _csrf: csrfOf(page.text),
      minutes: '15',
      quota: '99',
      machineQuota: '99',
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    expect(saved.status).toBe(303);
    expect(await pool(org)).toMatchObject({ quota: 2, machineQuota: 100, outageGraceMinutes: 15 });
    expect((await audit(org))[0]).toMatchObject({
      who: `owner-${org}@acme.test`,
      action: 'pool changed',
      detail: 'KRE floating: outage grace 5 → 15 minutes',
    });
  });

  it('pool create: a floating pool needs no machine quota; a node-locked one must name it', async () => {
    const { org } = await seedOrg(on.server.url, { product: 'KSE' });
    const without = (model: string) =>
      poolCreateArgs(String(org), { model }).filter(
        (_, i, all) => all[i] !== '--machine-quota' && all[i - 1] !== '--machine-quota',
      );
    const nodeLocked = await adminCli(on.server.dataDir, without('node-locked'), on.dbEnv);
    expect(nodeLocked.code).toBe(4);
    expect(nodeLocked.stderr).toContain(
      'a node-locked pool needs its machine quota, how many machines may register (--machine-quota N',
    );
    const body = {
      product: 'KRE',
      model: 'node-locked',
      billing: 'yearly',
      quota: 2,
      expiresAt: new Date(Date.now() + YEAR_MS).toISOString(),
    };
    const api400 = await adminApi(on.server.url, 'POST', `/orgs/${org}/pools`, body);
    expect(api400).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(api400.body.error.message).toContain('"machineQuota" in the admin API');
    const floating = await adminCli(on.server.dataDir, without('floating'), on.dbEnv);
    expect(floating.code, floating.stderr).toBe(0);
    expect(await pool(org, 'KRE-floating')).toMatchObject({ machineQuota: 0, quota: 2 });
    const viaApi = await adminApi(on.server.url, 'POST', `/orgs/${org}/pools`, {
      ...body,
      machineQuota: 3,
    });
    expect(viaApi.status).toBe(201);
  });
});
