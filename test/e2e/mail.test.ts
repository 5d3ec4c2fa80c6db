// Invitations by e-mail: a real server with KLS_SMTP_URL sends them through a real SMTP server on
// loopback (smtp-server, asking for a password), from the console, its "New link" and the admin CLI;
// when the SMTP server refuses or is gone, the invitation stands and its link is shown; a bad
// KLS_SMTP_URL stops the start; the SMTP password shows nowhere.
import { existsSync, readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER, run, tempDir, userEnv } from '../helpers/cli.ts';
import { consoleClient, csrfOf, join, joinAs } from '../helpers/console.ts';
import {
  ADMIN_TOKEN,
  adminApi,
  adminCli,
  seedOrg,
  startServer,
  type TestServer,
} from '../helpers/server.ts';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.ts';

const SMTP_PASSWORD = 'smtp-Secret-4711';
const FROM = 'Acme licenses <licenses@acme.test>';

describe('invitations by e-mail', () => {
  let smtp: TestSmtp;
  let server: TestServer;
  const pages: string[] = []; // and audit logs
  beforeAll(async () => {
    smtp = await startSmtp({ auth: { user: 'kls', pass: SMTP_PASSWORD } });
    server = await startServer({
      env: { KLS_SMTP_URL: smtp.url, KLS_SMTP_FROM: FROM },
      args: ['--log-level', 'debug'],
    });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  /** The People page's result of a form; what the tests see is kept to look for the password in. */
  const posted = async (
    c: ReturnType<typeof consoleClient>,
    org: number,
    path: string,
    form: Record<string, string>,
  ) => {
    const page = (await c.get(`/console/orgs/${org}/people`)).text;
    const r = await c.post(`/console/orgs/${org}/people/${path}`, { _csrf: csrfOf(page), ...form });
    pages.push(page, r.text);
    return r.text.replace(/\s+/g, ' ');
  };

  it('console Invite: the server e-mails the link (to the invited address, from KLS_SMTP_FROM, naming the organisation, role, inviter and expiry); the link joins; New link mails a fresh one and kills the old', async () => {
    const { org, name } = await seedOrg(server.url);
    const owner = await joinAs(server.url, org, 'mail-owner@acme.test', 'owner');
    const page = await posted(owner, org, 'invite', { email: 'New.Hire@Acme.test', role: 'admin' });
    expect(page).toMatch(
      /An invitation for new\.hire@acme\.test as admin, valid until \d{4}-\d\d-\d\d and once, was e-mailed to new\.hire@acme\.test\./,
    );
    expect(page).toMatch(
      /<details> <summary>Copy the link instead<\/summary> <pre><code>http:\/\/127\.0\.0\.1:\d+\/console\/invitations\//,
    );
    const mail = await smtp.next('new.hire@acme.test');
    expect(mail.to).toEqual(['new.hire@acme.test']);
    expect(mail.from).toBe('licenses@acme.test');
    expect(mail.headerFrom).toBe(FROM);
    expect(mail.subject).toBe(`Invitation to ${name} as Admin`);
    expect(mail.text).toContain(
      `mail-owner@acme.test invited you to join the organisation "${name}" as Admin`,
    );
    expect(mail.text).toMatch(/it works once, until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // The link is on the server's own address (no KLS_PUBLIC_URL: the one it recorded), the same as the page's.
    const first = linkIn(mail);
    expect(first).toMatch(new RegExp(`^${server.url}/console/invitations/[A-Za-z0-9_-]{43}$`));
    expect(page).toContain(`<code>${first}</code>`);
    // A loopback address: the start said so.
    expect(server.logs()).toContain(
      `invitation e-mails link to ${server.url}, which only this machine reaches: set KLS_PUBLIC_URL`,
    );

    // New link: a second mail with another link; the first is dead, the second joins.
    const listed = (await owner.get(`/console/orgs/${org}/people`)).text;
    const id = new RegExp(
      `value="([0-9a-f]{64})" />\\s*<button\\s+type="submit"\\s+aria-label="New link for new.hire@acme.test"`,
    ).exec(listed)![1];
    const renewed = await posted(owner, org, 'invitations/renew', { id });
    expect(renewed).toContain('(the old one no longer works), was e-mailed to new.hire@acme.test.');
    const second = linkIn(await smtp.next('new.hire@acme.test', 1));
    expect(second).not.toBe(first);
    expect((await consoleClient(server.url).get(new URL(first).pathname)).status).toBe(404);
    const joined = await join(server.url, new URL(second).pathname, 'new.hire@acme.test');
    expect((await joined.get('/console/orgs')).text).toContain(name);
    const people = (await adminApi(server.url, 'GET', `/orgs/${org}/users`)).body.users;
    expect(people).toContainEqual(expect.objectContaining({ email: 'new.hire@acme.test' }));

    const audit = (await adminApi(server.url, 'GET', `/orgs/${org}/audit`)).body.entries as {
      who: string;
      action: string;
      detail: string;
    }[];
    pages.push(JSON.stringify(audit));
    expect(
      audit.filter((e) => e.action === 'invitation e-mailed' && e.who === 'mail-owner@acme.test'),
    ).toEqual([
      expect.objectContaining({ detail: 'to new.hire@acme.test' }),
      expect.objectContaining({ detail: 'to new.hire@acme.test' }),
    ]);
  });

  it('the admin CLI "invite": on the data dir with KLS_SMTP_URL the command sends it, through --server the server does; both say to whom', async () => {
    const { org, name } = await seedOrg(server.url);
    const local = await adminCli(
      server.dataDir,
      ['invite', '--org', String(org), '--email', 'cli@acme.test'],
      { KLS_SMTP_URL: smtp.url },
    );
    expect(local.code).toBe(0);
    // Without KLS_PUBLIC_URL the link is the server's own loopback address: said, since it went out.
    expect(local.stderr).toMatch(
      /^warning: the e-mailed link points at http:\/\/127\.0\.0\.1:\d+, which only this machine reaches: set KLS_PUBLIC_URL/,
    );
    expect(local.stdout).toContain('mailedTo: cli@acme.test');
    const mail = await smtp.next('cli@acme.test');
    expect(mail.text).toContain(
      `The license server's operator invited you to join the organisation "${name}" as Member`,
    );
    // From KLS_SMTP_FROM's default: katalon-license-server@<this host's name>.
    expect(mail.from).toMatch(/^katalon-license-server@/);
    expect(local.stdout).toContain(`link: ${linkIn(mail)}`);
    const published = await adminCli(
      server.dataDir,
      ['invite', '--org', String(org), '--email', 'public@acme.test', '--json'],
      { KLS_SMTP_URL: smtp.url, KLS_PUBLIC_URL: 'https://licenses.acme.test/' },
    );
    expect(published.stderr).toBe('');
    expect(JSON.parse(published.stdout).link).toMatch(
      /^https:\/\/licenses\.acme\.test\/console\/invitations\//,
    );
    expect(linkIn(await smtp.next('public@acme.test'))).toBe(JSON.parse(published.stdout).link);
    const unreadable = await adminCli(
      server.dataDir,
      ['invite', '--org', String(org), '--email', 'bad-url@acme.test'],
      { KLS_SMTP_URL: smtp.url, KLS_PUBLIC_URL: 'licenses.acme.test' },
    );
    expect(unreadable.code).toBe(4);
    expect(unreadable.stderr).toMatch(
      /^error: KLS_PUBLIC_URL "licenses\.acme\.test" is not an address such as https:\/\/licenses\.example\.com: set it to the address users reach this server at/,
    );

    const remote = await run(
      SERVER,
      [
        '--server',
        server.url,
        'invite',
        '--org',
        String(org),
        '--email',
        'remote@acme.test',
        '--json',
      ],
      userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN }),
    );
    expect(remote.code).toBe(0);
    const answer = JSON.parse(remote.stdout);
    expect(answer).toMatchObject({ email: 'remote@acme.test', mailedTo: 'remote@acme.test' });
    expect(linkIn(await smtp.next('remote@acme.test'))).toBe(answer.link);
  });

  it('the SMTP password shows nowhere: not in the log, the pages, the audit log or ps', () => {
    const everything = [
      server.logs(),
      ...pages,
      readFileSync(`/proc/${server.process.pid}/cmdline`, 'utf8'),
    ].join('\n');
    expect(pages.length).toBeGreaterThan(0);
    expect(everything).not.toContain(SMTP_PASSWORD);
    expect(everything).not.toContain(encodeURIComponent(SMTP_PASSWORD));
  });
});

describe('invitations when the e-mail cannot go', () => {
  it('an SMTP server that refuses the recipient, one that is gone, one that never answers: the invitation stands, the page and the CLI say why and show the link', async () => {
    const refusing = await startSmtp({ refuse: true });
    // A port that accepts connections and never greets: the server must not wait for it long.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    const server = await startServer({ env: { KLS_SMTP_URL: refusing.url } });
    try {
      const { org } = await seedOrg(server.url);
      const owner = await joinAs(server.url, org, 'fail-owner@acme.test', 'owner');
      const page = (await owner.get(`/console/orgs/${org}/people`)).text;
      const made = await owner.post(`/console/orgs/${org}/people/invite`, {
        _csrf: csrfOf(page),
        email: 'nobody@acme.test',
        role: 'member',
      });
      expect(made.status).toBe(200);
      const text = made.text.replace(/\s+/g, ' ');
      expect(text).toMatch(
        /class="error" role="alert" > <p>An invitation for nobody@acme\.test as member, valid until [\d-]+ and once, was made, but it could not be e-mailed \([^)]*550[^)]*mailbox nobody@acme\.test unavailable[^)]*\): give them this link\.<\/p> <pre><code>(http[^<]+)<\/code><\/pre>/,
      );
      const link = /<pre><code>(http[^<]+)<\/code><\/pre>/.exec(text)![1];
      expect((await consoleClient(server.url).get(new URL(link).pathname)).status).toBe(200);
      expect(text).toContain('<td>nobody@acme.test</td> <td>Member</td>');
      const audit = (await adminApi(server.url, 'GET', `/orgs/${org}/audit`)).body.entries;
      expect(audit[0]).toMatchObject({
        action: 'invitation e-mail failed',
        who: 'fail-owner@acme.test',
      });
      expect(audit[0].detail).toMatch(/^to nobody@acme\.test: .*550/);
      // And the operator's log says so.
      expect(server.logs()).toMatch(
        /"to":"nobody@acme\.test".*"msg":"an invitation could not be e-mailed: check KLS_SMTP_URL and the SMTP server"/,
      );

      // The admin CLI: a warning, the link, exit 0; an SMTP port closed, then one that never answers.
      const closed = await adminCli(
        server.dataDir,
        ['invite', '--org', String(org), '--email', 'closed@acme.test'],
        { KLS_SMTP_URL: `smtp://kls:${SMTP_PASSWORD}@127.0.0.1:1` },
      );
      expect(closed.code).toBe(0);
      expect(closed.stderr).toMatch(
        /^warning: the invitation could not be e-mailed to closed@acme\.test \(.*ECONNREFUSED.*\): give them the link\n$/,
      );
      expect(closed.stdout).toMatch(/mailError: .*ECONNREFUSED/);
      expect(closed.stdout).toMatch(/link: http:\/\/127\.0\.0\.1:\d+\/console\/invitations\//);
      expect(closed.stdout + closed.stderr).not.toContain(SMTP_PASSWORD);
      const started = Date.now();
      const stalled = await adminCli(
        server.dataDir,
        ['invite', '--org', String(org), '--email', 'stalled@acme.test', '--json'],
        { KLS_SMTP_URL: `smtp://127.0.0.1:${silentPort}` },
      );
      const seconds = (Date.now() - started) / 1000;
      expect(stalled.code).toBe(0);
      expect(JSON.parse(stalled.stdout).mailError).toMatch(/greeting|timeout/i);
      expect(seconds).toBeLessThan(12);
      const pending = (await owner.get(`/console/orgs/${org}/people`)).text;
      for (const email of ['nobody', 'closed', 'stalled'])
        expect(pending).toContain(`<td>${email}@acme.test</td>`);
    } finally {
      await server.stop();
      await refusing.close();
      silent.close();
    }
  });

  it.each([
    [
      'KLS_SMTP_URL not a URL',
      { KLS_SMTP_URL: 'smtp//mail.acme.test:587' },
      /^error: KLS_SMTP_URL is not a URL: set it to smtp:\/\/user:password@host:587/,
    ],
    [
      'KLS_SMTP_URL of another scheme',
      { KLS_SMTP_URL: `https://kls:${SMTP_PASSWORD}@mail.acme.test` },
      /^error: KLS_SMTP_URL starts with https:, not smtp: or smtps:/,
    ],
    [
      'KLS_SMTP_URL without a host',
      { KLS_SMTP_URL: 'smtp:/mail.acme.test' },
      /^error: KLS_SMTP_URL names no host: set it to/,
    ],
    [
      'KLS_PUBLIC_URL not an http(s) address',
      { KLS_PUBLIC_URL: 'ftp://licenses.acme.test' },
      /^error: KLS_PUBLIC_URL "ftp:\/\/licenses\.acme\.test" is not an http:\/\/ or https:\/\/ address: set it to/,
    ],
    [
      'KLS_PUBLIC_URL of another scheme, with a password',
      { KLS_PUBLIC_URL: `ftp://kls:${SMTP_PASSWORD}@licenses.acme.test` },
      /^error: KLS_PUBLIC_URL "ftp:\/\/…@licenses\.acme\.test" is not an http:\/\/ or https:\/\/ address: set it to/,
    ],
    [
      'KLS_PUBLIC_URL not an address, with a password',
      { KLS_PUBLIC_URL: `https://kls:${SMTP_PASSWORD}@licenses acme test` },
      /^error: KLS_PUBLIC_URL "https:\/\/…@licenses acme test" is not an address such as/,
    ],
    [
      'KLS_SMTP_FROM not an address',
      { KLS_SMTP_URL: `smtp://kls:${SMTP_PASSWORD}@127.0.0.1:25`, KLS_SMTP_FROM: 'licenses' },
      /^error: KLS_SMTP_FROM "licenses" is not an e-mail address: set it to the sender/,
    ],
  ])(
    'a bad setting (%s): the server refuses to start, exit 4, one line that names it and not the password, and makes no data dir',
    async (_, env, said) => {
      const dataDir = joinPath(tempDir('kls-smtp-'), 'new');
      const r = await run(
        SERVER,
        ['--data-dir', dataDir, 'start', '--port', '0'],
        userEnv(undefined, env),
      );
      expect(r.code).toBe(4);
      expect(existsSync(dataDir)).toBe(false); // refused before anything was made
      expect(r.stderr).toMatch(said);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain(SMTP_PASSWORD);
    },
  );
});
