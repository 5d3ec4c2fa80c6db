// The one place that picks how "this license / session is held by a running katalonc" is kept:
// locks the kernel frees when their holders die, so a killed run never keeps a license, and which
// the run's command shares, so that a license stays held while any process of the run lives.
import type { SlotLock } from './slot-lock.ts';

/**
 * A lock on a name of this user's own (an online session's record): its bookkeeping, not a seat.
 * `once`: the name belongs to one run, so its lock file (if any) goes when the lock is released.
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

/**
 * One seat of an offline license, held by this run. Nothing of it lives where the licensee can
 * point katalonc elsewhere (HOME, KATALONC_HOME, a folder they own):
 * - Linux: an abstract socket named after the OS user and the license's seat key, so copies and
 *   renames of the file are one seat; and a flock on the license file itself (opened read-only),
 *   which containers with network namespaces of their own share through the file.
 * - Windows: a file of that name opened with share mode 0 in the machine's ProgramData (win32.ts),
 *   inherited by the run's processes.
 * - macOS (and other Unixes): a lock file in katalonc's state folder (see file.ts).
 */
export const holdSeat = async (seatKey: string, licenseFile: string): Promise<SlotLock | null> => {
  const name = `license-${seatKey}`;
  if (process.platform === 'win32') return (await import('./win32.ts')).tryLock(name);
  if (process.platform !== 'linux') return (await import('./file.ts')).tryLock(name);
  const socket = await (await import('./socket.ts')).tryLock(name);
  if (!socket) return socket;
  const flock = await import('./flock.ts');
  if (!flock.flockAvailable()) return socket;
  const file = await flock.lockFile(licenseFile, 'r').catch(async (error: unknown) => {
    await socket.release();
    throw error;
  });
  if (!file) {
    await socket.release();
    return null;
  }
  return {
    fds: [...(file.fds ?? []), ...(socket.fds ?? [])],
    release: async () => {
      await Promise.all([file.release(), socket.release()]);
    },
  };
};
