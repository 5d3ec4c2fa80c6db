// The one place that picks how "this license / session is held by a running katalonc" is kept:
// a lock the kernel frees when its holders die, so a killed run never keeps a license, and which
// the run's command can share, so that the license stays held while any process of the run lives.
import type { Writable } from 'node:stream';

export interface SlotLock {
  release(): Promise<void>;
  /** What the command inherits to share the lock (fd 3), where the lock can be shared. */
  handle?: Writable;
}

export const tryLock = async (name: string): Promise<SlotLock | null> => {
  if (process.platform === 'linux') {
    const flock = await import('./flock.ts');
    if (flock.flockAvailable()) return flock.tryLock(name);
  }
  const impl =
    process.platform === 'linux' || process.platform === 'win32'
      ? await import('./socket.ts')
      : await import('./file.ts');
  return impl.tryLock(name);
};
