// A user's organisations, and in each their own API keys (any role, only their own keys).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { link } from '../../console/links.ts';
import { apiKeysPage, orgsPage } from '../../console/pages/orgs.ts';
import type { Service } from '../../service/index.ts';
import { OrgKeyParams, OrgParams } from '../schemas.ts';
import { Forms, orgOf, page, viewerOf } from './kit.ts';

export const orgRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = (app, { service }) => {
  app.get('', async (request, reply) => {
    const { user, viewer } = viewerOf(request);
    return page(reply, orgsPage(viewer, await service.myOrgs(user)));
  });

  const apiKeys = async (
    request: FastifyRequest,
    reply: FastifyReply,
    orgId: number,
    created?: string,
  ) => {
    const { user, viewer } = viewerOf(request);
    const keys = await service.myApiKeys(orgId);
    const org = await orgOf(service, user, orgId);
    const { orgs } = await service.memberOrgs(user);
    const ci = {
      serverUrl: `${request.protocol}://${request.host}`,
      products: orgs.find((o) => o.id === orgId)?.products ?? [],
    };
    return page(reply, apiKeysPage(viewer, org, keys, ci, created), created ? 201 : 200);
  };
  app.get('/:orgId/api-keys', { schema: { params: OrgParams } }, (request, reply) =>
    apiKeys(request, reply, request.params.orgId),
  );
  app.post(
    '/:orgId/api-keys',
    { schema: { params: OrgParams, body: Forms.action } },
    async (request, reply) => {
      const { orgId } = request.params;
      const { apiKey } = await service.createApiKey(orgId, viewerOf(request).user.email);
      // Shown on this answer only, never stored in the clear.
      return apiKeys(request, reply, orgId, apiKey);
    },
  );
  app.post(
    '/:orgId/api-keys/:keyId/revoke',
    { schema: { params: OrgKeyParams, body: Forms.action } },
    async (request, reply) => {
      const { orgId, keyId } = request.params;
      await service.revokeMyApiKey(orgId, keyId);
      return reply.redirect(link('orgs', orgId, 'api-keys'), 303);
    },
  );
  return Promise.resolve();
};
