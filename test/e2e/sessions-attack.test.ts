// Attacks on running sessions through the client API of a real server, by a key holder of another
// organisation who read a session's ID where katalonc prints it (a CI job's log: "Holding online
// session <id> while running …"): the session stays its holder's alone. And by its own holder, who
// cuts their run off from the server again and again (SIGSTOP of katalonc, or a proxy that drops its
// heartbeats) so that its seat serves other runs meanwhile.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import {
  activateIn,
  adminApi,
  api,
  heartbeatIn,
  seedOrg,
  serverOnStore,
} from '../helpers/server.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(stores)('a session under attack on $name', (store) => {
  const on = serverOnStore(store, ['--lease-seconds', '3', '--heartbeat-seconds', '1']);

  it("heartbeats sent for it with another organisation's key, as fast as they go, do not keep its own heartbeats from extending its lease", async () => {
    const victim = await seedOrg(on.server.url);
    const attacker = await seedOrg(on.server.url);
    const id = (await activateIn(on.server.url, victim.org, victim.apiKey)).body.session
      .id as string;
    let flooding = true;
    const flood = Array.from({ length: 8 }, async () => {
      let refused = 0;
      while (flooding) {
        const r = await heartbeatIn(on.server.url, id, attacker.apiKey);
        expect(r.status).toBe(404); // never the victim's lease
        refused++;
      }
      return refused;
    });
    // The run heartbeats every half second for twice its lease: each answer a fresh lease.
    const answers: { status: number; lease: number; sent: number }[] = [];
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      const sent = Date.now();
      const r = await heartbeatIn(on.server.url, id, victim.apiKey);
      answers.push({ status: r.status, lease: Date.parse(r.body.leaseExpiresAt), sent });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    flooding = false;
    expect((await Promise.all(flood)).reduce((a, b) => a + b)).toBeGreaterThan(100);
    const stale = answers.filter((a) => a.status !== 200 || !(a.lease >= a.sent + 2500));
    expect(stale, JSON.stringify(stale)).toEqual([]);
  }, 60_000);

  it("a run cut off again and again is resumed for its pool's outage grace in all, not for each cut-off: its seat serves another run meanwhile", async () => {
    const o = await seedOrg(on.server.url, { quota: 1 });
    await adminApi(on.server.url, 'PATCH', `/orgs/${o.org}/pools/KRE`, { outageGraceMinutes: 1 });
    const id = (await activateIn(on.server.url, o.org, o.apiKey)).body.session.id as string;
    const resume = () =>
      api(on.server.url, 'POST', `/v1/sessions/${id}/resume`, undefined, o.apiKey);
    /** Another run takes the seat the lapsed session left, and leaves. */
    const another = async () => {
      const b = await activateIn(on.server.url, o.org, o.apiKey);
      expect(b.status).toBe(201);
      await api(on.server.url, 'DELETE', `/v1/sessions/${b.body.session.id}`, undefined, o.apiKey);
    };
    // Cut off for 35 s (32 past the lease): within the grace, resumed.
    await pause(35_000);
    await another();
    expect((await resume()).status).toBe(200);
    // Cut off for 32 s more: 64 s past leases in all, more than the minute of grace.
    await pause(35_000);
    await another();
    const again = await resume();
    expect(again.status, JSON.stringify(again.body)).toBe(410);
    expect(again.body.error.code).toBe('SESSION_EXPIRED');
    expect(again.body.error.message).toMatch(/outage grace \(1 minutes/);
  }, 150_000);
});
