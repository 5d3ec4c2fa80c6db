// The licensing service on a real SQLite store in a temp dir, with a controlled clock.
import { describe, expect, it } from 'vitest';
import { openDataDir } from '../../src/server/data-dir.ts';
import { createService } from '../../src/server/service/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { randomMachineId } from '../helpers/server.ts';

const setup = async (quota: number) => {
  let now = Date.UTC(2026, 10, 23);
  const dir = tempDir('kls-unit-');
  const { store, issuer } = await openDataDir(dir);
  const signingKey = issuer;
  const clock = () => now;
  const l = createService(store, signingKey, {
    settings: { leaseMs: 60_000, heartbeatMs: 20_000 },
    clock,
  });
  const org = (await l.createOrg('Acme')).id;
  await l.addUser(org, 'a@acme.test');
  const user = (await l.authenticate((await l.createApiKey(org, 'a@acme.test')).apiKey))!;
  await l.createPool({
    orgId: org,
    product: 'KRE',
    model: 'floating',
    billing: 'yearly',
    quota,
    machineQuota: 100,
    expiresAt: now + 365 * 86_400_000,
  });
  const activate = async () =>
    (await l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() })).session
      .id;
  return {
    l,
    org,
    user,
    activate,
    advance: (ms: number) => (now += ms),
    store,
    dir,
    signingKey,
    clock,
  };
};

describe('heartbeats are group-committed, and counts stay exact', () => {
  it('a heartbeat not yet flushed still keeps its session counted and shown', async () => {
    const { l, org, user, activate, advance } = await setup(1);
    const session = await activate();
    advance(50_000);
    await l.heartbeat(user, session); // lease now ends at +110 s, pending in memory
    advance(20_000); // +70 s: past the stored lease, within the heartbeat's
    await expect(activate()).rejects.toThrow(/in use/);
    expect((await l.poolShow(org, { product: 'KRE' })).onlineSessions.map((s) => s.id)).toEqual([
      session,
    ]);
    advance(41_000); // +111 s: the lease has passed
    expect(await activate()).not.toBe(session);
    await expect(l.heartbeat(user, session)).rejects.toThrow(/lease ran out/);
  });

  it('a flush writes the extended leases; a terminated session is not revived by a pending heartbeat', async () => {
    const { l, user, activate, advance, store } = await setup(2);
    const a = await activate();
    const b = await activate();
    advance(10_000);
    await l.heartbeat(user, a);
    await l.heartbeat(user, b);
    await l.terminateSession(b);
    await l.tick();
    const rows = await store.all<{ id: string; lease_expires_at: number; ended_at: number | null }>(
      'SELECT id, lease_expires_at, ended_at FROM sessions ORDER BY created_at',
    );
    expect(rows.find((r) => r.id === a)!.lease_expires_at).toBe(Date.UTC(2026, 10, 23) + 70_000);
    expect(rows.find((r) => r.id === b)!.ended_at).not.toBeNull();
    await expect(l.heartbeat(user, b)).rejects.toThrow(/terminated by an admin/);
  });

  it('a flush that fails keeps its leases, and the next tick writes them', async () => {
    const { user, org, store, signingKey, clock, advance } = await setup(1);
    let failNext = false;
    const flaky = {
      ...store,
      transaction: <T>(fn: Parameters<typeof store.transaction<T>>[0]) =>
        failNext
          ? ((failNext = false), Promise.reject(new Error('disk I/O error')))
          : store.transaction(fn),
    };
    const l = createService(flaky, signingKey, {
      settings: { leaseMs: 60_000, heartbeatMs: 20_000 },
      clock,
    });
    const { session } = await l.activate(user, {
      orgId: org,
      product: 'KRE',
      machineId: randomMachineId(),
    });
    advance(50_000);
    await l.heartbeat(user, session.id);
    failNext = true;
    await expect(l.tick()).rejects.toThrow(/disk I\/O error/);
    await l.tick();
    expect(
      (await store.get<{ lease_expires_at: number }>(
        'SELECT lease_expires_at FROM sessions WHERE id = ?',
        session.id,
      ))!.lease_expires_at,
    ).toBe(clock() + 60_000);
  });

  it('concurrent activations on one connection take turns: never more sessions than the quota', async () => {
    const { activate, store } = await setup(5);
    const results = await Promise.allSettled(Array.from({ length: 40 }, activate));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect((await store.get<{ n: number }>('SELECT count(*) AS n FROM sessions'))!.n).toBe(5);
  });
});

describe('a quota lowered below what is in use', () => {
  it("ending crashed runs' sessions makes no room while the live ones are still above it", async () => {
    const { l, org, activate, advance } = await setup(4);
    await activate();
    await activate();
    advance(61_000); // both leases ran out: crashed runs, not yet marked ended
    await activate();
    await activate();
    const changed = await l.changePool(org, { product: 'KRE' }, { quota: 1 });
    expect(changed.note).toMatch(
      /^2 sessions and 0 offline licenses are in use, above the new quota 1/,
    );
    // Two live sessions, quota 1: refused, though the two lapsed ones are ended on the way.
    await expect(activate()).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect((await l.poolShow(org, { product: 'KRE' })).inUse.activeSessions).toBe(2);
  });
});

describe('live sessions answered from memory', () => {
  it('an ending committed by another process applies at the next tick; one made here at once', async () => {
    const { l, user, activate, dir } = await setup(3);
    const a = await activate();
    const b = await activate();
    await l.heartbeat(user, a);
    const other = (await openDataDir(dir)).store; // a second connection, as the admin subcommand opens
    await other.run(
      "UPDATE sessions SET ended_at = 1, end_reason = 'terminated by an admin' WHERE id = ?",
      a,
    );
    await other.close();
    expect((await l.heartbeat(user, a)).id).toBe(a); // within the tick
    await l.tick();
    await expect(l.heartbeat(user, a)).rejects.toThrow(/terminated by an admin/);
    await l.terminateSession(b, 'terminated here');
    await expect(l.heartbeat(user, b)).rejects.toThrow(/terminated here/);
  });

  it('memory never answers for another user or past the lease; a restarted service reads the rows', async () => {
    const { l, org, user, activate, advance, store, signingKey, clock } = await setup(2);
    const session = await activate();
    await l.addUser(org, 'b@acme.test');
    const stranger = (await l.authenticate((await l.createApiKey(org, 'b@acme.test')).apiKey))!;
    await expect(l.heartbeat(stranger, session)).rejects.toThrow(/no session/);
    advance(30_000);
    await l.heartbeat(user, session); // lease to +90 s
    await l.tick();
    const restarted = createService(store, signingKey, {
      settings: { leaseMs: 60_000, heartbeatMs: 20_000 },
      clock,
    });
    advance(59_000);
    expect(Date.parse((await restarted.heartbeat(user, session)).leaseExpiresAt)).toBe(
      clock() + 60_000,
    );
    advance(61_000);
    await expect(restarted.heartbeat(user, session)).rejects.toThrow(/lease ran out/);
    await expect(l.heartbeat(user, session)).rejects.toThrow(/lease ran out/);
  });
});

describe('authentication reuse', () => {
  it('a revocation through this server applies at once; one by another process within a second', async () => {
    const { l, org, advance, dir } = await setup(1);
    const { apiKey, id } = await l.createApiKey(org, 'a@acme.test');
    expect(await l.authenticate(apiKey)).not.toBeNull();
    await l.revokeApiKey(id);
    expect(await l.authenticate(apiKey)).toBeNull();

    const second = await l.createApiKey(org, 'a@acme.test');
    expect(await l.authenticate(second.apiKey)).not.toBeNull();
    const other = (await openDataDir(dir)).store; // as the admin subcommand, another process, does
    await other.run('UPDATE api_keys SET revoked_at = 1 WHERE id = ?', second.id);
    await other.close();
    advance(500);
    expect(await l.authenticate(second.apiKey)).not.toBeNull();
    advance(600);
    expect(await l.authenticate(second.apiKey)).toBeNull();
  });
});
