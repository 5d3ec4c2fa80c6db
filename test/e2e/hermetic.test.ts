// The tests' result does not depend on the shell they run in: a developer behind a proxy, or an
// operator with the server's variables exported, gets the same green run. A few suites (the admin
// CLI's token errors, the drop-in katalonc lines, the store code loaded in-process, the invitation
// e-mails) run again in a vitest of their own whose environment sets every variable the programs
// read to a value that would break a test that inherited it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, cleanEnv, tempDir } from '../helpers/cli.ts';

const NOWHERE = 'http://127.0.0.1:9';

/** What a shell may hold: secrets and addresses that are wrong for every test. */
const HOSTILE: Record<string, string> = {
  KLS_ADMIN_TOKEN: 'x'.repeat(40),
  KLS_DATABASE_URL: 'postgres://127.0.0.1:9/x',
  KLS_DATA_DIR: '/nonexistent',
  KLS_HOST: '192.0.2.1',
  KLS_PORT: '9',
  KLS_LOG_LEVEL: 'fatal',
  KLS_LEASE_SECONDS: '1',
  KLS_PUBLIC_URL: 'http://hostile.invalid',
  KLS_SMTP_URL: 'http://hostile.invalid',
  KLS_SMTP_FROM: 'hostile',
  KLS_SERVER_URL: NOWHERE,
  KATALON_API_KEY: 'bad',
  KATALON_ORG_ID: '424242',
  KATALON_SERVER_URL: NOWHERE,
  KATALON_LICENSE_DIR: '/nonexistent',
  KATALON_PROXY_PASSWORD: 'bad',
  KATALONC_HOME: '/nonexistent',
  KATALONC_ENGINE: '/nonexistent',
  KATALONC_MINUTE_MS: '10',
  KATALONC_CONTAINER_OK: '1',
  KATALONC_TRUSTED_KEYS: 'ed25519:bad',
  HTTPS_PROXY: NOWHERE,
  HTTP_PROXY: NOWHERE,
  ALL_PROXY: NOWHERE,
  https_proxy: NOWHERE,
  http_proxy: NOWHERE,
  NO_PROXY: 'example.com',
  no_proxy: 'example.com',
  NO_COLOR: '1',
  FORCE_COLOR: '3',
  NODE_EXTRA_CA_CERTS: '/nonexistent',
  KUBERNETES_SERVICE_HOST: '10.0.0.1',
};

/** The suite's own switches go on: where they say nothing may skip, nothing does here either. */
const switches = (): Record<string, string> => {
  const on: Record<string, string> = {};
  for (const name of ['KATALONC_REQUIRE_ALL', 'KLS_REQUIRE_POSTGRES'])
    if (process.env[name] !== undefined) on[name] = process.env[name];
  return on;
};

const vitest = (files: string[], env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...files],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code, output }));
  });

describe("the shell's variables", () => {
  it('set to hostile values (admin token, API key, proxies, database and SMTP URLs, data dirs, colour), the suites still pass', async () => {
    const files = [
      'test/e2e/hardening.test.ts',
      'test/e2e/drop-in.test.ts',
      'test/unit/accounts.test.ts',
      'test/e2e/mail.test.ts',
    ];
    const r = await vitest(
      files,
      cleanEnv({ HOME: tempDir('katalonc-home-'), ...HOSTILE, ...switches() }),
    );
    expect(r.code, r.output).toBe(0);
    expect(stripVTControlCharacters(r.output)).toMatch(
      new RegExp(`Test Files +${files.length} passed \\(${files.length}\\)`),
    );
  }, 300_000);
});
