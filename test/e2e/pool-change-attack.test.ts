// Attacks on the admin API's pool changes and what it reads: a time its schema accepts but that is
// no instant (a leap second, 23:59:60), and a null where a number goes (read as 0, it zeroed a
// subscription), are bad requests that change nothing, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminApi,
  randomMachineId,
  seedOrg,
  startServer,
  type TestServer,
} from '../helpers/server.ts';

describe('pool changes with odd instants', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  it('a leap second in expiresAt (pool set, pool create, offline create) is a 400 that changes nothing', async () => {
    const { org } = await seedOrg(server.url, { model: 'node-locked', quota: 3, machineQuota: 3 });
    // The pool as it stands (its latest offline expiry moves with the clock).
    const shown = async () => {
      const pool = (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`)).body;
      delete pool.latestOfflineExpiry;
      return pool;
    };
    const before = await shown();
    const leap = '2030-12-31T23:59:60Z';
    const answers = [
      await adminApi(server.url, 'PATCH', `/orgs/${org}/pools/KRE`, { expiresAt: leap }),
      await adminApi(server.url, 'POST', `/orgs/${org}/pools`, {
        product: 'KSE',
        model: 'floating',
        billing: 'yearly',
        quota: 2,
        expiresAt: leap,
      }),
      await adminApi(server.url, 'POST', `/orgs/${org}/pools/KRE/offline-licenses`, {
        machineId: randomMachineId(),
        expiresAt: leap,
      }),
    ];
    for (const answer of answers)
      expect(answer, JSON.stringify(answer.body)).toMatchObject({
        status: 400,
        body: { error: { code: 'BAD_REQUEST', message: expect.stringContaining(leap) } },
      });
    expect(await shown()).toEqual(before);
    expect((await adminApi(server.url, 'GET', `/orgs/${org}/pools/KSE`)).status).toBe(404);
    expect(server.logs()).not.toContain('"level":50');
  });

  it('a null where a number goes ({"quota": null}, as a client sends a field it leaves unset) is a 400, not a quota of 0', async () => {
    const { org } = await seedOrg(server.url, { model: 'node-locked', quota: 3, machineQuota: 3 });
    for (const body of [
      { quota: null, outageGraceMinutes: 10 },
      { machineQuota: null },
      { outageGraceMinutes: null },
    ]) {
      const answer = await adminApi(server.url, 'PATCH', `/orgs/${org}/pools/KRE`, body);
      expect(answer, JSON.stringify(body)).toMatchObject({
        status: 400,
        body: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/null/) } },
      });
    }
    expect((await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`)).body).toMatchObject({
      quota: 3,
      machineQuota: 3,
      outageGraceMinutes: 5,
    });
  });
});
