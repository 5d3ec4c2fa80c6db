// The console: the License Management page of a pool with 10,000 live sessions and 1,000
// machines, one request at a time, against its 50 ms budget; and what the page and script weigh.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { add, root } from './measure.ts';
import {
  ADMIN_TOKEN,
  seedHistory,
  seedOrg,
  userIdOf,
  type BenchStore,
  type Replica,
} from './replica.ts';
import { checked, duration } from './server.ts';

export const benchConsole = async (
  sqliteStore: BenchStore,
  sqliteServer: Replica,
): Promise<void> => {
  console.log(
    'The console: License Management of a pool with 10,000 live sessions and 1,000 machines',
  );
  {
    const pool = seedOrg(sqliteStore);
    await seedHistory(sqliteStore, pool.poolId, await userIdOf(sqliteServer.base, pool.org), {
      machines: 1000,
      ended: 0,
      live: 10_000,
    });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const invited = (await (
      await fetch(`${sqliteServer.base}/v1/admin/orgs/${pool.org}/invitations`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ email: 'owner@bench.test', role: 'owner' }),
      })
    ).json()) as { link: string };
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      redirect: 'manual' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const password = 'bench-password-0123';
    await fetch(invited.link, form({ password, confirm: password }));
    const signedIn = await fetch(
      `${sqliteServer.base}/console/sign-in`,
      form({ email: 'owner@bench.test', password }),
    );
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0];
    const path = `/console/orgs/${pool.org}/licenses`;
    const html = await (await fetch(`${sqliteServer.base}${path}`, { headers: { cookie } })).text();
    if (!html.includes('Online sessions: 10000 sessions, newest first'))
      throw new Error('the page did not show the pool');
    const pageLoad = (d: number) =>
      autocannon({
        url: `${sqliteServer.base}${path}`,
        connections: 1,
        duration: d,
        headers: { cookie },
      });
    await pageLoad(2); // warm-up
    const pages = checked('console page', await pageLoad(duration));
    const p97 = (pages.latency as unknown as Record<string, number>).p97_5;
    add(
      'console: License Management server time p97.5 (one request at a time) vs the 50 ms budget',
      p97,
      50,
      '< 1x (p95 < 50 ms)',
      (x) => x < 1,
    );
    const script = readFileSync(join(root, 'dist', 'console', 'console.js'));
    console.log(
      `  page: ${Math.round(html.length / 1024)} KB of HTML; script: ${(script.length / 1024).toFixed(1)} KB (${gzipSync(script).length} bytes gzipped)`,
    );
  }
};
