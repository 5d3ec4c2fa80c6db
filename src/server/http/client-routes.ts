// The client API that katalonc talks to: the key's organisations, activate, heartbeat, release,
// release this machine's.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Service } from '../service/index.ts';
import type { Guards } from './guards.ts';
import { Activation, MachineRelease, SessionParams, TimeQuery } from './schemas.ts';

export const clientRoutes: FastifyPluginAsyncTypebox<{ service: Service; guards: Guards }> = (
  app,
  { service, guards },
) => {
  app.get('/time', { schema: { querystring: TimeQuery } }, (request) =>
    service.signedTime({ nonce: request.query.nonce }),
  );
  app.get('/orgs', async (request) => service.memberOrgs(await guards.user(request)));
  app.post('/sessions', { schema: { body: Activation } }, async (request, reply) =>
    reply.status(201).send(await service.activate(await guards.user(request), request.body)),
  );
  app.post('/sessions/:id/heartbeat', { schema: { params: SessionParams } }, async (request) =>
    service.heartbeat(await guards.user(request), request.params.id),
  );
  app.post('/sessions/:id/resume', { schema: { params: SessionParams } }, async (request) =>
    service.resume(await guards.user(request), request.params.id),
  );
  app.delete('/sessions/:id', { schema: { params: SessionParams } }, async (request) =>
    service.release(await guards.user(request), request.params.id),
  );
  app.post('/sessions/release-machine', { schema: { body: MachineRelease } }, async (request) =>
    service.releaseMachine(await guards.user(request), request.body),
  );
  return Promise.resolve();
};
