// Option value parsers (types, ranges, enums), which commander calls, and the step from the parsed
// command line to what the client acts on.
import { InvalidArgumentError } from 'commander';
import { checkRetryPolicy, DEFAULT_RETRY } from '../core/retry.ts';
import { choiceOf } from '../core/vocabulary.ts';
import type { ClientOptions } from '../client/settings.ts';

/** The options as commander parses them (GNU spellings; the grammar rewrote katalonc's). */
export interface ParsedOptions extends Omit<ClientOptions, 'retry'> {
  json?: boolean;
  quiet?: boolean;
  explain?: boolean;
  qr?: boolean;
  printMachineId?: boolean;
  enableLicenseRetry?: boolean;
  licenseRetryMaxDuration?: number;
  licenseRetryInterval?: number;
  licenseRetryMaxJitter?: number;
}

/** The client's options; `spelled` says how the user typed each licensing option (for messages). */
export const clientOptions = (
  o: ParsedOptions,
  spelled: Record<string, string> = {},
): ClientOptions => ({
  ...o,
  quiet: Boolean(o.quiet || o.json),
  retry: checkRetryPolicy(
    {
      enabled: o.enableLicenseRetry ?? DEFAULT_RETRY.enabled,
      maxDurationMin: o.licenseRetryMaxDuration ?? DEFAULT_RETRY.maxDurationMin,
      intervalMin: o.licenseRetryInterval ?? DEFAULT_RETRY.intervalMin,
      maxJitterMin: o.licenseRetryMaxJitter ?? DEFAULT_RETRY.maxJitterMin,
    },
    {
      duration: spelled['--license-retry-max-duration'] ?? '-licenseRetryMaxDuration',
      interval: spelled['--license-retry-interval'] ?? '-licenseRetryInterval',
      jitter: spelled['--license-retry-max-jitter'] ?? '-licenseRetryMaxJitter',
    },
  ),
});

export const number =
  (what: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${what} must be a number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, not "${value}"`,
      );
    }
    return n;
  };

export const integer =
  (what: string, min: number, max?: number) =>
  (value: string): number => {
    const n = number(what, min, max)(value);
    if (!Number.isInteger(n))
      throw new InvalidArgumentError(`${what} must be a whole number, not "${value}"`);
    return n;
  };

export const oneOf =
  <T extends string>(what: string, choices: readonly T[]) =>
  (value: string): T => {
    const match = choiceOf(choices, value);
    if (!match)
      throw new InvalidArgumentError(
        `${what} must be one of ${choices.join(', ')}, not "${value}"`,
      );
    return match;
  };

export const url = (value: string): string => {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return value.replace(/\/+$/, '');
  } catch {
    throw new InvalidArgumentError(
      `the server URL must be an http(s) URL such as https://license.example.com, not "${value}"`,
    );
  }
};

export const nonEmpty =
  (what: string) =>
  (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`${what} must not be empty`);
    return value;
  };
