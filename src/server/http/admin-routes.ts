// The admin API, behind the admin token: the same operations as the admin subcommands, registered
// from the one table of them (admin-api.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fail } from '../../core/errors.ts';
import { ADMIN_API } from './admin-api.ts';
import { actors } from '../service/actor.ts';
import type { Service } from '../service/index.ts';
import type { Guards } from './guards.ts';

export const adminRoutes: FastifyPluginAsyncTypebox<{ service: Service; guards: Guards }> = (
  app,
  { service, guards },
) => {
  app.addHook('onRequest', (request, _reply, done) => {
    guards.admin(request);
    // The rest of the request runs as the operator, from this address (the audit log says so).
    actors.run({ who: 'operator', from: request.ip, operator: true }, done);
  });
  // Validation reads a null as 0 where a number goes ({"quota": null}, as clients send a field they
  // leave unset, would zero a subscription): no admin request holds one.
  app.addHook('preValidation', (request, _reply, done) => {
    const body = request.body as Record<string, unknown> | null | undefined;
    const key =
      body && typeof body === 'object'
        ? Object.keys(body).find((k) => body[k] === null)
        : undefined;
    done(
      key === undefined
        ? undefined
        : fail('BAD_REQUEST', `body/${key} is null: leave it out to keep it as it is`),
    );
  });
  for (const r of ADMIN_API)
    app.route({
      method: r.method,
      url: r.path,
      schema: {
        ...(r.params && { params: r.params }),
        ...(r.body && { body: r.body }),
        ...(r.query && { querystring: r.query }),
      },
      handler: async (request, reply) => {
        const operation = service[r.op] as (...args: unknown[]) => unknown;
        const result = await operation(
          ...r.args({ params: request.params, body: request.body, query: request.query }),
        );
        const answer = r.list
          ? { [r.list]: result }
          : r.answer
            ? r.answer(result as never, `${request.protocol}://${request.host}`)
            : result;
        return reply.status(r.created ? 201 : 200).send(answer);
      },
    });
  return Promise.resolve();
};
