// The People page of an organisation: its Owners and Admins see the members, change roles, remove
// members and make invitation links; the service's policy decides which of these each may do.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fail } from '../../../core/errors.ts';
import { isOneOf, ROLES, type Role } from '../../../core/vocabulary.ts';
import { link } from '../../console/links.ts';
import { peoplePage, type PeopleNotice } from '../../console/pages/people.ts';
import type { Service } from '../../service/index.ts';
import { OrgParams } from '../schemas.ts';
import { Forms, orgOf, page, shownOnPage, viewerOf } from './kit.ts';

/**
 * What the page says of an invitation just made (`what` it is): e-mailed, with its link aside to copy
 * instead; not e-mailed, why; or, without SMTP settings, its link to pass on.
 */
const madeNotice = (
  request: FastifyRequest,
  what: string,
  i: { token: string; mailedTo?: string; mailError?: string },
): PeopleNotice => {
  const url = `${request.protocol}://${request.host}${link('invitations', i.token)}`;
  if (i.mailedTo)
    return {
      error: false,
      text: `${what}, was e-mailed to ${i.mailedTo}.`,
      link: url,
      linkAside: true,
    };
  if (i.mailError)
    return {
      error: true,
      text: `${what}, was made, but it could not be e-mailed (${i.mailError}): give them this link.`,
      link: url,
    };
  return { error: false, text: `${what}: give them this link.`, link: url };
};

const roleOf = (form: { role: string }): Role => {
  if (!isOneOf(ROLES, form.role))
    throw fail('BAD_REQUEST', 'choose a role: owner, admin or member');
  return form.role;
};

export const peopleRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = (app, { service }) => {
  const people = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    notice?: PeopleNotice,
    status = 200,
  ) => {
    const { user, viewer } = viewerOf(request);
    const members = await service.people(orgId);
    const pending = await service.invitations(orgId);
    const org = await orgOf(service, user, orgId);
    return page(reply, peoplePage(viewer, org, members, pending, notice), status);
  };

  /** A change on the People page: done or refused, the page says so. */
  const change = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    run: () => Promise<Omit<PeopleNotice, 'error'> & { error?: boolean }>,
  ) =>
    shownOnPage(
      async () => people(request, reply, orgId, { error: false, ...(await run()) }),
      (text, status) => people(request, reply, orgId, { error: true, text }, status),
    );

  app.get('', { schema: { params: OrgParams } }, (request, reply) =>
    people(request, reply, request.params.orgId),
  );
  app.post('/role', { schema: { params: OrgParams, body: Forms.role } }, (request, reply) =>
    change(request, reply, request.params.orgId, async () => {
      const { email } = request.body;
      const r = await service.changeRole(request.params.orgId, email, roleOf(request.body));
      return { text: `${r.email} is now ${r.role}.` };
    }),
  );
  app.post('/remove', { schema: { params: OrgParams, body: Forms.member } }, (request, reply) =>
    change(request, reply, request.params.orgId, async () => {
      const r = await service.removeUser(request.params.orgId, request.body.email);
      return {
        text: `${r.email} was removed: their sessions end at their next heartbeat (${r.sessionsEnded} ended).`,
      };
    }),
  );
  app.post('/invite', { schema: { params: OrgParams, body: Forms.role } }, (request, reply) =>
    change(request, reply, request.params.orgId, async () => {
      const i = await service.invite({
        orgId: request.params.orgId,
        email: request.body.email,
        role: roleOf(request.body),
      });
      return madeNotice(
        request,
        `An invitation for ${i.email} as ${i.role}, valid until ${i.expiresAt.slice(0, 10)} and once`,
        i,
      );
    }),
  );
  // A pending invitation withdrawn (its link stops working), or replaced by a fresh link.
  app.post(
    '/invitations/withdraw',
    { schema: { params: OrgParams, body: Forms.invitationId } },
    (request, reply) =>
      change(request, reply, request.params.orgId, async () => {
        const w = await service.withdrawInvitation(request.params.orgId, request.body.id);
        return { text: `The invitation for ${w.email} was withdrawn: its link no longer works.` };
      }),
  );
  app.post(
    '/invitations/renew',
    { schema: { params: OrgParams, body: Forms.invitationId } },
    (request, reply) =>
      change(request, reply, request.params.orgId, async () => {
        const w = await service.renewInvitation(request.params.orgId, request.body.id);
        return madeNotice(
          request,
          `A fresh link for ${w.email}, valid until ${w.expiresAt.slice(0, 10)} and once (the old one no longer works)`,
          w,
        );
      }),
  );
  return Promise.resolve();
};
