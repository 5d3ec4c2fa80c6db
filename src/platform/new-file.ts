// Creates a file that did not exist, atomically and without ever overwriting: the content goes to a
// temp file (fsynced), which is then hard-linked to the first free name "base.ext", "base (1).ext", …
// link() fails on an existing name, so two writers can never take the same one.
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const createNewFile = async (
  dir: string,
  fileName: string,
  content: string,
): Promise<string> => {
  await mkdir(dir, { recursive: true, mode: 0o700 });
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
