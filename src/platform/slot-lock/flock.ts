// Linux: a kernel flock(2) on a lock file, taken by util-linux's flock(1), which holds it while the
// shell it runs reads a stdin that is still open. That stdin is a pipe whose write end katalonc
// holds and hands to the command it runs (as fd 3): the lock lives while katalonc or any process of
// the command lives, and the kernel frees it when the last one is gone, even after SIGKILL. A flock is on the
// file, so it holds across network namespaces and containers that share the folder (an abstract
// socket does not).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientDir } from '../paths.ts';
import type { SlotLock } from './index.ts';

const BUSY = 75;
const FLOCK = ['/usr/bin/flock', '/bin/flock'].find((p) => existsSync(p));

export const flockAvailable = (): boolean => FLOCK !== undefined;

export const tryLock = async (
  name: string,
  dir: string = join(clientDir(), 'locks'),
  once = false,
): Promise<SlotLock | null> => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, name);
  writeFileSync(file, '', { flag: 'a', mode: 0o600 });
  // Its own process group: a Ctrl-C meant for the command must not end the lock before it.
  // The holder says it holds the lock (a line on stdout), then only waits for the end of stdin.
  const holder = spawn(
    FLOCK!,
    [
      '--nonblock',
      '--conflict-exit-code',
      String(BUSY),
      file,
      // An absolute path and shell builtins only: the standalone executable may run without PATH.
      '/bin/sh',
      '-c',
      'echo; while read -r _; do :; done',
    ],
    { stdio: ['pipe', 'pipe', 'ignore'], detached: true },
  );
  const acquired = await new Promise<boolean>((resolve, reject) => {
    holder.once('error', reject);
    holder.once('exit', (code) =>
      code === BUSY ? resolve(false) : reject(new Error(`flock exited with ${code}`)),
    );
    holder.stdout.once('data', () => resolve(true));
  });
  if (!acquired) return null;
  holder.removeAllListeners('exit');
  holder.stdout.destroy();
  // Holding a lock must not keep katalonc alive by itself.
  holder.unref();
  (holder.stdin as unknown as { unref(): void }).unref();
  return {
    handle: holder.stdin,
    release: () =>
      new Promise<void>((done) => {
        if (once) rmSync(file, { force: true });
        holder.stdin.end(() => done());
      }),
  };
};
