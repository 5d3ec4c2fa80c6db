// Attacks on running sessions through the client API of a real server, by a key holder of another
// organisation who read a session's ID where katalonc prints it (a CI job's log: "Holding online
// session <id> while running …"): the session stays its holder's alone.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import { activateIn, heartbeatIn, seedOrg, serverOnStore } from '../helpers/server.ts';

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
});
