// The HTTP contract, in-process (Fastify's inject): status codes, the one error shape, guards and
// schemas built from the core's vocabulary, the client API's answers against their schemas
// (core/wire/client-api.ts). Real SQLite store in a temp dir; sockets only for the remote admin
// client, which talks to the server over loopback as the admin CLI's --server does.
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKatalonError } from '../../src/core/errors.ts';
import {
  ActivationAnswer,
  LeaseAnswer,
  MachineReleaseAnswer,
  MemberOrgsAnswer,
  ReleaseAnswer,
} from '../../src/core/wire/client-api.ts';
import { ADMIN_API, type AdminOps } from '../../src/server/http/admin-api.ts';
import { openDataDir } from '../../src/server/data-dir.ts';
import { buildApp } from '../../src/server/http/app.ts';
import { remoteAdmin } from '../../src/server/remote-admin.ts';
import { createService } from '../../src/server/service/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { randomMachineId } from '../helpers/server.ts';

const ADMIN = 'contract-admin-token-0123456789abcdef';
let app: ReturnType<typeof buildApp>;
let close: () => Promise<void>;

beforeAll(async () => {
  const { store, issuer } = await openDataDir(tempDir('kls-contract-'));
  app = buildApp(createService(store, issuer), { adminToken: ADMIN, logLevel: 'silent' });
  close = async () => {
    await app.close();
    await store.close();
  };
});
afterAll(() => close());

const call = async (
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  token = ADMIN,
) => {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.json<Record<string, any>>() };
};

const seed = async (product: 'KRE' | 'KSE', quota = 1) => {
  const org = (await call('POST', '/v1/admin/orgs', { name: `Contract ${Math.random()}` })).body
    .id as number;
  await call('POST', `/v1/admin/orgs/${org}/users`, { email: 'dev@contract.test' });
  const key = (await call('POST', `/v1/admin/orgs/${org}/api-keys`, { email: 'dev@contract.test' }))
    .body.apiKey as string;
  const pool = await call('POST', `/v1/admin/orgs/${org}/pools`, {
    product,
    model: 'floating',
    billing: 'yearly',
    quota,
    machineQuota: 10,
    expiresAt: new Date(Date.now() + 86_400_000 * 365).toISOString(),
  });
  expect(pool.status).toBe(201);
  return { org, key };
};

describe('HTTP contract (inject)', () => {
  it('every error has the shape {error:{code,message}}, with the status of its code', async () => {
    const cases = [
      [await call('GET', '/nowhere'), 404, 'NOT_FOUND'],
      [await call('POST', '/v1/admin/orgs', {}, 'wrong'), 401, 'ADMIN_UNAUTHORIZED'],
      [await call('POST', '/v1/admin/orgs', { name: '' }), 400, 'BAD_REQUEST'],
      [
        await call('POST', '/v1/sessions', { orgId: 1, product: 'KRE', machineId: 'x' }, 'k'),
        401,
        'INVALID_API_KEY',
      ],
      [await call('GET', '/v1/admin/orgs/1/pools/XYZ'), 400, 'BAD_REQUEST'],
      [await call('GET', '/v1/admin/orgs/999999/pools/KRE'), 404, 'NOT_FOUND'],
      // An argument the service refuses is the caller's mistake, never a 500.
      [await call('POST', '/v1/admin/certificate', { text: 'hello' }), 400, 'INVALID_ARGUMENT'],
    ] as const;
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    }
  });

  it('a KSE route acts on the KSE pool (no literal narrowing between products)', async () => {
    const { org, key } = await seed('KSE');
    const machineId = randomMachineId();
    const refused = await call(
      'POST',
      '/v1/sessions',
      { orgId: org, product: 'KSE', machineId },
      key,
    );
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'NOT_LICENSED_USER' } } });
    const granted = await call('POST', `/v1/admin/orgs/${org}/pools/KSE/licensed-users`, {
      email: 'dev@contract.test',
    });
    expect(granted).toMatchObject({ status: 200, body: { licensed: true } });
    const pool = await call('GET', `/v1/admin/orgs/${org}/pools/KSE`);
    expect(pool.body).toMatchObject({ product: 'KSE', licensedUsers: ['dev@contract.test'] });
    const activated = await call(
      'POST',
      '/v1/sessions',
      { orgId: org, product: 'KSE', machineId },
      key,
    );
    expect(activated.status).toBe(201);
    expect(activated.body.pool).toMatchObject({ product: 'KSE', available: 0 });
  });

  it('quota, heartbeat, release and termination answer their documented statuses', async () => {
    const { org, key } = await seed('KRE', 1);
    const body = { orgId: org, product: 'KRE', machineId: randomMachineId() };
    const first = await call('POST', '/v1/sessions', body, key);
    expect(first.status).toBe(201);
    const id = first.body.session.id as string;
    expect((await call('POST', '/v1/sessions', body, key)).body.error.code).toBe('QUOTA_EXCEEDED');
    expect((await call('POST', `/v1/sessions/${id}/heartbeat`, undefined, key)).status).toBe(200);
    expect((await call('GET', `/v1/admin/sessions?orgId=${org}`)).body.sessions).toHaveLength(1);
    expect((await call('DELETE', `/v1/admin/sessions/${id}`)).body).toEqual({
      id,
      terminated: true,
    });
    const after = await call('POST', `/v1/sessions/${id}/heartbeat`, undefined, key);
    expect(after).toMatchObject({ status: 410, body: { error: { code: 'SESSION_TERMINATED' } } });
    expect((await call('DELETE', `/v1/sessions/${id}`, undefined, key)).status).toBe(200);
  });

  it('pool values outside the vocabulary are refused by the schema', async () => {
    const { org } = await seed('KRE');
    const res = await call('POST', `/v1/admin/orgs/${org}/pools`, {
      product: 'KSE',
      model: 'site-wide',
      billing: 'yearly',
      quota: 1,
      machineQuota: 1,
      expiresAt: new Date().toISOString(),
    });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  });

  it('every client API answer matches its schema in core/wire/client-api.ts', async () => {
    const { org, key } = await seed('KRE', 2);
    const machineId = randomMachineId();
    const matches = (schema: TSchema, res: { status: number; body: unknown }, status = 200) => {
      expect(res.status).toBe(status);
      expect([...Value.Errors(schema, res.body)]).toEqual([]);
    };
    matches(MemberOrgsAnswer, await call('GET', '/v1/orgs', undefined, key));
    const activated = await call(
      'POST',
      '/v1/sessions',
      { orgId: org, product: 'KRE', machineId, hostname: 'ci-7', osUser: 'ci' },
      key,
    );
    matches(ActivationAnswer, activated, 201);
    const id = activated.body.session.id as string;
    matches(LeaseAnswer, await call('POST', `/v1/sessions/${id}/heartbeat`, undefined, key));
    matches(LeaseAnswer, await call('POST', `/v1/sessions/${id}/resume`, undefined, key));
    const release = { orgId: org, product: 'KRE', machineId };
    matches(MachineReleaseAnswer, await call('POST', '/v1/sessions/release-machine', release, key));
    matches(ReleaseAnswer, await call('DELETE', `/v1/sessions/${id}`, undefined, key));
    // A stray answer is caught: the schemas are exact where the contract is.
    expect(
      Value.Check(LeaseAnswer, { id, leaseExpiresAt: 'soon', heartbeatIntervalSeconds: 20 }),
    ).toBe(false);
  });

  it('the remote admin client runs every operation of the admin API table, as the service answers', async () => {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const used = new Set<string>();
    const remote = remoteAdmin(url, ADMIN);
    const admin = new Proxy(remote, {
      get: (target, op: keyof AdminOps) => (used.add(op), target[op]),
    });
    const refused = (promise: Promise<unknown>) =>
      promise.then(
        () => 'answered',
        (error: unknown) => (isKatalonError(error) ? error.code : String(error)),
      );
    const { id: org } = await admin.createOrg(`Remote ${Math.random()}`);
    expect((await admin.listOrgs()).some((o) => o.id === org)).toBe(true);
    expect(await admin.addUser(org, 'r@contract.test')).toMatchObject({ orgId: org });
    expect(await admin.listUsers(org)).toHaveLength(1);
    const invited = await admin.invite({ orgId: org, email: 'i@contract.test', role: 'admin' });
    expect(invited).toMatchObject({ email: 'i@contract.test', role: 'admin' });
    const { id: keyId, apiKey } = await admin.createApiKey(org, 'r@contract.test');
    expect(await admin.listApiKeys(org)).toHaveLength(1);
    const expiresAt = Date.now() + 86_400_000 * 365;
    const pool = { model: 'node-locked', billing: 'yearly', quota: 3, machineQuota: 3 } as const;
    await admin.createPool({ ...pool, orgId: org, product: 'KRE', expiresAt });
    await admin.createPool({
      ...pool,
      orgId: org,
      product: 'KSE',
      expiresAt,
      outageGraceMinutes: 7,
    });
    expect(await admin.listPools(org)).toHaveLength(2);
    expect(await admin.changePool(org, { product: 'KRE' }, { outageGraceMinutes: 9 })).toEqual({
      product: 'KRE',
      model: 'node-locked',
      outageGraceMinutes: 9,
    });
    const renewed = expiresAt + 86_400_000 * 365;
    expect(
      await admin.changePool(org, { product: 'KRE' }, { quota: 4, expiresAt: renewed }),
    ).toEqual({
      product: 'KRE',
      model: 'node-locked',
      quota: 4,
      expiresAt: new Date(renewed).toISOString(),
    });
    expect(await admin.grant(org, { product: 'KSE' }, 'r@contract.test')).toMatchObject({
      licensed: true,
    });
    expect(await admin.poolShow(org, { product: 'KSE' })).toMatchObject({
      licensedUsers: ['r@contract.test'],
    });
    expect(await admin.revokeGrant(org, { product: 'KSE' }, 'r@contract.test')).toMatchObject({
      licensed: false,
    });
    // This data dir has no issuer certificate: what needs one is refused, through the API too.
    const machineId = randomMachineId();
    const offline = { orgId: org, product: 'KRE', machineId, testing: false } as const;
    expect(await refused(admin.createOffline(offline))).toBe('LICENSE_REFUSED');
    expect(await refused(Promise.resolve(admin.signedTime({ machineId })))).toBe('LICENSE_REFUSED');
    expect(await refused(admin.installCertificate('not a certificate'))).toBe('INVALID_ARGUMENT');
    const activated = await call(
      'POST',
      '/v1/sessions',
      { orgId: org, product: 'KRE', machineId },
      apiKey,
    );
    const sessionId = activated.body.session.id as string;
    expect(await admin.listSessions(org)).toHaveLength(1);
    expect(await admin.listSessions()).not.toHaveLength(0);
    expect(await admin.terminateSession(sessionId, 'a reason with spaces & signs?')).toEqual({
      id: sessionId,
      terminated: true,
    });
    expect(await admin.removeMachine(org, { product: 'KRE' }, machineId)).toMatchObject({
      machineId,
    });
    expect(await admin.revokeApiKey(keyId)).toEqual({ id: keyId, revoked: true });
    expect(await admin.removeUser(org, 'r@contract.test')).toMatchObject({ removed: true });
    const entries = await admin.auditLog(org);
    expect(entries.map((e) => e.detail).join('\n')).toContain('a reason with spaces & signs?');
    expect([...used].sort()).toEqual(ADMIN_API.map((r) => r.op).sort());
  });
});
