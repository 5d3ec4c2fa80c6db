// The Windows lane: katalonc run by Node.js for Windows under Wine, each test's programs in a Wine
// prefix (a Windows installation of its own: its own MachineGuid, registry and C: drive) under a
// folder whose name has spaces. Node under Wine crashes when its stdio is a Unix pipe, so a
// program's output goes to files, read when it exits.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { installed, missing, ROOT, tempDir, userEnv, type Result } from './env.ts';
import { windowsNode } from '../windows-node.ts';

export const wineInstalled = installed('wine');
export const wineSkipped = wineInstalled
  ? ''
  : ` (skipped: ${missing('Wine', 'wine64 wine gcc-mingw-w64-x86-64')})`;

/** A Unix path as Windows programs under Wine see it (Wine's Z: is /). */
export const windowsPath = (path: string): string => `Z:${path.replaceAll('/', '\\')}`;

export interface WinePrefix {
  /** The Unix path of the prefix's C: drive. */
  drive: string;
  /** %USERPROFILE% as a Unix path. */
  profile: string;
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs a Windows program (the npm katalonc through node.exe, or an .exe) to its end. */
  run(argv: string[], env?: Record<string, string>): Promise<Result>;
  /** Starts one in the background (katalonc's pid is the child's: wine execs the program). */
  start(
    argv: string[],
    env?: Record<string, string>,
  ): ChildProcess & { result: Promise<Result>; progress(): string };
  /** The npm katalonc installed in "C:\Program Files\katalonc", as a Windows command line. */
  katalonc: string[];
  close(): void;
}

/** A fresh prefix, set up as Windows 10 (Node 22 refuses older), with a wineserver kept running. */
export const winePrefix = (): WinePrefix => {
  const dir = join(tempDir('katalonc-wine-'), 'wine prefix');
  const base = {
    ...userEnv(),
    WINEPREFIX: dir,
    WINEDEBUG: '-all',
    // No Mono or Gecko install prompts while the prefix is made.
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  };
  const setup = spawnSync(
    'wine',
    ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'],
    { env: base, stdio: 'ignore', timeout: 120_000 },
  );
  if (setup.status !== 0) throw new Error(`cannot make a Wine prefix in ${dir}`);
  spawnSync('wineserver', ['-p'], { env: base, stdio: 'ignore' });
  const drive = join(dir, 'drive_c');
  const profile = join(
    drive,
    'users',
    readdirSync(join(drive, 'users')).find((u) => u !== 'Public')!,
  );
  const install = join(drive, 'Program Files', 'katalonc');
  for (const part of ['bin', 'dist', 'package.json'])
    cpSync(join(ROOT, part), join(install, part), { recursive: true });
  const logs = tempDir('katalonc-wine-out-');
  let n = 0;
  const env = (extra: Record<string, string> = {}) => ({ ...base, ...extra });
  const start = (argv: string[], extra: Record<string, string> = {}) => {
    const out = join(logs, `${++n}.out`);
    const err = join(logs, `${n}.err`);
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    const child = spawn('wine', argv, { env: env(extra), stdio: ['ignore', ...fds] });
    for (const fd of fds) closeSync(fd);
    const result = new Promise<Result>((done) =>
      child.on('exit', (code, signal) =>
        done({
          code: code ?? (signal ? 128 : 1),
          stdout: readFileSync(out, 'utf8'),
          stderr: readFileSync(err, 'utf8'),
        }),
      ),
    );
    return Object.assign(child, { result, progress: () => readFileSync(err, 'utf8') });
  };
  return {
    drive,
    profile,
    env,
    start,
    run: (argv, extra) => start(argv, extra).result,
    katalonc: [windowsPath(windowsNode()), 'C:\\Program Files\\katalonc\\bin\\katalonc.js'],
    close: () => void spawnSync('wineserver', ['-k'], { env: base, stdio: 'ignore' }),
  };
};

/** Linux pids of the processes whose command line starts with `start` (Wine shows a Windows process's command line). */
export const processesStarting = (start: string): number[] =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(start);
      } catch {
        return false;
      }
    })
    .map(Number);
