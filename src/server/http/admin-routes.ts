// The admin API, behind the admin token: the same operations as the admin subcommands.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actors } from '../service/actor.ts';
import type { Service } from '../service/index.ts';
import type { Guards } from './guards.ts';
import {
  KeyParams,
  LicensedUserParams,
  MachineParams,
  MemberParams,
  Member,
  NewOfflineLicense,
  NewInvitation,
  NewOrg,
  NewPool,
  OrgParams,
  PoolChange,
  PoolParams,
  SessionParams,
  SessionsQuery,
  TerminateQuery,
  MachineTime,
} from './schemas.ts';

export const adminRoutes: FastifyPluginAsyncTypebox<{ service: Service; guards: Guards }> = (
  app,
  { service, guards },
) => {
  app.addHook('onRequest', (request, _reply, done) => {
    guards.admin(request);
    // The rest of the request runs as the operator, from this address (the audit log says so).
    actors.run({ who: 'operator', from: request.ip, operator: true }, done);
  });
  app.get('/orgs/:orgId/audit', { schema: { params: OrgParams } }, async (r) => ({
    entries: await service.auditLog(r.params.orgId),
  }));

  app.get('/orgs', async () => ({ orgs: await service.listOrgs() }));
  app.get('/orgs/:orgId/users', { schema: { params: OrgParams } }, async (r) => ({
    users: await service.listUsers(r.params.orgId),
  }));
  app.get('/orgs/:orgId/api-keys', { schema: { params: OrgParams } }, async (r) => ({
    apiKeys: await service.listApiKeys(r.params.orgId),
  }));
  app.get('/orgs/:orgId/pools', { schema: { params: OrgParams } }, async (r) => ({
    pools: await service.listPools(r.params.orgId),
  }));
  app.post('/orgs', { schema: { body: NewOrg } }, async (r, reply) =>
    reply.status(201).send(await service.createOrg(r.body.name)),
  );
  app.post(
    '/orgs/:orgId/users',
    { schema: { params: OrgParams, body: Member } },
    async (r, reply) => reply.status(201).send(await service.addUser(r.params.orgId, r.body.email)),
  );
  app.post(
    '/orgs/:orgId/api-keys',
    { schema: { params: OrgParams, body: Member } },
    async (r, reply) =>
      reply.status(201).send(await service.createApiKey(r.params.orgId, r.body.email)),
  );
  app.post(
    '/orgs/:orgId/invitations',
    { schema: { params: OrgParams, body: NewInvitation } },
    async (r, reply) => {
      const invited = await service.invite({ orgId: r.params.orgId, ...r.body });
      // The link on this server as the caller reached it.
      const link = `${r.protocol}://${r.host}/console/invitations/${invited.token}`;
      return reply.status(201).send({ ...invited, link });
    },
  );
  app.delete('/orgs/:orgId/users/:email', { schema: { params: MemberParams } }, (r) =>
    service.removeUser(r.params.orgId, r.params.email),
  );
  app.delete('/api-keys/:id', { schema: { params: KeyParams } }, (r) =>
    service.revokeApiKey(r.params.id),
  );
  app.post(
    '/orgs/:orgId/pools',
    { schema: { params: OrgParams, body: NewPool } },
    async (r, reply) =>
      reply.status(201).send(
        await service.createPool({
          ...r.body,
          orgId: r.params.orgId,
          expiresAt: Date.parse(r.body.expiresAt),
        }),
      ),
  );
  app.get('/orgs/:orgId/pools/:product', { schema: { params: PoolParams } }, (r) =>
    service.poolShow(r.params.orgId, r.params.product),
  );
  app.patch(
    '/orgs/:orgId/pools/:product',
    { schema: { params: PoolParams, body: PoolChange } },
    (r) => service.setOutageGrace(r.params.orgId, r.params.product, r.body.outageGraceMinutes),
  );
  app.post(
    '/orgs/:orgId/pools/:product/licensed-users',
    { schema: { params: PoolParams, body: Member } },
    (r) => service.grant(r.params.orgId, r.params.product, r.body.email),
  );
  app.delete(
    '/orgs/:orgId/pools/:product/licensed-users/:email',
    { schema: { params: LicensedUserParams } },
    (r) => service.revokeGrant(r.params.orgId, r.params.product, r.params.email),
  );
  app.post(
    '/orgs/:orgId/pools/:product/offline-licenses',
    { schema: { params: PoolParams, body: NewOfflineLicense } },
    async (r, reply) => {
      const { machineId, testing, expiresAt, replace } = r.body;
      const license = await service.createOffline({
        orgId: r.params.orgId,
        product: r.params.product,
        machineId,
        testing: testing ?? false,
        replace: replace ?? false,
        ...(expiresAt ? { expiresAt: Date.parse(expiresAt) } : {}),
      });
      return reply.status(201).send(license);
    },
  );
  app.delete(
    '/orgs/:orgId/pools/:product/machines/:machineId',
    { schema: { params: MachineParams } },
    (r) => service.removeMachine(r.params.orgId, r.params.product, r.params.machineId),
  );
  app.get('/sessions', { schema: { querystring: SessionsQuery } }, async (r) => ({
    sessions: await service.listSessions(r.query.orgId),
  }));
  app.delete(
    '/sessions/:id',
    { schema: { params: SessionParams, querystring: TerminateQuery } },
    (r) => service.terminateSession(r.params.id, r.query.reason),
  );
  app.post('/time', { schema: { body: MachineTime } }, (r) =>
    service.signedTime({ machineId: r.body.machineId }),
  );
  return Promise.resolve();
};
