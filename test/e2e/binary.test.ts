// The standalone executable, copied alone into an empty folder and run with no Node.js on PATH,
// behaves like the npm katalonc: same output, same exit codes, offline and online.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, katalonc, tempDir, userEnv, type Result } from '../helpers/cli.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';
import { seedOrg, startServer, type TestServer } from '../helpers/server.ts';

const dir = tempDir('katalonc-exe-');
const exe = join(dir, 'katalonc');
const key = testIssuer();
let server: TestServer;

/** No Node.js anywhere: PATH points at nothing, commands are given by absolute path. */
const bare = (home: string, extra: Record<string, string> = {}): Record<string, string> => ({
  HOME: home,
  PATH: '/nonexistent',
  NO_COLOR: '1',
  ...extra,
});

const runExe = (args: string[], env: Record<string, string>): Promise<Result> =>
  new Promise((done) =>
    execFile(exe, args, { env, cwd: dir }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    ),
  );

beforeAll(async () => {
  copyFileSync(join(ROOT, 'build', 'katalonc'), exe);
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('standalone katalonc', () => {
  it('--print-machine-id, --json, --version and errors match the npm katalonc', async () => {
    const home = tempDir();
    for (const args of [
      ['--print-machine-id'],
      ['--print-machine-id', '--json'],
      ['--version'],
      ['-bogus=1'],
      ['license', 'list', '--json'],
    ]) {
      const fromExe = await runExe(args, bare(home));
      const fromNpm = await katalonc(args, userEnv(home));
      expect(fromExe.code, args.join(' ')).toBe(fromNpm.code);
      expect(fromExe.stdout, args.join(' ')).toBe(fromNpm.stdout);
    }
  });

  it('offline: license list and run -- <cmd> with a license file', async () => {
    const home = tempDir();
    const machineId = (await runExe(['--print-machine-id'], bare(home))).stdout.trim();
    mkdirSync(join(home, '.katalon', 'license'), { recursive: true });
    writeFileSync(
      join(home, '.katalon', 'license', `KRE_${machineId}.lic`),
      makeLicense(key, { machineId }),
    );
    const list = await runExe(['license', 'list', '--json'], bare(home));
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).valid).toBe(1);
    const run = await runExe(['run', '--', '/bin/sh', '-c', 'echo held; exit 3'], bare(home));
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('held\n');
    expect(run.stderr).toContain('The number of valid offline licenses: 1');
  });

  it('online: activation and a run against a real server; --save falls back to the 0600 file', async () => {
    const { org, apiKey } = await seedOrg(server.url, { quota: 1 });
    const home = tempDir();
    const env = bare(home, { KATALON_API_KEY: apiKey });
    const activate = await runExe(
      ['activate', `-orgID=${org}`, `-serverUrl=${server.url}`, '--save', '--json'],
      env,
    );
    expect(activate.code, activate.stderr).toBe(0);
    expect(JSON.parse(activate.stdout).saved.apiKey).toBe('file');
    expect(activate.stderr).toMatch(/no usable OS keychain/);
    const run = await runExe(['run', '--', '/bin/sh', '-c', 'exit 0'], bare(home));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Start activating online...');
  });
});
