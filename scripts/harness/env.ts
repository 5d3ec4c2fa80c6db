// What the tests and the bench share to start real programs and peers: the checkout's root, a temp
// dir, the environment a child process starts from, whether a Debian tool is installed, a free
// loopback port. Here, not in test/, so that scripts (the bench) need nothing from test/.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const made: string[] = [];

/** A new folder under the OS temp dir, removed by removeTempDirs(). */
export const tempDir = (prefix = 'katalonc-test-'): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/** Makes a folder tree writable again (tests take rights away) so that it can be removed. */
const allowRemoval = (dir: string): void => {
  try {
    chmodSync(dir, 0o700);
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) allowRemoval(join(dir, entry.name));
  } catch {
    // not ours to change: rmSync below says what is left
  }
};

/**
 * Removes every folder tempDir() made in this process: the suite calls it after each test file. A
 * full run makes over 1 GB (a Wine prefix, PostgreSQL clusters, binaries); kept, a few runs fill a
 * disk. Best effort: a folder that cannot go is named on stderr, never a failed test.
 */
export const removeTempDirs = (): void => {
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      allowRemoval(dir);
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        console.error(`could not remove ${dir}: ${(error as Error).message}`);
      }
    }
  }
};

/**
 * What the tests' child processes start from: only what any process needs to run (where programs
 * are, who it is, where temp files go, and on Windows the system folders), never the shell's own.
 * Every variable the programs read (KATALON*, KLS_*, proxies, NODE_OPTIONS, NODE_EXTRA_CA_CERTS,
 * NO_COLOR/FORCE_COLOR, the container markers…) is then exactly what the test gives, so a developer
 * behind a proxy or an operator with the server's variables exported still gets the tests' result.
 */
const BASICS = [
  'PATH',
  'USER',
  'LOGNAME',
  'USERNAME',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SystemRoot',
  'windir',
  'ComSpec',
  'PATHEXT',
];

/** The basics above, plus what the caller says. */
export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const name of BASICS) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
};

/** An isolated user: its own HOME (so its own ~/.katalon), no colour, nothing else but `extra`. */
export const userEnv = (
  home = tempDir('katalonc-home-'),
  extra: Record<string, string> = {},
): Record<string, string> => cleanEnv({ HOME: home, USERPROFILE: home, NO_COLOR: '1', ...extra });

/** Whether a Debian tool a test needs is installed; CI (.ci/run) installs them all. */
export const installed = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** The one line a skipped test shows: what is missing and how to get it. */
export const missing = (what: string, apt: string): string =>
  `needs ${what}: apt-get install ${apt} (CI installs it; set KATALONC_REQUIRE_ALL=1 to fail instead)`;

/** True when tests must not skip for want of a Debian package (CI sets it). */
export const requireAll = process.env.KATALONC_REQUIRE_ALL === '1';

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
