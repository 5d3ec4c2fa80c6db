// Files written whole or not at all: the content goes to a temp file beside the target (fsynced),
// which then takes the target's name, so a crash leaves the old content or the new, never half.
// Written by hand rather than with write-file-atomic: that package loads node:crypto (for a temp
// name) and worker_threads when imported, ~12 ms of every katalonc start.
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { errnoCode } from './errno.ts';

let temps = 0;
/**
 * A temp file beside `file`, fsynced: unique per process (pid) and per write (counter). Synchronous:
 * these are small files, and node:fs/promises (with the readline it loads) costs ~3 ms to load.
 */
const writeTemp = (file: string, content: string, mode: number): string => {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${++temps}.tmp`);
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  return temp;
};

/** Replaces `file` (or creates it) atomically: rename() swaps the whole file in at once. */
export const replaceFile = (file: string, content: string, mode = 0o600): void => {
  const temp = writeTemp(file, content, mode);
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
};

/**
 * mkdir -p, one level at a time: Node's own recursive mkdir never returns for a path below /proc
 * (seen: `offline create --out /proc/…` spun at 100% CPU); a plain mkdir fails at once.
 */
const makeDirs = (dir: string, mode = 0o700): void => {
  const path = resolve(dir);
  const found = statSync(path, { throwIfNoEntry: false });
  if (found?.isDirectory()) return;
  if (found) throw Object.assign(new Error(`${path} is not a folder`), { code: 'ENOTDIR' });
  if (dirname(path) !== path) makeDirs(dirname(path), mode);
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
};

/**
 * Writes `content` as a new file in `dir` (made if missing) and returns its path: `fileName`,
 * or "base (1).ext", "base (2).ext", … when that is taken. Never overwrites a file.
 */
export const createNewFile = (dir: string, fileName: string, content: string): string => {
  makeDirs(dir);
  // Hard-linked to the first free name: link() fails on an existing name, so two writers can never
  // take the same one.
  const temp = writeTemp(join(dir, fileName), content, 0o600);
  const ext = extname(fileName);
  const base = fileName.slice(0, fileName.length - ext.length);
  try {
    for (let n = 0; ; n++) {
      const target = join(dir, n === 0 ? fileName : `${base} (${n})${ext}`);
      try {
        linkSync(temp, target);
        return target;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST' || n >= 999) throw error;
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
};
