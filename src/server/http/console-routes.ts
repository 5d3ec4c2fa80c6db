// The web console at /console: server-rendered pages over the same service as the admin API, so a
// rule lives in one place and the server, not the page, decides what each role may do.
// Security: the session is an HttpOnly, SameSite=Strict cookie (Secure under TLS) holding a random
// token the database knows only by hash; every state-changing form carries the session's CSRF token
// and must come from this origin; pages forbid inline script and framing (Content-Security-Policy)
// and send a Referer only to this origin (invitation links carry their token); sign-in is throttled per account.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readFile } from 'node:fs/promises';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { fail, httpStatus, isKatalonError } from '../../core/errors.ts';
import { OUTAGE_GRACE_MINUTES } from '../../core/quota.ts';
import { wholeNumber } from '../../core/strict.ts';
import { createThrottle } from '../auth-throttle.ts';
import { CONSOLE_CSS, CONSOLE_ICON } from '../console/style.ts';
import { toText, type Html } from '../console/html.ts';
import {
  ROWS_SHOWN,
  apiKeysPage,
  auditPage,
  peoplePage,
  errorPage,
  invitationPage,
  licensesPage,
  orgsPage,
  signInPage,
  type Viewer,
} from '../console/pages.ts';
import { isOneOf, ROLES, type Role } from '../../core/vocabulary.ts';
import { actors } from '../service/actor.ts';
import type { Service, User } from '../service/index.ts';
import { MIN_PASSWORD_LENGTH } from '../service/passwords.ts';
import { OrgKeyParams, OrgParams, OrgSessionParams, PoolParams } from './schemas.ts';

const COOKIE = 'kls_console';

const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with a form.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const Form = Type.Record(Type.String(), Type.String({ maxLength: 1024 }));
/** What a done action says on the page it returns to (by key: nothing from the URL is shown). */
const DONE = {
  granted: 'The member is now a licensed user.',
  revoked: 'The license was withdrawn: their sessions end at their next heartbeat.',
  'machine-removed': 'The machine was removed: its sessions end at their next heartbeat.',
  terminated: 'The session was terminated: its run stops at its next heartbeat, with the reason.',
  'grace-changed': "The pool's outage grace was changed: new sessions and resumes follow it.",
} as const;
const DoneQuery = Type.Object({
  done: Type.Optional(
    Type.Union(Object.keys(DONE).map((k) => Type.Literal(k as keyof typeof DONE))),
  ),
});
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

  /** One of the user's organisations, after a role check has found them in it. */
  const orgOf = async (user: User, orgId: number) =>
    (await service.myOrgs(user)).find((o) => o.id === orgId)!;

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

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (isKatalonError(error) && error.code === 'SIGNED_OUT' && request.method === 'GET')
      return reply.redirect('/console/sign-in', 303);
    const status = isKatalonError(error) ? httpStatus(error.code) : (error.statusCode ?? 500);
    if (status >= 500) request.log.error(error);
    const title =
      status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong';
    // A refusal keeps the header (who is signed in, Sign out) when it can tell.
    const shownTo = await viewer(request).then(
      (v) => v.viewer,
      () => undefined,
    );
    // Our errors are written for their reader (a full disk says so); anything else says nothing.
    const message = isKatalonError(error) || status < 500 ? error.message : 'internal error';
    return page(reply, errorPage(title, message, shownTo), status);
  });

  app.get('/assets/console.css', (_request, reply) =>
    reply
      .headers(HEADERS)
      .header('cache-control', 'public, max-age=3600')
      .type('text/css')
      .send(CONSOLE_CSS),
  );

  app.get('/assets/icon.svg', (_request, reply) =>
    reply
      .headers(HEADERS)
      .header('cache-control', 'public, max-age=86400')
      .type('image/svg+xml')
      .send(CONSOLE_ICON),
  );

  // Built beside the server bundle (dist/console/console.js); absent when running from the sources.
  const script = new URL('./console/console.js', import.meta.url);
  app.get('/assets/console.js', async (_request, reply) =>
    reply
      .headers(HEADERS)
      .header('cache-control', 'public, max-age=3600')
      .type('text/javascript')
      .send(await readFile(script)),
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
    // Counted before the (slow) check, so that guesses sent at once cannot all be checked; while
    // an account is throttled even its right password waits: a lucky guess must not pass.
    const attempt = throttle.attempt(`sign-in:${email}`);
    if (attempt.wait > 0) return tooMany(attempt.wait);
    try {
      const session = await service.signIn(email, password);
      attempt.passed();
      void reply.setCookie(COOKIE, session.token, {
        path: '/console',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        maxAge: session.maxAgeSeconds,
      });
      return reply.redirect('/console/orgs', 303);
    } catch (error) {
      if (isKatalonError(error) && error.code === 'SIGNED_OUT')
        return page(reply, signInPage(error.message, email), 401);
      attempt.passed(); // not a wrong password (the database away): not a failure
      throw error;
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

  /** The invitation's page: what it offers and how to accept it (with why it was refused). */
  const invitation = async (
    request: FastifyRequest,
    reply: FastifyReply,
    refused?: string,
  ): Promise<FastifyReply> => {
    const { token } = request.params as { token: string };
    const invite = await service.invitation(token);
    const s = await signedIn(request);
    const viewer = s && { email: s.user.email, csrf: s.csrf };
    const form = invitationPage(
      invite,
      `/console/invitations/${token}`,
      MIN_PASSWORD_LENGTH,
      viewer,
      refused,
    );
    return page(reply, form, refused ? 400 : 200);
  };

  app.get('/invitations/:token', { schema: { params: TokenParams } }, (request, reply) =>
    invitation(request, reply),
  );

  app.post(
    '/invitations/:token',
    { schema: { params: TokenParams, body: Form } },
    async (request, reply) => {
      sameOrigin(request);
      const { token } = request.params;
      // Signed in: the invitation joins this account (if it is the one invited); no password.
      const s = await signedIn(request);
      if (s) {
        checkCsrf(request, s.csrf);
        await actors.run({ who: s.user.email, from: request.ip }, () =>
          service.acceptInvitationAs(s.user, token),
        );
        return reply.redirect('/console/orgs', 303);
      }
      const invite = await service.invitation(token);
      const password = request.body.password ?? '';
      if (password !== request.body.confirm)
        return invitation(request, reply, 'the two passwords differ');
      try {
        await actors.run({ who: invite.email, from: request.ip }, () =>
          service.acceptInvitation(token, password),
        );
      } catch (error) {
        if (isKatalonError(error) && error.code === 'BAD_REQUEST')
          return invitation(request, reply, error.message);
        throw error;
      }
      return reply.redirect('/console/sign-in', 303);
    },
  );

  app.get('/orgs', async (request, reply) => {
    const { user, viewer: v } = await viewer(request);
    return page(reply, orgsPage(v, await service.myOrgs(user)));
  });

  // A member's own API keys: any role, only their own keys.
  const apiKeys = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    created?: string,
  ) => {
    const { user, viewer: v } = await viewer(request);
    const keys = await service.myApiKeys(user, orgId);
    const org = await orgOf(user, orgId);
    return page(reply, apiKeysPage(v, org, keys, created), created ? 201 : 200);
  };
  app.get('/orgs/:orgId/api-keys', { schema: { params: OrgParams } }, (request, reply) =>
    apiKeys(request, reply, request.params.orgId),
  );
  app.post(
    '/orgs/:orgId/api-keys',
    { schema: { params: OrgParams, body: Form } },
    async (request, reply) => {
      const { user, viewer: v } = await viewer(request);
      checkCsrf(request, v.csrf);
      await service.myApiKeys(user, request.params.orgId); // a member of it, or NOT_FOUND
      const as = { who: user.email, from: request.ip };
      const { apiKey } = await actors.run(as, () =>
        service.createApiKey(request.params.orgId, user.email),
      );
      // Shown on this answer only, never stored in the clear.
      return apiKeys(request, reply, request.params.orgId, apiKey);
    },
  );
  app.post(
    '/orgs/:orgId/api-keys/:keyId/revoke',
    { schema: { params: OrgKeyParams, body: Form } },
    async (request, reply) => {
      const { user, viewer: v } = await viewer(request);
      checkCsrf(request, v.csrf);
      const { orgId, keyId } = request.params;
      await actors.run({ who: user.email, from: request.ip }, () =>
        service.revokeMyApiKey(user, orgId, keyId),
      );
      return reply.redirect(`/console/orgs/${request.params.orgId}/api-keys`, 303);
    },
  );

  // People: Owners and Admins see the members, change roles, remove members and make invitations.
  const people = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    notice?: { error: boolean; text: string; link?: string },
    status = 200,
  ) => {
    const { user, viewer: v } = await viewer(request);
    const members = await service.people(user, orgId);
    const org = await orgOf(user, orgId);
    return page(reply, peoplePage(v, org, members, notice), status);
  };
  const roleOf = (form: Record<string, string>): Role => {
    if (!isOneOf(ROLES, form.role))
      throw fail('BAD_REQUEST', 'choose a role: owner, admin or member');
    return form.role;
  };
  /** A change on the People page: signed in, CSRF, then the service as this user; refusals shown there. */
  const peopleAction = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    run: (user: User) => Promise<{ text: string; link?: string }>,
  ) => {
    const { user, viewer: v } = await viewer(request);
    checkCsrf(request, v.csrf);
    await service.people(user, orgId); // an Owner or Admin of it
    try {
      const done = await actors.run({ who: user.email, from: request.ip }, () => run(user));
      return people(request, reply, orgId, { error: false, ...done });
    } catch (error) {
      if (!isKatalonError(error) || httpStatus(error.code) >= 500) throw error;
      return people(
        request,
        reply,
        orgId,
        { error: true, text: error.message },
        httpStatus(error.code),
      );
    }
  };
  app.get('/orgs/:orgId/people', { schema: { params: OrgParams } }, (request, reply) =>
    people(request, reply, request.params.orgId),
  );
  app.post(
    '/orgs/:orgId/people/role',
    { schema: { params: OrgParams, body: Form } },
    (request, reply) =>
      peopleAction(request, reply, request.params.orgId, async (user) => {
        const r = await service.changeRole(
          user,
          request.params.orgId,
          request.body.email ?? '',
          roleOf(request.body),
        );
        return { text: `${r.email} is now ${r.role}.` };
      }),
  );
  app.post(
    '/orgs/:orgId/people/remove',
    { schema: { params: OrgParams, body: Form } },
    (request, reply) =>
      peopleAction(request, reply, request.params.orgId, async (user) => {
        const r = await service.removeUser(request.params.orgId, request.body.email ?? '', user);
        return {
          text: `${r.email} was removed: their sessions end at their next heartbeat (${r.sessionsEnded} ended).`,
        };
      }),
  );
  app.post(
    '/orgs/:orgId/people/invite',
    { schema: { params: OrgParams, body: Form } },
    (request, reply) =>
      peopleAction(request, reply, request.params.orgId, async (user) => {
        const i = await service.invite({
          orgId: request.params.orgId,
          email: request.body.email ?? '',
          role: roleOf(request.body),
          by: user,
        });
        return {
          text: `An invitation for ${i.email} as ${i.role}, valid until ${i.expiresAt.slice(0, 10)} and once: give them this link.`,
          link: `${request.protocol}://${request.host}/console/invitations/${i.token}`,
        };
      }),
  );

  app.get('/orgs/:orgId/audit', { schema: { params: OrgParams } }, async (request, reply) => {
    const { user, viewer: v } = await viewer(request);
    await service.licenseManager(user, request.params.orgId);
    const org = await orgOf(user, request.params.orgId);
    return page(reply, auditPage(v, org, await service.auditLog(org.id)));
  });

  /** The License Management page of an organisation, for its Owners and Admins only. */
  const licenses = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    notice?: { error: boolean; text: string },
    status = 200,
  ) => {
    const { user, viewer: v } = await viewer(request);
    const role = await service.licenseManager(user, orgId);
    const org = await orgOf(user, orgId);
    const pools = await Promise.all(
      (await service.productsOf(orgId)).map((product) =>
        service.poolShow(orgId, product, ROWS_SHOWN),
      ),
    );
    const serverUrl = `${request.protocol}://${request.host}`;
    return page(
      reply,
      licensesPage(v, { id: orgId, name: org.name, role }, pools, serverUrl, notice),
      status,
    );
  };

  app.get(
    '/orgs/:orgId/licenses',
    { schema: { params: OrgParams, querystring: DoneQuery } },
    (request, reply) => {
      const done = request.query.done;
      return licenses(
        request,
        reply,
        request.params.orgId,
        done ? { error: false, text: DONE[done] } : undefined,
      );
    },
  );

  /**
   * A license action of an Owner or Admin: signed in, the CSRF token, the role, then the service;
   * done: back to the page, which says what was done; refused: the page with why.
   */
  const licenseAction = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    run: (user: User) => Promise<keyof typeof DONE | FastifyReply>,
  ) => {
    const { user, viewer: v } = await viewer(request);
    checkCsrf(request, v.csrf);
    await service.licenseManager(user, orgId);
    try {
      const done = await actors.run({ who: user.email, from: request.ip }, () => run(user));
      if (typeof done !== 'string') return done;
      return reply.redirect(`/console/orgs/${orgId}/licenses?done=${done}`, 303);
    } catch (error) {
      if (!isKatalonError(error) || httpStatus(error.code) >= 500) throw error;
      const refused = { error: true, text: error.message };
      return licenses(request, reply, orgId, refused, httpStatus(error.code));
    }
  };

  const email = (form: Record<string, string>) => form.email ?? '';
  app.post(
    '/orgs/:orgId/pools/:product/licensed-users',
    { schema: { params: PoolParams, body: Form } },
    (request, reply) =>
      licenseAction(request, reply, request.params.orgId, async () => {
        const { orgId, product } = request.params;
        await service.grant(orgId, product, email(request.body));
        return 'granted';
      }),
  );
  app.post(
    '/orgs/:orgId/pools/:product/licensed-users/remove',
    { schema: { params: PoolParams, body: Form } },
    (request, reply) =>
      licenseAction(request, reply, request.params.orgId, async () => {
        const { orgId, product } = request.params;
        await service.revokeGrant(orgId, product, email(request.body));
        return 'revoked';
      }),
  );
  app.post(
    '/orgs/:orgId/pools/:product/machines/remove',
    { schema: { params: PoolParams, body: Form } },
    (request, reply) =>
      licenseAction(request, reply, request.params.orgId, async () => {
        const { orgId, product } = request.params;
        await service.removeMachine(orgId, product, request.body.machineId ?? '');
        return 'machine-removed';
      }),
  );
  app.post(
    '/orgs/:orgId/pools/:product/outage-grace',
    { schema: { params: PoolParams, body: Form } },
    (request, reply) =>
      licenseAction(request, reply, request.params.orgId, async (user) => {
        const { orgId, product } = request.params;
        const minutes = wholeNumber(request.body.minutes ?? '', 0, OUTAGE_GRACE_MINUTES.max);
        if (!minutes.ok) throw fail('BAD_REQUEST', `the outage grace ${minutes.reason}`);
        await service.setOutageGrace(orgId, product, minutes.value, user);
        return 'grace-changed';
      }),
  );
  app.post(
    '/orgs/:orgId/sessions/:id/terminate',
    { schema: { params: OrgSessionParams, body: Form } },
    (request, reply) =>
      licenseAction(request, reply, request.params.orgId, async (user) => {
        const { orgId, id } = request.params;
        await service.terminateSession(id, `terminated by ${user.email} in the console`, orgId);
        return 'terminated';
      }),
  );
  app.post(
    '/orgs/:orgId/pools/:product/offline-licenses',
    { schema: { params: PoolParams, body: Form } },
    (request, reply) =>
      licenseAction(request, reply, request.params.orgId, async () => {
        const form = request.body;
        const testing = form.kind !== 'offline';
        if (!testing && form.confirm !== 'yes')
          throw fail(
            'BAD_REQUEST',
            'an offline license cannot be revoked for 60 days and uses one license: tick the box to confirm',
          );
        const license = await service.createOffline({
          orgId: request.params.orgId,
          product: request.params.product,
          machineId: form.machineId ?? '',
          testing,
        });
        // The file itself, as a download: KRE_<machineID>.lic, ready for the machine's license folder.
        return reply
          .headers(HEADERS)
          .header('content-disposition', `attachment; filename="${license.fileName}"`)
          .type('application/octet-stream')
          .send(license.text);
      }),
  );
};
