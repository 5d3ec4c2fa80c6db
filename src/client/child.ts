// Runs the user's command while a license is held. Signals sent to katalonc are forwarded to the
// command's whole process group, and katalonc waits for it; the exit code is the command's
// (128 + signal number when a signal ended it, as shells report it).
//
// A run is its command's whole process group, and it must not outlive katalonc: if katalonc is
// killed (SIGKILL leaves it no chance to clean up), a watcher process kills the group, and on Linux
// the command's first process also gets the kernel's parent-death signal; on Windows the command's
// whole tree is in a kill-on-close job (platform/process-tree/win32.ts). The command inherits the
// license's locks (fd 3, and 4 for an offline license on Linux) as well, so a license stays held
// while any process of the run lives.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statfsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { constants } from 'node:os';
import { isSea } from 'node:sea';
import { fail } from '../core/errors.ts';
import { PROC_SUPER_MAGIC } from '../core/machine-id/namespace.ts';
import { inJob } from '../platform/process-tree/win32.ts';
import { heardWatcherClock } from './run-clock.ts';
import { watch, WATCHER_ARGUMENT } from './watcher.ts';

// SIGBREAK is Windows' Ctrl-Break (elsewhere it never comes): without a handler it ended katalonc
// at once, its online session left to its lease.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

export interface RunningChild {
  exited: Promise<number>;
  /** Stops the command: `signal` now, SIGKILL after `graceMs` if it is still running. */
  stop(signal: NodeJS.Signals, graceMs: number): void;
}

/** Secrets of katalonc's own that a wrapped command never inherits. */
const SCRUBBED = ['KATALON_API_KEY', 'KATALON_PROXY_PASSWORD'];

/** The command's environment: katalonc's, without its secrets, plus `extra`. */
export const childEnvironment = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of SCRUBBED) delete env[name];
  return { ...env, ...extra };
};

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Where PATH finds `file`, or null (then spawning it fails with our own message). */
const resolveCommand = (file: string, env: NodeJS.ProcessEnv): string | null => {
  if (file.includes('/')) return existsSync(file) ? file : null;
  for (const dir of (env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, file))) return join(dir, file);
  return null;
};

/**
 * Whether the process `pid` runs katalonc's own executable (Linux). /proc/self/exe is the kernel's
 * link only while /proc is the kernel's: a licensee can cover /proc (a bind mount, tmpfs or FUSE in
 * a mount namespace) with a tree whose self/exe is a program of their own. The spawn returns once
 * the watcher's exec is done, so /proc, the kernel's again or still, shows what it runs.
 */
const isOwnExecutable = (pid: number): boolean => {
  try {
    if (statfsSync('/proc').type !== PROC_SUPER_MAGIC) return false;
    const [own, its] = [statSync('/proc/self/exe'), statSync(`/proc/${pid}/exe`)];
    return own.dev === its.dev && own.ino === its.ino;
  } catch {
    return false;
  }
};

/**
 * Starts the run's watcher (client/watcher.ts): katalonc's own executable, so that nothing found by
 * path stands in for it, in a process group of its own (signals for the command do not reach it),
 * with only its two pipes (not the license's lock fds: it must not hold a license when the run is
 * gone) and an empty environment (no NODE_OPTIONS, LD_PRELOAD or faked clock of the licensee's).
 * katalonc waits for its exec only (the spawn does), not for its Node.js to start: the command's
 * group id waits in the pipe meanwhile, and a katalonc gone before it reads it is an end of input
 * all the same.
 */
const startWatcher = (): ChildProcess => {
  // Linux: the kernel's link to the running file; a mount over its path does not move it.
  const self = process.platform === 'linux' ? '/proc/self/exe' : process.execPath;
  const argv = isSea()
    ? [WATCHER_ARGUMENT]
    : ['--disable-sigusr1', '-e', `(${watch.toString()})()`, '--', WATCHER_ARGUMENT];
  const watcher = spawn(self, argv, {
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
    env: {},
  });
  if (process.platform === 'linux' && watcher.pid && !isOwnExecutable(watcher.pid)) {
    watcher.kill('SIGKILL');
    throw fail(
      'COMMAND_FAILED',
      "the run's watcher is not katalonc's own executable: /proc here is not the kernel's (something is mounted over it); run katalonc where /proc is the kernel's",
    );
  }
  watcher.unref();
  (watcher.stdin as unknown as { unref(): void }).unref();
  (watcher.stdout as unknown as { unref(): void }).unref();
  // Written to after it is gone (killed): its exit handler says so, not an EPIPE crash.
  watcher.stdin.on('error', () => {});
  return watcher;
};

/**
 * `silentUntil`: until when (ms since the epoch) the run may go on while katalonc says nothing (an
 * online session's lease plus its pool's outage grace), which the watcher turns into a silence by
 * its own clock; undefined: as long as katalonc lives (an offline license stays held by the run's
 * own processes anyway).
 */
export const startChild = (
  command: string[],
  env: NodeJS.ProcessEnv,
  lockFds: readonly number[] = [],
  silentUntil?: number,
): RunningChild => {
  const [file, ...args] = command;
  // Its own process group on Unix, so a signal reaches the command's children too.
  const detached = process.platform !== 'win32';
  const resolved = SETPRIV && process.platform === 'linux' ? resolveCommand(file, env) : null;
  const [program, argv] =
    (process.platform === 'win32' ? inJob(file, args, env) : null) ??
    (resolved ? [SETPRIV!, ['--pdeathsig', 'KILL', '--', resolved, ...args]] : [file, args]);
  const watcher = detached ? startWatcher() : null;
  const child = spawn(program, argv, {
    stdio: ['inherit', 'inherit', 'inherit', ...lockFds],
    detached,
    env,
  });
  // In the same tick as the spawn: the command cannot be left unwatched.
  if (child.pid) watcher?.stdin?.write(`${child.pid}\n${silentUntil ? `@${silentUntil}` : 0}\n`);
  else watcher?.stdin?.end(); // nothing started: the watcher exits
  // A watcher stopped (SIGSTOP) would let katalonc be stopped next at leisure, the command
  // unwatched: each "." must be answered, and three ticks without an answer end the run. (Ticks,
  // not time: a katalonc stopped itself finds the watcher's answers waiting when it goes on.)
  let unanswered = 0;
  // Each answer is the watcher's clock and a ".", which an online run's lease goes by (run-clock.ts).
  let answers = '';
  watcher?.stdout?.setEncoding('latin1');
  watcher?.stdout?.on('data', (chunk: string) => {
    unanswered = 0;
    const told = (answers + chunk).split('.');
    answers = told.pop()!;
    const now = Number(told.at(-1));
    if (now > 0) heardWatcherClock(now);
  });
  // Ticks by katalonc's clock (only how often it asks: a faked clock ends nothing later).
  const limit = silentUntil ? Math.max(1000, silentUntil - Date.now()) : 0;
  const alive = limit
    ? setInterval(
        () => {
          if (++unanswered > 3) {
            if (unanswered === 4)
              process.stderr.write(
                `katalonc: the run's watcher stopped answering: stopping the command\n`,
              );
            return send('SIGKILL');
          }
          watcher?.stdin?.write('.');
        },
        Math.min(limit / 4, 2000),
      ).unref()
    : undefined;
  // A watcher killed by hand would leave the command unwatched: the run ends with it; and so with
  // one that could not start (no /proc here, say).
  let finished = false;
  const unwatched = (what: string) => {
    if (finished) return;
    process.stderr.write(`katalonc: the run's watcher ${what}: stopping the command\n`);
    send('SIGKILL');
  };
  watcher?.once('exit', () => unwatched('was killed'));
  watcher?.once('error', (error) => unwatched(`could not start (${error.message})`));
  const send = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      if (detached && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        // Windows has no SIGHUP to send (ENOSYS; katalonc gets one when its console is closed):
        // there it ends the command as SIGTERM does, instead of a crash in a signal handler.
        child.kill('SIGTERM');
      }
    }
  };
  const handlers = FORWARDED.map((signal) => [signal, () => send(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        fail(
          'COMMAND_FAILED',
          error.code === 'ENOENT'
            ? `cannot run "${file}": no such command (check PATH)`
            : `cannot run "${file}": ${error.message}`,
        ),
      ),
    );
    child.once('exit', (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
    );
  }).finally(() => {
    finished = true;
    clearInterval(alive);
    for (const [signal, handler] of handlers) process.off(signal, handler);
    // The run is its command's whole group: work the command left in it (`tests & exit 0`) ends
    // with it, or it would go on after the license is released (online: its seat another run's).
    if (detached && child.pid)
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // nothing of it is left
      }
    if (watcher?.stdin && !watcher.stdin.writableEnded) watcher.stdin.end('d\n');
  });

  return {
    exited,
    stop(signal, graceMs) {
      send(signal);
      const timer = setTimeout(() => send('SIGKILL'), graceMs);
      timer.unref();
      void exited.finally(() => clearTimeout(timer)).catch(() => {});
    },
  };
};
