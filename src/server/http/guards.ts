// Who may call a route: the client API takes a member's API key, the admin API the admin token,
// both as bearer tokens. Failed attempts are throttled per address (auth-throttle.ts).
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { fail, type KatalonError } from '../../core/errors.ts';
import { createThrottle } from '../auth-throttle.ts';
import type { Service, User } from '../service/index.ts';

const bearer = (request: FastifyRequest): string | null => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
};

/** A refusal that tells the client when to try again. */
export type RateLimited = KatalonError & { retryAfter: number };

export const createGuards = (service: Service, adminToken: string) => {
  const throttle = createThrottle();
  const token = Buffer.from(adminToken);

  const notThrottled = (request: FastifyRequest) => {
    const wait = throttle.retryAfter(request.ip);
    if (wait > 0) {
      const error = fail(
        'RATE_LIMITED',
        `too many failed attempts from this address: try again in ${wait} s`,
      );
      throw Object.assign(error, { retryAfter: wait }) satisfies RateLimited;
    }
  };

  return {
    /** The member whose API key the request carries. */
    user: async (request: FastifyRequest): Promise<User> => {
      notThrottled(request);
      const key = bearer(request);
      const found = key ? await service.authenticate(key) : null;
      if (!found) {
        throttle.failed(request.ip);
        throw fail(
          'INVALID_API_KEY',
          'the API key is invalid or revoked: create a new one, and pass it with -apiKey or KATALON_API_KEY',
        );
      }
      return found;
    },
    /** Passes only with the admin token. */
    admin: (request: FastifyRequest): void => {
      notThrottled(request);
      const given = Buffer.from(bearer(request) ?? '');
      if (given.length !== token.length || !timingSafeEqual(given, token)) {
        throttle.failed(request.ip);
        throw fail('ADMIN_UNAUTHORIZED', 'the admin token is missing or wrong');
      }
    },
  };
};

export type Guards = ReturnType<typeof createGuards>;
