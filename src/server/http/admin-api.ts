// The admin API, one row per operation: its method and path, the schemas of its request, and how
// the service operation's arguments map to the request and back. The admin routes register from
// this table (admin-routes.ts) and the remote admin client builds its calls from it
// (../remote-admin.ts), so adding an admin operation is adding a row.
import type { Static, TSchema } from 'typebox';
import { fail } from '../../core/errors.ts';
import { poolName } from '../../core/pool-ref.ts';
import { iso } from '../../core/text.ts';
import { SessionParams } from '../../core/wire/client-api.ts';
import { PoolPaging } from '../../core/wire/shapes.ts';
import {
  CertificateText,
  KeyParams,
  LicensedUserParams,
  MachineParams,
  MachineTime,
  Member,
  MemberParams,
  NewInvitation,
  NewOfflineLicense,
  NewOrg,
  NewPool,
  OrgParams,
  PoolChange,
  PoolParams,
  poolOfPath,
  SessionsQuery,
  AuditQuery,
  TerminateQuery,
} from './schemas.ts';
import type { Service } from '../service/index.ts';
import { link } from '../console/links.ts';

/** What a request carries, as its schemas say. */
interface Parts<P extends TSchema, B extends TSchema, Q extends TSchema> {
  params: Static<P>;
  body: Static<B>;
  query: Static<Q>;
}

type Operation = Exclude<keyof Service, 'settings' | 'authenticate' | 'tick'>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface AdminRoute<K extends Operation, P extends TSchema, B extends TSchema, Q extends TSchema> {
  op: K;
  method: Method;
  /** Fastify's form: `:name` is a path parameter of `params`. */
  path: string;
  params?: P;
  body?: B;
  query?: Q;
  /** Answered with 201 Created (else 200). */
  created?: true;
  /** The answer is this one field holding the operation's list: { orgs: […] }. */
  list?: string;
  /** The operation's arguments, from a request (the route). */
  args: (request: Parts<P, B, Q>) => Parameters<Service[K]>;
  /** The request, from the operation's arguments (the remote admin client). */
  request: (...args: Parameters<Service[K]>) => Partial<Parts<P, B, Q>>;
  /** What the route answers, when more than the operation's result (`origin`: as the caller reached it). */
  answer?: (result: Awaited<ReturnType<Service[K]>>, origin: string) => unknown;
}

/** A row of the table, as the routes and the remote client read it (whatever its schemas). */
interface AnyAdminRoute {
  op: Operation;
  method: Method;
  path: string;
  params?: TSchema;
  body?: TSchema;
  query?: TSchema;
  created?: true;
  list?: string;
  args: (request: Parts<TSchema, TSchema, TSchema>) => unknown[];
  request: (...args: never[]) => Partial<Parts<TSchema, TSchema, TSchema>>;
  answer?: (result: never, origin: string) => unknown;
}

// Infers each row's types from its schemas and operation; the table keeps its operation's name.
const route = <
  K extends Operation,
  P extends TSchema = TSchema,
  B extends TSchema = TSchema,
  Q extends TSchema = TSchema,
>(
  r: AdminRoute<K, P, B, Q>,
) => r as unknown as AnyAdminRoute & { op: K };

/**
 * An instant of the body (ms since the epoch). The date-time format lets a leap second (23:59:60)
 * through, which is no instant to Date.parse: refused here rather than stored as NaN.
 */
const instant = (text: string): number => {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw fail(
      'BAD_REQUEST',
      `body/expiresAt "${text}" is not an instant this server can read: give one such as 2030-12-31T23:59:59Z`,
    );
  return ms;
};

/** GET /orgs/:orgId/<segment>: an organisation's list, as `{ <list>: […] }`. */
const orgList = <K extends 'listUsers' | 'listApiKeys' | 'listPools'>(
  op: K,
  segment: string,
  list: string,
) =>
  route({
    op: op as 'listUsers', // all three take (orgId)
    method: 'GET',
    path: `/orgs/:orgId/${segment}`,
    params: OrgParams,
    list,
    args: ({ params }) => [params.orgId],
    request: (orgId) => ({ params: { orgId } }),
  }) as AnyAdminRoute & { op: K };

/** POST /orgs/:orgId/<segment> { email }: something made for a member, 201. */
const forMember = <K extends 'addUser' | 'createApiKey'>(op: K, segment: string) =>
  route({
    op: op as 'addUser', // both take (orgId, email)
    method: 'POST',
    path: `/orgs/:orgId/${segment}`,
    params: OrgParams,
    body: Member,
    created: true,
    args: ({ params, body }) => [params.orgId, body.email],
    request: (orgId, email) => ({ params: { orgId }, body: { email } }),
  }) as AnyAdminRoute & { op: K };

export const ADMIN_API = [
  route({
    op: 'auditLog',
    method: 'GET',
    path: '/orgs/:orgId/audit',
    params: OrgParams,
    query: AuditQuery,
    list: 'entries',
    args: ({ params, query }) => [params.orgId, query.before],
    request: (orgId, before) => ({ params: { orgId }, query: { before } }),
  }),
  orgList('listUsers', 'users', 'users'),
  orgList('listApiKeys', 'api-keys', 'apiKeys'),
  orgList('listPools', 'pools', 'pools'),
  forMember('addUser', 'users'),
  forMember('createApiKey', 'api-keys'),
  route({
    op: 'listOrgs',
    method: 'GET',
    path: '/orgs',
    list: 'orgs',
    args: () => [],
    request: () => ({}),
  }),
  route({
    op: 'createOrg',
    method: 'POST',
    path: '/orgs',
    body: NewOrg,
    created: true,
    args: ({ body }) => [body.name],
    request: (name) => ({ body: { name } }),
  }),
  route({
    op: 'invite',
    method: 'POST',
    path: '/orgs/:orgId/invitations',
    params: OrgParams,
    body: NewInvitation,
    created: true,
    args: ({ params, body }) => [{ orgId: params.orgId, ...body }],
    request: ({ orgId, email, role }) => ({ params: { orgId }, body: { email, role } }),
    // The link on this server as the caller reached it.
    answer: (invited, origin) => ({
      ...invited,
      link: `${origin}${link('invitations', invited.token)}`,
    }),
  }),
  route({
    op: 'removeUser',
    method: 'DELETE',
    path: '/orgs/:orgId/users/:email',
    params: MemberParams,
    args: ({ params }) => [params.orgId, params.email],
    request: (orgId, email) => ({ params: { orgId, email } }),
  }),
  route({
    op: 'revokeApiKey',
    method: 'DELETE',
    path: '/api-keys/:id',
    params: KeyParams,
    args: ({ params }) => [params.id],
    request: (id) => ({ params: { id } }),
  }),
  route({
    op: 'createPool',
    method: 'POST',
    path: '/orgs/:orgId/pools',
    params: OrgParams,
    body: NewPool,
    created: true,
    args: ({ params, body }) => [
      { ...body, orgId: params.orgId, expiresAt: instant(body.expiresAt) },
    ],
    request: ({
      orgId,
      expiresAt,
      product,
      model,
      billing,
      quota,
      machineQuota,
      outageGraceMinutes,
    }) => ({
      params: { orgId },
      body: {
        product,
        model,
        billing,
        quota,
        ...(machineQuota === undefined ? {} : { machineQuota }),
        expiresAt: iso(expiresAt),
        ...(outageGraceMinutes === undefined ? {} : { outageGraceMinutes }),
      },
    }),
  }),
  route({
    op: 'poolShow',
    method: 'GET',
    path: '/orgs/:orgId/pools/:pool',
    params: PoolParams,
    query: PoolPaging,
    args: ({ params, query }) => [params.orgId, poolOfPath(params.pool), query],
    request: (orgId, pool, paging) => ({ params: { orgId, pool: poolName(pool) }, query: paging }),
  }),
  route({
    op: 'changePool',
    method: 'PATCH',
    path: '/orgs/:orgId/pools/:pool',
    params: PoolParams,
    body: PoolChange,
    args: ({ params, body: { expiresAt, ...rest } }) => [
      params.orgId,
      poolOfPath(params.pool),
      { ...rest, ...(expiresAt === undefined ? {} : { expiresAt: instant(expiresAt) }) },
    ],
    request: (orgId, pool, { expiresAt, ...rest }) => ({
      params: { orgId, pool: poolName(pool) },
      body: { ...rest, ...(expiresAt === undefined ? {} : { expiresAt: iso(expiresAt) }) },
    }),
  }),
  route({
    op: 'grant',
    method: 'POST',
    path: '/orgs/:orgId/pools/:pool/licensed-users',
    params: PoolParams,
    body: Member,
    args: ({ params, body }) => [params.orgId, poolOfPath(params.pool), body.email],
    request: (orgId, pool, email) => ({ params: { orgId, pool: poolName(pool) }, body: { email } }),
  }),
  route({
    op: 'revokeGrant',
    method: 'DELETE',
    path: '/orgs/:orgId/pools/:pool/licensed-users/:email',
    params: LicensedUserParams,
    args: ({ params }) => [params.orgId, poolOfPath(params.pool), params.email],
    request: (orgId, pool, email) => ({ params: { orgId, pool: poolName(pool), email } }),
  }),
  route({
    op: 'createOffline',
    method: 'POST',
    path: '/orgs/:orgId/pools/:pool/offline-licenses',
    params: PoolParams,
    body: NewOfflineLicense,
    created: true,
    args: ({ params, body: { machineId, testing, expiresAt, replace } }) => [
      {
        orgId: params.orgId,
        ...poolOfPath(params.pool),
        machineId,
        testing: testing ?? false,
        replace: replace ?? false,
        ...(expiresAt ? { expiresAt: instant(expiresAt) } : {}),
      },
    ],
    request: ({ orgId, product, model, machineId, testing, expiresAt, replace }) => ({
      params: { orgId, pool: poolName({ product, ...(model ? { model } : {}) }) },
      body: {
        machineId,
        testing,
        ...(replace ? { replace } : {}),
        ...(expiresAt === undefined ? {} : { expiresAt: iso(expiresAt) }),
      },
    }),
  }),
  route({
    op: 'removeMachine',
    method: 'DELETE',
    path: '/orgs/:orgId/pools/:pool/machines/:machineId',
    params: MachineParams,
    args: ({ params }) => [params.orgId, poolOfPath(params.pool), params.machineId],
    request: (orgId, pool, machineId) => ({
      params: { orgId, pool: poolName(pool), machineId },
    }),
  }),
  route({
    op: 'listSessions',
    method: 'GET',
    path: '/sessions',
    query: SessionsQuery,
    list: 'sessions',
    args: ({ query }) => [query.orgId],
    request: (orgId) => ({ query: { orgId } }),
  }),
  route({
    op: 'terminateSession',
    method: 'DELETE',
    path: '/sessions/:id',
    params: SessionParams,
    query: TerminateQuery,
    args: ({ params, query }) => [params.id, query.reason],
    // An empty reason is no reason (the default one).
    request: (id, reason) => ({ params: { id }, query: { reason: reason || undefined } }),
  }),
  route({
    op: 'installCertificate',
    method: 'POST',
    path: '/certificate',
    body: CertificateText,
    created: true,
    args: ({ body }) => [body.text],
    request: (text) => ({ body: { text } }),
  }),
  route({
    op: 'signedTime',
    method: 'POST',
    path: '/time',
    body: MachineTime,
    args: ({ body }) => [{ machineId: body.machineId }],
    // The admin API signs for a machine's file only (an online nonce is the client API's).
    request: (about) => ({ body: about as { machineId: string } }),
  }),
];

type AdminOp = (typeof ADMIN_API)[number]['op'];

/** What the admin subcommands use of the service: the operations of the admin API. */
export type AdminOps = Omit<Pick<Service, AdminOp>, 'signedTime'> & {
  signedTime: (about: {
    machineId: string;
  }) => { signedTime: string } | Promise<{ signedTime: string }>;
};
