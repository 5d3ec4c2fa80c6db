// An organisation keeps an Owner (core/roles.ts keepsAnOwner) also when its two Owners act at once:
// each removes, or makes an Admin of, the other in the console at the same moment. One of them
// must be refused; on PostgreSQL both read two Owners and both went through.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import { csrfOf, joinAs } from '../helpers/console.ts';
import { sqlOn } from '../helpers/counters.ts';
import { seedOrg, serverOnStore } from '../helpers/server.ts';

describe.each(stores)('two Owners at once on $name', (store) => {
  const on = serverOnStore(store);

  it.each([
    ['removes', 'remove'],
    ['makes an Admin of', 'role'],
  ] as const)(
    'each Owner %s the other at the same moment, five times: the organisation keeps an Owner',
    async (_, action) => {
      for (let round = 0; round < 5; round++) {
        const { org } = await seedOrg(on.server.url);
        const [x, y] = [`x${round}-${action}@acme.test`, `y${round}-${action}@acme.test`];
        const owners = [
          await joinAs(on.server.url, org, x, 'owner'),
          await joinAs(on.server.url, org, y, 'owner'),
        ];
        const csrfs = await Promise.all(
          owners.map(async (o) => csrfOf((await o.get(`/console/orgs/${org}/people`)).text)),
        );
        await Promise.all(
          owners.map((o, i) =>
            o.post(`/console/orgs/${org}/people/${action}`, {
              _csrf: csrfs[i],
              email: i === 0 ? y : x,
              ...(action === 'role' ? { role: 'admin' } : {}),
            }),
          ),
        );
        const roles = await sqlOn(
          on.storeRef(),
          'SELECT role FROM memberships WHERE org_id = ?',
          org,
        );
        expect(
          roles.filter((r) => r.role === 'owner'),
          `round ${round}`,
        ).toHaveLength(1);
      }
    },
  );
});
