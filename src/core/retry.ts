// katalonc's license retry, in Katalon's units: a try every `intervalMin` minutes plus up to
// `maxJitterMin` random minutes, until `maxDurationMin` minutes have passed since the first try.
// Defaults and limits are Katalon's (KRE 10.x): enabled, 20, 5 (at least 3, at most the duration),
// 2 (at most the interval).
import { fail } from './errors.ts';

export interface RetryPolicy {
  enabled: boolean;
  maxDurationMin: number;
  intervalMin: number;
  maxJitterMin: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  enabled: true,
  maxDurationMin: 20,
  intervalMin: 5,
  maxJitterMin: 2,
};

export const MINUTE_MS = 60_000;

/** Checks the documented limits; `spelled` names each option as the user typed it. */
export const checkRetryPolicy = (
  p: RetryPolicy,
  spelled: { duration: string; interval: string; jitter: string },
): RetryPolicy => {
  const need = (ok: boolean, message: string) => {
    if (!ok) throw fail('INVALID_ARGUMENT', message);
  };
  need(p.maxDurationMin >= 0, `${spelled.duration} must be 0 or more minutes`);
  need(p.intervalMin >= 3, `${spelled.interval} must be at least 3 minutes, not ${p.intervalMin}`);
  need(
    !p.enabled || p.intervalMin <= p.maxDurationMin,
    `${spelled.interval} (${p.intervalMin} minutes) must not exceed ${spelled.duration} (${p.maxDurationMin})`,
  );
  need(p.maxJitterMin >= 0, `${spelled.jitter} must be 0 or more minutes`);
  need(
    p.maxJitterMin <= p.intervalMin,
    `${spelled.jitter} (${p.maxJitterMin} minutes) must not exceed ${spelled.interval} (${p.intervalMin})`,
  );
  return p;
};

/**
 * The wait before the next try, or null when none is left. The next try is due an interval (plus
 * jitter) after the last one started, not after it failed: a try due exactly at the end of the
 * duration happens. Jitter only spreads the tries: it never drops the last one, which then
 * happens at the deadline.
 */
export const nextRetryDelayMs = (
  policy: RetryPolicy,
  startedAt: number,
  triedAt: number,
  now: number,
  random: number,
  minuteMs = MINUTE_MS,
): number | null => {
  if (!policy.enabled) return null;
  const deadline = startedAt + policy.maxDurationMin * minuteMs;
  if (triedAt + policy.intervalMin * minuteMs > deadline) return null;
  const due = triedAt + Math.round((policy.intervalMin + random * policy.maxJitterMin) * minuteMs);
  return Math.max(0, Math.min(due, deadline) - now);
};
