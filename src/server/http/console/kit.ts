// What the console's route plugins share: who is signed in (looked up once per request by the hook
// in index.ts), how a page is sent, the form schemas, and how a refused action is shown on its page.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { fail, httpStatus, isKatalonError } from '../../../core/errors.ts';
import { toText, type Html } from '../../console/html.ts';
import type { Viewer } from '../../console/pages/layout.ts';
import type { Service, User } from '../../service/index.ts';

export const COOKIE = 'kls_console';

export const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with a form.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export interface SignedIn {
  user: User;
  viewer: Viewer;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The console's signed-in user (null: signed out), set before the handler runs. */
    signedIn: SignedIn | null;
  }
  interface FastifyContextConfig {
    /**
     * Which forms a signed-out visitor may send (from this origin): the sign-in form ('sign-in',
     * which carries no CSRF token even when signed in) and an invitation's ('open').
     */
    form?: 'sign-in' | 'open';
  }
}

/** The signed-in user of a console session cookie, if any. */
export const sessionOf = async (service: Service, request: FastifyRequest) => {
  const secret = request.cookies[COOKIE];
  const s = secret ? await service.signedIn(secret) : undefined;
  return s ? { user: s.user, viewer: { email: s.user.email, csrf: s.csrf } } : null;
};

/** The signed-in user, or SIGNED_OUT (a GET is then sent to the sign-in page). */
export const viewerOf = (request: FastifyRequest): SignedIn => {
  if (!request.signedIn) throw fail('SIGNED_OUT', 'sign in first');
  return request.signedIn;
};

/** One of the user's organisations, after the policy has found them in it. */
export const orgOf = async (service: Service, user: User, orgId: number) =>
  (await service.myOrgs(user)).find((o) => o.id === orgId)!;

export const page = (reply: FastifyReply, body: Html, status = 200) =>
  reply.status(status).headers(HEADERS).type('text/html; charset=utf-8').send(toText(body));

// A form's fields are short strings; one left out is empty, and the service says what is wrong
// with it on the page the form came from (a role, an e-mail address, a number of minutes).
const Field = Type.String({ maxLength: 1024, default: '' });
const form = <T extends Record<string, TSchema>>(fields: T) =>
  Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 1024 })), ...fields });

export const Forms = {
  /** A button and the CSRF token only. */
  action: form({}),
  signIn: form({ email: Field, password: Field }),
  invitation: form({ password: Field, confirm: Field }),
  member: form({ email: Field }),
  role: form({ email: Field, role: Field }),
  machine: form({ machineId: Field }),
  outageGrace: form({ minutes: Field }),
  invitationId: form({ id: Field }),
  offlineLicense: form({ machineId: Field, kind: Field, confirm: Field, expires: Field }),
};

/**
 * Runs an action; a refusal of ours (a 4xx: not allowed, not found, bad input) is shown on the page
 * the form came from, with its status; anything else goes to the error page.
 */
export const shownOnPage = async <T>(
  run: () => Promise<T>,
  refused: (message: string, status: number) => Promise<FastifyReply>,
): Promise<T | FastifyReply> => {
  try {
    return await run();
  } catch (error) {
    if (!isKatalonError(error) || httpStatus(error.code) >= 500) throw error;
    return refused(error.message, httpStatus(error.code));
  }
};
