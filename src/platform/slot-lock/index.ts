// The one place that picks how "this license / session is held by a running katalonc" is kept:
// a lock the kernel frees when its holders die, so a killed run never keeps a license, and which
// the run's command can share, so that the license stays held while any process of the run lives.
import type { Writable } from 'node:stream';

export interface SlotLock {
  release(): Promise<void>;
  /** What the command inherits to share the lock (fd 3), where the lock can be shared. */
  handle?: Writable;
}

/**
 * `once`: the name belongs to one run (a session's lock), so its lock file goes when the lock is
 * released; a name that runs share (a license's) keeps its file, or two runs could each lock a
 * different file of one name.
 */
export const tryLock = async (name: string, once = false): Promise<SlotLock | null> => {
  if (process.platform === 'linux') {
    const flock = await import('./flock.ts');
    if (flock.flockAvailable()) return flock.tryLock(name, undefined, once);
  }
  if (process.platform === 'win32') return (await import('./win32.ts')).tryLock(name, once);
  const impl =
    process.platform === 'linux' ? await import('./socket.ts') : await import('./file.ts');
  return impl.tryLock(name, once);
};
