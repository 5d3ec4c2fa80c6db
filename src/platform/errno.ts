// What a failed system call says, read one way everywhere: the errno code of a thrown error, a
// text file read or failed with a message that names the file, and a file read or made once.
import { readFileSync, writeFileSync } from 'node:fs';
import { fail, type ErrorCode } from '../core/errors.ts';

/** The errno code (ENOENT, EEXIST, …) of what was thrown, if it carries one. */
export const errnoCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * The text of `file`, or an error of `code`: "cannot read <what> (<errno>)", then ": <fix>" when
 * the caller knows what to do about it.
 */
export const readTextOrFail = (
  file: string,
  code: ErrorCode,
  { what = file, fix }: { what?: string; fix?: string } = {},
): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw fail(code, `cannot read ${what} (${errnoCode(error)})${fix ? `: ${fix}` : ''}`);
  }
};

/** Reads `file`, or creates it with `make()` exclusively (two first starts cannot both write it). */
export const readOrCreate = (file: string, make: () => string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  try {
    writeFileSync(file, make(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8');
};
