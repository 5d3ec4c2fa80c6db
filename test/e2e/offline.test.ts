import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  KATALONC,
  katalonc,
  maxConcurrency,
  probe,
  startKatalonc,
  tempDir,
  userEnv,
  waitFor,
  waitForPid,
} from '../helpers/cli.ts';
import { requireAll } from '../helpers/network.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';
import { generateSigningKey } from '../../src/core/license/keys.ts';

const key = testIssuer();
const HOUR = 3_600_000;
let machineId = '';

const setup = (licenses: Record<string, string> = {}) => {
  const home = tempDir('katalonc-home-');
  const dir = join(home, '.katalon', 'license');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(licenses)) writeFileSync(join(dir, name), text);
  return { home, dir, env: userEnv(home) };
};

const valid = () => makeLicense(key, { machineId });

beforeAll(async () => {
  machineId = (await katalonc(['--print-machine-id'], userEnv())).stdout.trim();
});

describe('katalonc license list', () => {
  it('gives each file exactly one status, from real files, through the real CLI', async () => {
    const { env, home } = setup({
      [`KRE_${machineId}.lic`]: valid(),
      [`KRE_${machineId} (1).lic`]: makeLicense(key, { machineId, kind: 'testing' }),
      'expired.lic': makeLicense(key, {
        machineId,
        expiresAt: new Date(Date.now() - 60_000).toISOString(),
      }),
      'future.lic': makeLicense(key, {
        machineId,
        issuedAt: new Date(Date.now() + 3 * HOUR).toISOString(),
      }),
      'other.lic': makeLicense(key, { machineId: 'KEHM5-0M4KF-T8BVZ-ZNVZE' }),
      'kse.lic': makeLicense(key, { machineId, product: 'KSE' }),
      'stranger.lic': makeLicense(testIssuer({}, generateSigningKey().signingKey), { machineId }),
      'edited.lic': valid().replace(
        /^([A-Za-z0-9+/]{20})([A-Za-z0-9+/])/m,
        (_m, a: string, b: string) => a + (b === 'Q' ? 'R' : 'Q'),
      ),
      'garbage.lic': '\x00\x01binary\xff',
      'v9.lic': valid().replace('Version: 3', 'Version: 9'),
      'notes.txt': 'not a license: ignored',
    });
    const r = await katalonc(['license', 'list', '--json'], env);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.folder).toBe(join(home, '.katalon', 'license'));
    expect(report.machineId).toBe(machineId);
    const status = Object.fromEntries(
      report.licenses.map((l: { file: string; status: string }) => [l.file, l.status]),
    );
    expect(status).toEqual({
      [`KRE_${machineId}.lic`]: 'valid',
      [`KRE_${machineId} (1).lic`]: 'testing',
      'expired.lic': 'expired',
      'future.lic': 'not-yet-valid',
      'other.lic': 'wrong-machine',
      'kse.lic': 'wrong-product',
      'stranger.lic': 'unknown-key',
      'edited.lic': 'tampered',
      'garbage.lic': 'malformed',
      'v9.lic': 'unsupported-version',
    });
    expect(report.valid).toBe(1);
    for (const l of report.licenses)
      expect(Object.keys(l).sort()).toEqual([
        'expiresAt',
        'file',
        'machineId',
        'message',
        'product',
        'status',
      ]);
  });

  it('prints a table for humans and exits 6 when no license is valid', async () => {
    const { env } = setup({
      'other.lic': makeLicense(key, { machineId: 'KEHM5-0M4KF-T8BVZ-ZNVZE' }),
    });
    const r = await katalonc(['license', 'list'], env);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/wrong-machine/);
    expect(r.stdout).toContain('The number of valid offline licenses: 0');
  });

  it('the table is as wide as its reasons, as README shows it (not padded to 60 columns)', async () => {
    const { env } = setup({ 'a.lic': valid() });
    const r = await katalonc(['license', 'list'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^│ a\.lic +│ KRE +│ valid +│ \d{4}-\d{2}-\d{2} │ valid until \S+ \([^)]*\) │$/m,
    );
  });

  it('detects a clock set back more than an hour behind the time already seen', async () => {
    const { env, home } = setup({ 'a.lic': valid() });
    const state = join(home, '.katalon', 'katalonc');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'clock-mark.json'), JSON.stringify({ mark: Date.now() + 2 * HOUR }));
    const r = await katalonc(['license', 'list', '--json'], env);
    expect(JSON.parse(r.stdout).licenses[0].status).toBe('clock-rollback');
    expect(r.code).toBe(6);
    // The mark survives, and is not lowered by the run.
    expect(JSON.parse(readFileSync(join(state, 'clock-mark.json'), 'utf8')).mark).toBeGreaterThan(
      Date.now() + HOUR,
    );
  });

  it('records the high-water mark atomically on a normal run', async () => {
    const { env, home } = setup({ 'a.lic': valid() });
    await katalonc(['license', 'list', '--json'], env);
    const file = join(home, '.katalon', 'katalonc', 'clock-mark.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).mark).toBeGreaterThan(Date.now() - 60_000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('copes with a missing folder, a directory, a FIFO, a 50 MB file, a symlink loop and an unreadable file', async () => {
    const missing = await katalonc(
      ['license', 'list', '--json', '-licenseDir=/nonexistent/katalon'],
      setup().env,
    );
    expect(missing.code).toBe(6);
    expect(JSON.parse(missing.stdout)).toMatchObject({ licenses: [], valid: 0 });

    const { env, dir } = setup({ 'good.lic': valid() });
    mkdirSync(join(dir, 'dir.lic'));
    execFileSync('mkfifo', [join(dir, 'fifo.lic')]);
    writeFileSync(join(dir, 'huge.lic'), Buffer.alloc(50 * 1024 * 1024, 65));
    symlinkSync(join(dir, 'loop-b.lic'), join(dir, 'loop-a.lic'));
    symlinkSync(join(dir, 'loop-a.lic'), join(dir, 'loop-b.lic'));
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling.lic'));
    const r = await katalonc(['license', 'list', '--json'], env);
    expect(r.code).toBe(0);
    const byFile = Object.fromEntries(
      JSON.parse(r.stdout).licenses.map((l: { file: string; status: string; message: string }) => [
        l.file,
        l,
      ]),
    );
    expect(byFile['good.lic'].status).toBe('valid');
    for (const f of ['dir.lic', 'fifo.lic', 'huge.lic', 'loop-a.lic', 'loop-b.lic', 'dangling.lic'])
      expect(byFile[f].status, f).toBe('malformed');
    expect(byFile['dir.lic'].message).toMatch(/directory/);
    expect(byFile['huge.lic'].message).toMatch(/bytes/);
    expect(byFile['loop-a.lic'].message).toMatch(/loop/);
  });

  it('KATALON_LICENSE_DIR and -licenseDir override the folder', async () => {
    const other = tempDir();
    writeFileSync(join(other, 'x.lic'), valid());
    const { env } = setup();
    expect(
      JSON.parse(
        (await katalonc(['license', 'list', '--json'], { ...env, KATALON_LICENSE_DIR: other }))
          .stdout,
      ).valid,
    ).toBe(1);
    expect(
      JSON.parse(
        (await katalonc(['license', 'list', '--json', `-licenseDir=${other}`], env)).stdout,
      ).valid,
    ).toBe(1);
  });
});

describe('katalonc license install', () => {
  it('installs a valid license into a new user-only folder, never overwriting', async () => {
    const { env, home } = setup();
    const dir = join(home, '.katalon', 'license');
    execFileSync('rm', ['-rf', join(home, '.katalon')]);
    const src = tempDir();
    const name = `KRE_${machineId}.lic`;
    writeFileSync(join(src, name), valid());
    const r = await katalonc(['license', 'install', join(src, name)], env);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(home, '.katalon')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    writeFileSync(join(src, name), valid());
    expect((await katalonc(['license', 'install', join(src, name)], env)).code).toBe(0);
    // (Besides katalonc's own clock mark, .katalonc-clock.json.)
    expect(
      readdirSync(dir)
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).toEqual([`KRE_${machineId} (1).lic`, name]);
  });

  it('refuses a license for another machine with the reason and changes nothing', async () => {
    const { env, dir } = setup();
    const src = join(tempDir(), 'KRE_x.lic');
    writeFileSync(src, makeLicense(key, { machineId: 'KEHM5-0M4KF-T8BVZ-ZNVZE' }));
    const r = await katalonc(['license', 'install', src], env);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/wrong-machine.*KEHM5-0M4KF-T8BVZ-ZNVZE/);
    expect(readdirSync(dir)).toEqual([]);
    expect((await katalonc(['license', 'install', '/nonexistent.lic'], env)).stderr).toMatch(
      /cannot read \/nonexistent\.lic \(ENOENT\): check the path of the downloaded \.lic file/,
    );
    // Not a license, refused at once: a FIFO is never opened (reading one would wait forever), a directory never read.
    const fifo = join(tempDir(), 'KRE_pipe.lic');
    execFileSync('mkfifo', [fifo]);
    const pipe = await katalonc(['license', 'install', fifo], env);
    expect(pipe.code).toBe(6);
    expect(pipe.stderr).toMatch(/not a regular file/);
    expect((await katalonc(['license', 'install', tempDir()], env)).stderr).toMatch(
      /is a directory/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('katalonc run: one session per license file', () => {
  it('prints the katalonc lines, runs the command with the license held, and returns its exit code', async () => {
    const { env, dir } = setup({ 'a.lic': valid() });
    const r = await katalonc(
      [
        'run',
        '--',
        process.execPath,
        '-e',
        'console.log("hello from the test"); console.log(process.env.KATALONC_LICENSE); process.exit(3)',
      ],
      env,
    );
    expect(r.code).toBe(3);
    const [hello, held] = r.stdout.split('\n');
    expect(hello).toBe('hello from the test');
    expect(JSON.parse(held)).toEqual({
      kind: 'offline',
      product: 'KRE',
      model: 'node-locked',
      orgId: expect.any(String),
      file: join(dir, 'a.lic'),
      expiresAt: expect.any(String),
    });
    const lines = r.stderr.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Start activating offline...',
      `Search for valid offline licenses in folder: ${dir}`,
      'The number of valid offline licenses: 1',
    ]);
    // The bare katalonc form means the same; -q says nothing but what goes wrong.
    const quiet = await katalonc(['-q', '--', process.execPath, '-e', 'process.exit(0)'], env);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('Start activating offline');
  });

  it('3 licenses, 9 concurrent runs: exactly 3 run at once, the other 6 exit 6 at once', async () => {
    const { env } = setup({ 'a.lic': valid(), 'b.lic': valid(), 'c.lic': valid() });
    const log = join(tempDir(), 'log');
    const runs = Array.from({ length: 9 }, () =>
      startKatalonc(['run', '-enableLicenseRetry=false', '--', ...probe(log, 5000)], env),
    );
    const results = await Promise.all(runs.map((r) => r.result));
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 0, 0, 6, 6, 6, 6, 6, 6]);
    for (const r of results.filter((x) => x.code === 6))
      expect(r.stderr).toMatch(/all 3 valid offline licenses .* are in use/);
    expect(maxConcurrency(log)).toBe(3);
  });

  it('with -enableLicenseRetry, all 9 succeed in turn and never more than 3 at once', async () => {
    const { env } = setup({ 'a.lic': valid(), 'b.lic': valid(), 'c.lic': valid() });
    const log = join(tempDir(), 'log');
    const runs = Array.from({ length: 9 }, () =>
      startKatalonc(
        [
          '-enableLicenseRetry',
          '-licenseRetryInterval=3',
          '-licenseRetryMaxJitter=0.5',
          '-licenseRetryMaxDuration=200',
          'run',
          '--',
          ...probe(log, 1000),
        ],
        // A retry minute of 100 ms: tries every 0.3–0.35 s, for up to 20 s.
        { ...env, KATALONC_MINUTE_MS: '100' },
      ),
    );
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.code)).toEqual(Array(9).fill(0));
    expect(results.some((r) => /retrying in/.test(r.stderr))).toBe(true);
    // A retry says why it waits, not the whole preamble again.
    for (const r of results)
      expect(r.stderr.match(/Start activating offline\.\.\./g)).toHaveLength(1);
    expect(maxConcurrency(log)).toBe(3);
  });

  it('copies of one license file count once', async () => {
    const text = valid();
    const { env } = setup({ 'a.lic': text, 'a (1).lic': text });
    const log = join(tempDir(), 'log');
    const runs = [
      startKatalonc(['run', '-enableLicenseRetry=false', '--', ...probe(log, 3000)], env),
      startKatalonc(['run', '-enableLicenseRetry=false', '--', ...probe(log, 3000)], env),
    ];
    const codes = (await Promise.all(runs.map((r) => r.result))).map((r) => r.code).sort();
    expect(codes).toEqual([0, 6]);
    const list = JSON.parse((await katalonc(['license', 'list', '--json'], env)).stdout);
    expect(list.valid).toBe(1);
    expect(list.licenses.find((l: { file: string }) => l.file === 'a.lic').message).toMatch(
      /^a copy of a \(1\)\.lic: one license counts once/,
    );
  });

  it("a katalonc killed with SIGKILL takes its command (and the command's children) with it, and frees its license", async () => {
    const { env } = setup({ 'a.lic': valid() });
    const pidFile = join(tempDir(), 'pid');
    // A command that forks: the child would survive its parent's death on its own.
    const holder = startKatalonc(
      ['run', '--', 'sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`],
      env,
    );
    const grandchild = await waitForPid(pidFile, 'the holder to start its command');
    const busy = await katalonc(['run', '-enableLicenseRetry=false', '--', 'true'], env);
    expect(busy.code).toBe(6);
    expect(busy.stderr).toMatch(
      /^error: the 1 valid offline license in .* is in use by another katalonc run on this machine: add -enableLicenseRetry=true to wait for one$/m,
    );
    holder.kill('SIGKILL');
    const killedAt = Date.now();
    await holder.exited;
    const alive = () => {
      try {
        process.kill(grandchild, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive(), 5_000, "the killed run's command to end");
    let code = 6;
    while (code === 6 && Date.now() - killedAt < 10_000)
      code = (await katalonc(['run', '-enableLicenseRetry=false', '--', 'true'], env)).code;
    expect(code).toBe(0);
  });

  it('SIGKILLed runs never let more commands run than there are license files', async () => {
    const { env } = setup({ 'a.lic': valid(), 'b.lic': valid() });
    const first = join(tempDir(), 'first');
    const killed = [0, 1].map(() =>
      startKatalonc(['run', '--', 'sh', '-c', `echo $$ >> ${first}; exec sleep 60`], env),
    );
    const pids = () => (existsSync(first) ? readFileSync(first, 'utf8').trim().split('\n') : []);
    await waitFor(() => pids().length === 2, 10_000, 'two runs');
    for (const run of killed) run.kill('SIGKILL');
    const alive = (pid: string) => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !pids().some(alive), 5_000, "the killed runs' commands to end");
    const log = join(tempDir(), 'log');
    const next = Array.from({ length: 4 }, () =>
      startKatalonc(['-enableLicenseRetry=false', 'run', '--', ...probe(log, 2500)], env),
    );
    const codes = (await Promise.all(next.map((r) => r.result))).map((r) => r.code).sort();
    expect(codes).toEqual([0, 0, 6, 6]);
    expect(maxConcurrency(log)).toBe(2);
  });

  // unshare -n makes a network namespace of its own: an abstract-socket lock is not seen there.
  const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;
  it.runIf(canUnshare || requireAll)(
    `the one-run-per-file lock holds across network namespaces${canUnshare ? '' : ' (skipped: unshare -n is not permitted here; it needs root or user namespaces)'}`,
    async () => {
      const { env } = setup({ 'a.lic': valid() });
      const marker = join(tempDir(), 'm');
      const holder = startKatalonc(
        ['run', '--', 'sh', '-c', `touch ${marker}; exec sleep 30`],
        env,
      );
      await waitFor(() => existsSync(marker), 10_000, 'the holder');
      const inOtherNamespace = spawnSync(
        'unshare',
        ['-n', process.execPath, KATALONC, '-enableLicenseRetry=false', 'run', '--', 'true'],
        { env, encoding: 'utf8' },
      );
      expect(inOtherNamespace.status, inOtherNamespace.stderr).toBe(6);
      expect(inOtherNamespace.stderr).toMatch(/is in use by another katalonc run/);
      holder.kill('SIGTERM');
      await holder.result;
    },
  );

  it('forwards SIGTERM and SIGINT to the command, waits for it, and releases the license', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { env } = setup({ 'a.lic': valid() });
      const marker = join(tempDir(), 'got');
      const holder = startKatalonc(
        [
          'run',
          '--',
          process.execPath,
          '-e',
          `process.on('${signal}',()=>{require('fs').writeFileSync(${JSON.stringify(marker)},'${signal}');setTimeout(()=>process.exit(42),300)});require('fs').writeFileSync(${JSON.stringify(marker)},'ready');setInterval(()=>{},1000)`,
        ],
        env,
      );
      await waitFor(() => existsSync(marker), 10_000, 'the command to start');
      holder.kill(signal);
      const r = await holder.result;
      expect(readFileSync(marker, 'utf8')).toBe(signal);
      expect(r.code).toBe(42);
      expect((await katalonc(['run', '--', 'true'], env)).code).toBe(0);
    }
  });

  it('no license at all: exit 6 with what to do', async () => {
    const { env } = setup();
    const r = await katalonc(['run', '--', 'true'], env);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/no valid offline license .* -apiKey/);
  });

  it('a command that does not exist is reported, and the license released', async () => {
    const { env } = setup({ 'a.lic': valid() });
    const r = await katalonc(['run', '--', 'no-such-command-xyz'], env);
    expect(r.stderr).toMatch(/cannot run "no-such-command-xyz"/);
    expect((await katalonc(['run', '--', 'true'], env)).code).toBe(0);
  });
});
