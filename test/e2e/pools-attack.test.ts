// Attacks on node-locked and floating pools side by side: races across both pools, pool names in
// paths, KSE licensed users of one pool, cross-organisation console actions.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import { csrfOf, joinAs } from '../helpers/console.ts';
import { startKatalonc, userEnv, waitFor } from '../helpers/cli.ts';
import { expectCountersAgree, sqlOn } from '../helpers/counters.ts';
import {
  adminApi,
  adminCli,
  api,
  poolCreateArgs,
  randomMachineId,
  seedOrg,
  serverOnStore,
  startServer,
} from '../helpers/server.ts';

describe.each(stores)('attacks on two pools on $name', (store) => {
  const on = serverOnStore(store);
  const twoPools = async (product = 'KRE', nl = { quota: 2, machineQuota: 2 }, fl = 3) => {
    const seed = await seedOrg(on.server.url, {
      product: product as 'KRE',
      model: 'node-locked',
      ...nl,
    });
    const r = await adminCli(
      on.server.dataDir,
      poolCreateArgs(String(seed.org), {
        product,
        model: 'floating',
        billing: 'monthly',
        quota: String(fl),
      }),
      on.dbEnv,
    );
    expect(r.code, r.stderr).toBe(0);
    return seed;
  };
  const activate = (org: number, apiKey: string, machineId: string, product = 'KRE') =>
    api(on.server.url, 'POST', '/v1/sessions', { orgId: org, product, machineId }, apiKey);
  const pool = async (org: number, name: string) =>
    (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/${name}`)).body;

  it('many concurrent activations never exceed either pool', async () => {
    const { org, apiKey } = await twoPools();
    const machines = Array.from({ length: 8 }, () => randomMachineId());
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => activate(org, apiKey, machines[i % machines.length])),
    );
    const granted = results.filter((r) => r.status === 201);
    const others = results.filter((r) => r.status !== 201);
    expect(others.map((r) => r.body.error?.code).filter((c) => c !== 'QUOTA_EXCEEDED')).toEqual([]);
    expect(granted.length).toBe(5);
    const nl = await pool(org, 'KRE-node-locked');
    const fl = await pool(org, 'KRE-floating');
    expect(nl.onlineSessions.length).toBe(2);
    expect(nl.registeredMachines.length).toBeLessThanOrEqual(2);
    expect(fl.onlineSessions.length).toBe(3);
    await expectCountersAgree(on.storeRef());
  });

  it('odd pool names in paths are refused, never another pool', async () => {
    const { org } = await twoPools();
    for (const name of [
      'kre-floating',
      'KRE-Floating',
      'KRE-floating%20',
      'KRE-floating%0A',
      'KRE%2Dfloating',
      'KRE-',
      'KRE-node-locked-floating',
      '..%2FKRE',
      'KRE-floating,KRE',
    ]) {
      const r = await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/${name}`);
      if (name === 'KRE%2Dfloating') expect(r.body.model, name).toBe('floating');
      else expect(r.status, name).toBe(400);
    }
  });

  it('a KSE user licensed in one pool runs only there, and a withdrawal there ends only that', async () => {
    const { org, apiKey, email } = await twoPools('KSE', { quota: 1, machineQuota: 5 }, 2);
    // Not licensed anywhere: refused.
    expect((await activate(org, apiKey, randomMachineId(), 'KSE')).body.error.code).toBe(
      'NOT_LICENSED_USER',
    );
    const grant = await adminApi(
      on.server.url,
      'POST',
      `/orgs/${org}/pools/KSE-floating/licensed-users`,
      { email },
    );
    expect(grant.status, JSON.stringify(grant.body)).toBeLessThan(300);
    const a = await activate(org, apiKey, randomMachineId(), 'KSE');
    expect(a.body.pool?.model, JSON.stringify(a.body)).toBe('floating');
    const b = await activate(org, apiKey, randomMachineId(), 'KSE');
    expect(b.body.pool.model).toBe('floating');
    // floating full; node-locked not licensed: must not spill into node-locked.
    const c = await activate(org, apiKey, randomMachineId(), 'KSE');
    expect(c.status).toBe(409);
    expect((await pool(org, 'KSE-node-locked')).onlineSessions).toEqual([]);
    expect((await pool(org, 'KSE-node-locked')).registeredMachines).toEqual([]);
    // Licensed in node-locked too: a third run goes there; then withdrawn there: that one ends only.
    await adminApi(on.server.url, 'POST', `/orgs/${org}/pools/KSE-node-locked/licensed-users`, {
      email,
    });
    const d = await activate(org, apiKey, randomMachineId(), 'KSE');
    expect(d.body.pool.model).toBe('node-locked');
    const revoke = await adminApi(
      on.server.url,
      'DELETE',
      `/orgs/${org}/pools/KSE-node-locked/licensed-users/${email}`,
    );
    expect(revoke.body.sessionsEnded).toBe(1);
    expect((await pool(org, 'KSE-floating')).onlineSessions).toHaveLength(2);
    await expectCountersAgree(on.storeRef());
  });

  it("another organisation's Owner cannot act on or see this organisation's pools in the console", async () => {
    const victim = await twoPools();
    const m = randomMachineId();
    await activate(victim.org, victim.apiKey, m);
    const other = await seedOrg(on.server.url);
    const owner = await joinAs(on.server.url, other.org, `owner-${other.org}@evil.test`, 'owner');
    const page = await owner.get(`/console/orgs/${other.org}/licenses`);
    const _csrf = csrfOf(page.text);
    for (const name of ['KRE-node-locked', 'KRE-floating', 'KRE']) {
      const r = await owner.post(`/console/orgs/${victim.org}/pools/${name}/machines/remove`, {
        _csrf,
        machineId: m,
      });
      expect(r.status, name).not.toBe(303);
      const off = await owner.post(`/console/orgs/${victim.org}/pools/${name}/offline-licenses`, {
        _csrf,
        machineId: m,
        kind: 'testing',
        expires: '',
      });
      // Issued, it would answer 303 (to the page that says so).
      expect(off.status, name).not.toBe(303);
    }
    expect((await owner.get(`/console/orgs/${victim.org}/licenses`)).status).not.toBe(200);
    expect((await pool(victim.org, 'KRE-node-locked')).registeredMachines).toHaveLength(1);
    // Member of the victim org cannot either.
    const member = await joinAs(
      on.server.url,
      victim.org,
      `member-${victim.org}@acme.test`,
      'member',
    );
    const mp = await member.get(`/console/orgs`);
    const r = await member.post(
      `/console/orgs/${victim.org}/pools/KRE-node-locked/machines/remove`,
      { _csrf: csrfOf(mp.text), machineId: m },
    );
    expect(r.status).not.toBe(303);
    expect((await pool(victim.org, 'KRE-node-locked')).registeredMachines).toHaveLength(1);
  });

  it('an Admin cannot change either pool outage grace; a key holder has no admin API; another org Owner cannot fetch a license file', async () => {
    const victim = await twoPools();
    const issued = await adminApi(
      on.server.url,
      'POST',
      `/orgs/${victim.org}/pools/KRE-node-locked/offline-licenses`,
      { machineId: randomMachineId() },
    );
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const admin = await joinAs(on.server.url, victim.org, `admin-${victim.org}@acme.test`, 'admin');
    const page = await admin.get(`/console/orgs/${victim.org}/licenses`);
    expect(page.status).toBe(200);
    for (const name of ['KRE-node-locked', 'KRE-floating']) {
      const r = await admin.post(`/console/orgs/${victim.org}/pools/${name}/outage-grace`, {
        _csrf: csrfOf(page.text),
        minutes: '60',
      });
      expect(r.status, name).toBe(403);
      expect((await pool(victim.org, name)).outageGraceMinutes).toBe(5);
    }
    for (const path of [
      `/v1/admin/orgs/${victim.org}/pools/KRE-floating`,
      `/v1/admin/orgs/${victim.org}/pools/KRE-node-locked/licensed-users`,
    ])
      expect([401, 403, 404]).toContain(
        (await api(on.server.url, 'GET', path, undefined, victim.apiKey)).status,
      );
    const other = await seedOrg(on.server.url, { model: 'node-locked' });
    const owner = await joinAs(on.server.url, other.org, `owner-${other.org}@evil.test`, 'owner');
    for (const name of ['KRE', 'KRE-node-locked', 'KRE-floating']) {
      const r = await owner.get(
        `/console/orgs/${other.org}/pools/${name}/offline-licenses/${issued.body.id}`,
      );
      expect(r.status, name).not.toBe(200);
      expect(r.text).not.toContain('BEGIN');
      const mine = await owner.get(
        `/console/orgs/${victim.org}/pools/${name}/offline-licenses/${issued.body.id}`,
      );
      expect(mine.status, name).not.toBe(200);
    }
  });

  it('activations racing releases, machine removals and offline issues keep every pool within its quotas', async () => {
    const { org, apiKey } = await twoPools('KRE', { quota: 4, machineQuota: 3 }, 5);
    const machines = Array.from({ length: 12 }, () => randomMachineId());
    const rounds = Number(process.env.ATTACK_ROUNDS ?? 3);
    for (let round = 0; round < rounds; round++) {
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) {
        const m = machines[(i * 7 + round) % machines.length];
        work.push(
          activate(org, apiKey, m).then(async (r) => {
            if (r.status === 201 && i % 3 === 0)
              await api(
                on.server.url,
                'DELETE',
                `/v1/sessions/${r.body.session.id}`,
                undefined,
                apiKey,
              );
          }),
        );
        if (i % 15 === 0)
          work.push(
            adminApi(on.server.url, 'DELETE', `/orgs/${org}/pools/KRE-node-locked/machines/${m}`),
          );
        if (i % 20 === 0)
          work.push(
            adminApi(on.server.url, 'POST', `/orgs/${org}/pools/KRE-node-locked/offline-licenses`, {
              machineId: m,
            }),
          );
      }
      await Promise.all(work);
      const nl = await pool(org, 'KRE-node-locked');
      const fl = await pool(org, 'KRE-floating');
      expect(nl.onlineSessions.length + nl.offlineLicenses.length).toBeLessThanOrEqual(4);
      expect(nl.registeredMachines.length).toBeLessThanOrEqual(3);
      expect(fl.onlineSessions.length).toBeLessThanOrEqual(5);
      await expectCountersAgree(on.storeRef());
    }
  });

  it('a machine holding an unexpired offline license keeps its place in the machine quota', async () => {
    const { org } = await twoPools('KRE', { quota: 3, machineQuota: 1 }, 1);
    // Each machine gets an offline license (it cannot be revoked), then the admin removes it.
    for (const m of [randomMachineId(), randomMachineId(), randomMachineId()]) {
      const issued = await adminApi(
        on.server.url,
        'POST',
        `/orgs/${org}/pools/KRE-node-locked/offline-licenses`,
        { machineId: m },
      );
      if (issued.status !== 201) break;
      await adminApi(on.server.url, 'DELETE', `/orgs/${org}/pools/KRE-node-locked/machines/${m}`);
    }
    // The machines that can run on the node-locked pool: those with an offline license, and those registered.
    const nl = await pool(org, 'KRE-node-locked');
    const running = new Set([
      ...nl.offlineLicenses.map((l: { machineId: string }) => l.machineId),
      ...nl.registeredMachines.map((m: { machineId: string }) => m.machineId),
    ]);
    expect(running.size).toBeLessThanOrEqual(1);
  });

  it('the session list says which pool each session holds a license of', async () => {
    const { org, apiKey } = await twoPools('KRE', { quota: 1, machineQuota: 1 }, 1);
    const nl = await activate(org, apiKey, randomMachineId());
    const fl = await activate(org, apiKey, randomMachineId());
    const listed = await adminCli(
      on.server.dataDir,
      ['session', 'list', '--org', String(org), '--json'],
      on.dbEnv,
    );
    expect(listed.code, listed.stderr).toBe(0);
    const byId = Object.fromEntries(
      JSON.parse(listed.stdout).sessions.map((s: { id: string; model?: string }) => [
        s.id,
        s.model,
      ]),
    );
    expect(byId).toEqual({
      [nl.body.session.id]: 'node-locked',
      [fl.body.session.id]: 'floating',
    });
  });

  it('parallel katalonc runs of one machine take the node-locked seat, then the floating ones, and no more', async () => {
    const { org, apiKey } = await twoPools('KRE', { quota: 1, machineQuota: 1 }, 2);
    const env = userEnv(undefined, { KATALON_API_KEY: apiKey });
    const line = `run -orgID=${org} -serverUrl=${on.server.url} -enableLicenseRetry=false -- sleep 3`;
    const args = line.split(' ');
    const runs = Array.from({ length: 6 }, () => startKatalonc(args, env));
    const results = await Promise.all(runs.map((r) => r.result));
    const ran = results.filter((r) => r.code === 0);
    expect(
      ran.map((r) => /Online session \S+ \(KRE ([a-z-]+),/.exec(r.stderr)?.[1]).sort(),
    ).toEqual(['floating', 'floating', 'node-locked']);
    expect(results.filter((r) => r.code !== 0).map((r) => r.code)).toEqual([6, 6, 6]);
    await expectCountersAgree(on.storeRef());
  });

  it('concurrent grants never make more licensed users than a KSE pool quota, in either pool', async () => {
    const { org } = await twoPools('KSE', { quota: 2, machineQuota: 5 }, 3);
    const emails = Array.from({ length: 10 }, (_, i) => `racer${i}-${org}@acme.test`);
    for (const email of emails)
      await adminApi(on.server.url, 'POST', `/orgs/${org}/users`, { email });
    await Promise.all(
      ['KSE-node-locked', 'KSE-floating'].flatMap((name) =>
        emails.map((email) =>
          adminApi(on.server.url, 'POST', `/orgs/${org}/pools/${name}/licensed-users`, { email }),
        ),
      ),
    );
    expect((await pool(org, 'KSE-node-locked')).licensedUsers).toHaveLength(2);
    expect((await pool(org, 'KSE-floating')).licensedUsers).toHaveLength(3);
  });

  // Replicas share a database only on PostgreSQL: the SQLite store has no such test to skip.
  if (store.postgres)
    it('two replicas on one database: activations racing on both never exceed either pool', async () => {
      const { org, apiKey } = await twoPools('KRE', { quota: 3, machineQuota: 2 }, 4);
      const second = await startServer({ env: on.dbEnv });
      try {
        const machines = Array.from({ length: 6 }, () => randomMachineId());
        const results = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            api(
              (i % 2 ? second : on.server).url,
              'POST',
              '/v1/sessions',
              { orgId: org, product: 'KRE', machineId: machines[i % machines.length] },
              apiKey,
            ),
          ),
        );
        expect(results.filter((r) => r.status === 201)).toHaveLength(7);
        const nl = await pool(org, 'KRE-node-locked');
        expect(nl.onlineSessions).toHaveLength(3);
        expect(nl.registeredMachines.length).toBeLessThanOrEqual(2);
        expect((await pool(org, 'KRE-floating')).onlineSessions).toHaveLength(4);
        await expectCountersAgree(on.storeRef());
      } finally {
        await second.stop();
      }
    });
});

describe.each(stores)('a removed machine on $name', (store) => {
  const on = serverOnStore(store, ['--lease-seconds', '2', '--heartbeat-seconds', '1']);

  /**
   * A run cut off from the server (its lease runs out and the server's sweep ends its session), its
   * machine removed by the admin (no session of it runs now), then `meanwhile`, then the run comes
   * back within the outage grace: its resume's answer.
   */
  const removedWhileCutOff = async (
    pool: { quota: number; machineQuota: number },
    meanwhile: (
      activate: (machineId: string) => Promise<{ status: number }>,
      m1: string,
    ) => Promise<void>,
  ) => {
    const { org, apiKey } = await seedOrg(on.server.url, { model: 'node-locked', ...pool });
    const storeRef = on.storeRef();
    const activate = (machineId: string) =>
      api(on.server.url, 'POST', '/v1/sessions', { orgId: org, product: 'KRE', machineId }, apiKey);
    const m1 = randomMachineId();
    const s1 = (await activate(m1)).body.session.id as string;
    await waitFor(
      async () =>
        (await sqlOn(storeRef, 'SELECT ended_at FROM sessions WHERE id = ?', s1))[0].ended_at !==
        null,
      30_000,
      'the sweep to end the cut-off session',
    );
    const removed = await adminApi(
      on.server.url,
      'DELETE',
      `/orgs/${org}/pools/KRE-node-locked/machines/${m1}`,
    );
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    await meanwhile(activate, m1);
    const resumed = await api(
      on.server.url,
      'POST',
      `/v1/sessions/${s1}/resume`,
      undefined,
      apiKey,
    );
    expect(resumed).toMatchObject({
      status: 410,
      body: {
        error: {
          code: 'SESSION_TERMINATED',
          message: `the session was ended: machine ${m1} was removed by an admin`,
        },
      },
    });
    await expectCountersAgree(storeRef);
    return org;
  };

  it('a session of a removed machine, ended by its lease, is not resumed: the removal ends it for good', async () => {
    // Another machine takes the pool's one machine place: the cut-off run must not run beside it.
    const org = await removedWhileCutOff({ quota: 2, machineQuota: 1 }, async (activate) => {
      expect((await activate(randomMachineId())).status).toBe(201);
    });
    const shown = (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KRE`)).body;
    const running = new Set(shown.onlineSessions.map((s: { machineId: string }) => s.machineId));
    expect(running.size).toBe(1);
  }, 60_000);

  it('nor when the same machine registers again with a new run meanwhile: the removal ended the cut-off run for good', async () => {
    // The next CI job on that machine activates: the machine is registered again, as it may be.
    await removedWhileCutOff({ quota: 3, machineQuota: 2 }, async (activate, m1) => {
      expect((await activate(m1)).status).toBe(201);
    });
  }, 60_000);
});
