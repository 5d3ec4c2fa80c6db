// Windows: the lock is a file opened with share mode 0 (libuv's UV_FS_O_EXLOCK): while any handle
// to it is open, every other open fails with a sharing violation, and Windows closes a dead
// process's handles, so a killed run leaves no stale lock. The command inherits the handle (as fd 3,
// like the Linux lock): the license stays held while any process of the run lives, and katalonc-job
// (platform/process-tree) ends every process of the run when katalonc dies.
//
// The files are in one per-machine folder, <drive>\ProgramData\katalonc\locks, found from the
// user's profile as the user's token gives it (not from USERPROFILE, ProgramData or any other
// variable a user can set for one run to get a second lock of the same name).
import { closeSync, mkdirSync, openSync, rmSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { parse, win32 } from 'node:path';
import type { SlotLock } from './slot-lock.ts';
import { errnoCode } from '../errno.ts';

/** libuv's UV_FS_O_EXLOCK on Windows (uv/win.h): share mode 0. Node does not export it there. */
const UV_FS_O_EXLOCK = 0x10000000;

export const lockDir = (profile: string = userInfo().homedir): string =>
  win32.join(parse(profile).root || 'C:\\', 'ProgramData', 'katalonc', 'locks');

export const tryLock = (name: string, once = false): Promise<SlotLock | null> => {
  const dir = lockDir();
  mkdirSync(dir, { recursive: true });
  const file = win32.join(dir, name);
  let fd: number;
  try {
    // Read-only: another user may have created the file (ProgramData lets them read it, not write).
    fd = openSync(file, constants.O_RDONLY | constants.O_CREAT | UV_FS_O_EXLOCK);
  } catch (error) {
    // A sharing violation is EBUSY.
    if (errnoCode(error) === 'EBUSY') return Promise.resolve(null);
    throw error;
  }
  return Promise.resolve({
    // The command inherits it as fd 3 (spawn maps the CRT descriptor to the Windows handle).
    fds: [fd],
    release: () => {
      closeSync(fd);
      if (once)
        try {
          rmSync(file, { force: true });
        } catch {
          // Still open in a process of the run that is not gone yet: the file stays, unlocked.
        }
      return Promise.resolve();
    },
  });
};
