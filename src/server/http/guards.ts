// Who may call a route: the client API takes a member's API key, the admin API the admin token,
// both as bearer tokens. Only failed attempts are throttled, per address (auth-throttle.ts).
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

  /** A failed attempt: 401 as given, or 429 once this address failed too often. */
  const refused = (request: FastifyRequest, error: KatalonError): KatalonError => {
    const wait = throttle.failed(request.ip);
    if (wait === 0) return error;
    const limited = fail(
      'RATE_LIMITED',
      `too many failed attempts from this address: try again in ${wait} s`,
    );
    return Object.assign(limited, { retryAfter: wait }) satisfies RateLimited;
  };

  return {
    /** The member whose API key the request carries. */
    user: async (request: FastifyRequest): Promise<User> => {
      const key = bearer(request);
      const found = key ? await service.authenticate(key) : null;
      if (!found)
        throw refused(
          request,
          fail(
            'INVALID_API_KEY',
            'the API key is invalid or revoked: create a new one, and pass it with -apiKey or KATALON_API_KEY',
          ),
        );
      return found;
    },
    /** Passes only with the admin token. */
    admin: (request: FastifyRequest): void => {
      const given = Buffer.from(bearer(request) ?? '');
      if (given.length !== token.length || !timingSafeEqual(given, token))
        throw refused(request, fail('ADMIN_UNAUTHORIZED', 'the admin token is missing or wrong'));
    },
  };
};

export type Guards = ReturnType<typeof createGuards>;
