// The HTTP API (JSON, versioned under /v1): the client API that katalonc talks to, with the API key
// as a bearer token, and the admin API, with the admin token. Every error has the stable shape
// {"error":{"code","message"}}; bad input is a 4xx, never a 500.
import Fastify, { LogController, type FastifyError, type FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpStatus, isKatalonError } from '../../core/errors.ts';
import { EMAIL_PATTERN, NOT_AN_EMAIL, SAFE_TEXT_PATTERN } from '../../core/text.ts';
import type { Service } from '../service/index.ts';
import { adminRoutes } from './admin-routes.ts';
import { clientRoutes } from './client-routes.ts';
import { CONSOLE, link } from '../console/links.ts';
import { consoleRoutes } from './console/index.ts';
import { createGuards, type RateLimited } from './guards.ts';
import type { Metrics } from '../metrics.ts';
import type { LogOutput } from '../log-output.ts';

export interface AppOptions {
  adminToken: string;
  logLevel?: string;
  https?: { cert: string; key: string };
  /** Request latencies go there, and GET /metrics answers from it. */
  metrics?: Metrics;
  /** Where log lines go (default: pino's stdout). */
  logOutput?: LogOutput;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** Longer than any ID, e-mail address (254) or token in our paths. */
const MAX_PARAM_LENGTH = 300;

export const buildApp = (service: Service, options: AppOptions) => {
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    // Fastify's request serializer logs method, URL and address, never headers, so keys and tokens
    // stay out of the logs (a test checks); pino's redact option would cost a third of the throughput.
    logger: {
      level: options.logLevel ?? 'info',
      ...(options.logOutput ? { stream: options.logOutput } : {}),
    },
    // At info the log says what happened to licenses (one line each, from the service's events);
    // a line per request only at debug (below): heartbeats would otherwise fill it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    // Errors Fastify finds before routing (a path parameter too long, a broken %-escape) get the
    // one error shape too, without echoing the path.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void (reply as FastifyReply)
        .status(tooLong ? 414 : 400)
        .send(
          errorBody(
            'BAD_REQUEST',
            tooLong
              ? `a part of the path is longer than ${MAX_PARAM_LENGTH} characters: check the URL`
              : 'the path is not a valid URL (a broken %-escape): check the URL',
          ),
        );
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // As Fastify says it, but a refused pattern of ours says what is wrong and what to do.
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(
        errors
          .map((e) => {
            const where = `${dataVar}${e.instancePath}`;
            const pattern = (e.params as { pattern?: string }).pattern;
            if (pattern === SAFE_TEXT_PATTERN)
              return `${where} holds a control or bidirectional character (a newline, an escape, U+202E…): remove it`;
            if (pattern === EMAIL_PATTERN) return `${where} ${NOT_AN_EMAIL}`;
            return `${where} ${e.message}`;
          })
          .join(', '),
      ),
    // Errors Node's HTTP parser finds before Fastify sees a request (431 headers too large, a
    // broken request line) get the same error shape as every other answer.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (!socket.writable) return;
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify(
        errorBody(
          'BAD_REQUEST',
          status === 431 ? 'the request headers are too large' : 'malformed HTTP request',
        ),
      );
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The one error mapping: our errors by their code's status, the framework's 4xx as BAD_REQUEST,
  // anything else as a logged 500 that says nothing of its cause.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isKatalonError(error)) {
      const retryAfter = (error as Partial<RateLimited>).retryAfter;
      if (retryAfter) void reply.header('retry-after', String(retryAfter));
      return reply.status(httpStatus(error.code)).send(errorBody(error.code, error.message));
    }
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) request.log.error(error);
    return reply
      .status(status)
      .send(
        status === 500
          ? errorBody('INTERNAL', 'internal error')
          : errorBody('BAD_REQUEST', error.message),
      );
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  const { metrics } = options;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(no route)';
    metrics?.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.debug(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });

  const guards = createGuards(service, options.adminToken);
  app.get('/healthz', () => ({ ok: true }));
  // A browser pointed at the server's address finds the console (and its icon).
  app.get('/', (_request, reply) => reply.redirect(CONSOLE, 303));
  app.get('/favicon.ico', (_request, reply) => reply.redirect(link('assets', 'icon.svg'), 301));
  if (metrics)
    app.get(
      '/metrics',
      { onRequest: (request, _reply, done) => (guards.admin(request), done()) },
      async (_request, reply) =>
        reply.type(metrics.contentType).send(await metrics.scrape(service)),
    );
  void app.register(clientRoutes, { prefix: '/v1', service, guards });
  void app.register(adminRoutes, { prefix: '/v1/admin', service, guards });
  void app.register(consoleRoutes, { prefix: CONSOLE, service });
  return app;
};
