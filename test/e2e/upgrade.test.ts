// Upgrading a server: what it tells the operator at start.
import { expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { SERVER, tempDir, userEnv } from '../helpers/cli.ts';
import { ADMIN_TOKEN, startServer } from '../helpers/server.ts';

/** Starts a server on `dataDir` as it is (no certificate installed); resolves to its log once it listens. */
const startupLog = (dataDir: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, '--data-dir', dataDir, 'start', '--port', '0'], {
      env: userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(out))), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('katalon-license-server listening')) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        child.once('exit', () => resolve(out));
      }
    });
    child.once('error', reject);
  });

it('a server without an issuer certificate warns at start, saying what to do in order', async () => {
  const log = await startupLog(tempDir('kls-uncertified-'));
  const warning = log.split('\n').find((l) => l.includes('no issuer certificate'));
  expect(warning, log).toBeDefined();
  expect(JSON.parse(warning!).level).toBe(40);
  expect(warning).toMatch(/keys public.*root certify.*certificate install.*re-issue/);
});

it('a certified server does not', async () => {
  const server = await startServer();
  try {
    expect(server.logs()).not.toContain('no issuer certificate');
  } finally {
    await server.stop();
  }
});
