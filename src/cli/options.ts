// Option value parsers (types, ranges, enums), which commander calls, and the step from the parsed
// command line to what the client acts on.
import { InvalidArgumentError } from 'commander';
import type { ClientOptions } from '../client/settings.ts';

/** The options as commander parses them (GNU spellings, see argv.ts). */
export interface ParsedOptions extends Omit<ClientOptions, 'retry'> {
  json?: boolean;
  quiet?: boolean;
  explain?: boolean;
  qr?: boolean;
  printMachineId?: boolean;
  enableLicenseRetry?: boolean;
  licenseRetryMaxDuration: number;
  licenseRetryInterval: number;
  licenseRetryMaxJitter: number;
}

export const clientOptions = (o: ParsedOptions): ClientOptions => ({
  ...o,
  retry: {
    enabled: Boolean(o.enableLicenseRetry),
    maxDurationMin: o.licenseRetryMaxDuration,
    intervalS: o.licenseRetryInterval,
    maxJitterS: o.licenseRetryMaxJitter,
  },
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
    const match = choices.find((c) => c.toLowerCase() === value.toLowerCase());
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
