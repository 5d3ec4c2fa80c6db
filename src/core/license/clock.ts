// Clock rollback: the client remembers the latest trusted time it has seen (a high-water mark).
// A clock more than the tolerance behind it means someone set the clock back to stretch a license.
/** Clocks of issuer and client may differ a little; an hour also covers daylight-saving mistakes. */
export const CLOCK_TOLERANCE_MS = 60 * 60 * 1000;

export const isRolledBack = (now: number, mark: number | null): boolean =>
  mark !== null && now < mark - CLOCK_TOLERANCE_MS;

/** The new mark after a check at `now` that saw licenses issued at `issuedAt` (ms). It never goes down. */
export const advanceMark = (
  mark: number | null,
  now: number,
  issuedAt: readonly number[],
): number => Math.max(mark ?? 0, isRolledBack(now, mark) ? 0 : now, ...issuedAt);

/**
 * The kernel's time (ms) from /proc/stat's boot time and /proc/uptime, or null if unreadable. A
 * process cannot fake it for itself (libfaketime fakes the clock calls, not these files), and only
 * root can set the machine's clock.
 */
export const kernelTime = (stat: string, uptime: string): number | null => {
  const boot = /^btime (\d+)$/m.exec(stat)?.[1];
  const up = /^(\d+(?:\.\d+)?) /.exec(uptime)?.[1];
  return boot === undefined || up === undefined
    ? null
    : Math.round((Number(boot) + Number(up)) * 1000);
};
