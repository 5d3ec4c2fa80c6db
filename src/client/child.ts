// Runs the user's command while a license is held. Signals sent to katalonc are forwarded to the
// command's whole process group, and katalonc waits for it; the exit code is the command's
// (128 + signal number when a signal ended it, as shells report it).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fail } from '../core/errors.ts';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

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

export const startChild = (command: string[], env: NodeJS.ProcessEnv): RunningChild => {
  const [file, ...args] = command;
  // Its own process group on Unix, so a signal reaches the command's children too.
  const detached = process.platform !== 'win32';
  const child = spawn(file, args, { stdio: 'inherit', detached, env });
  const send = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      if (detached && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      child.kill(signal);
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
    for (const [signal, handler] of handlers) process.off(signal, handler);
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
