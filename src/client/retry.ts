// Runs an attempt until it succeeds, fails with an error that is not "all licenses in use", or
// the retry policy gives up; says before every wait what it waits for.
import { setTimeout as sleep } from 'node:timers/promises';
import { nextRetryDelayMs, type RetryPolicy } from '../core/retry.ts';
import { isKatalonError, type ErrorCode } from '../core/errors.ts';

const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  'ALL_LICENSES_IN_USE',
  'QUOTA_EXCEEDED',
  'MACHINE_QUOTA_EXCEEDED',
]);

export const withLicenseRetry = async <T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  say: (line: string) => void,
): Promise<T> => {
  const startedAt = Date.now();
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isKatalonError(error) || !RETRYABLE.has(error.code)) throw error;
      const delay = nextRetryDelayMs(policy, startedAt, Date.now(), Math.random());
      if (delay === null) {
        if (policy.enabled)
          error.message += ` (gave up after ${tries} tries in ${Math.round((Date.now() - startedAt) / 1000)} s)`;
        throw error;
      }
      say(`${error.message}; retrying in ${(delay / 1000).toFixed(1)} s (try ${tries})`);
      await sleep(delay);
    }
  }
};
