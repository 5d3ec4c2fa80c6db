// The licensing service on a real SQLite store in a temp dir, with a controlled clock.
import { describe, expect, it } from 'vitest';
import { openDataDir } from '../../src/server/data-dir.ts';
import { createLicensing } from '../../src/server/licensing.ts';
import { tempDir } from '../helpers/cli.ts';
import { randomMachineId } from '../helpers/server.ts';

const setup = (quota: number) => {
  let now = Date.UTC(2026, 10, 23);
  const dir = tempDir('kls-unit-');
  const { store, signingKey } = openDataDir(dir);
  const l = createLicensing(store, signingKey, { leaseMs: 60_000, heartbeatMs: 20_000 }, () => now);
  const org = l.createOrg('Acme').id;
  l.addUser(org, 'a@acme.test');
  const user = l.authenticate(l.createApiKey(org, 'a@acme.test').apiKey)!;
  l.createPool({ orgId: org, product: 'KRE', model: 'floating', billing: 'yearly', quota, machineQuota: 100, expiresAt: now + 365 * 86_400_000 });
  return { l, org, user, advance: (ms: number) => (now += ms), store, dir, signingKey, clock: () => now };
};

describe('heartbeats are group-committed, and counts stay exact', () => {
  it('a heartbeat not yet flushed still keeps its session counted and shown', () => {
    const { l, org, user, advance } = setup(1);
    const { session } = l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() });
    advance(50_000);
    l.heartbeat(user, session.id); // lease now ends at +110 s, pending in memory
    advance(20_000); // +70 s: past the stored lease, within the heartbeat's
    expect(() => l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() })).toThrow(/in use/);
    expect(l.poolShow(org, 'KRE').onlineSessions.map((s) => s.id)).toEqual([session.id]);
    advance(41_000); // +111 s: the lease has passed
    expect(l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() }).session.id).not.toBe(session.id);
    expect(() => l.heartbeat(user, session.id)).toThrow(/lease ran out/);
  });

  it('a flush writes the extended leases; a terminated session is not revived by a pending heartbeat', () => {
    const { l, org, user, advance, store } = setup(2);
    const a = l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() }).session.id;
    const b = l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() }).session.id;
    advance(10_000);
    l.heartbeat(user, a);
    l.heartbeat(user, b);
    l.terminateSession(b);
    l.tick();
    const rows = store.all<{ id: string; lease_expires_at: number; ended_at: number | null }>('SELECT id, lease_expires_at, ended_at FROM sessions ORDER BY created_at');
    expect(rows.find((r) => r.id === a)!.lease_expires_at).toBe(Date.UTC(2026, 10, 23) + 70_000);
    expect(rows.find((r) => r.id === b)!.ended_at).not.toBeNull();
    expect(() => l.heartbeat(user, b)).toThrow(/terminated by an admin/);
  });
});

describe('live sessions answered from memory', () => {
  it('an ending committed by another process applies at the next tick; one made here at once', () => {
    const { l, org, user, dir } = setup(3);
    const [a, b] = [0, 1].map(() => l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() }).session.id) as [string, string];
    l.heartbeat(user, a);
    const other = openDataDir(dir).store; // a second connection, as the admin subcommand opens
    other.run("UPDATE sessions SET ended_at = 1, end_reason = 'terminated by an admin' WHERE id = ?", a);
    other.close();
    expect(l.heartbeat(user, a).id).toBe(a); // within the tick
    l.tick();
    expect(() => l.heartbeat(user, a)).toThrow(/terminated by an admin/);
    l.terminateSession(b, 'terminated here');
    expect(() => l.heartbeat(user, b)).toThrow(/terminated here/);
  });

  it('memory never answers for another user or past the lease; a restarted service reads the rows', () => {
    const { l, org, user, advance, store, signingKey, clock } = setup(2);
    const { session } = l.activate(user, { orgId: org, product: 'KRE', machineId: randomMachineId() });
    l.addUser(org, 'b@acme.test');
    const stranger = l.authenticate(l.createApiKey(org, 'b@acme.test').apiKey)!;
    expect(() => l.heartbeat(stranger, session.id)).toThrow(/no session/);
    advance(30_000);
    l.heartbeat(user, session.id); // lease to +90 s
    l.tick();
    const restarted = createLicensing(store, signingKey, { leaseMs: 60_000, heartbeatMs: 20_000 }, clock);
    advance(59_000);
    expect(Date.parse(restarted.heartbeat(user, session.id).leaseExpiresAt)).toBe(clock() + 60_000);
    advance(61_000);
    expect(() => restarted.heartbeat(user, session.id)).toThrow(/lease ran out/);
    expect(() => l.heartbeat(user, session.id)).toThrow(/lease ran out/);
  });
});

describe('authentication reuse', () => {
  it('a revocation through this server applies at once; one by another process within a second', () => {
    const { l, org, advance, store } = setup(1);
    const { apiKey, id } = l.createApiKey(org, 'a@acme.test');
    expect(l.authenticate(apiKey)).not.toBeNull();
    l.revokeApiKey(id);
    expect(l.authenticate(apiKey)).toBeNull();

    const second = l.createApiKey(org, 'a@acme.test');
    expect(l.authenticate(second.apiKey)).not.toBeNull();
    store.run('UPDATE api_keys SET revoked_at = 1 WHERE id = ?', second.id); // as the admin subcommand, another process, does
    advance(500);
    expect(l.authenticate(second.apiKey)).not.toBeNull();
    advance(600);
    expect(l.authenticate(second.apiKey)).toBeNull();
  });
});
