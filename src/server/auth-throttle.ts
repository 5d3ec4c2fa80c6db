// Slows down guessing without locking anyone out: only failing attempts are throttled. An address
// with too many failures in a window gets 429 instead of 401 for its next failures, until the
// window has passed; a valid credential from the same address (a CI host behind one NAT) is never
// refused for someone else's mistakes. Guessing itself is infeasible: API keys and the admin token
// carry at least 256 bits of randomness. The table is bounded: the oldest address goes first.
export interface Throttle {
  /** Records a failure; resolves to the seconds to wait when the address is over its limit, else 0. */
  failed(address: string, now?: number): number;
  /** The seconds to wait when the address is over its limit now, else 0 (records nothing). */
  waiting(address: string, now?: number): number;
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
  return {
    failed(address, now = Date.now()) {
      const times = (failures.get(address) ?? []).filter((t) => t > now - windowMs);
      times.push(now);
      failures.delete(address); // re-inserted last: the map stays ordered by last failure
      failures.set(address, times.slice(-maxFailures - 1));
      while (failures.size > maxAddresses) failures.delete(failures.keys().next().value!);
      return wait(times, now);
    },
    waiting(address, now = Date.now()) {
      return wait(
        (failures.get(address) ?? []).filter((t) => t > now - windowMs),
        now,
      );
    },
    get size() {
      return failures.size;
    },
  };
};
