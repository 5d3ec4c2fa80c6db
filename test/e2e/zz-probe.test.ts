import { afterAll, beforeAll, test } from 'vitest';
import { activateIn, adminApi, api, randomMachineId, seedOrg, startServer, type TestServer } from '../helpers/server.ts';
import { csrfOf, joinAs, invite } from '../helpers/console.ts';

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); });
const log = (...a: unknown[]) => console.log(...a);

test('probe4', async () => {
  const u = server.url;
  const A = await seedOrg(u, { product: 'KSE', model: 'node-locked', machineQuota: 5 });
  const B = await seedOrg(u, { product: 'KSE', model: 'node-locked', machineQuota: 5 });
  await adminApi(u, 'POST', `/orgs/${B.org}/pools/KSE/licensed-users`, { email: B.email });
  const adminA = await joinAs(u, A.org, 'admin-a@acme.test', 'admin');
  const ownerB = await joinAs(u, B.org, 'owner-b@acme.test', 'owner');
  const mB = randomMachineId();
  const sB = await api(u, 'POST', '/v1/sessions', { orgId: B.org, product: 'KSE', machineId: mB }, B.apiKey);
  log('B session', sB.status);
  const offB = await adminApi(u, 'POST', `/orgs/${B.org}/pools/KSE/offline-licenses`, { machineId: randomMachineId() });
  await invite(u, B.org, 'pending-b@acme.test', 'admin');
  const hashB = /invitations\/withdraw"[^]*?name="id" value="([^"]+)"/.exec((await ownerB.get(`/console/orgs/${B.org}/people`)).text)![1];
  const keyIdB = (await adminApi(u, 'GET', `/orgs/${B.org}/api-keys`)).body.apiKeys[0].id;
  const csrf = csrfOf((await adminA.get('/console/orgs')).text);
  const P = `/console/orgs/${A.org}`;
  const tries: [string, string, Record<string, string>][] = [
    ['grant B member under A', `${P}/pools/KSE/licensed-users`, { email: B.email }],
    ['revoke B member license under A', `${P}/pools/KSE/licensed-users/remove`, { email: B.email }],
    ['remove B machine under A', `${P}/pools/KSE/machines/remove`, { machineId: mB }],
    ['withdraw B invitation under A', `${P}/people/invitations/withdraw`, { id: hashB }],
    ['renew B invitation under A', `${P}/people/invitations/renew`, { id: hashB }],
    ['role B member under A', `${P}/people/role`, { email: 'owner-b@acme.test', role: 'member' }],
    ['remove B owner under A', `${P}/people/remove`, { email: 'owner-b@acme.test' }],
    ['revoke B key under A', `${P}/api-keys/${keyIdB}/revoke`, {}],
    ['terminate B session under A', `${P}/sessions/${sB.body.session.id}/terminate`, {}],
  ];
  for (const [name, path, form] of tries) {
    const r = await adminA.post(path, { _csrf: csrf, ...form });
    log(name, r.status, (r.text.match(/role="alert"[^>]*>\s*([^<]*)/)?.[1] ?? '').slice(0, 90));
  }
  log('download B license under A', (await adminA.get(`${P}/pools/KSE/offline-licenses/${offB.body.id}`)).status);
  log('issued= B license on A page', (await adminA.get(`${P}/licenses?issued=${offB.body.id}`)).text.includes(offB.body.id));
  log('B session still live', (await api(u, 'POST', `/v1/sessions/${sB.body.session.id}/heartbeat`, undefined, B.apiKey)).status);
  log('B invitation still pending', (await ownerB.get(`/console/orgs/${B.org}/people`)).text.includes('pending-b@acme.test'));
  log('release-machine B with A key', JSON.stringify((await api(u, 'POST', '/v1/sessions/release-machine', { orgId: B.org, product: 'KSE', machineId: mB }, A.apiKey)).body));
  log('activate B with A key (KSE)', (await api(u, 'POST', '/v1/sessions', { orgId: B.org, product: 'KSE', machineId: mB }, A.apiKey)).body.error?.code);
  log('activate A KSE unlicensed', (await activateIn(u, A.org, A.apiKey, { product: 'KSE' })).body.error?.code);
}, 120_000);
