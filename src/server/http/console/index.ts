// The web console at /console: server-rendered pages over the same service as the admin API, so a
// rule lives in one place and the service, asking the policy (core/roles.ts), decides what each
// role may do. One plugin per area, registered here: sign-in and invitations, organisations and
// API keys, License Management, People, Audit.
// Security: the session is an HttpOnly, SameSite=Strict cookie (Secure under TLS) holding a random
// token the database knows only by hash; every state-changing form carries the session's CSRF token
// and must come from this origin (both checked once, below); pages forbid inline script and framing
// (Content-Security-Policy) and send a Referer only to this origin (invitation links carry their
// token); sign-in is throttled per account.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readFile } from 'node:fs/promises';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyRequest } from 'fastify';
import { fail, httpStatus, isKatalonError } from '../../../core/errors.ts';
import { link } from '../../console/links.ts';
import { errorPage } from '../../console/pages/layout.ts';
import { CONSOLE_CSS, CONSOLE_ICON } from '../../console/style.ts';
import { actors } from '../../service/actor.ts';
import type { Service } from '../../service/index.ts';
import { auditRoutes } from './audit.ts';
import { HEADERS, page, sessionOf, viewerOf } from './kit.ts';
import { licenseRoutes } from './licenses.ts';
import { orgRoutes } from './orgs.ts';
import { peopleRoutes } from './people.ts';
import { signInRoutes } from './sign-in.ts';

/** A form must come from this origin. */
const sameOrigin = (request: FastifyRequest) => {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`)
    throw fail('FORBIDDEN', 'this form was sent from another site');
};

/** A posted form: from this origin, and a signed-in one with the session's CSRF token. */
const formGuard = (request: FastifyRequest) => {
  if (request.method !== 'POST') return;
  const { form } = request.routeOptions.config;
  if (form === 'sign-in') return sameOrigin(request);
  if (request.signedIn) {
    sameOrigin(request);
    if ((request.body as { _csrf?: string } | undefined)?._csrf !== request.signedIn.viewer.csrf)
      throw fail('FORBIDDEN', 'this form has expired: reload the page and try again');
  } else if (form === 'open') sameOrigin(request);
};

export const consoleRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (
  app,
  { service },
) => {
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 8 * 1024 });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (isKatalonError(error) && error.code === 'SIGNED_OUT' && request.method === 'GET')
      return reply.redirect(link('sign-in'), 303);
    const status = isKatalonError(error) ? httpStatus(error.code) : (error.statusCode ?? 500);
    if (status >= 500) request.log.error(error);
    const title =
      status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong';
    // A refusal keeps the header (who is signed in, Sign out) when it can tell.
    const shownTo = await sessionOf(service, request).then(
      (s) => s?.viewer,
      () => undefined,
    );
    // Our errors are written for their reader (a full disk says so); anything else says nothing.
    const message = isKatalonError(error) || status < 500 ? error.message : 'internal error';
    return page(reply, errorPage(title, message, shownTo), status);
  });

  const asset = (file: string, type: string, maxAge: number, body: () => Promise<unknown>) =>
    app.get(`/assets/${file}`, async (_request, reply) =>
      reply
        .headers(HEADERS)
        .header('cache-control', `public, max-age=${maxAge}`)
        .type(type)
        .send(await body()),
    );
  asset('console.css', 'text/css', 3600, () => Promise.resolve(CONSOLE_CSS));
  asset('icon.svg', 'image/svg+xml', 86_400, () => Promise.resolve(CONSOLE_ICON));
  // Built beside the server bundle (dist/console/console.js); absent when running from the sources.
  const script = new URL('./console/console.js', import.meta.url);
  asset('console.js', 'text/javascript', 3600, () => readFile(script));

  // The pages: after the request is parsed and validated, who is signed in is looked up once, and
  // the rest of the request runs as them (the service's policy and audit log read it there).
  await app.register(async (pages) => {
    pages.decorateRequest('signedIn', null);
    pages.addHook('preHandler', (request, _reply, done) => {
      void sessionOf(service, request).then((s) => {
        request.signedIn = s;
        const actor = s ? { who: s.user.email, user: s.user } : { who: 'signed out' };
        actors.run({ ...actor, from: request.ip }, done);
      }, done);
    });
    pages.addHook('preHandler', (request, _reply, done) => {
      formGuard(request);
      done();
    });
    await pages.register(signInRoutes, { service });
    // Everything else is for signed-in users only.
    await pages.register(async (signedIn) => {
      signedIn.addHook('preHandler', (request, _reply, done) => {
        viewerOf(request);
        done();
      });
      await signedIn.register(orgRoutes, { service, prefix: '/orgs' });
      await signedIn.register(licenseRoutes, { service, prefix: '/orgs/:orgId' });
      await signedIn.register(peopleRoutes, { service, prefix: '/orgs/:orgId/people' });
      await signedIn.register(auditRoutes, { service, prefix: '/orgs/:orgId/audit' });
    });
  });
};
