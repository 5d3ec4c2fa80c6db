// Slows down guessing without locking anyone out: only failing attempts are throttled. An address
// with too many failures in a window gets 429 instead of 401 for its next failures, until the
// window has passed; a valid credential from the same address (a CI host behind one NAT) is never
// refused for someone else's mistakes. Guessing itself is infeasible: API keys and the admin token
// carry at least 256 bits of randomness. The table is bounded: the oldest address goes first.
// A password check is slow (scrypt), so a console sign-in counts as a failure from before it is
// checked (`attempt`) and is forgiven if it passes: guesses sent at once cannot all be checked
// before the first of them is counted.
export interface Throttle {
  /** Records a failure; resolves to the seconds to wait when the address is over its limit, else 0. */
  failed(address: string, now?: number): number;
  /**
   * Counts an attempt as failed before it is checked: `wait` is the seconds to wait when that puts
   * the address over its limit (then do not check it), else 0; `passed()` forgives it.
   */
  attempt(address: string, now?: number): { wait: number; passed: () => void };
  readonly size: number;
}

export const createThrottle = (
  maxFailures = 10,
  windowMs = 60_000,
  maxAddresses = 10_000,
): Throttle => {
  const failures = new Map<string, number[]>();
  const wait = (times: number[], now: number) =>
    times.length > maxFailures ? Math.ceil((times[0] + windowMs - now) / 1000) : 0;
  const failed = (address: string, now = Date.now()): number => {
    const times = (failures.get(address) ?? []).filter((t) => t > now - windowMs);
    times.push(now);
    failures.delete(address); // re-inserted last: the map stays ordered by last failure
    failures.set(address, times.slice(-maxFailures - 1));
    while (failures.size > maxAddresses) failures.delete(failures.keys().next().value!);
    return wait(times, now);
  };
  return {
    failed,
    attempt(address, now = Date.now()) {
      return {
        wait: failed(address, now),
        passed: () => {
          const times = failures.get(address);
          const i = times?.lastIndexOf(now) ?? -1;
          if (i >= 0) times!.splice(i, 1);
        },
      };
    },
    get size() {
      return failures.size;
    },
  };
};
