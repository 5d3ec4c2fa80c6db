// Attacks on License Management's paged lists (a pool's live sessions and machines) through a real
// server on either store, as an Admin of the organisation or the admin API's holder would try them:
// cursors and filters of their own making in the URL. Bad input is a 400, never a 500.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import { adminApi, seedOrg, serverOnStore } from '../helpers/server.ts';
import { joinAs } from '../helpers/console.ts';

describe.each(stores)('the paged lists of a pool on $name', (store) => {
  const on = serverOnStore(store);

  it('a cursor with a control character (%00) in its key is refused (400), on the console and the admin API, not a 500', async () => {
    const { org } = await seedOrg(on.server.url, { model: 'floating', quota: 3 });
    const email = `paging-admin-${store.postgres ? 'pg' : 'lite'}@acme.test`;
    const admin = await joinAs(on.server.url, org, email, 'admin');
    for (const cursor of ['sessionsBefore', 'machinesBefore']) {
      const page = await admin.get(`/console/orgs/${org}/licenses?pool=KRE&${cursor}=1.%00`);
      expect(page.status, `${cursor}: ${page.text.slice(0, 200)}`).toBe(400);
      const api = await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KRE?${cursor}=1.%00`);
      expect(api.status, `${cursor}: ${JSON.stringify(api.body)}`).toBe(400);
    }
  });
});
