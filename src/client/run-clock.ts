// The time an online run's lease and outage grace are judged by: the run's watcher's clock once it
// answers (its environment is empty, so no libfaketime, and it reads no file that a mount namespace
// could cover, as /proc/stat), else the kernel's where katalonc's own clock is off by more than
// the kernel's grain (libfaketime setting it back would stretch a released session's lease).
import { trustedNow } from '../platform/clock.ts';

let watcherNow: number | undefined;

/** The watcher's clock as it last answered (client/child.ts, at most a tick ago). */
export const heardWatcherClock = (now: number): void => {
  watcherNow = now;
};

export const leaseNow = (): number => watcherNow ?? trustedNow(2000).now;
