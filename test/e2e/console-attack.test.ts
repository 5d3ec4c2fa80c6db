// Attacks on the console and the admin API's views through a real server, as a Member, an Admin and
// an Owner of one organisation would try them: what they did must stay where the Owner can see it.
import { describe, expect, it } from 'vitest';
import {
  activateIn,
  adminApi,
  randomMachineId,
  seedOrg,
  serverOnStore,
} from '../helpers/server.ts';
import { csrfOf, joinAs, type ConsoleClient } from '../helpers/console.ts';

// The rules under test are the service's, the same on either store: SQLite only.
const on = serverOnStore({ skip: false, postgres: false });

/** The audit entries of `org` that a console user reaches, page after page ("Older entries"). */
const auditPages = async (c: ConsoleClient, org: number) => {
  const rows: string[] = [];
  let next: string | undefined = `/console/orgs/${org}/audit`;
  for (let pages = 0; next && pages < 50; pages++) {
    const page = await c.get(next);
    expect(page.status).toBe(200);
    rows.push(...[...page.text.matchAll(/<tr>\s*<td>[^]*?<\/tr>/g)].map((m) => m[0]));
    next = /<a href="([^"]+)"[^>]*>Older entries<\/a>/
      .exec(page.text)?.[1]
      ?.replaceAll('&amp;', '&');
  }
  return rows;
};

describe('the audit log under a flood', () => {
  it('a Member who makes and revokes 250 API keys cannot push an Admin’s offline license out of the Owner’s view: older entries are a page away, in the console and the admin API', async () => {
    const { org } = await seedOrg(on.server.url, {
      model: 'node-locked',
      quota: 3,
      machineQuota: 3,
    });
    const owner = await joinAs(on.server.url, org, 'flood-owner@acme.test', 'owner');
    const admin = await joinAs(on.server.url, org, 'flood-admin@acme.test', 'admin');
    const member = await joinAs(on.server.url, org, 'flood-member@acme.test', 'member');
    // The Admin burns a seat for 60 days on a machine of their own: irrevocable, so the Owner must see it.
    const machineId = randomMachineId();
    const licenses = await admin.get(`/console/orgs/${org}/licenses`);
    const issued = await admin.post(`/console/orgs/${org}/pools/KRE/offline-licenses`, {
      _csrf: csrfOf(licenses.text),
      machineId,
      kind: 'offline',
      confirm: 'yes',
      expires: '',
    });
    expect(issued.status).toBe(303);
    // Then the noise, with nothing but a Member's own API keys: 500 entries.
    const keysPage = await member.get(`/console/orgs/${org}/api-keys`);
    const csrf = csrfOf(keysPage.text);
    // Each key made is revoked at once (by its id, from the path the page gives it): nobody else
    // makes keys meanwhile, so the keys are consecutive from the first one made.
    const first = await member.post(`/console/orgs/${org}/api-keys`, { _csrf: csrf });
    expect(first.status).toBe(201);
    const firstId = Math.max(
      ...[...first.text.matchAll(/api-keys\/(\d+)\/revoke/g)].map((m) => +m[1]),
    );
    for (let id = firstId; id < firstId + 250; id++) {
      if (id > firstId)
        expect((await member.post(`/console/orgs/${org}/api-keys`, { _csrf: csrf })).status).toBe(
          201,
        );
      expect(
        (await member.post(`/console/orgs/${org}/api-keys/${id}/revoke`, { _csrf: csrf })).status,
      ).toBe(303);
    }

    const seen = await auditPages(owner, org);
    expect(seen.some((r) => r.includes('offline license issued') && r.includes(machineId))).toBe(
      true,
    );
    // The admin API pages the same way: each entry has its id, and ?before=<id> goes further back.
    const newest = (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body.entries as {
      id: number;
      action: string;
      detail: string;
    }[];
    expect(newest).toHaveLength(500);
    expect(newest.some((e) => e.action === 'offline license issued')).toBe(false);
    const older = (
      await adminApi(on.server.url, 'GET', `/orgs/${org}/audit?before=${newest.at(-1)!.id}`)
    ).body.entries as { id: number; action: string; detail: string }[];
    expect(older.find((e) => e.action === 'offline license issued')?.detail).toContain(machineId);
    expect(Math.max(...older.map((e) => e.id))).toBeLessThan(newest.at(-1)!.id);
  }, 120_000);
});

describe('API keys', () => {
  it('every active API key of a Member is on their page to revoke: a 101st is refused, not hidden past the 100 rows the page shows', async () => {
    const { org } = await seedOrg(on.server.url);
    // Whoever had the Member's session for a minute (a shared machine) makes keys of their own.
    const member = await joinAs(on.server.url, org, 'keys-member@acme.test', 'member');
    const csrf = csrfOf((await member.get(`/console/orgs/${org}/api-keys`)).text);
    const made: string[] = [];
    for (let i = 0; i < 101; i++) {
      const r = await member.post(`/console/orgs/${org}/api-keys`, { _csrf: csrf });
      const key = /kls_[A-Za-z0-9_-]{43}/.exec(r.text)?.[0];
      if (r.status !== 201 || !key) {
        expect(r.status).toBe(403);
        expect(r.text).toContain('revoke one first');
        break;
      }
      made.push(key);
    }
    expect(made.length).toBeGreaterThanOrEqual(100);
    // The Member revokes every key their page offers, until it offers none: each of them.
    let revoked = 0;
    for (;;) {
      const page = await member.get(`/console/orgs/${org}/api-keys`);
      const ids = [...page.text.matchAll(/api-keys\/(\d+)\/revoke/g)].map((m) => m[1]);
      if (ids.length === 0) break;
      for (const id of ids) {
        const r = await member.post(`/console/orgs/${org}/api-keys/${id}/revoke`, { _csrf: csrf });
        expect(r.status).toBe(303);
        revoked++;
      }
    }
    expect(revoked).toBe(made.length);
    // The newest key (the intruder's) activates no more. (One try: failed keys are throttled.)
    expect((await activateIn(on.server.url, org, made.at(-1)!)).status).toBe(401);
  }, 120_000);
});
