// Runs an attempt until it succeeds, fails with an error that is not "all licenses in use", or
// the retry policy gives up; one line before every wait, with the time left until it gives up.
import { setTimeout as sleep } from 'node:timers/promises';
import { MINUTE_MS, nextRetryDelayMs, type RetryPolicy } from '../core/retry.ts';
import { isKatalonError, type ErrorCode } from '../core/errors.ts';

const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  'ALL_LICENSES_IN_USE',
  'QUOTA_EXCEEDED',
  'MACHINE_QUOTA_EXCEEDED',
]);

/** Time as the retry loop sees it; tests pass their own. */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
  /** How long one of Katalon's retry minutes is (a minute, except in tests). */
  minuteMs: number;
}

export const realClock = (minuteMs = MINUTE_MS): RetryClock => ({
  now: Date.now,
  sleep: (ms) => sleep(ms),
  random: Math.random,
  minuteMs,
});

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** `attempt` gets its try's number (from 1), so that a retry need not say again what the first said. */
export const withLicenseRetry = async <T>(
  attempt: (tries: number) => Promise<T>,
  policy: RetryPolicy,
  say: (line: string) => void,
  clock: RetryClock = realClock(),
): Promise<T> => {
  const startedAt = clock.now();
  const deadline = startedAt + policy.maxDurationMin * clock.minuteMs;
  for (let tries = 1; ; tries++) {
    const triedAt = clock.now();
    try {
      return await attempt(tries);
    } catch (error) {
      if (!isKatalonError(error) || !RETRYABLE.has(error.code)) throw error;
      const now = clock.now();
      const delay = nextRetryDelayMs(
        policy,
        startedAt,
        triedAt,
        now,
        clock.random(),
        clock.minuteMs,
      );
      if (delay === null) {
        error.message += policy.enabled
          ? ` (gave up after ${tries} tries in ${seconds(now - startedAt)}; -licenseRetryMaxDuration sets how long to wait)`
          : ': add -enableLicenseRetry=true to wait for one';
        throw error;
      }
      say(
        `${error.message}: retrying in ${seconds(delay)} (try ${tries}; ${seconds(deadline - now)} left)`,
      );
      await clock.sleep(delay);
    }
  }
};
