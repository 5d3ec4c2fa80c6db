// The client API that katalonc talks to: the key's organisations, activate, heartbeat, release,
// release this machine's. Requests and answers by the one contract (core/wire/client-api.ts): an
// answer that strays from it does not compile, and is written by its schema.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ActivationAnswer,
  ActivationRequest,
  LeaseAnswer,
  LeaseRequest,
  MachineRelease,
  MachineReleaseAnswer,
  MemberOrgsAnswer,
  ReleaseAnswer,
  SessionParams,
  SignedTimeAnswer,
  TimeQuery,
} from '../../core/wire/client-api.ts';
import type { Service } from '../service/index.ts';
import type { Guards } from './guards.ts';

export const clientRoutes: FastifyPluginAsyncTypebox<{ service: Service; guards: Guards }> = (
  app,
  { service, guards },
) => {
  app.get(
    '/time',
    { schema: { querystring: TimeQuery, response: { 200: SignedTimeAnswer } } },
    (request) => service.signedTime({ nonce: request.query.nonce }),
  );
  app.get('/orgs', { schema: { response: { 200: MemberOrgsAnswer } } }, async (request) =>
    service.memberOrgs(await guards.user(request)),
  );
  app.post(
    '/sessions',
    { schema: { body: ActivationRequest, response: { 201: ActivationAnswer } } },
    async (request, reply) =>
      reply.status(201).send(await service.activate(await guards.user(request), request.body)),
  );
  for (const extend of ['heartbeat', 'resume'] as const)
    app.post(
      `/sessions/:id/${extend}`,
      {
        schema: {
          params: SessionParams,
          querystring: LeaseRequest,
          response: { 200: LeaseAnswer },
        },
      },
      async (request) =>
        service[extend](await guards.user(request), request.params.id, request.query),
    );
  app.delete(
    '/sessions/:id',
    { schema: { params: SessionParams, response: { 200: ReleaseAnswer } } },
    async (request) => service.release(await guards.user(request), request.params.id),
  );
  app.post(
    '/sessions/release-machine',
    { schema: { body: MachineRelease, response: { 200: MachineReleaseAnswer } } },
    async (request) => service.releaseMachine(await guards.user(request), request.body),
  );
  return Promise.resolve();
};
