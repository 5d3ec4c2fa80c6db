// The pools' counters (open sessions, registered machines) against their rows: a counter left wrong
// in the database (by another version, a hand edit, a restore) never decides a grant, and a start
// counts them again. On both stores, with the counters changed from outside the server.
import { describe, expect, it } from 'vitest';
import { activateIn, onStore, seedOrg, startServer, type TestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/cli.ts';
import { expectCountersAgree, sqlOn, type StoreRef } from '../helpers/counters.ts';
import { stores } from '../../scripts/harness/postgres.ts';

describe.each(stores)('pool counters on $name', (kind) => {
  let server: TestServer;
  let env: Record<string, string> = {};
  let store: StoreRef;
  const dataDir = tempDir('kls-counters-');
  const start = () => startServer({ dataDir, env });
  onStore(
    kind,
    async (made) => {
      env = made;
      store = env.KLS_DATABASE_URL ? { databaseUrl: env.KLS_DATABASE_URL } : { dataDir };
      server = await start();
    },
    () => server?.stop(),
  );

  const setCounters = (org: number, sessions: number, machines: number) =>
    sqlOn(
      store,
      'UPDATE pools SET open_sessions = ?, machine_count = ? WHERE org_id = ?',
      sessions,
      machines,
      org,
    );
  /** `n` activations one after the other; resolves to their statuses (and error codes). */
  const activations = async (org: number, apiKey: string, n: number) => {
    const answers: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await activateIn(server.url, org, apiKey);
      answers.push(r.status === 201 ? '201' : `${r.status} ${r.body.error.code}`);
    }
    return answers;
  };

  it('counters set to 0 while 3 sessions live on a quota-5 pool: no more than 2 more are granted', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 5 });
    expect(await activations(org, apiKey, 3)).toEqual(['201', '201', '201']);
    await setCounters(org, 0, 0);
    expect(await activations(org, apiKey, 4)).toEqual([
      '201',
      '201',
      '409 QUOTA_EXCEEDED',
      '409 QUOTA_EXCEEDED',
    ]);
    await expectCountersAgree(store);
  });

  it('counters set high on an empty pool: grants work up to the quota and the machine quota', async () => {
    const { org, apiKey } = await seedOrg(server.url, {
      quota: 3,
      machineQuota: 2,
      model: 'node-locked',
    });
    await setCounters(org, 50, 1000);
    expect(await activations(org, apiKey, 3)).toEqual(['201', '201', '409 MACHINE_QUOTA_EXCEEDED']);
    await expectCountersAgree(store);
  });

  it('counters left wrong while the server was stopped are counted again at its start', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 5 });
    expect(await activations(org, apiKey, 2)).toEqual(['201', '201']);
    await server.stop();
    await setCounters(org, 0, 40);
    server = await start();
    await expectCountersAgree(store);
  }, 30_000);
});
