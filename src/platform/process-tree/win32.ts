// Windows: a run is its command's whole process tree. libuv puts katalonc's children in a job that
// dies with katalonc but lets their own children break away, so the command runs under
// katalonc-job.exe (katalonc-job.c beside this file, built with mingw-w64 into dist/ and into the
// standalone executable), which holds it and everything it starts in a kill-on-close job: when
// katalonc dies, libuv's job ends katalonc-job, and its job ends the rest.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, win32 } from 'node:path';
import { fail } from '../../core/errors.ts';

export const JOB_HELPER = 'katalonc-job.exe';

/** Programs CreateProcess can start (a batch file through cmd.exe), in PATHEXT's order. */
const RUNNABLE = ['.com', '.exe', '.bat', '.cmd'];

/** `name`'s value in `env`: a copy of process.env is no longer case-insensitive (Windows spells it Path). */
const variable = (env: NodeJS.ProcessEnv, name: string): string | undefined =>
  Object.entries(env).find(([key]) => key.toUpperCase() === name)?.[1];

/**
 * Where PATH (after the current folder) finds `file`, as cmd.exe would: a bare name with each of
 * PATHEXT's extensions, so that `run -- gradlew` or an engine named `katalonc` finds a .bat or .cmd
 * as a Jenkins `bat` step does (libuv alone tries .com and .exe only).
 */
const resolveCommand = (file: string, env: NodeJS.ProcessEnv): string | null => {
  const path = variable(env, 'PATH') ?? '';
  const extensions = (variable(env, 'PATHEXT') ?? RUNNABLE.join(';'))
    .split(';')
    .map((ext) => ext.toLowerCase())
    .filter((ext) => RUNNABLE.includes(ext));
  const names = [...(extname(file) ? [file] : []), ...extensions.map((ext) => file + ext)];
  // A name with a folder is tried where it says; a bare name in the current folder, then PATH.
  const dirs = /[\\/:]/.test(file) ? [''] : [process.cwd(), ...path.split(';').filter(Boolean)];
  for (const dir of dirs)
    for (const name of names) {
      const candidate = dir ? win32.join(dir, name) : name;
      if (existsSync(candidate)) return candidate;
    }
  return null;
};

/** The standalone executable carries katalonc-job.exe as an asset: written out once per content. */
const fromExecutable = (): string | null => {
  const sea = process.getBuiltinModule('node:sea');
  if (!sea?.isSea()) return null;
  const bytes = Buffer.from(sea.getRawAsset(JOB_HELPER));
  const { createHash } = process.getBuiltinModule('node:crypto');
  const sum = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const dir = win32.join(process.env.LOCALAPPDATA ?? tmpdir(), 'katalonc');
  const path = win32.join(dir, `katalonc-job-${sum}.exe`);
  if (!existsSync(path) || !readFileSync(path).equals(bytes)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${path}.${process.pid}`, bytes);
    renameSync(`${path}.${process.pid}`, path);
  }
  return path;
};

const jobHelper = (): string => {
  const found = fromExecutable() ?? win32.join(import.meta.dirname, JOB_HELPER);
  if (!existsSync(found))
    throw fail(
      'COMMAND_FAILED',
      `cannot run a command on Windows without ${found}, which ends the command's whole process tree with katalonc: reinstall katalonc (a build without mingw-w64 lacks it)`,
    );
  return found;
};

/** The program and arguments that run `file args` inside katalonc-job's job. */
export const inJob = (
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): [string, string[]] | null => {
  const resolved = resolveCommand(file, env);
  // Not found: spawned as it is, it fails with katalonc's own "no such command".
  return resolved ? [jobHelper(), [resolved, ...args]] : null;
};
