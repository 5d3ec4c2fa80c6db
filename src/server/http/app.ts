// The HTTP API (JSON, versioned under /v1): the client API that katalonc talks to, with the API key
// as a bearer token, and the admin API, with the admin token. Every error has the stable shape
// {"error":{"code","message"}}; bad input is a 4xx, never a 500.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { fail, isKatalonError, type ErrorCode } from '../../core/errors.ts';
import type { Licensing, User } from '../licensing.ts';
import { createThrottle } from '../auth-throttle.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  INVALID_API_KEY: 401,
  ADMIN_UNAUTHORIZED: 401,
  NOT_A_MEMBER: 403,
  NOT_LICENSED_USER: 403,
  SUBSCRIPTION_EXPIRED: 403,
  NO_POOL: 404,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUOTA_EXCEEDED: 409,
  MACHINE_QUOTA_EXCEEDED: 409,
  SESSION_TERMINATED: 410,
  SESSION_EXPIRED: 410,
  LICENSE_REFUSED: 422,
  RATE_LIMITED: 429,
  DATABASE_UNAVAILABLE: 503,
};

const product = { type: 'string', enum: ['KRE', 'KSE'] } as const;
const orgId = { type: 'integer', minimum: 1, maximum: 2 ** 53 - 1 } as const;
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
const email = {
  type: 'string',
  minLength: 3,
  maxLength: 254,
  pattern: '^[^@\\s]+@[^@\\s]+$',
} as const;
const body = (properties: Record<string, object>, required: string[]) => ({
  body: { type: 'object', additionalProperties: false, properties, required },
});
const params = (properties: Record<string, object>) => ({
  params: { type: 'object', properties, required: Object.keys(properties) },
});
const sessionId = { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } };
const poolParams = { orgId, product };

export interface AppOptions {
  adminToken: string;
  logLevel?: string;
  https?: { cert: string; key: string };
}

const bearer = (request: FastifyRequest): string | null => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
};

export const buildApp = (licensing: Licensing, options: AppOptions) => {
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    // Fastify's request serializer logs method, URL and address, never headers, so keys and tokens
    // stay out of the logs (a test checks); pino's redact option would cost a third of the throughput.
    logger: { level: options.logLevel ?? 'info' },
    bodyLimit: 16 * 1024,
  });
  const throttle = createThrottle();
  const adminToken = Buffer.from(options.adminToken);

  const guard = (request: FastifyRequest) => {
    const wait = throttle.retryAfter(request.ip);
    if (wait > 0)
      throw Object.assign(
        fail('RATE_LIMITED', `too many failed attempts from this address: try again in ${wait} s`),
        { retryAfter: wait },
      );
  };

  const user = async (request: FastifyRequest): Promise<User> => {
    guard(request);
    const key = bearer(request);
    const found = key ? await licensing.authenticate(key) : null;
    if (!found) {
      throttle.failed(request.ip);
      throw fail(
        'INVALID_API_KEY',
        'the API key is invalid or revoked: create a new one, and pass it with -apiKey or KATALON_API_KEY',
      );
    }
    return found;
  };

  const admin = (request: FastifyRequest): void => {
    guard(request);
    const token = Buffer.from(bearer(request) ?? '');
    if (token.length !== adminToken.length || !timingSafeEqual(token, adminToken)) {
      throttle.failed(request.ip);
      throw fail('ADMIN_UNAUTHORIZED', 'the admin token is missing or wrong');
    }
  };

  app.setErrorHandler(
    (
      error: Error & { statusCode?: number; validation?: unknown; retryAfter?: number },
      request,
      reply: FastifyReply,
    ) => {
      if (isKatalonError(error)) {
        if ((error as { retryAfter?: number }).retryAfter)
          void reply.header('retry-after', String((error as { retryAfter?: number }).retryAfter));
        return reply
          .status(STATUS[error.code] ?? 500)
          .send({ error: { code: error.code, message: error.message } });
      }
      const status =
        error.statusCode && error.statusCode >= 400 && error.statusCode < 500
          ? error.statusCode
          : 500;
      if (status === 500) request.log.error(error);
      return reply
        .status(status)
        .send({
          error: {
            code: status === 500 ? 'INTERNAL' : 'BAD_REQUEST',
            message: status === 500 ? 'internal error' : error.message,
          },
        });
    },
  );
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({
        error: {
          code: 'NOT_FOUND',
          message: `no route ${request.method} ${request.url.split('?')[0]}`,
        },
      }),
  );

  type P = Record<string, string | number>;
  type B = Record<string, unknown>;

  app.get('/healthz', async () => ({ ok: true }));

  // ---- client API ----
  app.post(
    '/v1/sessions',
    {
      schema: body(
        { orgId, product, machineId: text(64), hostname: text(255), osUser: text(255) },
        ['orgId', 'product', 'machineId'],
      ),
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await licensing.activate(
            await user(request),
            request.body as Parameters<Licensing['activate']>[1],
          ),
        ),
  );
  app.post('/v1/sessions/:id/heartbeat', { schema: params(sessionId) }, async (request) =>
    licensing.heartbeat(await user(request), (request.params as P).id as string),
  );
  app.delete('/v1/sessions/:id', { schema: params(sessionId) }, async (request) =>
    licensing.release(await user(request), (request.params as P).id as string),
  );
  app.post(
    '/v1/sessions/release-machine',
    { schema: body({ orgId, product, machineId: text(64) }, ['orgId', 'product', 'machineId']) },
    async (request) =>
      licensing.releaseMachine(
        await user(request),
        request.body as Parameters<Licensing['releaseMachine']>[1],
      ),
  );

  // ---- admin API ----
  app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => admin(request));
      scope.post('/orgs', { schema: body({ name: text(200) }, ['name']) }, async (r, reply) =>
        reply.status(201).send(await licensing.createOrg((r.body as B).name as string)),
      );
      scope.post(
        '/orgs/:orgId/users',
        { schema: { ...params({ orgId }), ...body({ email }, ['email']) } },
        async (r, reply) =>
          reply
            .status(201)
            .send(
              await licensing.addUser(
                (r.params as P).orgId as number,
                (r.body as B).email as string,
              ),
            ),
      );
      scope.post(
        '/orgs/:orgId/api-keys',
        { schema: { ...params({ orgId }), ...body({ email }, ['email']) } },
        async (r, reply) =>
          reply
            .status(201)
            .send(
              await licensing.createApiKey(
                (r.params as P).orgId as number,
                (r.body as B).email as string,
              ),
            ),
      );
      scope.delete('/api-keys/:id', { schema: params({ id: orgId }) }, async (r) =>
        licensing.revokeApiKey((r.params as P).id as number),
      );
      scope.post(
        '/orgs/:orgId/pools',
        {
          schema: {
            ...params({ orgId }),
            ...body(
              {
                product,
                model: { enum: ['node-locked', 'floating'] },
                billing: { enum: ['yearly', 'monthly'] },
                quota: { type: 'integer', minimum: 0, maximum: 1_000_000 },
                machineQuota: { type: 'integer', minimum: 0, maximum: 1_000_000 },
                expiresAt: { type: 'string', format: 'date-time' },
              },
              ['product', 'model', 'billing', 'quota', 'machineQuota', 'expiresAt'],
            ),
          },
        },
        async (r, reply) => {
          const b = r.body as B;
          return reply
            .status(201)
            .send(
              await licensing.createPool({
                ...(b as Omit<Parameters<Licensing['createPool']>[0], 'orgId' | 'expiresAt'>),
                orgId: (r.params as P).orgId as number,
                expiresAt: Date.parse(b.expiresAt as string),
              }),
            );
        },
      );
      scope.get('/orgs/:orgId/pools/:product', { schema: params(poolParams) }, async (r) =>
        licensing.poolShow((r.params as P).orgId as number, (r.params as P).product as 'KRE'),
      );
      scope.post(
        '/orgs/:orgId/pools/:product/licensed-users',
        { schema: { ...params(poolParams), ...body({ email }, ['email']) } },
        async (r) =>
          licensing.grant(
            (r.params as P).orgId as number,
            (r.params as P).product as 'KRE',
            (r.body as B).email as string,
          ),
      );
      scope.delete(
        '/orgs/:orgId/pools/:product/licensed-users/:email',
        { schema: params({ ...poolParams, email }) },
        async (r) =>
          licensing.revokeGrant(
            (r.params as P).orgId as number,
            (r.params as P).product as 'KRE',
            (r.params as P).email as string,
          ),
      );
      scope.post(
        '/orgs/:orgId/pools/:product/offline-licenses',
        {
          schema: {
            ...params(poolParams),
            ...body(
              {
                machineId: text(64),
                expiresAt: { type: 'string', format: 'date-time' },
                testing: { type: 'boolean' },
              },
              ['machineId'],
            ),
          },
        },
        async (r, reply) => {
          const b = r.body as B;
          return reply
            .status(201)
            .send(
              await licensing.createOffline({
                orgId: (r.params as P).orgId as number,
                product: (r.params as P).product as 'KRE',
                machineId: b.machineId as string,
                testing: Boolean(b.testing),
                ...(b.expiresAt ? { expiresAt: Date.parse(b.expiresAt as string) } : {}),
              }),
            );
        },
      );
      scope.delete(
        '/orgs/:orgId/pools/:product/machines/:machineId',
        { schema: params({ ...poolParams, machineId: text(64) }) },
        async (r) =>
          licensing.removeMachine(
            (r.params as P).orgId as number,
            (r.params as P).product as 'KRE',
            (r.params as P).machineId as string,
          ),
      );
      scope.get(
        '/sessions',
        {
          schema: {
            querystring: { type: 'object', properties: { orgId }, additionalProperties: false },
          },
        },
        async (r) => ({
          sessions: await licensing.listSessions((r.query as { orgId?: number }).orgId),
        }),
      );
      scope.delete('/sessions/:id', { schema: params(sessionId) }, async (r) =>
        licensing.terminateSession((r.params as P).id as string),
      );
    },
    { prefix: '/v1/admin' },
  );

  return app;
};
