// Builds katalonc-job.exe (src/platform/process-tree/katalonc-job.c), the Windows program that keeps
// a run's whole process tree in a kill-on-close job, with mingw-w64 wherever it is installed. Where
// it is not, the build goes on and says so: katalonc from such a build refuses to run commands on
// Windows, saying the helper is missing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { JOB_HELPER } from '../src/platform/process-tree/win32.ts';

const SOURCE = 'src/platform/process-tree/katalonc-job.c';
const COMPILERS = ['x86_64-w64-mingw32-gcc', ...(process.platform === 'win32' ? ['gcc'] : [])];

/** Writes <dir>/katalonc-job.exe and returns its path, or null (with a warning) without mingw-w64. */
export const buildJobHelper = (dir: string): string | null => {
  const out = join(dir, JOB_HELPER);
  for (const cc of COMPILERS) {
    // -s and no timestamp: the same source gives the same bytes.
    const r = spawnSync(cc, ['-Os', '-s', '-Wl,--no-insert-timestamp', '-o', out, SOURCE], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.error) continue; // not installed: the next one
    if (r.status !== 0) throw new Error(`${cc} failed to build ${out}`);
    return out;
  }
  console.warn(
    `warning: ${out} not built: no mingw-w64 C compiler (apt-get install gcc-mingw-w64-x86-64); ` +
      'katalonc from this build cannot run commands on Windows',
  );
  return null;
};
