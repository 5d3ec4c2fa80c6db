// The web console over real HTTP: invitations, sign-in, roles enforced by the server, and the
// console's own security (cookies, CSRF, CSP, throttling), against a real server process.
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { tempDir } from '../helpers/cli.ts';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import {
  activateIn,
  adminApi,
  adminCli,
  api,
  randomMachineId,
  seedOrg,
  startServer,
  heartbeatIn,
  serverOnStore,
} from '../helpers/server.ts';
import { consoleClient, csrfOf, invite, join, joinAs, PASSWORD } from '../helpers/console.ts';
import { installed, makeCertificates, missing, requireAll } from '../helpers/network.ts';

describe.each(stores)('the web console on $name', (store) => {
  // At debug, the most the server logs (a line per request too): still no secret in it.
  const on = serverOnStore(store, ['--log-level', 'debug']);

  it('an Owner joins by a one-time link and manages licenses; the link works once', async () => {
    const { org, name } = await seedOrg(on.server.url, { quota: 4, model: 'node-locked' });
    const link = await invite(on.server.url, org, 'owner@acme.test', 'owner');
    const page = await consoleClient(on.server.url).get(link);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Owner');
    // Accepting leads to the sign-in page with the e-mail filled in, saying the account is ready.
    const accepting = consoleClient(on.server.url);
    const accepted = await accepting.post(link, { password: PASSWORD, confirm: PASSWORD });
    expect(accepted.headers.get('location')).toBe('/console/sign-in?joined=owner%40acme.test');
    const ready = await accepting.get(accepted.headers.get('location')!);
    expect(ready.text).toContain('Your account is ready: sign in with the password you chose.');
    expect(ready.text).toMatch(/name="email"[^>]*value="owner@acme.test"/);
    const owner = consoleClient(on.server.url);
    const signedIn = await owner.post('/console/sign-in', {
      email: 'owner@acme.test',
      password: PASSWORD,
    });
    expect(signedIn.headers.get('location')).toBe('/console/orgs');
    expect(
      (await consoleClient(on.server.url).post(link, { password: PASSWORD, confirm: PASSWORD }))
        .status,
    ).toBe(404);

    const orgs = await owner.get('/console/orgs');
    expect(orgs.text).toContain(`/console/orgs/${org}/licenses`);
    const licenses = await owner.get(`/console/orgs/${org}/licenses`);
    expect(licenses.status).toBe(200);
    expect(licenses.text).toContain(`License Management: ${name}`);
    expect(licenses.text).toMatch(/Subscribed Licenses<\/dt>\s*<dd>4<\/dd>/);
    expect(licenses.text.replace(/\s+/g, ' ')).toContain(
      '4 = 4 subscribed − (0 offline licenses + 0 active online sessions)',
    );
  });

  it("a browser at the server's address is led to the console, and every page has an icon", async () => {
    const root = await fetch(`${on.server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/console');
    const favicon = await fetch(`${on.server.url}/favicon.ico`, { redirect: 'manual' });
    expect(favicon.headers.get('location')).toBe('/console/assets/icon.svg');
    const icon = await fetch(`${on.server.url}/console/assets/icon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toMatch(/^<svg /);
    const signIn = await consoleClient(on.server.url).get('/console/sign-in');
    expect(signIn.text).toContain('<link rel="icon" href="/console/assets/icon.svg"');
  });

  it('roles are the server’s: a Member gets 403 on the license page, another organisation is 404', async () => {
    const a = await seedOrg(on.server.url);
    const b = await seedOrg(on.server.url);
    const member = await joinAs(on.server.url, a.org, 'member@acme.test', 'member');
    expect((await member.get(`/console/orgs/${a.org}/licenses`)).status).toBe(403);
    expect((await member.get('/console/orgs')).text).not.toContain(
      `/console/orgs/${a.org}/licenses`,
    );
    const admin = await joinAs(on.server.url, a.org, 'admin@acme.test', 'admin');
    expect((await admin.get(`/console/orgs/${a.org}/licenses`)).status).toBe(200);
    expect((await admin.get(`/console/orgs/${b.org}/licenses`)).status).toBe(404);
    // Signed out: every page sends to the sign-in page.
    expect(
      (await consoleClient(on.server.url).get(`/console/orgs/${a.org}/licenses`)).headers.get(
        'location',
      ),
    ).toBe('/console/sign-in');
  });

  it('cookies are HttpOnly and SameSite=Strict; forms need the CSRF token and this origin; pages forbid inline script and framing', async () => {
    const { org } = await seedOrg(on.server.url);
    const c = consoleClient(on.server.url);
    expect(
      (
        await c.post(await invite(on.server.url, org, 'csrf@acme.test', 'admin'), {
          password: PASSWORD,
          confirm: PASSWORD,
        })
      ).status,
    ).toBe(303);
    const signedIn = await c.post('/console/sign-in', {
      email: 'csrf@acme.test',
      password: PASSWORD,
    });
    const cookie = signedIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^kls_console=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/console/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP here; under TLS see below

    const page = await c.get('/console/orgs');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    // Scripts only from files of its own, never inline; no inline styles or handlers.
    expect(page.text).not.toMatch(
      /<script(?![^>]*\ssrc="\/console\/assets\/)|\sstyle=|\son[a-z]+=/i,
    );

    expect((await c.post('/console/sign-out', { _csrf: 'forged' })).status).toBe(403);
    expect(
      (
        await c.post(
          '/console/sign-out',
          { _csrf: csrfOf(page.text) },
          { origin: 'https://evil.test' },
        )
      ).status,
    ).toBe(403);
    expect((await c.get('/console/orgs')).status).toBe(200); // still signed in
    const out = await c.post('/console/sign-out', { _csrf: csrfOf(page.text) });
    expect(out.headers.get('location')).toBe('/console/sign-in');
    // The old cookie is worth nothing now.
    const stale = consoleClient(on.server.url);
    stale.cookie = cookie.split(';')[0];
    expect((await stale.get('/console/orgs')).headers.get('location')).toBe('/console/sign-in');
  });

  it('license actions: an Admin of another organisation gets 404, a Member 403, a form without the CSRF token 403; nothing changes', async () => {
    const a = await seedOrg(on.server.url, { quota: 2 });
    const b = await seedOrg(on.server.url, { quota: 2 });
    const running = await activateIn(on.server.url, b.org, b.apiKey);
    expect(running.status).toBe(201);
    const id = running.body.session.id as string;
    const adminOfA = await joinAs(on.server.url, a.org, 'a-admin@acme.test', 'admin');
    const csrf = csrfOf((await adminOfA.get(`/console/orgs/${a.org}/licenses`)).text);
    // B's session through B's URL, and through A's (where the session is not A's).
    expect(
      (await adminOfA.post(`/console/orgs/${b.org}/sessions/${id}/terminate`, { _csrf: csrf }))
        .status,
    ).toBe(404);
    expect(
      (await adminOfA.post(`/console/orgs/${a.org}/sessions/${id}/terminate`, { _csrf: csrf }))
        .status,
    ).toBe(404);
    expect(
      (
        await adminOfA.post(`/console/orgs/${b.org}/pools/KRE/offline-licenses`, {
          _csrf: csrf,
          machineId: randomMachineId(),
          kind: 'testing',
        })
      ).status,
    ).toBe(404);
    const memberOfB = await joinAs(on.server.url, b.org, 'b-member@acme.test', 'member');
    const memberCsrf = csrfOf((await memberOfB.get('/console/orgs')).text);
    const refused = await memberOfB.post(`/console/orgs/${b.org}/sessions/${id}/terminate`, {
      _csrf: memberCsrf,
    });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain(
      'only Owners and Admins of the organisation manage its licenses',
    );
    // The People page's actions refuse a Member alike, with the People page's reason.
    const notPeople = await memberOfB.post(`/console/orgs/${b.org}/people/invite`, {
      _csrf: memberCsrf,
      email: 'x@acme.test',
      role: 'nobody',
    });
    expect(notPeople.status).toBe(403);
    expect(notPeople.text).toContain(
      'only Owners and Admins of the organisation manage its people',
    );
    const ownerOfB = await joinAs(on.server.url, b.org, 'b-owner@acme.test', 'owner');
    const forged = await ownerOfB.post(`/console/orgs/${b.org}/sessions/${id}/terminate`, {});
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('this form has expired: reload the page and try again');
    expect((await heartbeatIn(on.server.url, id, b.apiKey)).status).toBe(200);
    // With all of it, the Owner of B terminates it: the run's next heartbeat says why.
    const ownerCsrf = csrfOf((await ownerOfB.get(`/console/orgs/${b.org}/licenses`)).text);
    const done = await ownerOfB.post(`/console/orgs/${b.org}/sessions/${id}/terminate`, {
      _csrf: ownerCsrf,
    });
    expect(done.headers.get('location')).toBe(`/console/orgs/${b.org}/licenses?done=terminated`);
    const beat = await heartbeatIn(on.server.url, id, b.apiKey);
    expect(beat.body.error).toMatchObject({ code: 'SESSION_TERMINATED' });
    expect(beat.body.error.message).toContain('terminated by b-owner@acme.test in the console');
  });

  it('pending invitations: listed with who made them, withdrawn or replaced by a fresh link; an Admin leaves an Owner invitation alone', async () => {
    const { org } = await seedOrg(on.server.url);
    const owner = await joinAs(on.server.url, org, 'pend-owner@acme.test', 'owner');
    const admin = await joinAs(on.server.url, org, 'pend-admin@acme.test', 'admin');
    const csrf = async (c: typeof owner) =>
      csrfOf((await c.get(`/console/orgs/${org}/people`)).text);
    const made = await owner.post(`/console/orgs/${org}/people/invite`, {
      _csrf: await csrf(owner),
      email: 'later@acme.test',
      role: 'member',
    });
    const first = new URL(/<code>(http[^<]+)<\/code>/.exec(made.text)![1]).pathname;
    const ownerInvite = await invite(on.server.url, org, 'next-owner@acme.test', 'owner');
    const listed = (await owner.get(`/console/orgs/${org}/people`)).text.replace(/\s+/g, ' ');
    expect(listed).toContain(
      '<td>later@acme.test</td> <td>Member</td> <td>pend-owner@acme.test</td>',
    );
    expect(listed).toContain('<td>next-owner@acme.test</td> <td>Owner</td> <td>operator</td>');
    // The id in the "New link" form of that e-mail's row.
    const idOf = (page: string, email: string) =>
      new RegExp(
        `value="([0-9a-f]{64})" />\\s*<button\\s+type="submit"\\s+aria-label="New link for ${email}"`,
      ).exec(page)![1];
    // A fresh link: the old one stops working, the new one works.
    const renewed = await owner.post(`/console/orgs/${org}/people/invitations/renew`, {
      _csrf: await csrf(owner),
      id: idOf(listed, 'later@acme.test'),
    });
    expect(renewed.text).toContain('A fresh link for later@acme.test');
    expect((await consoleClient(on.server.url).get(first)).status).toBe(404);
    const fresh = new URL(/<code>(http[^<]+)<\/code>/.exec(renewed.text)![1]).pathname;
    expect((await consoleClient(on.server.url).get(fresh)).status).toBe(200);
    // An Admin sees the Owner invitation without its buttons, and a forged form is refused.
    const adminPage = (await admin.get(`/console/orgs/${org}/people`)).text;
    expect(adminPage).not.toContain(
      'aria-label="Withdraw the invitation for next-owner@acme.test"',
    );
    const ownerId = idOf(listed, 'next-owner@acme.test');
    const forged = await admin.post(`/console/orgs/${org}/people/invitations/withdraw`, {
      _csrf: await csrf(admin),
      id: ownerId,
    });
    expect(forged.status).toBe(403);
    expect((await consoleClient(on.server.url).get(ownerInvite)).status).toBe(200);
    // The Owner withdraws it: its link no longer works, and the audit log says so.
    const withdrawn = await owner.post(`/console/orgs/${org}/people/invitations/withdraw`, {
      _csrf: await csrf(owner),
      id: ownerId,
    });
    expect(withdrawn.text).toContain('its link no longer works');
    expect((await consoleClient(on.server.url).get(ownerInvite)).status).toBe(404);
    const audit = (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body.entries;
    expect(audit[0]).toMatchObject({ action: 'invitation withdrawn', who: 'pend-owner@acme.test' });
  });

  it('a refusal names the fix where the caller is: the People page in the console, "user add" for the operator', async () => {
    const { org } = await seedOrg(on.server.url, { product: 'KSE' });
    const owner = await joinAs(on.server.url, org, 'fix-owner@acme.test', 'owner');
    const csrf = csrfOf((await owner.get(`/console/orgs/${org}/licenses`)).text);
    const refused = await owner.post(`/console/orgs/${org}/pools/KSE/licensed-users`, {
      _csrf: csrf,
      email: 'stranger@acme.test',
    });
    expect(refused.status).toBe(404);
    expect(refused.text).toContain('invite them on the People page first');
    expect(refused.text).not.toContain('user add');
    const api = await adminApi(on.server.url, 'POST', `/orgs/${org}/pools/KSE/licensed-users`, {
      email: 'stranger@acme.test',
    });
    expect(api.body.error.message).toContain('add them with "user add"');
  });

  it('an offline license with an expiry picked in the page: issued, then the page (Post/Redirect/Get) says what was issued with its Download; downloaded again from its row; nobody else gets it', async () => {
    const { org } = await seedOrg(on.server.url, { quota: 3, model: 'node-locked' });
    const owner = await joinAs(on.server.url, org, 'dl-owner@acme.test', 'owner');
    const before = (await owner.get(`/console/orgs/${org}/licenses`)).text;
    expect(before).toMatch(/<input type="date" name="expires" max="\d{4}-\d{2}-\d{2}"/);
    const machineId = randomMachineId();
    const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const issued = await owner.post(`/console/orgs/${org}/pools/KRE/offline-licenses`, {
      _csrf: csrfOf(before),
      machineId,
      kind: 'offline',
      confirm: 'yes',
      expires: day,
    });
    // Not the file itself: the page again, by a GET that a reload repeats without issuing.
    expect(issued.status).toBe(303);
    const landing = issued.headers.get('location')!;
    expect(landing).toMatch(new RegExp(`^/console/orgs/${org}/licenses\\?issued=[0-9a-f-]{36}$`));
    const shown = (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KRE`)).body;
    expect(shown.offlineLicenses).toHaveLength(1);
    expect(shown.offlineLicenses[0].expiresAt.slice(0, 10)).toBe(day);
    const page = (await owner.get(landing)).text;
    const said = page.replace(/\s+/g, ' ');
    expect(said).toContain(`Issued: an offline license for machine <code>${machineId}</code>`);
    expect(said).toContain(
      `valid until <time datetime="${shown.offlineLicenses[0].expiresAt}">${day}</time>`,
    );
    expect(said).toContain('1 offline license + 0 active online sessions');
    const path = new RegExp(
      `href="(/console/orgs/${org}/pools/KRE-node-locked/offline-licenses/[0-9a-f-]{36})"\\s+download\\s+data-download-now`,
    ).exec(page)![1];
    expect(said).toContain(`>Download KRE_${machineId}.lic</a`);
    // Reloading the page it landed on issues nothing.
    expect((await owner.get(landing)).status).toBe(200);
    expect(
      (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KRE`)).body.offlineLicenses,
    ).toHaveLength(1);
    // The same file from the notice's link and from the license's row.
    expect(page).toContain(
      `href="${path}" aria-label="Download the offline license of ${machineId} again"`,
    );
    const again = await owner.get(path);
    expect(again.status).toBe(200);
    expect(again.headers.get('content-disposition')).toBe(
      `attachment; filename="KRE_${machineId}.lic"`,
    );
    expect(again.text).toContain('-----BEGIN KATALON LICENSE-----');
    // Another organisation's Admin finds nothing, by the file or by the notice; a Member of this
    // one may not; and an id that is not one is refused, never shown.
    const other = await seedOrg(on.server.url);
    const stranger = await joinAs(on.server.url, other.org, 'dl-stranger@acme.test', 'admin');
    expect((await stranger.get(path)).status).toBe(404);
    const theirs = await stranger.get(
      `/console/orgs/${other.org}/licenses?${landing.split('?')[1]}`,
    );
    expect(theirs.status).toBe(200);
    expect(theirs.text).not.toContain(machineId);
    expect(theirs.text).not.toContain('Issued:');
    const member = await joinAs(on.server.url, org, 'dl-member@acme.test', 'member');
    expect((await member.get(path)).status).toBe(403);
    expect((await member.get(landing)).status).toBe(403);
    const forged = await owner.get(
      `/console/orgs/${org}/licenses?issued=%3Cscript%3Ex%3C/script%3E`,
    );
    expect(forged.status).toBe(400);
    expect(forged.text).not.toContain('<script>x');
  });

  it('the outage grace: shown in Subscription Details; only an Owner changes it, and it is audited', async () => {
    const { org } = await seedOrg(on.server.url, { quota: 2 });
    const admin = await joinAs(on.server.url, org, 'grace-admin@acme.test', 'admin');
    const adminPage = (await admin.get(`/console/orgs/${org}/licenses`)).text;
    expect(adminPage).toMatch(/<dt>Outage grace<\/dt>\s*<dd>\s*5 minutes/);
    expect(adminPage).not.toContain('/outage-grace');
    // An Admin's forged form changes nothing.
    const forged = await admin.post(`/console/orgs/${org}/pools/KRE/outage-grace`, {
      _csrf: csrfOf(adminPage),
      minutes: '60',
    });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain(
      'only an Owner of the organisation changes the outage grace of its pools',
    );
    const owner = await joinAs(on.server.url, org, 'grace-owner@acme.test', 'owner');
    const ownerPage = (await owner.get(`/console/orgs/${org}/licenses`)).text;
    expect(ownerPage).toContain(`action="/console/orgs/${org}/pools/KRE-floating/outage-grace"`);
    const bad = await owner.post(`/console/orgs/${org}/pools/KRE/outage-grace`, {
      _csrf: csrfOf(ownerPage),
      minutes: '121',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('the outage grace must be from 0 to 120, not 121');
    const saved = await owner.post(`/console/orgs/${org}/pools/KRE/outage-grace`, {
      _csrf: csrfOf(ownerPage),
      minutes: '0',
    });
    expect(saved.headers.get('location')).toBe(`/console/orgs/${org}/licenses?done=grace-changed`);
    expect(
      (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/KRE`)).body.outageGraceMinutes,
    ).toBe(0);
    const audit = (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body.entries;
    expect(audit[0]).toMatchObject({
      who: 'grace-owner@acme.test',
      action: 'pool changed',
      detail: 'KRE floating: outage grace 5 → 0 minutes',
    });
  });

  it("a Member makes their own API key (shown once, then only its prefix), uses it with katalonc's API, and revokes it; nobody else's", async () => {
    const { org } = await seedOrg(on.server.url, { quota: 2 });
    const member = await joinAs(on.server.url, org, 'keys@acme.test', 'member');
    const other = await joinAs(on.server.url, org, 'other@acme.test', 'member');
    const page = await member.get(`/console/orgs/${org}/api-keys`);
    expect(page.status).toBe(200);
    // What CI needs, ready: the engine step, and katalonc's line with the key as a variable.
    expect(page.text).toContain('katalonc engine /opt/kre/katalonc-engine');
    expect(page.text).toMatch(
      new RegExp(
        `katalonc (&quot;|")-apiKey=\\$KATALON_API_KEY(&quot;|") -orgID=${org} -serverUrl=${on.server.url}<`,
      ),
    );
    const created = await member.post(`/console/orgs/${org}/api-keys`, {
      _csrf: csrfOf(page.text),
    });
    expect(created.status).toBe(201);
    const apiKey = /<code>(kls_[A-Za-z0-9_-]{43})<\/code>/.exec(created.text)![1];
    const activation = { orgId: org, product: 'KRE', machineId: randomMachineId() };
    expect((await api(on.server.url, 'POST', '/v1/sessions', activation, apiKey)).status).toBe(201);
    const later = await member.get(`/console/orgs/${org}/api-keys`);
    expect(later.text).not.toContain(apiKey);
    expect(later.text).toContain(`${apiKey.slice(0, 8)}…`);
    const keyId = /\/api-keys\/(\d+)\/revoke/.exec(later.text)![1];
    // Another member cannot revoke it, even knowing its id.
    const otherCsrf = csrfOf((await other.get(`/console/orgs/${org}/api-keys`)).text);
    expect(
      (await other.post(`/console/orgs/${org}/api-keys/${keyId}/revoke`, { _csrf: otherCsrf }))
        .status,
    ).toBe(404);
    expect(
      (
        await member.post(`/console/orgs/${org}/api-keys/${keyId}/revoke`, {
          _csrf: csrfOf(later.text),
        })
      ).status,
    ).toBe(303);
    expect((await api(on.server.url, 'POST', '/v1/sessions', activation, apiKey)).status).toBe(401);
    expect(on.server.logs()).not.toContain(apiKey);
  });

  it('the audit log: every change with who, what, when and from where, in the console (Owners and Admins) and the admin API', async () => {
    const { org, apiKey } = await seedOrg(on.server.url, { quota: 3, model: 'node-locked' });
    const owner = await joinAs(on.server.url, org, 'auditor@acme.test', 'owner');
    const csrf = csrfOf((await owner.get(`/console/orgs/${org}/licenses`)).text);
    const machineId = randomMachineId();
    expect(
      (
        await owner.post(`/console/orgs/${org}/pools/KRE/offline-licenses`, {
          _csrf: csrf,
          machineId,
          kind: 'testing',
        })
      ).status,
    ).toBe(303);
    const running = await api(
      on.server.url,
      'POST',
      '/v1/sessions',
      { orgId: org, product: 'KRE', machineId },
      apiKey,
    );
    await owner.post(`/console/orgs/${org}/sessions/${running.body.session.id}/terminate`, {
      _csrf: csrf,
    });
    await owner.post(`/console/orgs/${org}/pools/KRE/machines/remove`, { _csrf: csrf, machineId });

    const { entries } = (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body as {
      entries: { at: string; who: string; from: string; action: string; detail: string }[];
    };
    const seen = entries.map((e) => [e.who, e.action]).reverse();
    expect(seen).toEqual([
      ['operator', 'organisation created'],
      ['operator', 'member added'],
      ['operator', 'API key created'],
      ['operator', 'pool created'],
      ['operator', 'invitation created'],
      ['auditor@acme.test', 'invitation accepted'],
      ['auditor@acme.test', 'testing license issued'],
      ['auditor@acme.test', 'session terminated'],
      ['auditor@acme.test', 'machine removed'],
    ]);
    for (const e of entries) {
      expect(e.from).toBe('127.0.0.1');
      expect(Date.now() - Date.parse(e.at)).toBeLessThan(60_000);
    }
    expect(entries.find((e) => e.action === 'testing license issued')!.detail).toContain(machineId);
    const page = await owner.get(`/console/orgs/${org}/audit`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('session terminated');
    const member = await joinAs(on.server.url, org, 'nosy@acme.test', 'member');
    expect((await member.get(`/console/orgs/${org}/audit`)).status).toBe(403);
    expect(JSON.stringify(entries)).not.toContain(apiKey);
  });

  it('People: Owners and Admins invite, change roles and remove members, as their role allows; the last Owner stays', async () => {
    const { org, email: memberEmail, apiKey } = await seedOrg(on.server.url, { quota: 3 });
    const owner = await joinAs(on.server.url, org, 'boss@acme.test', 'owner');
    const admin = await joinAs(on.server.url, org, 'deputy@acme.test', 'admin');
    const csrfOfPeople = async (c: typeof owner) =>
      csrfOf((await c.get(`/console/orgs/${org}/people`)).text);
    const adminCsrf = await csrfOfPeople(admin);
    // An Admin is offered only what they may do: no Owner role, no form on an Owner's row.
    const adminPage = (await admin.get(`/console/orgs/${org}/people`)).text;
    expect(adminPage).not.toContain('<option value="owner"');
    expect(adminPage).not.toContain('New role for boss@acme.test');
    expect(adminPage).not.toContain('aria-label="Remove boss@acme.test"');
    expect(adminPage).toContain('New role for deputy@acme.test');
    // The only Owner is offered no change and no removal of their own row (they would be refused).
    const ownerPage = (await owner.get(`/console/orgs/${org}/people`)).text;
    expect(ownerPage).toContain('<option value="owner"');
    expect(ownerPage).toContain('New role for deputy@acme.test');
    expect(ownerPage).not.toContain('New role for boss@acme.test');
    expect(ownerPage).not.toContain('aria-label="Remove boss@acme.test"');
    const asAdmin = (path: string, form: Record<string, string>) =>
      admin.post(`/console/orgs/${org}/people/${path}`, { _csrf: adminCsrf, ...form });
    // An Admin never touches an Owner, nor makes one.
    expect((await asAdmin('role', { email: 'boss@acme.test', role: 'member' })).status).toBe(403);
    expect((await asAdmin('role', { email: memberEmail, role: 'owner' })).status).toBe(403);
    expect((await asAdmin('remove', { email: 'boss@acme.test' })).status).toBe(403);
    expect((await asAdmin('invite', { email: 'new@acme.test', role: 'owner' })).status).toBe(403);
    // An Admin makes a Member an Admin, and invites a Member by a link that works.
    expect((await asAdmin('role', { email: memberEmail, role: 'admin' })).text).toContain(
      `${memberEmail} is now admin`,
    );
    const invited = await asAdmin('invite', { email: 'new@acme.test', role: 'member' });
    const link = new URL(/<code>(http[^<]+)<\/code>/.exec(invited.text)![1]).pathname;
    const newcomer = await join(on.server.url, link, 'new@acme.test');
    expect((await newcomer.get('/console/orgs')).text).toContain('Member');
    // The last Owner stays an Owner; with a second one, the first may step down.
    const ownerCsrf = await csrfOfPeople(owner);
    const asOwner = (path: string, form: Record<string, string>) =>
      owner.post(`/console/orgs/${org}/people/${path}`, { _csrf: ownerCsrf, ...form });
    expect((await asOwner('role', { email: 'boss@acme.test', role: 'admin' })).status).toBe(409);
    expect((await asOwner('role', { email: 'deputy@acme.test', role: 'owner' })).status).toBe(200);
    const twoOwners = (await owner.get(`/console/orgs/${org}/people`)).text;
    expect(twoOwners).toContain('New role for boss@acme.test');
    expect(twoOwners).toContain('aria-label="Remove boss@acme.test"');
    expect((await asOwner('role', { email: 'boss@acme.test', role: 'admin' })).status).toBe(200);
    // Removing a member ends their sessions at the next heartbeat.
    const running = await activateIn(on.server.url, org, apiKey);
    const removed = await admin.post(`/console/orgs/${org}/people/remove`, {
      _csrf: adminCsrf,
      email: memberEmail,
    });
    expect(removed.status).toBe(200);
    expect(removed.text).toContain(`${memberEmail} was removed`);
    const beat = await heartbeatIn(on.server.url, running.body.session.id, apiKey);
    expect(beat.body.error.code).toBe('SESSION_TERMINATED');
    expect(beat.body.error.message).toContain('removed from the organisation');
    const log = (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body.entries as {
      who: string;
      action: string;
    }[];
    expect(log.filter((e) => e.action === 'role changed').map((e) => e.who)).toEqual([
      'boss@acme.test',
      'boss@acme.test',
      'deputy@acme.test',
    ]);
    expect(log.find((e) => e.action === 'member removed')!.who).toBe('deputy@acme.test');
  });

  it('sign-in: wrong passwords slow down that account only (429), never another; no secret in the log', async () => {
    const { org } = await seedOrg(on.server.url);
    const links = [
      await invite(on.server.url, org, 'target@acme.test', 'admin'),
      await invite(on.server.url, org, 'bystander@acme.test', 'member'),
    ];
    await join(on.server.url, links[0], 'target@acme.test');
    await join(on.server.url, links[1], 'bystander@acme.test');
    const attacker = consoleClient(on.server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        (
          await attacker.post('/console/sign-in', {
            email: 'target@acme.test',
            password: `guess-${i}-xxxxxx`,
          })
        ).status,
      );
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Even the right password waits: a guess that happens to be right must not get through.
    expect(
      (await attacker.post('/console/sign-in', { email: 'target@acme.test', password: PASSWORD }))
        .status,
    ).toBe(429);
    expect(
      (
        await consoleClient(on.server.url).post('/console/sign-in', {
          email: 'bystander@acme.test',
          password: PASSWORD,
        })
      ).status,
    ).toBe(303);
    expect(on.server.logs()).not.toContain(PASSWORD);
    expect(on.server.logs()).not.toContain('guess-');
    expect(on.server.logs()).toContain('"route":"/console/invitations/:token"');
    for (const link of links) expect(on.server.logs()).not.toContain(link.split('/').pop());
  });

  it('the operator: "org create --owner-email" and "invite" print the one-time link', async () => {
    const created = await adminCli(
      on.server.dataDir,
      ['org', 'create', '--name', 'Console Corp', '--owner-email', 'first@corp.test', '--json'],
      { KLS_PUBLIC_URL: on.server.url, ...on.dbEnv },
    );
    expect(created.code).toBe(0);
    const owner = JSON.parse(created.stdout).ownerInvitation;
    expect(owner).toMatchObject({ email: 'first@corp.test', role: 'owner' });
    expect(owner.link).toMatch(
      new RegExp(`^${on.server.url}/console/invitations/[A-Za-z0-9_-]{43}$`),
    );
    const c = await join(on.server.url, new URL(owner.link as string).pathname, 'first@corp.test');
    expect((await c.get('/console/orgs')).text).toContain('Console Corp');
    const invited = await adminCli(
      on.server.dataDir,
      [
        'invite',
        '--org',
        String(JSON.parse(created.stdout).id),
        '--email',
        'second@corp.test',
        '--role',
        'admin',
      ],
      { KLS_PUBLIC_URL: on.server.url, ...on.dbEnv },
    );
    expect(invited.stdout).toMatch(/link: http:\/\/127\.0\.0\.1:\d+\/console\/invitations\//);
    // Without KLS_PUBLIC_URL: the address the server running on this data dir recorded.
    const org = String(JSON.parse(created.stdout).id);
    const third = await adminCli(
      on.server.dataDir,
      ['invite', '--org', org, '--email', 'third@corp.test', '--json'],
      on.dbEnv,
    );
    expect(JSON.parse(third.stdout).link).toMatch(
      new RegExp(`^${on.server.url}/console/invitations/[A-Za-z0-9_-]{43}$`),
    );
    expect(third.stderr).toBe('');
    expect(on.server.logs()).toContain(`"console":"${on.server.url}/console"`);
    // A data dir no server has started on: the link is a guess, and it says so.
    const fresh = joinPath(tempDir(), 'data');
    expect((await adminCli(fresh, ['keys', 'public'], on.dbEnv)).code).toBe(0);
    const guessed = await adminCli(
      fresh,
      ['org', 'create', '--name', `Fresh ${fresh}`, '--owner-email', 'fourth@corp.test'],
      on.dbEnv,
    );
    expect(guessed.code, guessed.stderr).toBe(0);
    expect(guessed.stderr).toMatch(
      /warning: no server has started on .* and KLS_PUBLIC_URL is not set: the link assumes http:\/\/127\.0\.0\.1:8080; set KLS_PUBLIC_URL/,
    );
  });
});

describe.skipIf(!installed('openssl') && !requireAll)(
  `the web console under TLS${installed('openssl') ? '' : ` (skipped: ${missing('openssl', 'openssl')})`}`,
  () => {
    it('the session cookie is Secure', async () => {
      const certs = makeCertificates();
      const server = await startServer({
        args: ['--tls-cert', certs.cert, '--tls-key', certs.key],
      });
      const ca = readFileSync(certs.ca);
      const post = (path: string, form: Record<string, string>) =>
        new Promise<IncomingMessage>((resolve, reject) => {
          const body = new URLSearchParams(form).toString();
          const req = httpsRequest(
            `${server.url}${path}`,
            {
              method: 'POST',
              ca,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
            },
            (res) => (res.resume(), resolve(res)),
          );
          req.on('error', reject);
          req.end(body);
        });
      try {
        const created = await adminCli(
          server.dataDir,
          ['org', 'create', '--name', 'TLS Corp', '--owner-email', 'tls@acme.test', '--json'],
          { KLS_PUBLIC_URL: server.url },
        );
        const link = new URL(JSON.parse(created.stdout).ownerInvitation.link as string).pathname;
        expect((await post(link, { password: PASSWORD, confirm: PASSWORD })).statusCode).toBe(303);
        const signedIn = await post('/console/sign-in', {
          email: 'tls@acme.test',
          password: PASSWORD,
        });
        expect(signedIn.statusCode).toBe(303);
        expect(signedIn.headers['set-cookie']?.[0]).toMatch(
          /; HttpOnly; SameSite=Strict; Secure|; Secure/,
        );
      } finally {
        await server.stop();
      }
    });
  },
);
