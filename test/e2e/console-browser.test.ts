// The console in a real headless Chromium (Debian's chromium, driven by playwright-core), against a
// real server: keyboard-only use, axe-core on every page (no serious or critical violation), and
// screenshots of each page in test-results/console/<store>/ as artefacts.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { storeEnvironment, stores, type Postgres } from '../../scripts/harness/postgres.ts';
import {
  ADMIN_TOKEN,
  adminApi,
  randomMachineId,
  seedOrg,
  startServer,
  type TestServer,
} from '../helpers/server.ts';
import { katalonc, run, SERVER, startKatalonc, tempDir, userEnv } from '../helpers/cli.ts';
import { invite, joinAs, PASSWORD } from '../helpers/console.ts';
import { missing, requireAll } from '../helpers/network.ts';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { sqlOn, type StoreRef } from '../helpers/counters.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'console');
const have = existsSync(CHROMIUM);

// The same flows on both stores, each with its own server (and cluster) and screenshots folder.
describe.each(stores)(
  `the web console in Chromium on $name${have ? '' : ` (skipped: ${missing('Chromium', 'chromium')})`}`,
  ({ name: storeName, skip, postgres }) => {
    const shots = join(SHOTS, storeName.split(' ')[0].toLowerCase());
    let server: TestServer;
    let cluster: Postgres | undefined;
    let browser: Browser;
    let smtp: TestSmtp;
    let storeRef: StoreRef;
    beforeAll(async () => {
      if (skip || (!have && !requireAll)) return;
      mkdirSync(shots, { recursive: true });
      const store = await storeEnvironment(postgres);
      cluster = store.cluster;
      // The server e-mails invitations, to a real SMTP server on loopback.
      smtp = await startSmtp();
      // Heartbeats every second: a termination reaches the run at once.
      server = await startServer({
        args: ['--lease-seconds', '3'],
        env: { ...store.env, KLS_SMTP_URL: smtp.url },
      });
      storeRef = store.env.KLS_DATABASE_URL
        ? { databaseUrl: store.env.KLS_DATABASE_URL }
        : { dataDir: server.dataDir };
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        // As root in a container Chromium needs --no-sandbox; the rest keep it off the network.
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      await smtp?.close();
      cluster?.destroy();
    });
    beforeEach(({ skip: skipTest }) => {
      if (skip || (!have && !requireAll)) skipTest();
    });

    /** axe-core on the page as it is: no serious or critical violation; and a screenshot. */
    const check = async (page: Page, name: string) => {
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      // Evaluated through DevTools, so the page's CSP (no inline script) does not block it.
      await page.evaluate(axe.source);
      const result = await page.evaluate(() =>
        (window as unknown as { axe: typeof axe }).axe.run(document, {
          runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
        }),
      );
      const bad = result.violations.filter(
        (v) => v.impact === 'serious' || v.impact === 'critical',
      );
      expect(
        bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      ).toEqual([]);
    };

    /** A new Owner of the organisation, signed in on the page, on its License Management page. */
    const signInAsOwner = async (page: Page, org: number, email: string) => {
      await page.goto(`${server.url}${await invite(server.url, org, email, 'owner')}`);
      await page.getByLabel('Password (at least').fill(PASSWORD);
      await page.getByLabel('Password again').fill(PASSWORD);
      await Promise.all([
        page.waitForURL('**/console/sign-in?joined=*'),
        page.getByRole('button', { name: 'Accept the invitation' }).click(),
      ]);
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([
        page.waitForURL('**/console/orgs'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      await page.goto(`${server.url}/console/orgs/${org}/licenses`);
    };

    it('an Owner, by keyboard alone: opens the invitation, sets a password, signs in, opens License Management', async () => {
      const { org, name } = await seedOrg(server.url, { quota: 4, model: 'node-locked' });
      const link = await invite(server.url, org, 'owner@browser.test', 'owner');
      const page = await browser.newPage();
      await page.goto(`${server.url}${link}`);
      await check(page, '1-invitation');
      await page.keyboard.press('Tab'); // the skip link
      await page.keyboard.press('Tab'); // the brand link
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      await Promise.all([
        page.waitForURL('**/console/sign-in?joined=*'),
        page.keyboard.press('Enter'),
      ]);
      // The sign-in page says the account is ready, with its e-mail filled in.
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toContain('Your account is ready');
      expect(await page.getByLabel('E-mail').inputValue()).toBe('owner@browser.test');
      await check(page, '2-sign-in');
      await page.getByLabel('Password').focus();
      await page.keyboard.type(PASSWORD);
      await Promise.all([page.waitForURL('**/console/orgs'), page.keyboard.press('Enter')]);
      await check(page, '3-organisations');
      await page.getByRole('link', { name: `${name}: License Management` }).focus();
      await Promise.all([
        page.waitForURL(`**/console/orgs/${org}/licenses`),
        page.keyboard.press('Enter'),
      ]);
      await check(page, '4-license-management');
      // People with a pending invitation: its row offers New link and Withdraw.
      await invite(server.url, org, 'pending@browser.test', 'admin');
      await page.getByRole('link', { name: 'People' }).click();
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe(`People: ${name}`);
      expect(await page.getByRole('table', { name: 'Pending invitations' }).innerText()).toContain(
        'pending@browser.test',
      );
      await check(page, '4b-people');
      // Each select is named by its label alone (a label around it added every option's name).
      expect(await page.getByRole('combobox', { name: 'Role', exact: true }).count()).toBe(1);
      await page.goBack();
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe(`License Management: ${name}`);
      const details = await page.locator('section.product').innerText();
      expect(details).toContain('Subscribed Licenses');
      expect(details).toMatch(
        /Available Licenses\s+4 = 4 subscribed − \(0 offline licenses \+ 0 active online sessions\)/,
      );
      // Signing out ends the session: the page sends back to sign-in.
      await Promise.all([
        page.waitForURL('**/console/sign-in'),
        page.getByRole('button', { name: 'Sign out' }).click(),
      ]);
      await page.goto(`${server.url}/console/orgs/${org}/licenses`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      await page.close();
    });

    it('an Owner grants a KSE licensed user, issues a testing then an offline license (a mistyped ID is refused in the page), downloads it; a live run appears by itself and is terminated', async () => {
      const { org, email: member } = await seedOrg(server.url, {
        product: 'KSE',
        model: 'node-locked',
        quota: 3,
      });
      const home = tempDir('console-home-');
      const env = userEnv(home);
      const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
      const page = await browser.newPage({ acceptDownloads: true });
      await signInAsOwner(page, org, 'owner-kse@browser.test');

      // Licensed Users: the member, by e-mail.
      await page.getByLabel("Member's e-mail").fill(member);
      await Promise.all([
        page.waitForURL(/done=granted/),
        page.getByRole('button', { name: 'Add licensed user' }).click(),
      ]);
      await expect.poll(() => page.getByRole('status').textContent()).toContain('licensed user');
      expect(await page.getByRole('table', { name: 'Licensed users' }).innerText()).toContain(
        member,
      );

      // A typo in the machine ID: the page says so and the buttons stay disabled.
      const field = page.getByLabel('Machine ID');
      const typo = machineId.slice(0, -1) + (machineId.endsWith('A') ? 'B' : 'A');
      await field.fill(typo);
      await expect
        .poll(() => page.locator('[aria-live="polite"]').textContent())
        .toContain('Not a machine ID');
      expect(await page.getByRole('button', { name: 'Create Testing License' }).isDisabled()).toBe(
        true,
      );
      expect(await page.getByRole('button', { name: 'Create Offline License' }).isDisabled()).toBe(
        true,
      );
      await check(page, '6-machine-id-typo');

      await field.fill(machineId.toLowerCase());
      await expect
        .poll(() => page.locator('[aria-live="polite"]').textContent())
        .toContain(`A machine ID: ${machineId}`);
      // Issued, the page comes back fresh, says what was issued and downloads it by itself.
      const testing = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Create Testing License' }).click(),
      ]);
      // A testing license's name says it is one.
      expect(testing[0].suggestedFilename()).toBe(`KSE_${machineId}.testing.lic`);
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toMatch(new RegExp(`Issued: a testing license for machine\\s+${machineId}`));
      // The address no longer names it: a reload says nothing and downloads nothing again.
      expect(new URL(page.url()).search).toBe('');

      // The offline license asks for the confirmation first.
      await page.getByLabel('Machine ID').fill(machineId);
      await page.getByRole('button', { name: 'Create Offline License' }).click();
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toContain('tick the box to confirm');
      await page.getByLabel('Machine ID').fill(machineId);
      await page
        .getByRole('checkbox', { name: /^I understand: an offline license cannot be revoked/ })
        .check();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Create Offline License' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(`KSE_${machineId}.lic`);
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toMatch(new RegExp(`Issued: an offline license for machine\\s+${machineId}`));
      await check(page, '6b-offline-license-issued');
      const folder = join(home, '.katalon', 'license');
      mkdirSync(folder, { recursive: true });
      await download.saveAs(join(folder, download.suggestedFilename()));
      const list = await katalonc(['--product', 'KSE', 'license', 'list', '--json'], env);
      const listed = JSON.parse(list.stdout) as {
        licenses: { file: string; status: string; product: string }[];
      };
      expect(listed.licenses).toEqual([
        expect.objectContaining({ file: `KSE_${machineId}.lic`, status: 'valid', product: 'KSE' }),
      ]);
      await page.goto(`${server.url}/console/orgs/${org}/licenses`);
      expect(
        await page.getByRole('table', { name: 'Offline and testing licenses' }).innerText(),
      ).toMatch(/offline[\s\S]*testing|testing[\s\S]*offline/);
      await check(page, '7-license-management-full');

      // A real run holds an online session; Terminate stops it with the reason.
      const apiKey = (
        await adminApi(server.url, 'POST', `/orgs/${org}/api-keys`, { email: member })
      ).body.apiKey as string;
      const runHome = tempDir('console-run-');
      // The page is open before the run starts: the session appears in it by itself.
      await page.goto(`${server.url}/console/orgs/${org}/licenses`);
      const run = startKatalonc(
        [
          '--product',
          'KSE',
          `-apiKey=${apiKey}`,
          `-orgID=${org}`,
          `-serverUrl=${server.url}`,
          '--',
          'sleep',
          '60',
        ],
        userEnv(runHome),
      );
      await page.getByText('Terminate…').waitFor({ timeout: 20_000 });
      await check(page, '8-online-licenses');
      // Terminate asks first.
      await page.getByText('Terminate…').click();
      await Promise.all([
        page.waitForURL(/done=terminated/),
        page.getByRole('button', { name: /^Terminate the session of/ }).click(),
      ]);
      const r = await run.result;
      expect(r.code).toBe(9);
      expect(r.stderr).toContain('terminated by owner-kse@browser.test in the console');
      await page.getByRole('link', { name: 'Audit log' }).click();
      expect(await page.getByRole('table').innerText()).toContain('session terminated');
      await check(page, '10-audit-log');
      await page.close();
    });

    it('an Owner invites from People: the page says the invitation was e-mailed, its link aside; the e-mailed link opens the invitation', async () => {
      const { org, name } = await seedOrg(server.url);
      const page = await browser.newPage();
      await signInAsOwner(page, org, 'owner-mail@browser.test');
      await page.getByRole('link', { name: 'People' }).click();
      await page.getByLabel('E-mail').fill('mailed@browser.test');
      await page.getByRole('combobox', { name: /^Role/ }).selectOption('admin');
      await Promise.all([
        page.waitForURL('**/people/invite'),
        page.getByRole('button', { name: 'Invite', exact: true }).click(),
      ]);
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toContain('was e-mailed to mailed@browser.test.');
      const link = linkIn(await smtp.next('mailed@browser.test'));
      // The link is there to copy, folded away until asked for.
      const aside = page.getByRole('status').locator('code');
      expect(await aside.isVisible()).toBe(false);
      await page.getByText('Copy the link instead').click();
      expect(await aside.textContent()).toBe(link);
      expect(await page.getByRole('table', { name: 'Pending invitations' }).innerText()).toContain(
        'mailed@browser.test',
      );
      await check(page, '4c-people-invitation-e-mailed');
      // Opened in the Owner's browser, it is someone else's invitation.
      await page.goto(link);
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe(`Join ${name}`);
      expect(await page.locator('main').innerText()).toContain(
        'This invitation is for mailed@browser.test',
      );
      await page.close();
    });

    it('an offline license is issued once: pressing the button again while the first is on its way sends nothing; the page after it is fresh (the count, the row, the box unticked), and reloading it issues nothing; Download is one click away', async () => {
      const { org } = await seedOrg(server.url, { quota: 3, model: 'node-locked' });
      const machineId = randomMachineId();
      const page = await browser.newPage({ acceptDownloads: true });
      await signInAsOwner(page, org, 'owner-once@browser.test');
      const posts: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST') posts.push(r.url());
      });
      const offline = async () =>
        (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`)).body.offlineLicenses as {
          id: string;
        }[];
      await page.getByLabel('Machine ID').fill(machineId);
      const box = page.getByRole('checkbox', { name: /^I understand: an offline license/ });
      await box.check();
      // A slow answer (held back here) and an impatient Enter on the button: one form is sent.
      await page.route('**/offline-licenses', async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await route.continue();
      });
      const create = page.getByRole('button', { name: 'Create Offline License' });
      const downloaded = page.waitForEvent('download');
      await create.click({ noWaitAfter: true });
      await page.waitForTimeout(300);
      await page.keyboard.press('Enter');
      const download = await downloaded;
      expect(download.suggestedFilename()).toBe(`KRE_${machineId}.lic`);
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toMatch(new RegExp(`Issued: an offline license for machine\\s+${machineId}`));
      expect(posts).toHaveLength(1);
      expect(await offline()).toHaveLength(1);
      // The page is the server's as it is now, not the form as it was.
      expect(await box.isChecked()).toBe(false);
      expect(await page.getByLabel('Machine ID').inputValue()).toBe('');
      expect(await page.getByRole('button', { name: 'Create Offline License' }).isDisabled()).toBe(
        true,
      );
      expect(await page.locator('section.product').innerText()).toMatch(
        /Available Licenses\s+2 = 3 subscribed − \(1 offline license \+ 0 active online sessions\)/,
      );
      expect(
        await page.getByRole('table', { name: 'Offline and testing licenses' }).innerText(),
      ).toContain(machineId);
      await check(page, '6c-offline-license-once');
      // A reload (and Back to it) repeats a GET: nothing more is issued.
      await page.reload();
      await page.goBack();
      await page.goForward();
      expect(posts).toHaveLength(1);
      expect(await offline()).toHaveLength(1);
      // The notice's Download, one click away, fetches the kept file again.
      await page.goto(
        `${server.url}/console/orgs/${org}/licenses?issued=${(await offline())[0].id}`,
      );
      const again = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: `Download KRE_${machineId}.lic` }).click(),
      ]);
      expect(again[0].suggestedFilename()).toBe(`KRE_${machineId}.lic`);
      expect(await offline()).toHaveLength(1);
      await page.close();
    });

    it('a page on another origin cannot act for a signed-in Owner (CSRF), and an Owner cannot open another organisation', async () => {
      const a = await seedOrg(server.url);
      const b = await seedOrg(server.url);
      const page = await browser.newPage();
      await signInAsOwner(page, a.org, 'owner-csrf@browser.test');
      // Another origin on the same host (another port: the same site, so the cookie is even sent):
      // its page posts an invitation form to the console as soon as it loads.
      const attacker = createServer((_request, response) => {
        response.setHeader('content-type', 'text/html');
        response.end(
          `<form method="post" action="${server.url}/console/orgs/${a.org}/people/invite">` +
            '<input name="email" value="mallory@evil.test"><input name="role" value="owner"></form>' +
            '<script>document.forms[0].submit()</script>',
        );
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = attacker.address() as AddressInfo;
        const refused = page.waitForResponse((r) => r.url().endsWith('/people/invite'));
        await page.goto(`http://127.0.0.1:${port}/`);
        expect((await refused).status()).toBe(403);
        await expect
          .poll(() => page.getByRole('alert').textContent())
          .toContain('sent from another site');
      } finally {
        attacker.close();
      }
      await page.goto(`${server.url}/console/orgs/${a.org}/people`);
      expect(await page.locator('main').innerText()).not.toContain('mallory@evil.test');
      const audit = await adminApi(server.url, 'GET', `/orgs/${a.org}/audit`);
      expect(JSON.stringify(audit.body)).not.toContain('mallory@evil.test');
      // The Owner of A, in B: the server says no, whatever the page shows.
      for (const path of ['licenses', 'people', 'audit']) {
        const response = await page.goto(`${server.url}/console/orgs/${b.org}/${path}`);
        expect([403, 404]).toContain(response?.status());
      }
      await page.close();
    });

    it('node-locked and floating pools of one product: a section each, offline licenses only in the node-locked one', async () => {
      const { org } = await seedOrg(server.url, {
        quota: 5,
        machineQuota: 10,
        model: 'node-locked',
      });
      const floating = await adminApi(server.url, 'POST', `/orgs/${org}/pools`, {
        product: 'KRE',
        model: 'floating',
        billing: 'monthly',
        quota: 20,
        machineQuota: 0,
        expiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
      });
      expect(floating.status).toBe(201);
      const page = await browser.newPage();
      await signInAsOwner(page, org, 'two-pools@browser.test');
      const sections = page.locator('section.product');
      await expect.poll(() => sections.count()).toBe(2);
      expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([
        'Katalon Runtime Engine (KRE): Node-locked',
        'Katalon Runtime Engine (KRE): Floating',
      ]);
      const [nodeLocked, floatingSection] = [sections.nth(0), sections.nth(1)];
      await nodeLocked.getByRole('button', { name: 'Create Offline License' }).waitFor();
      expect(await floatingSection.getByRole('button', { name: /Create/ }).count()).toBe(0);
      expect(await floatingSection.innerText()).toContain(
        'A floating, monthly pool serves online sessions only',
      );
      // A floating pool has no machine quota: it says how many machines it has seen instead.
      const facts = (section: typeof nodeLocked) => section.locator('dl.facts').innerText();
      expect(await facts(nodeLocked)).toMatch(/Machine Quota\s+10 \(0 registered\)/);
      expect(await facts(floatingSection)).toMatch(
        /Machines seen\s+0 \(a floating pool has no machine quota\)/,
      );
      expect(await facts(floatingSection)).not.toContain('Machine Quota');
      await check(page, '10-two-pools');
      // The picture in docs/: the Subscription Details of both pools.
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.screenshot({ path: join(shots, 'license-management.png') });
      await page.close();
    });

    it('a Member cannot open the license page; the refusal page passes axe too', async () => {
      const { org } = await seedOrg(server.url);
      const link = await invite(server.url, org, 'member@browser.test', 'member');
      const page = await browser.newPage();
      await page.goto(`${server.url}${link}`);
      await page.getByLabel('Password (at least').fill(PASSWORD);
      await page.getByLabel('Password again').fill(PASSWORD);
      await Promise.all([
        page.waitForURL('**/console/sign-in?joined=*'),
        page.getByRole('button', { name: 'Accept the invitation' }).click(),
      ]);
      await page.getByLabel('E-mail').fill('member@browser.test');
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([
        page.waitForURL('**/console/orgs'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      const refused = await page.goto(`${server.url}/console/orgs/${org}/licenses`);
      expect(refused?.status()).toBe(403);
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toContain('only Owners and Admins');
      // The refusal keeps the header: who is signed in, and Sign out.
      expect(await page.locator('header').innerText()).toContain('member@browser.test');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await check(page, '5-member-refused');
      // What a Member may: their own API keys.
      await page.goto(`${server.url}/console/orgs`);
      await page.getByRole('link', { name: /^Your API keys for / }).click();
      await page.getByRole('button', { name: 'Create an API key' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('shown this once');
      await check(page, '9-member-api-keys');
      await page.close();
    });

    it('the audit log pages back: an entry 120 later ones pushed off the first page is one "Older entries" away, by keyboard', async () => {
      const { org, email } = await seedOrg(server.url);
      const page = await browser.newPage();
      await signInAsOwner(page, org, 'auditor@browser.test');
      // The entry to find, then 120 after it.
      const invited = 'pushed-back@browser.test';
      expect(
        (
          await adminApi(server.url, 'POST', `/orgs/${org}/invitations`, {
            email: invited,
            role: 'member',
          })
        ).status,
      ).toBe(201);
      for (let i = 0; i < 120; i++)
        expect(
          (await adminApi(server.url, 'POST', `/orgs/${org}/api-keys`, { email })).status,
        ).toBe(201);
      await page.goto(`${server.url}/console/orgs/${org}/audit`);
      const table = page.getByRole('table', { name: 'Every change, newest first' });
      expect(await table.innerText()).not.toContain(invited);
      const older = page.getByRole('link', { name: 'Older entries' });
      await older.focus();
      await Promise.all([page.waitForURL('**/audit?before=*'), page.keyboard.press('Enter')]);
      expect(await table.innerText()).toContain(invited);
      await check(page, '10-audit-older');
      await page.close();
    });

    /**
     * An organisation whose one pool (node-locked KRE) has `n` registered machines and `n` live
     * sessions, written straight into the store (as months of CI would have left them), the pool's
     * counters with them. Machine i (agent-000 …) was first seen, and its session started, i
     * seconds after the first: the last is the newest. Resolves with the machine IDs, oldest first.
     */
    const seedLists = async (n: number) => {
      const { org, email } = await seedOrg(server.url, {
        model: 'node-locked',
        quota: 1000,
        machineQuota: 1000,
      });
      const [{ id: pool }] = await sqlOn(storeRef, 'SELECT id FROM pools WHERE org_id = ?', org);
      const [{ id: user }] = await sqlOn(storeRef, 'SELECT id FROM users WHERE email = ?', email);
      const start = Date.now() - 86_400_000;
      const ids = Array.from({ length: n }, () => randomMachineId());
      for (const [i, machineId] of ids.entries()) {
        const host = `agent-${String(i).padStart(3, '0')}`;
        await sqlOn(
          storeRef,
          'INSERT INTO machines (pool_id, machine_id, hostname, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)',
          pool as number,
          machineId,
          host,
          start + i * 1000,
          start + i * 1000,
        );
        await sqlOn(
          storeRef,
          'INSERT INTO sessions (id, pool_id, user_id, machine_id, hostname, os_user, created_at, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          randomUUID(),
          pool as number,
          user as number,
          machineId,
          host,
          'ci',
          start + i * 1000,
          Date.now() + 86_400_000,
        );
      }
      await sqlOn(
        storeRef,
        'UPDATE pools SET machine_count = ?, open_sessions = ? WHERE id = ?',
        n,
        n,
        pool as number,
      );
      return { org, email, ids };
    };

    it('150 machines and 150 sessions: each list pages newest first with its count, the other list keeps its page, the live list follows its page, and Remove and Terminate on a later page come back to it', async () => {
      const { org, ids } = await seedLists(150);
      const page = await browser.newPage();
      await signInAsOwner(page, org, 'pager@browser.test');
      const sessions = page.getByRole('table', { name: /^Online sessions/ });
      const machines = page.getByRole('table', { name: /^Registered machines/ });
      const rows = (table: typeof sessions) => table.locator('tbody tr').count();
      expect(await sessions.getAttribute('aria-label')).toBeNull(); // named by its caption
      expect(await page.locator('caption').allInnerTexts()).toEqual([
        'Online sessions: 150 sessions, newest first',
        'Registered machines: 150 machines, newest first',
      ]);
      expect(await rows(machines)).toBe(100);
      expect(await machines.innerText()).toContain('agent-149');
      expect(await machines.innerText()).not.toContain('agent-049');
      // The sessions' older page, then the machines': the sessions stay on theirs.
      await Promise.all([
        page.waitForURL(/sessionsBefore=/),
        page.getByRole('link', { name: 'Older sessions' }).click(),
      ]);
      expect(await rows(sessions)).toBe(50);
      expect(await sessions.innerText()).toContain('agent-000');
      await Promise.all([
        page.waitForURL(/machinesBefore=.*|sessionsBefore=.*machinesBefore=/),
        page.getByRole('link', { name: 'Older machines' }).click(),
      ]);
      expect(new URL(page.url()).searchParams.get('sessionsBefore')).not.toBeNull();
      expect(await rows(sessions)).toBe(50);
      expect(await rows(machines)).toBe(50);
      expect(await machines.innerText()).toContain(ids[0]);
      expect(await page.locator('caption').allInnerTexts()).toEqual([
        'Online sessions: 150 sessions, newest first (an older page)',
        'Registered machines: 150 machines, newest first (an older page)',
      ]);
      await check(page, '11-licenses-older-pages');
      // The live list polls (every 5 s) the page it is on, not the first one.
      await page.waitForTimeout(6500);
      expect(await rows(sessions)).toBe(50);
      expect(await sessions.innerText()).toContain('agent-000');
      expect(await sessions.innerText()).not.toContain('agent-149');
      // Removing the oldest machine comes back to this page, without it.
      const here = new URL(page.url()).searchParams;
      await Promise.all([
        page.waitForURL(/done=machine-removed/),
        page.getByRole('button', { name: `Remove machine ${ids[0]}` }).click(),
      ]);
      const back = new URL(page.url()).searchParams;
      for (const name of ['pool', 'sessionsBefore', 'machinesBefore'])
        expect(back.get(name)).toBe(here.get(name));
      expect(await page.getByRole('status').innerText()).toContain('The machine was removed');
      expect(await rows(machines)).toBe(49);
      expect(await machines.innerText()).not.toContain(ids[0]);
      expect(await machines.innerText()).toContain(ids[1]);
      // Its session was ended with it; terminating another comes back to this page too.
      expect(await rows(sessions)).toBe(49);
      await sessions.locator('tr', { hasText: ids[1] }).getByText('Terminate…').click();
      await Promise.all([
        page.waitForURL(/done=terminated/),
        page.getByRole('button', { name: `Terminate the session of ${ids[1]}` }).click(),
      ]);
      expect(new URL(page.url()).searchParams.get('sessionsBefore')).toBe(
        here.get('sessionsBefore'),
      );
      expect(await rows(sessions)).toBe(48);
      expect(await sessions.innerText()).not.toContain(ids[1]);
      expect(await sessions.innerText()).toContain('agent-002');
      // And back to the newest machines, the sessions still on their older page.
      await Promise.all([
        page.waitForURL((url) => !url.searchParams.has('machinesBefore')),
        page.getByRole('link', { name: 'Newest machines' }).click(),
      ]);
      expect(await machines.innerText()).toContain('agent-149');
      expect(await sessions.innerText()).toContain('agent-002');
      await page.close();
    });

    it('the filter box (a GET form) finds machines and sessions by hostname, machine ID or e-mail prefix, with how many of all', async () => {
      const { org, email, ids } = await seedLists(120);
      const page = await browser.newPage();
      await signInAsOwner(page, org, 'finder@browser.test');
      const find = page.getByRole('searchbox', { name: 'Find sessions and machines' });
      // agent-010 … agent-019 are on no first page: machines and sessions are newest first.
      await find.fill('agent-01');
      await Promise.all([page.waitForURL(/prefix=agent-01/), find.press('Enter')]);
      expect(await page.locator('caption').allInnerTexts()).toEqual([
        'Online sessions: 10 of 120 starting with "agent-01", newest first',
        'Registered machines: 10 of 120 starting with "agent-01", newest first',
      ]);
      const machines = page.getByRole('table', { name: /^Registered machines/ });
      expect(await machines.innerText()).toContain('agent-010');
      expect(await machines.innerText()).not.toContain('agent-100');
      await check(page, '12-licenses-filtered');
      // A machine ID, typed in lower case; an e-mail prefix finds the member's sessions only.
      await find.fill(ids[5].slice(0, 8).toLowerCase());
      await Promise.all([page.waitForURL(/prefix=/), find.press('Enter')]);
      expect(await machines.innerText()).toContain(ids[5]);
      const typed = email.slice(0, 5).toUpperCase();
      await find.fill(typed);
      await Promise.all([page.waitForURL(/prefix=/), find.press('Enter')]);
      expect(await page.locator('caption').allInnerTexts()).toEqual([
        `Online sessions: 120 of 120 starting with "${typed}", newest first`,
      ]);
      await page.getByText(`Registered machines starting with "${typed}": none.`).waitFor();
      await Promise.all([
        page.waitForURL((url) => !url.searchParams.has('prefix')),
        page.getByRole('link', { name: 'Show all' }).click(),
      ]);
      expect(await page.locator('caption').allInnerTexts()).toEqual([
        'Online sessions: 120 sessions, newest first',
        'Registered machines: 120 machines, newest first',
      ]);
      await page.close();
    });

    it("the same pages through the admin API and the admin CLI; an Admin of another organisation cannot page into this one's machines", async () => {
      const { org, ids } = await seedLists(130);
      const first = await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`);
      expect(first.status).toBe(200);
      const paging = first.body.paging as { machines: { found: number; older: string } };
      expect(paging.machines.found).toBe(130);
      expect((first.body.registeredMachines as unknown[]).length).toBe(100);
      const older = await adminApi(
        server.url,
        'GET',
        `/orgs/${org}/pools/KRE?machinesBefore=${encodeURIComponent(paging.machines.older)}`,
      );
      expect(
        (older.body.registeredMachines as { machineId: string }[]).map((m) => m.machineId),
      ).toEqual(ids.slice(0, 30).reverse());
      const cli = await run(
        SERVER,
        ['--server', server.url, '--json', 'pool', 'show', '--org', String(org)].concat([
          '--product',
          'KRE',
          '--prefix',
          'agent-12',
        ]),
        userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN }),
      );
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).paging.machines.found).toBe(10);
      // The Owner finds the oldest machine one page back; an Admin of another organisation, with
      // the same address, finds no such organisation.
      const path = `/console/orgs/${org}/licenses?pool=KRE-node-locked&machinesBefore=${encodeURIComponent(paging.machines.older)}`;
      const owner = await joinAs(server.url, org, 'owner-pages@browser.test', 'owner');
      const mine = await owner.get(path);
      expect(mine.status).toBe(200);
      expect(mine.text).toContain(ids[0]);
      const other = await seedOrg(server.url);
      const outsider = await joinAs(server.url, other.org, 'admin-elsewhere@browser.test', 'admin');
      const theirs = await outsider.get(path);
      expect(theirs.status).toBe(404);
      for (const id of ids) expect(theirs.text).not.toContain(id);
      expect(theirs.text).toContain(`no organisation ${org}`);
    });
  },
);
