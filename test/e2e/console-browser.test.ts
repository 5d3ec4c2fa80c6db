// The console in a real headless Chromium (Debian's chromium, driven by playwright-core), against a
// real server: keyboard-only use, axe-core on every page (no serious or critical violation), and
// screenshots of each page in test-results/console/ as artefacts.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrg, startServer, type TestServer } from '../helpers/server.ts';
import { invite, PASSWORD } from '../helpers/console.ts';
import { missing, requireAll } from '../helpers/network.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'console');
const have = existsSync(CHROMIUM);

describe.skipIf(!have && !requireAll)(
  `the web console in Chromium${have ? '' : ` (skipped: ${missing('Chromium', 'chromium')})`}`,
  () => {
    let server: TestServer;
    let browser: Browser;
    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      server = await startServer();
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
    });

    /** axe-core on the page as it is: no serious or critical violation; and a screenshot. */
    const check = async (page: Page, name: string) => {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      // Evaluated through DevTools, so the page's CSP (no inline script) does not block it.
      await page.evaluate(axe.source);
      const result = await page.evaluate(() =>
        (window as unknown as { axe: typeof axe }).axe.run(document, {
          runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'],
        }),
      );
      const bad = result.violations.filter(
        (v) => v.impact === 'serious' || v.impact === 'critical',
      );
      expect(
        bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      ).toEqual([]);
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
      await Promise.all([page.waitForURL('**/console/sign-in'), page.keyboard.press('Enter')]);
      await check(page, '2-sign-in');
      await page.getByLabel('E-mail').fill('owner@browser.test');
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

    it('a Member cannot open the license page; the refusal page passes axe too', async () => {
      const { org } = await seedOrg(server.url);
      const link = await invite(server.url, org, 'member@browser.test', 'member');
      const page = await browser.newPage();
      await page.goto(`${server.url}${link}`);
      await page.getByLabel('Password (at least').fill(PASSWORD);
      await page.getByLabel('Password again').fill(PASSWORD);
      await Promise.all([
        page.waitForURL('**/console/sign-in'),
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
      await check(page, '5-member-refused');
      await page.close();
    });
  },
);
