// Clock rollback that one deleted file cannot undo, and the safe way back from a mark that a run
// with a wrong (future) clock left behind: a time signed by a certified license server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { katalonc, tempDir, userEnv } from '../helpers/cli.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';
import { adminCli, startServer, type TestServer } from '../helpers/server.ts';

const HOUR = 3_600_000;
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

/** A license folder with a valid license, and a clock mark 2 hours ahead in the state and beside it. */
const aheadByTwoHours = async () => {
  const home = tempDir();
  const env = userEnv(home);
  const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
  const folder = join(home, '.katalon', 'license');
  const state = join(home, '.katalon', 'katalonc');
  mkdirSync(folder, { recursive: true });
  mkdirSync(state, { recursive: true });
  writeFileSync(join(folder, 'a.lic'), makeLicense(testIssuer(), { machineId }));
  const mark = JSON.stringify({ mark: Date.now() + 2 * HOUR });
  writeFileSync(join(state, 'clock-mark.json'), mark);
  writeFileSync(join(folder, '.katalonc-clock.json'), mark);
  const status = async (e = env) =>
    JSON.parse((await katalonc(['license', 'list', '--json'], e)).stdout).licenses[0]
      .status as string;
  return { home, env, machineId, folder, state, status };
};

describe('the clock mark', () => {
  it('survives deleting its file and pointing KATALONC_HOME elsewhere', async () => {
    const { env, state, status } = await aheadByTwoHours();
    expect(await status()).toBe('clock-rollback');
    rmSync(join(state, 'clock-mark.json'));
    expect(await status()).toBe('clock-rollback');
    expect(await status({ ...env, KATALONC_HOME: tempDir() })).toBe('clock-rollback');
  });

  it('is reset by a time the license server signs, online (a fresh nonce)', async () => {
    const { env, status } = await aheadByTwoHours();
    const r = await katalonc([`-serverUrl=${server.url}`, 'clock', 'sync'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/The clock mark is now/);
    expect(await status()).toBe('valid');
  });

  it('is reset by a time file the admin issues for this machine, once', async () => {
    const { env, machineId, status } = await aheadByTwoHours();
    const out = tempDir();
    expect(
      (await adminCli(server.dataDir, ['offline', 'time', '--machine-id', machineId, '--out', out]))
        .code,
    ).toBe(0);
    const [file] = readdirSync(out);
    const sync = () => katalonc(['clock', 'sync', '--file', join(out, file)], env);
    expect((await sync()).code).toBe(0);
    expect(await status()).toBe('valid');
    const again = await sync();
    expect(again.code).toBe(8);
    expect(again.stderr).toMatch(/used already/);
  });

  it("refuses another machine's time file, and a signature it cannot check", async () => {
    const { env } = await aheadByTwoHours();
    const out = tempDir();
    await adminCli(server.dataDir, [
      'offline',
      'time',
      '--machine-id',
      'KEHM5-0M4KF-T8BVZ-ZNVZE',
      '--out',
      out,
    ]);
    const [file] = readdirSync(out);
    const other = await katalonc(['clock', 'sync', '--file', join(out, file)], env);
    expect(other.code).toBe(8);
    expect(other.stderr).toMatch(/is for machine KEHM5-0M4KF-T8BVZ-ZNVZE/);
    const forged = join(out, 'forged.ktime');
    writeFileSync(forged, 'not a signed time');
    expect((await katalonc(['clock', 'sync', '--file', forged], env)).code).toBe(8);
  });

  it('a time file it cannot read: a file error naming the file and the fix (exit 1), as license install says', async () => {
    const { env } = await aheadByTwoHours();
    const missing = join(tempDir(), 'missing.ktime');
    const r = await katalonc(['clock', 'sync', '--file', missing], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `error: cannot read the time file ${missing} (ENOENT): check its path (your admin makes it with "katalon-license-server offline time")`,
    );
    const json = await katalonc(['clock', 'sync', '--file', missing, '--json'], env);
    expect(JSON.parse(json.stdout).error.code).toBe('FILE_ERROR');
  });
});
