// katalonc's license retry: every `intervalS` seconds plus up to `maxJitterS` random seconds,
// until `maxDurationMin` minutes have passed since the first try.
export interface RetryPolicy {
  enabled: boolean;
  maxDurationMin: number;
  intervalS: number;
  maxJitterS: number;
}

/** The wait before the next try, or null when the next try would start after the deadline. */
export const nextRetryDelayMs = (
  policy: RetryPolicy,
  startedAt: number,
  now: number,
  random: number,
): number | null => {
  if (!policy.enabled) return null;
  const delay = Math.round((policy.intervalS + random * policy.maxJitterS) * 1000);
  return now + delay > startedAt + policy.maxDurationMin * 60_000 ? null : delay;
};
