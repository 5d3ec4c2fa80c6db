// Creates a file that did not exist, atomically and without ever overwriting: the content goes to a
// temp file (fsynced), which is then hard-linked to the first free name "base.ext", "base (1).ext", …
// link() fails on an existing name, so two writers can never take the same one.
import { link, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * mkdir -p, one level at a time: Node's own recursive mkdir never returns for a path below /proc
 * (seen: `offline create --out /proc/…` spun at 100% CPU); a plain mkdir fails at once.
 */
const makeDirs = async (dir: string, mode = 0o700): Promise<void> => {
  const path = resolve(dir);
  try {
    if ((await stat(path)).isDirectory()) return;
    throw Object.assign(new Error(`${path} is not a folder`), { code: 'ENOTDIR' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (dirname(path) !== path) await makeDirs(dirname(path), mode);
  await mkdir(path, { mode }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
};

export const createNewFile = async (
  dir: string,
  fileName: string,
  content: string,
): Promise<string> => {
  await makeDirs(dir);
  const temp = join(dir, `.${fileName}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const ext = extname(fileName);
  const base = fileName.slice(0, fileName.length - ext.length);
  try {
    for (let n = 0; ; n++) {
      const target = join(dir, n === 0 ? fileName : `${base} (${n})${ext}`);
      try {
        await link(temp, target);
        return target;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 999) throw error;
      }
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
};
