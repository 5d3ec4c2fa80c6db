// The audit log of an organisation, for those who manage its licenses, a page at a time (?before=).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditPage } from '../../console/pages/audit.ts';
import type { Service } from '../../service/index.ts';
import { AuditQuery, OrgParams } from '../schemas.ts';
import { orgOf, page, viewerOf } from './kit.ts';

export const auditRoutes: FastifyPluginAsyncTypebox<{ service: Service }> = (app, { service }) => {
  app.get(
    '',
    { schema: { params: OrgParams, querystring: AuditQuery } },
    async (request, reply) => {
      const { user, viewer } = viewerOf(request);
      const entries = await service.auditLog(request.params.orgId, request.query.before);
      const org = await orgOf(service, user, request.params.orgId);
      return page(reply, auditPage(viewer, org, entries));
    },
  );
  return Promise.resolve();
};
