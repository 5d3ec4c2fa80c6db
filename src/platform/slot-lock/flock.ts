// Linux: a kernel flock(2), which belongs to an open file: it holds while any process keeps that
// file open, and the kernel frees it when the last one closes it or dies, even by SIGKILL. A flock
// is on the file, so it holds across network namespaces and containers that share the file.
// Node.js has no flock(2), so util-linux's flock(1) takes it on a descriptor it inherits from
// katalonc (`flock --nonblock 3`) and exits. katalonc keeps the file open and hands it to the
// command it runs (see SlotLock.fds): no process of its own holds the lock, so none can be killed
// to free it while the run goes on.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { clientDir } from '../paths.ts';
import type { SlotLock } from './slot-lock.ts';

const BUSY = 75;
const FLOCK = ['/usr/bin/flock', '/bin/flock'].find((p) => existsSync(p));

export const flockAvailable = (): boolean => FLOCK !== undefined;

/** Locks the open file `fd` for good (until every copy of it is closed); false if another has it. */
const flock = (fd: number): Promise<boolean> =>
  new Promise((resolve, reject) => {
    // An absolute path: the standalone executable may run without PATH.
    const child = spawn(FLOCK!, ['--nonblock', '--conflict-exit-code', String(BUSY), '3'], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(true)
        : code === BUSY
          ? resolve(false)
          : reject(new Error(`flock exited with ${code}`)),
    );
  });

/**
 * Locks `file`, opened as `flags` ('r': a license, which may be in a read-only folder; 'a': a lock
 * file, created if need be). `once`: the file goes when the lock is released.
 */
export const lockFile = async (
  file: string,
  flags: 'r' | 'a',
  once = false,
): Promise<SlotLock | null> => {
  const fd = openSync(file, flags, 0o600);
  const locked = await flock(fd).catch((error: unknown) => {
    closeSync(fd);
    throw error;
  });
  if (!locked) {
    closeSync(fd);
    return null;
  }
  return {
    fds: [fd],
    release: () => {
      if (once) rmSync(file, { force: true });
      closeSync(fd);
      return Promise.resolve();
    },
  };
};

/** A lock named `name` in `dir` (katalonc's own lock folder unless told). */
export const tryLock = (
  name: string,
  dir: string = join(clientDir(), 'locks'),
  once = false,
): Promise<SlotLock | null> => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return lockFile(join(dir, name), 'a', once);
};
