// Getting in: the console's front door, sign-in (throttled per account), sign-out, and an
// invitation link's page and its acceptance.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isKatalonError } from '../../../core/errors.ts';
import { createThrottle } from '../../auth-throttle.ts';
import { CONSOLE, link } from '../../console/links.ts';
import { invitationPage, signInPage } from '../../console/pages/sign-in.ts';
import { actors } from '../../service/actor.ts';
import type { Service } from '../../service/index.ts';
import { MIN_PASSWORD_LENGTH } from '../../service/passwords.ts';
import { Email } from '../../../core/wire/shapes.ts';
import { COOKIE, Forms, page } from './kit.ts';

const TokenParams = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) });

export const signInRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = (app, { service }) => {
  // A wrong password for one account slows that account only: 10 failures a minute, then 429.
  const throttle = createThrottle();

  app.get('/', async (request, reply) =>
    reply.redirect(request.signedIn ? link('orgs') : link('sign-in'), 303),
  );

  // After an invitation was accepted: the e-mail filled in, and a word that the account is ready.
  app.get(
    '/sign-in',
    { schema: { querystring: Type.Object({ joined: Type.Optional(Email) }) } },
    (request, reply) => {
      const { joined } = request.query;
      return page(
        reply,
        joined
          ? signInPage(
              undefined,
              joined,
              'Your account is ready: sign in with the password you chose.',
            )
          : signInPage(),
      );
    },
  );

  app.post(
    '/sign-in',
    { schema: { body: Forms.signIn }, config: { form: 'sign-in' } },
    async (request, reply) => {
      const email = request.body.email.trim().toLowerCase();
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
        const session = await service.signIn(email, request.body.password);
        attempt.passed();
        void reply.setCookie(COOKIE, session.token, {
          path: CONSOLE,
          httpOnly: true,
          sameSite: 'strict',
          secure: request.protocol === 'https',
          maxAge: session.maxAgeSeconds,
        });
        return reply.redirect(link('orgs'), 303);
      } catch (error) {
        if (isKatalonError(error) && error.code === 'SIGNED_OUT')
          return page(reply, signInPage(error.message, email), 401);
        attempt.passed(); // not a wrong password (the database away): not a failure
        throw error;
      }
    },
  );

  app.post('/sign-out', { schema: { body: Forms.action } }, async (request, reply) => {
    if (request.signedIn) await service.signOut(request.cookies[COOKIE]!);
    void reply.clearCookie(COOKIE, { path: CONSOLE });
    return reply.redirect(link('sign-in'), 303);
  });

  /** The invitation's page: what it offers and how to accept it (with why it was refused). */
  const invitation = async (
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    refused?: string,
  ): Promise<FastifyReply> => {
    const invite = await service.invitation(token);
    const path = link('invitations', token);
    const form = invitationPage(
      invite,
      path,
      MIN_PASSWORD_LENGTH,
      request.signedIn?.viewer,
      refused,
    );
    return page(reply, form, refused ? 400 : 200);
  };

  app.get('/invitations/:token', { schema: { params: TokenParams } }, (request, reply) =>
    invitation(request, reply, request.params.token),
  );

  app.post(
    '/invitations/:token',
    { schema: { params: TokenParams, body: Forms.invitation }, config: { form: 'open' } },
    async (request, reply) => {
      const { token } = request.params;
      // Signed in: the invitation joins this account (if it is the one invited); no password.
      if (request.signedIn) {
        await service.acceptInvitationAs(request.signedIn.user, token);
        return reply.redirect(link('orgs'), 303);
      }
      const invite = await service.invitation(token);
      const { password, confirm } = request.body;
      if (password !== confirm)
        return invitation(request, reply, token, 'the two passwords differ');
      try {
        // The new account's first act, in the audit log under its own name.
        await actors.run({ who: invite.email, from: request.ip }, () =>
          service.acceptInvitation(token, password),
        );
      } catch (error) {
        if (isKatalonError(error) && error.code === 'BAD_REQUEST')
          return invitation(request, reply, token, error.message);
        throw error;
      }
      return reply.redirect(`${link('sign-in')}?joined=${encodeURIComponent(invite.email)}`, 303);
    },
  );
  return Promise.resolve();
};
