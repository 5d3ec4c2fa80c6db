// macOS (and other Unixes without abstract sockets): proper-lockfile's mkdir lock, refreshed every
// second and stale after five, so a killed holder's license is free again within ~5 s.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { clientDir } from '../paths.ts';
import type { SlotLock } from './slot-lock.ts';
import { errnoCode } from '../errno.ts';

export const tryLock = async (name: string, once = false): Promise<SlotLock | null> => {
  const dir = join(clientDir(), 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name);
  await writeFile(target, '', { flag: 'a' });
  try {
    const release = await lockfile.lock(target, {
      stale: 5000,
      update: 1000,
      realpath: false,
      onCompromised: () =>
        process.stderr.write(
          `warning: the lock on ${name} was lost (the machine was suspended?)\n`,
        ),
    });
    return {
      release: async () => {
        await release();
        if (once) await rm(target, { force: true });
      },
    };
  } catch (error) {
    if (errnoCode(error) === 'ELOCKED') return null;
    throw error;
  }
};
