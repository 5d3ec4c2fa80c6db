// Slows down guessing: an address with too many failed API keys or admin tokens in a window gets
// 429 until the window has passed. Successful requests are never counted.
export interface Throttle {
  /** Seconds to wait, or 0 when the address may try. */
  retryAfter(address: string, now?: number): number;
  failed(address: string, now?: number): void;
}

export const createThrottle = (maxFailures = 10, windowMs = 60_000): Throttle => {
  const failures = new Map<string, number[]>();
  const recent = (address: string, now: number) =>
    (failures.get(address) ?? []).filter((t) => t > now - windowMs);
  return {
    retryAfter(address, now = Date.now()) {
      const times = recent(address, now);
      if (times.length === 0) failures.delete(address);
      return times.length >= maxFailures ? Math.ceil((times[0] + windowMs - now) / 1000) : 0;
    },
    failed(address, now = Date.now()) {
      const times = recent(address, now);
      times.push(now);
      failures.set(address, times.slice(-maxFailures));
    },
  };
};
