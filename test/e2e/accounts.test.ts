// Attacks on console accounts through the real server, as an Owner or Admin of another
// organisation, an Admin of the same one, or an outsider holding a link would try them: an
// invitation never takes over an account, never lowers a role, never leaves an organisation
// without an Owner; every role change is in the audit log; sign-in guesses are counted before they
// are checked, also when they arrive at once.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import { adminApi, adminCli, seedOrg, serverOnStore } from '../helpers/server.ts';
import { consoleClient, csrfOf, joinAs, PASSWORD, type ConsoleClient } from '../helpers/console.ts';

const ATTACKER_PASSWORD = 'attacker-chose-this-one';

describe.each(stores)('console accounts under attack on $name', (store) => {
  const on = serverOnStore(store, ['--log-level', 'debug']);

  let n = 0;
  /** A fresh e-mail address (the server is shared by the tests). */
  const fresh = (who: string) => `${who}-${++n}@acme.test`;

  /** An invitation link made on the People page by a signed-in Owner or Admin, or their refusal. */
  const inviteFrom = async (by: ConsoleClient, org: number, email: string, role: string) => {
    const people = await by.get(`/console/orgs/${org}/people`);
    const r = await by.post(`/console/orgs/${org}/people/invite`, {
      _csrf: csrfOf(people.text),
      email,
      role,
    });
    const link = /<code>(http[^<]+)<\/code>/.exec(r.text)?.[1];
    return { status: r.status, text: r.text, link: link && new URL(link).pathname };
  };
  /** The link accepted by someone not signed in, with a password of their choosing. */
  const acceptWith = (link: string, password = ATTACKER_PASSWORD) =>
    consoleClient(on.server.url).post(link, { password, confirm: password });
  const signIn = async (email: string, password: string) =>
    (await consoleClient(on.server.url).post('/console/sign-in', { email, password })).status;
  const audit = async (org: number) =>
    (
      (await adminApi(on.server.url, 'GET', `/orgs/${org}/audit`)).body.entries as {
        who: string;
        action: string;
        detail: string;
      }[]
    ).reverse();
  const membersOf = async (c: ConsoleClient, org: number) =>
    [
      ...(await c.get(`/console/orgs/${org}/people`)).text.matchAll(
        /<td>([^<]+@[^<]+)<\/td>\s*<td>(Owner|Admin|Member)<\/td>/g,
      ),
    ].map((m) => `${m[1]} ${m[2]}`);

  it('the Owner or an Admin of another organisation invites an Owner and accepts with a password of their own: refused, and the real password still works', async () => {
    const x = await seedOrg(on.server.url);
    const y = await seedOrg(on.server.url);
    const victim = fresh('owner-y');
    const ownerY = await joinAs(on.server.url, y.org, victim, 'owner');
    const ownerX = await joinAs(on.server.url, x.org, fresh('owner-x'), 'owner');
    const adminX = await joinAs(on.server.url, x.org, fresh('admin-x'), 'admin');
    // The same address as typed in other ways: other case, spaces around it.
    const spellings = [victim, ` ${victim.toUpperCase()} `, victim.replace('owner', 'OWNER')];
    for (const [i, attacker] of [ownerX, adminX, ownerX].entries()) {
      const made = await inviteFrom(attacker, x.org, spellings[i], i === 0 ? 'owner' : 'admin');
      expect(made.status).toBe(200);
      const taken = await acceptWith(made.link!);
      expect(taken.status).toBe(409);
      expect(taken.text).toContain(`${victim} has an account: sign in as ${victim}`);
      expect(await signIn(victim, ATTACKER_PASSWORD)).toBe(401);
      expect(await signIn(victim, PASSWORD)).toBe(303);
      // Nothing was joined: the victim's organisations are theirs alone.
      expect((await ownerY.get('/console/orgs')).text).not.toContain(`/console/orgs/${x.org}/`);
    }
    // A look-alike address (a Greek omicron, a full-width letter) is refused, not a second account.
    for (const lookalike of [victim.replace('o', '\u03bf'), victim.replace('o', '\uff4f')])
      expect((await inviteFrom(ownerX, x.org, lookalike, 'member')).status).toBe(400);
    // Y's log shows nothing happened to Y.
    expect((await audit(y.org)).map((e) => e.action)).not.toContain('role changed');
  });

  it("an Admin invites their own organisation's Owner as a Member: they cannot take it, and the Owner accepting stays Owner", async () => {
    const { org } = await seedOrg(on.server.url);
    const ownerEmail = fresh('boss');
    const adminEmail = fresh('deputy');
    const owner = await joinAs(on.server.url, org, ownerEmail, 'owner');
    const admin = await joinAs(on.server.url, org, adminEmail, 'admin');
    const made = await inviteFrom(admin, org, ownerEmail, 'member');
    expect(made.status).toBe(200);
    // As an outsider with a password of their own; as the Admin, signed in.
    const outsider = await acceptWith(made.link!);
    expect(outsider.status).toBe(409);
    const asAdmin = await admin.get(made.link!);
    expect(asAdmin.text).toContain(`This invitation is for ${ownerEmail}`);
    expect((await admin.post(made.link!, { _csrf: csrfOf(asAdmin.text) })).status).toBe(403);
    expect(await signIn(ownerEmail, PASSWORD)).toBe(303);
    // The Owner accepts: still Owner (an invitation never lowers a role), still the last one.
    const page = await owner.get(made.link!);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Accept as ${ownerEmail}`);
    const accepted = await owner.post(made.link!, { _csrf: csrfOf(page.text) });
    expect(accepted.status).toBe(303);
    expect(await membersOf(owner, org)).toContain(`${ownerEmail} Owner`);
    expect(await membersOf(owner, org)).toContain(`${adminEmail} Admin`);
    // Single-use: the link is gone.
    expect((await owner.get(made.link!)).status).toBe(404);
    const log = await audit(org);
    expect(log.at(-1)).toMatchObject({
      who: ownerEmail,
      action: 'invitation accepted',
      detail: `${ownerEmail} stays owner (the invitation offered member)`,
    });
  });

  it('an invitation raises a role only as its maker may give it, when its maker still may; every change is audited', async () => {
    const { org } = await seedOrg(on.server.url);
    const ownerEmail = fresh('first');
    const adminEmail = fresh('second');
    const owner = await joinAs(on.server.url, org, ownerEmail, 'owner');
    const admin = await joinAs(on.server.url, org, adminEmail, 'admin');
    // An Admin never invites as Owner (not even themselves).
    expect((await inviteFrom(admin, org, adminEmail, 'owner')).status).toBe(403);
    // An Admin's invitation dies with their right to give it: demoted first, it cannot be used.
    const newcomer = fresh('newcomer');
    const byAdmin = await inviteFrom(admin, org, newcomer, 'admin');
    const people = await owner.get(`/console/orgs/${org}/people`);
    const demoted = await owner.post(`/console/orgs/${org}/people/role`, {
      _csrf: csrfOf(people.text),
      email: adminEmail,
      role: 'member',
    });
    expect(demoted.status).toBe(200);
    const late = await acceptWith(byAdmin.link!, PASSWORD);
    expect(late.status).toBe(403);
    expect(late.text).toContain('ask for a new one');
    expect(await signIn(newcomer, PASSWORD)).toBe(401);
    // The Owner invites the (now) Member as Admin: accepted by them, signed in, it raises them.
    const raise = await inviteFrom(owner, org, adminEmail, 'admin');
    const page = await admin.get(raise.link!);
    expect((await admin.post(raise.link!, { _csrf: csrfOf(page.text) })).status).toBe(303);
    expect(await membersOf(owner, org)).toContain(`${adminEmail} Admin`);
    const changes = (await audit(org)).filter((e) => e.action === 'role changed');
    expect(changes.map((e) => [e.who, e.detail])).toEqual([
      [ownerEmail, `${adminEmail}: admin → member`],
      [adminEmail, `${adminEmail}: member → admin (invitation)`],
    ]);
  });

  it('an account made between invitation and acceptance, and one made by the operator without a password, are not taken by the link', async () => {
    const x = await seedOrg(on.server.url);
    const ownerX = await joinAs(on.server.url, x.org, fresh('owner-x'), 'owner');
    // The link is made first; the account appears afterwards (another organisation's invitation).
    const target = fresh('later');
    const early = await inviteFrom(ownerX, x.org, target, 'member');
    const z = await seedOrg(on.server.url);
    await joinAs(on.server.url, z.org, target, 'member');
    const taken = await acceptWith(early.link!);
    expect(taken.status).toBe(409);
    expect(await signIn(target, PASSWORD)).toBe(303);
    // A member the operator added (API keys only, no password yet): a console user's link does not
    // give it one; the operator's does (the operator holds every account's keys anyway).
    const apiOnly = (await seedOrg(on.server.url)).email;
    const byOwner = await inviteFrom(ownerX, x.org, apiOnly, 'member');
    const refused = await acceptWith(byOwner.link!);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('katalon-license-server invite');
    expect(await signIn(apiOnly, ATTACKER_PASSWORD)).toBe(401);
    const cli = await adminCli(
      on.server.dataDir,
      ['invite', '--org', String(x.org), '--email', apiOnly, '--json'],
      { KLS_PUBLIC_URL: on.server.url, ...on.dbEnv },
    );
    const link = new URL(JSON.parse(cli.stdout).link as string).pathname;
    const set = await acceptWith(link, PASSWORD);
    expect(set.status).toBe(303);
    expect(await signIn(apiOnly, PASSWORD)).toBe(303);
    // No invitation token in the log.
    for (const l of [early.link!, byOwner.link!, link])
      expect(on.server.logs()).not.toContain(l.split('/').pop());
  });

  it('sign-in: 40 guesses at once are counted before they are checked; the right one among them is refused like the rest', async () => {
    const { org } = await seedOrg(on.server.url);
    const email = fresh('target');
    await joinAs(on.server.url, org, email, 'admin');
    const guess = (password: string) =>
      consoleClient(on.server.url).post('/console/sign-in', { email, password });
    const wrong = Array.from({ length: 39 }, (_, i) => guess(`guess-${i}-xxxxxx`));
    // The right one arrives while the wrong ones are being checked (after the first answer).
    await Promise.race(wrong);
    const right = await guess(PASSWORD);
    const statuses = (await Promise.all(wrong)).map((g) => g.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(29);
    expect(right.status).toBe(429);
    expect(right.text).toContain('too many failed attempts for this account');
    expect(await signIn(email, PASSWORD)).toBe(429);
  });
});
