// The admin subcommands against a running server (--server URL, with its admin token) instead of
// its data dir: the same operations, through the admin API. So an operator never has to find the
// server's data dir, nor risks making a second database by missing it.
import { fail, isErrorCode, type ErrorCode } from '../core/errors.ts';
import type { Pool } from '../core/quota.ts';
import type { Product } from '../core/vocabulary.ts';
import type { IssuedLicense, OfflineRequest } from './service/offline-licenses.ts';
import type { Service } from './service/index.ts';

/** What the admin subcommands use of the service. */
export type AdminOps = Omit<
  Pick<
    Service,
    | 'createOrg'
    | 'invite'
    | 'listOrgs'
    | 'addUser'
    | 'removeUser'
    | 'listUsers'
    | 'createApiKey'
    | 'revokeApiKey'
    | 'listApiKeys'
    | 'createPool'
    | 'setOutageGrace'
    | 'listPools'
    | 'grant'
    | 'revokeGrant'
    | 'poolShow'
    | 'createOffline'
    | 'signedTime'
    | 'removeMachine'
    | 'listSessions'
    | 'terminateSession'
  >,
  'signedTime'
> & {
  signedTime: (about: {
    machineId: string;
  }) => { signedTime: string } | Promise<{ signedTime: string }>;
};

export const remoteAdmin = (server: string, token: string): AdminOps => {
  const base = server.replace(/\/+$/, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}/v1/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      // fetch says "fetch failed"; why is in its cause.
      const e = error as Error & { cause?: Error };
      throw fail('SERVER_UNREACHABLE', `cannot reach ${base}: ${(e.cause ?? e).message}`);
    }
    const json = (await res.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    if (json.error) {
      const code: ErrorCode = isErrorCode(json.error.code) ? json.error.code : 'INTERNAL';
      throw fail(code, json.error.message ?? `the server answered ${res.status}`);
    }
    if (!res.ok)
      throw fail('SERVER_ERROR', `${base} answered ${res.status}: is it a katalon-license-server?`);
    return json as T;
  };
  const e = encodeURIComponent;
  const pool = (orgId: number, product: Product) => `/orgs/${orgId}/pools/${product}`;
  return {
    createOrg: (name) => call('POST', '/orgs', { name }),
    invite: ({ orgId, email, role }) => call('POST', `/orgs/${orgId}/invitations`, { email, role }),
    listOrgs: async () =>
      (await call<{ orgs: Awaited<ReturnType<Service['listOrgs']>> }>('GET', '/orgs')).orgs,
    addUser: (orgId, email) => call('POST', `/orgs/${orgId}/users`, { email }),
    removeUser: (orgId, email) => call('DELETE', `/orgs/${orgId}/users/${e(email)}`),
    listUsers: async (orgId) =>
      (
        await call<{ users: Awaited<ReturnType<Service['listUsers']>> }>(
          'GET',
          `/orgs/${orgId}/users`,
        )
      ).users,
    createApiKey: (orgId, email) => call('POST', `/orgs/${orgId}/api-keys`, { email }),
    revokeApiKey: (id) => call('DELETE', `/api-keys/${id}`),
    listApiKeys: async (orgId) =>
      (
        await call<{ apiKeys: Awaited<ReturnType<Service['listApiKeys']>> }>(
          'GET',
          `/orgs/${orgId}/api-keys`,
        )
      ).apiKeys,
    createPool: (p: Pool & { orgId: number; outageGraceMinutes?: number }) =>
      call('POST', `/orgs/${p.orgId}/pools`, {
        product: p.product,
        model: p.model,
        billing: p.billing,
        quota: p.quota,
        machineQuota: p.machineQuota,
        expiresAt: new Date(p.expiresAt).toISOString(),
        ...(p.outageGraceMinutes === undefined ? {} : { outageGraceMinutes: p.outageGraceMinutes }),
      }),
    setOutageGrace: (orgId, product, outageGraceMinutes) =>
      call('PATCH', pool(orgId, product), { outageGraceMinutes }),
    listPools: async (orgId) =>
      (
        await call<{ pools: Awaited<ReturnType<Service['listPools']>> }>(
          'GET',
          `/orgs/${orgId}/pools`,
        )
      ).pools,
    grant: (orgId, product, email) =>
      call('POST', `${pool(orgId, product)}/licensed-users`, { email }),
    revokeGrant: (orgId, product, email) =>
      call('DELETE', `${pool(orgId, product)}/licensed-users/${e(email)}`),
    poolShow: (orgId, product) => call('GET', pool(orgId, product)),
    // Through the API the license is committed before it is delivered here; the CLI checks the
    // folder it will write to first.
    createOffline: async <T = IssuedLicense>(
      p: OfflineRequest,
      deliver: (license: IssuedLicense) => Promise<T> | T = (license) => license as T,
    ): Promise<T> => {
      const license = await call<IssuedLicense>(
        'POST',
        `${pool(p.orgId, p.product)}/offline-licenses`,
        {
          machineId: p.machineId,
          testing: p.testing,
          replace: p.replace,
          ...(p.expiresAt === undefined ? {} : { expiresAt: new Date(p.expiresAt).toISOString() }),
        },
      );
      return deliver(license);
    },
    signedTime: (about) => call('POST', '/time', about),
    removeMachine: (orgId, product, machineId) =>
      call('DELETE', `${pool(orgId, product)}/machines/${e(machineId)}`),
    listSessions: async (orgId) =>
      (
        await call<{ sessions: Awaited<ReturnType<Service['listSessions']>> }>(
          'GET',
          `/sessions${orgId === undefined ? '' : `?orgId=${orgId}`}`,
        )
      ).sessions,
    terminateSession: (id, reason) =>
      call('DELETE', `/sessions/${id}${reason ? `?reason=${e(reason)}` : ''}`),
  };
};
