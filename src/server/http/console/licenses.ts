// The License Management page of an organisation and its actions: licensed users, machines, the
// outage grace, sessions and offline licenses. The service's policy decides who may (Owners and
// Admins; the outage grace Owners only).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';
import { fail } from '../../../core/errors.ts';
import { OUTAGE_GRACE_MINUTES } from '../../../core/quota.ts';
import { dayOrInstant, wholeNumber } from '../../../core/strict.ts';
import { link } from '../../console/links.ts';
import {
  licensesPage,
  whereQuery,
  type LicensesNotice,
  type Where,
} from '../../console/pages/licenses.ts';
import { poolName } from '../../../core/pool-ref.ts';
import { PoolPaging } from '../../../core/wire/shapes.ts';
import type { PoolRef } from '../../../core/pool-ref.ts';
import type { Service } from '../../service/index.ts';
import { OrgParams, OrgSessionParams, PoolParams, poolOfPath } from '../schemas.ts';
import { Forms, HEADERS, orgOf, page, shownOnPage, viewerOf } from './kit.ts';

/** The file itself, as a download: KRE_<machineID>.lic, ready for the machine's license folder. */
const download = (reply: FastifyReply, license: { fileName: string; text: string }) =>
  reply
    .headers(HEADERS)
    .header('content-disposition', `attachment; filename="${license.fileName}"`)
    .type('application/octet-stream')
    .send(license.text);

const LicenseId = Type.String({ pattern: '^[0-9a-f-]{36}$' });
const LicenseFileParams = Type.Object({
  orgId: OrgParams.properties.orgId,
  pool: PoolParams.properties.pool,
  id: LicenseId,
});

/**
 * What a done action says on the page it returns to (by key: nothing from the URL is shown); a
 * license just issued, by its id, which the page looks up among the organisation's own.
 */
const DONE = {
  granted: 'The member is now a licensed user.',
  revoked: 'The license was withdrawn: their sessions end at their next heartbeat.',
  'machine-removed': 'The machine was removed: its sessions end at their next heartbeat.',
  terminated: 'The session was terminated: its run stops at its next heartbeat, with the reason.',
  'grace-changed': "The pool's outage grace was changed: new sessions and resumes follow it.",
} as const;
/** Where the page stands (pages/licenses.ts Where): kept through every form's POST and redirect. */
const WhereQuery = Type.Object({
  pool: Type.Optional(PoolParams.properties.pool),
  ...PoolPaging.properties,
});
const LicensesQuery = Type.Object({
  ...WhereQuery.properties,
  done: Type.Optional(
    Type.Union(Object.keys(DONE).map((k) => Type.Literal(k as keyof typeof DONE))),
  ),
  issued: Type.Optional(LicenseId),
});
/** The page's own query, of a request to it or to one of its forms. */
const whereOf = (request: FastifyRequest): Where => {
  const { pool, sessionsBefore, machinesBefore, prefix } = request.query as Where;
  return { pool, sessionsBefore, machinesBefore, prefix };
};

export const licenseRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = (
  app,
  { service },
) => {
  const licenses = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    notice?: LicensesNotice,
    status = 200,
  ) => {
    const { user, viewer } = viewerOf(request);
    const role = await service.licenseManager(orgId);
    const org = await orgOf(service, user, orgId);
    const refs = await service.poolRefsOf(orgId);
    // The pool the query names (KRE: the organisation's only KRE pool), by its full name.
    const { pool: named, ...paging } = whereOf(request);
    const wanted = named === undefined ? undefined : poolOfPath(named);
    const paged = refs.find(
      (r) => r.product === wanted?.product && (wanted.model ?? r.model) === r.model,
    );
    const where = paged ? { ...paging, pool: poolName(paged) } : {};
    const pools = await Promise.all(
      refs.map((ref) => service.poolShow(orgId, ref, ref === paged ? paging : {})),
    );
    const serverUrl = `${request.protocol}://${request.host}`;
    return page(
      reply,
      licensesPage(viewer, { id: orgId, name: org.name, role }, pools, serverUrl, where, notice),
      status,
    );
  };

  app.get(
    '/licenses',
    { schema: { params: OrgParams, querystring: LicensesQuery } },
    (request, reply) => {
      const { done, issued } = request.query;
      const notice = issued ? { issued } : done ? { error: false, text: DONE[done] } : undefined;
      return licenses(request, reply, request.params.orgId, notice);
    },
  );

  /** The page a form came from, where it stood, saying `said` (done=…, issued=…). */
  const afterAction = (request: FastifyRequest, said: string) => {
    const { orgId } = request.params as { orgId: number };
    const back = whereQuery(whereOf(request));
    return `${link('orgs', orgId, 'licenses')}${back ? `${back}&` : '?'}${said}`;
  };

  /** A license action: done, back to the page, which says what was done; refused, the page with why. */
  const act = (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    run: () => Promise<keyof typeof DONE | FastifyReply>,
  ) =>
    shownOnPage(
      async () => {
        const done = await run();
        if (typeof done !== 'string') return done;
        return reply.redirect(afterAction(request, `done=${done}`), 303);
      },
      (text, status) => licenses(request, reply, orgId, { error: true, text }, status),
    );

  /** An action on a pool, on what its form names (a member's e-mail, a machine ID, minutes). */
  const poolAction = <S extends TSchema>(
    path: string,
    body: S,
    done: keyof typeof DONE,
    run: (orgId: number, pool: PoolRef, form: Static<S>) => Promise<unknown>,
  ) =>
    app.post(
      `/pools/:pool/${path}`,
      { schema: { params: PoolParams, querystring: WhereQuery, body } },
      (request, reply) =>
        act(request, reply, request.params.orgId, async () => {
          const { orgId, pool } = request.params;
          await run(orgId, poolOfPath(pool), request.body as Static<S>);
          return done;
        }),
    );
  poolAction('licensed-users', Forms.member, 'granted', (orgId, pool, form) =>
    service.grant(orgId, pool, form.email),
  );
  poolAction('licensed-users/remove', Forms.member, 'revoked', (orgId, pool, form) =>
    service.revokeGrant(orgId, pool, form.email),
  );
  poolAction('machines/remove', Forms.machine, 'machine-removed', (orgId, pool, form) =>
    service.removeMachine(orgId, pool, form.machineId),
  );
  poolAction('outage-grace', Forms.outageGrace, 'grace-changed', async (orgId, pool, form) => {
    const minutes = wholeNumber(form.minutes, 0, OUTAGE_GRACE_MINUTES.max);
    if (!minutes.ok) throw fail('BAD_REQUEST', `the outage grace ${minutes.reason}`);
    return service.changePool(orgId, pool, { outageGraceMinutes: minutes.value });
  });
  app.post(
    '/sessions/:id/terminate',
    { schema: { params: OrgSessionParams, querystring: WhereQuery, body: Forms.action } },
    (request, reply) =>
      act(request, reply, request.params.orgId, async () => {
        const { orgId, id } = request.params;
        const by = viewerOf(request).user.email;
        await service.terminateSession(id, `terminated by ${by} in the console`, orgId);
        return 'terminated';
      }),
  );
  app.post(
    '/pools/:pool/offline-licenses',
    { schema: { params: PoolParams, querystring: WhereQuery, body: Forms.offlineLicense } },
    (request, reply) =>
      act(request, reply, request.params.orgId, async () => {
        const form = request.body;
        const testing = form.kind !== 'offline';
        if (!testing && form.confirm !== 'yes')
          throw fail(
            'BAD_REQUEST',
            'an offline license cannot be revoked for 60 days and uses one license: tick the box to confirm',
          );
        // An earlier expiry, if one was picked (the server caps it as the admin CLI's --expires).
        const expires = form.expires.trim() ? dayOrInstant(form.expires) : null;
        if (expires && !expires.ok) throw fail('BAD_REQUEST', `the expiry date ${expires.reason}`);
        const { orgId } = request.params;
        const license = await service.createOffline({
          orgId,
          ...poolOfPath(request.params.pool),
          machineId: form.machineId,
          testing,
          ...(expires?.ok ? { expiresAt: expires.value } : {}),
        });
        // Post/Redirect/Get: the page that follows is fresh (its counts, the new row, the box
        // unticked) and says what was issued, with its Download; reloading it issues nothing.
        return reply.redirect(afterAction(request, `issued=${license.id}`), 303);
      }),
  );
  // A license's file again: a lost download must not cost a second seat for 60 days.
  app.get(
    '/pools/:pool/offline-licenses/:id',
    { schema: { params: LicenseFileParams } },
    async (request, reply) => {
      const { orgId, pool, id } = request.params;
      return download(reply, await service.offlineFile(orgId, poolOfPath(pool), id));
    },
  );
  return Promise.resolve();
};
