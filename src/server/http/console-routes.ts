// The web console at /console: server-rendered pages over the same service as the admin API, so a
// rule lives in one place and the server, not the page, decides what each role may do.
// Security: the session is an HttpOnly, SameSite=Strict cookie (Secure under TLS) holding a random
// token the database knows only by hash; every state-changing form carries the session's CSRF token
// and must come from this origin; pages forbid inline script and framing (Content-Security-Policy)
// and send a Referer only to this origin (invitation links carry their token); sign-in is throttled per account.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { fail, httpStatus, isKatalonError } from '../../core/errors.ts';
import { createThrottle } from '../auth-throttle.ts';
import { CONSOLE_CSS } from '../console/style.ts';
import { toText, type Html } from '../console/html.ts';
import {
  errorPage,
  invitationPage,
  licensesPage,
  orgsPage,
  signInPage,
  type Viewer,
} from '../console/pages.ts';
import type { Service, User } from '../service/index.ts';
import { MIN_PASSWORD_LENGTH } from '../service/passwords.ts';
import { OrgParams } from './schemas.ts';

const COOKIE = 'kls_console';

const HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with a form.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const Form = Type.Record(Type.String(), Type.String({ maxLength: 1024 }));
const TokenParams = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) });

export const consoleRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = async (
  app,
  { service },
) => {
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 8 * 1024 });
  // A wrong password for one account slows that account only: 10 failures a minute, then 429.
  const throttle = createThrottle();

  const page = (reply: FastifyReply, body: Html, status = 200) =>
    reply.status(status).headers(HEADERS).type('text/html; charset=utf-8').send(toText(body));

  const signedIn = async (request: FastifyRequest) => {
    const secret = request.cookies[COOKIE];
    return secret ? service.signedIn(secret) : undefined;
  };

  /** The signed-in user, or a redirect to the sign-in page. */
  const viewer = async (request: FastifyRequest): Promise<{ user: User; viewer: Viewer }> => {
    const s = await signedIn(request);
    if (!s) throw fail('SIGNED_OUT', 'sign in first');
    return { user: s.user, viewer: { email: s.user.email, csrf: s.csrf } };
  };

  /** A form must come from this origin; a signed-in one must carry the session's CSRF token. */
  const sameOrigin = (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `${request.protocol}://${request.host}`)
      throw fail('FORBIDDEN', 'this form was sent from another site');
  };
  const checkCsrf = (request: FastifyRequest, csrf: string) => {
    sameOrigin(request);
    const form = request.body as Record<string, string> | undefined;
    if (form?._csrf !== csrf)
      throw fail('FORBIDDEN', 'this form has expired: reload the page and try again');
  };

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isKatalonError(error) && error.code === 'SIGNED_OUT' && request.method === 'GET')
      return reply.redirect('/console/sign-in', 303);
    const status = isKatalonError(error) ? httpStatus(error.code) : (error.statusCode ?? 500);
    if (status >= 500) request.log.error(error);
    const title =
      status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong';
    return page(reply, errorPage(title, status >= 500 ? 'internal error' : error.message), status);
  });

  app.get('/assets/console.css', (_request, reply) =>
    reply
      .headers(HEADERS)
      .header('cache-control', 'public, max-age=3600')
      .type('text/css')
      .send(CONSOLE_CSS),
  );

  app.get('/', async (request, reply) =>
    reply.redirect((await signedIn(request)) ? '/console/orgs' : '/console/sign-in', 303),
  );

  app.get('/sign-in', (_request, reply) => page(reply, signInPage()));

  app.post('/sign-in', { schema: { body: Form } }, async (request, reply) => {
    sameOrigin(request);
    const email = (request.body.email ?? '').trim().toLowerCase();
    const password = request.body.password ?? '';
    const tooMany = (wait: number) =>
      page(
        reply.header('retry-after', String(wait)),
        signInPage(`too many failed attempts for this account: try again in ${wait} s`, email),
        429,
      );
    // While an account is throttled even its right password waits: a lucky guess must not pass.
    const waiting = throttle.waiting(`sign-in:${email}`);
    if (waiting > 0) return tooMany(waiting);
    try {
      const session = await service.signIn(email, password);
      void reply.setCookie(COOKIE, session.token, {
        path: '/console',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        maxAge: session.maxAgeSeconds,
      });
      return reply.redirect('/console/orgs', 303);
    } catch (error) {
      if (!isKatalonError(error) || error.code !== 'SIGNED_OUT') throw error;
      const wait = throttle.failed(`sign-in:${email}`);
      return wait > 0 ? tooMany(wait) : page(reply, signInPage(error.message, email), 401);
    }
  });

  app.post('/sign-out', { schema: { body: Form } }, async (request, reply) => {
    const s = await signedIn(request);
    if (s) {
      checkCsrf(request, s.csrf);
      await service.signOut(request.cookies[COOKIE]!);
    }
    void reply.clearCookie(COOKIE, { path: '/console' });
    return reply.redirect('/console/sign-in', 303);
  });

  app.get('/invitations/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    const invite = await service.invitation(request.params.token);
    const org = (await service.listOrgs()).find((o) => o.id === invite.orgId)!;
    return page(
      reply,
      invitationPage(
        { ...invite, orgName: org.name },
        `/console/invitations/${request.params.token}`,
        MIN_PASSWORD_LENGTH,
      ),
    );
  });

  app.post(
    '/invitations/:token',
    { schema: { params: TokenParams, body: Form } },
    async (request, reply) => {
      sameOrigin(request);
      const invite = await service.invitation(request.params.token);
      const org = (await service.listOrgs()).find((o) => o.id === invite.orgId)!;
      const again = (message: string) =>
        page(
          reply,
          invitationPage(
            { ...invite, orgName: org.name },
            `/console/invitations/${request.params.token}`,
            MIN_PASSWORD_LENGTH,
            message,
          ),
          400,
        );
      const password = request.body.password ?? '';
      if (password !== request.body.confirm) return again('the two passwords differ');
      try {
        await service.acceptInvitation(request.params.token, password);
      } catch (error) {
        if (isKatalonError(error) && error.code === 'BAD_REQUEST') return again(error.message);
        throw error;
      }
      return reply.redirect('/console/sign-in', 303);
    },
  );

  app.get('/orgs', async (request, reply) => {
    const { user, viewer: v } = await viewer(request);
    return page(reply, orgsPage(v, await service.myOrgs(user)));
  });

  app.get('/orgs/:orgId/licenses', { schema: { params: OrgParams } }, async (request, reply) => {
    const { user, viewer: v } = await viewer(request);
    const role = await service.licenseManager(user, request.params.orgId);
    const org = (await service.myOrgs(user)).find((o) => o.id === request.params.orgId)!;
    return page(
      reply,
      licensesPage(v, { name: org.name, role }, await service.listPools(request.params.orgId)),
    );
  });
};
