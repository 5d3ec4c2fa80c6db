// Runs the built programs as child processes, each test in its own HOME.
import { cleanEnv, ROOT, tempDir, userEnv, type Result } from '../../scripts/harness/env.ts';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { WATCHER_ARGUMENT } from '../../src/client/watcher.ts';

export { cleanEnv, ROOT, tempDir, userEnv, type Result };

export const KATALONC = join(ROOT, 'bin/katalonc.js');
export const SERVER = join(ROOT, 'bin/katalon-license-server.js');

export const run = (
  file: string,
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<Result> =>
  new Promise((done) => {
    const child = execFile(
      process.execPath,
      [file, ...args],
      { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });

export const katalonc = (args: string[], env: Record<string, string>): Promise<Result> =>
  run(KATALONC, args, env);

/**
 * Starts katalonc in the background (for concurrency and signal tests), through `prefix` if given
 * (`setpriv …`, `unshare …`: commands that exec the rest of their arguments).
 */
export const startKatalonc = (
  args: string[],
  env: Record<string, string>,
  prefix: string[] = [],
  program: string[] = [process.execPath, KATALONC],
): ChildProcess & { result: Promise<Result>; exited: Promise<void> } => {
  const [file, ...rest] = [...prefix, ...program, ...args];
  const child = spawn(file, rest, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const result = new Promise<Result>((done) =>
    child.on('close', (code, signal) => done({ code: code ?? (signal ? 128 : 1), stdout, stderr })),
  );
  // 'exit' does not wait for grandchildren that still hold the output pipes, as 'close' does.
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  return Object.assign(child, { result, exited });
};

export const waitFor = async (
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A command for a run to hold a license with: it logs its start and end (ms) to `log`. */
export const probe = (log: string, ms: number): string[] => [
  process.execPath,
  '-e',
  `const fs=require('fs');fs.appendFileSync(${JSON.stringify(log)},'S '+Date.now()+'\\n');setTimeout(()=>fs.appendFileSync(${JSON.stringify(log)},'E '+Date.now()+'\\n'),${ms})`,
];

/** The most probes that ran at once, from their log. */
export const maxConcurrency = (log: string): number => {
  const events = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([k, t]) => [Number(t), k === 'S' ? 1 : -1] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (now += d));
  return max;
};

/** Whether a process lives (a zombie of ours counts as gone). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** The pid a command writes to `file` (`echo $$ > file`), once it is there. */
export const waitForPid = async (file: string, what: string): Promise<number> => {
  const read = () => {
    try {
      return Number(readFileSync(file, 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  };
  await waitFor(() => read() > 0, 10_000, what);
  return read();
};

let everyones: string | undefined;
/**
 * The standalone katalonc, copied where every user may run it (once a test process): tests that act
 * as another OS user cannot use this checkout's Node.js and bin/katalonc.js when the checkout sits
 * in a folder others cannot enter (a clone under /root).
 */
export const kataloncForEveryone = (): string => {
  if (everyones) return everyones;
  const built = join(ROOT, 'build', 'katalonc');
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build:binary" first`);
  const dir = tempDir('katalonc-exe-');
  chmodSync(dir, 0o755);
  const exe = join(dir, 'katalonc');
  copyFileSync(built, exe);
  chmodSync(exe, 0o755);
  return (everyones = exe);
};

let everyonesNpm: string[] | undefined;
/**
 * The npm katalonc (this checkout's Node.js, bin/ and dist/, which need nothing else), copied where
 * every user may run it, as the standalone one above: `[node, bin/katalonc.js]`.
 */
export const npmKataloncForEveryone = (): string[] => {
  if (everyonesNpm) return everyonesNpm;
  const dir = tempDir('katalonc-npm-');
  chmodSync(dir, 0o755);
  for (const part of ['bin', 'dist', 'package.json'])
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  // The copies' folders are made under the tests' umask (0077): readable by all, as installed.
  const readable = (path: string) => {
    const isDir = statSync(path).isDirectory();
    chmodSync(path, isDir ? 0o755 : 0o644);
    if (isDir) for (const entry of readdirSync(path)) readable(join(path, entry));
  };
  for (const part of ['bin', 'dist', 'package.json']) readable(join(dir, part));
  copyFileSync(process.execPath, join(dir, 'node'));
  chmodSync(join(dir, 'node'), 0o755);
  return (everyonesNpm = [join(dir, 'node'), join(dir, 'bin', 'katalonc.js')]);
};

/**
 * The run's watcher that katalonc `pid` started (its child with the watcher's argument): never
 * another run's, which a test file running beside this one may have.
 */
export const watcherOf = (pid: number): number => {
  const found = readdirSync('/proc').find((p) => {
    try {
      const [, parent] = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return (
        parent === String(pid) &&
        readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(WATCHER_ARGUMENT)
      );
    } catch {
      return false; // not a process, or gone meanwhile
    }
  });
  if (!found) throw new Error(`katalonc ${pid} has no watcher`);
  return Number(found);
};
