import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { cleanEnv, katalonc, kataloncForEveryone, tempDir, userEnv } from '../helpers/cli.ts';
import { parseMachineId } from '../../src/core/machine-id/format.ts';

/** katalonc's stdout as the user nobody; null when this process cannot switch users (not root). */
const asNobody = (args: string[]): Promise<string | null> =>
  new Promise((done, failed) => {
    if (process.getuid?.() !== 0) return done(null);
    const home = tempDir();
    chmodSync(home, 0o777);
    execFile(
      'su',
      [
        'nobody',
        '-s',
        '/bin/sh',
        '-c',
        `HOME=${home} "${kataloncForEveryone()}" ${args.join(' ')}`,
      ],
      { cwd: '/', env: cleanEnv() },
      (error, stdout) => (error ? failed(new Error(`su nobody: ${error.message}`)) : done(stdout)),
    );
  });

describe('katalonc --print-machine-id', () => {
  it('prints the same valid ID twice, alone on stdout', async () => {
    const env = userEnv();
    const a = await katalonc(['--print-machine-id'], env);
    const b = await katalonc(['--print-machine-id'], userEnv());
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}\n$/);
    expect(b.stdout).toBe(a.stdout);
    expect(parseMachineId(a.stdout).ok).toBe(true);
  });

  it('prints a different ID for a different OS user (nobody)', async () => {
    const mine = (await katalonc(['--print-machine-id'], userEnv())).stdout;
    const theirs = await asNobody(['--print-machine-id']);
    if (theirs === null) return; // not root: cannot switch users here
    expect(theirs).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}\n$/);
    expect(theirs).not.toBe(mine);
  });

  it('--json says which sources were used and warns when the ID cannot be stable', async () => {
    const r = await katalonc(['--print-machine-id', '--json'], userEnv());
    const report = JSON.parse(r.stdout);
    expect(report.machineId).toMatch(/-/);
    expect(
      report.sources.some(
        (s: { used: boolean; name: string }) => s.used && s.name.startsWith('user '),
      ),
    ).toBe(true);
    expect(Array.isArray(report.warnings)).toBe(true);
    const k8s = JSON.parse(
      (
        await katalonc(
          ['--print-machine-id', '--json'],
          userEnv(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }),
        )
      ).stdout,
    );
    expect(k8s.warnings.join()).toMatch(/container.*floating/);
    const human = await katalonc(
      ['--print-machine-id'],
      userEnv(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }),
    );
    expect(human.stderr).toMatch(/warning: running in a container/);
  });

  it('--explain and the machine-id subcommand agree with the fast path', async () => {
    const env = userEnv();
    const id = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    expect((await katalonc(['machine-id'], env)).stdout.trim()).toBe(id);
    const explain = await katalonc(['--print-machine-id', '--explain'], env);
    expect(explain.stdout).toContain(`Machine ID: ${id}`);
    expect(explain.stdout).toMatch(/used\s+\/etc\/machine-id|used\s+/);
  });

  it('--qr draws a QR code without changing stdout', async () => {
    const r = await katalonc(['--print-machine-id', '--qr'], userEnv());
    expect(parseMachineId(r.stdout).ok).toBe(true);
    expect(r.stderr).toMatch(/[▀▄█]/);
  });
});

describe('command line errors', () => {
  it('unknown and malformed options: one line, exit 4, no stack trace', async () => {
    for (const args of [
      ['--bogus'],
      ['-licenseRetryInterval=2', 'license', 'list'],
      ['-proxy.auth.server.port=99999', 'status'],
      ['-serverUrl=ftp://x', 'status'],
      ['frobnicate'],
    ]) {
      const r = await katalonc(args, userEnv());
      expect(r.code, args.join(' ')).toBe(4);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('an undocumented single-dash option is a warning for the engine, never an unknown-option error', async () => {
    const r = await katalonc(['-bogus=1'], userEnv());
    expect(r.stderr).toMatch(
      /^warning: -bogus is not a documented katalonc option: passed to the test engine/,
    );
    expect(r.stderr).not.toMatch(/unknown option/);
    // No engine to hand it to: exit 4, not 0.
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no engine is configured/);
  });

  it('--json renders errors as {"error":{code,message}}', async () => {
    const r = await katalonc(['--json', '--bogus'], userEnv());
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('--bogus') },
    });
  });

  it('--help and --version', async () => {
    const help = await katalonc(['--help'], userEnv());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('-apiKey=KEY');
    const version = await katalonc(['--version'], userEnv());
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
