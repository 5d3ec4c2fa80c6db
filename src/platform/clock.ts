// The time offline checks go by. On Linux the kernel's (boot time plus uptime, from /proc), which a
// process cannot fake for itself the way libfaketime fakes the clock calls; elsewhere the clock.
import { readFileSync } from 'node:fs';
import { CLOCK_TOLERANCE_MS, kernelTime } from '../core/license/clock.ts';

const read = (file: string): string => {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
};

/**
 * The trusted time (ms), and a warning when this process's own clock says otherwise by more than
 * `toleranceMs` (offline licenses allow an hour: daylight saving).
 */
export const trustedNow = (toleranceMs = CLOCK_TOLERANCE_MS): { now: number; warning?: string } => {
  const own = Date.now();
  const kernel =
    process.platform === 'linux' ? kernelTime(read('/proc/stat'), read('/proc/uptime')) : null;
  if (kernel === null) return { now: own };
  // Within the tolerance, the clock's finer grain (boot time is in whole seconds).
  return Math.abs(own - kernel) <= toleranceMs
    ? { now: own }
    : {
        now: kernel,
        warning: `this process's clock (${new Date(own).toISOString()}) is not the machine's (${new Date(kernel).toISOString()}), as under libfaketime: offline licenses go by the machine's`,
      };
};
