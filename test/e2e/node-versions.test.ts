// The installed programs on the machine's own Node.js (20 on a fresh machine here, where the README
// says `npm link` works): they run through the checkout's pinned Node.js, or say in one line what
// they need. Skipped, with the reason, where the machine's Node.js is already new enough.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT, tempDir, userEnv } from '../helpers/cli.ts';

/** The first `node` on PATH that is not the pinned one npm puts first for scripts. */
const systemNode = (): string | null => {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return null;
};

const node = systemNode();
const version = node ? execFileSync(node, ['--version'], { encoding: 'utf8' }).trim() : '';
const [major, minor] = version.slice(1).split('.').map(Number);
const old = node !== null && (major < 22 || (major === 22 && minor < 19));

describe.skipIf(!old)(`the programs on this machine's Node.js (${version || 'none found'})`, () => {
  it('in a checkout they run on the pinned Node.js 24', () => {
    for (const bin of ['katalonc.js', 'katalon-license-server.js']) {
      const r = spawnSync(node!, [join(ROOT, 'bin', bin), '--version'], {
        encoding: 'utf8',
        env: userEnv(),
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+( \(development build\))?$/);
    }
    const id = spawnSync(node!, [join(ROOT, 'bin', 'katalonc.js'), '--print-machine-id'], {
      encoding: 'utf8',
      env: userEnv(),
    });
    expect(id.status, id.stderr).toBe(0);
  });

  it('installed without the pinned Node.js: one line naming the version needed, no stack trace', () => {
    const copy = tempDir('katalonc-install-');
    mkdirSync(join(copy, 'bin'));
    cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
    const r = spawnSync(node!, [join(copy, 'bin', 'katalonc.js'), 'license', 'list'], {
      encoding: 'utf8',
      env: userEnv(),
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: katalonc needs Node.js 22.19 or newer (this is ${version}): install Node.js 24 LTS, or use the standalone katalonc executable, which needs no Node.js`,
    ]);
  });
});
