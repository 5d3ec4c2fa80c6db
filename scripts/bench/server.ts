// The server's throughput and latency under autocannon: /healthz against heartbeats and
// activate+release cycles on one replica, and activations on a pool with years of history.
import autocannon from 'autocannon';
import { add, quick } from './measure.ts';
import {
  ADMIN_TOKEN,
  kx,
  nonce,
  seedHistory,
  seedOrg,
  startReplica,
  userIdOf,
  type BenchStore,
  type Replica,
} from './replica.ts';

export const duration = quick ? 3 : 8;
const load = (opts: autocannon.Options) => autocannon({ connections: 100, duration, ...opts });
const p99 = (r: autocannon.Result) => (r.latency as unknown as Record<string, number>).p99;
export const rps = (x: number) => `${Math.round(x)} req/s`;
export const us = (x: number) => `${Math.round(x)} µs`;
export const checked = (name: string, r: autocannon.Result) => {
  if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
};

export interface ServerLoad {
  health: autocannon.Result;
  heartbeats: autocannon.Result;
  cycles: autocannon.Result;
  /** The replica's CPU time per request, in µs: what a request costs whatever the load generator can drive. */
  cpuPerHealthz: number;
  cpuPerHeartbeat: number;
}

/** A load on `replica`, and the replica's CPU time per request it answered (µs). */
const withCpu = async (replica: Replica, run: () => Promise<autocannon.Result>) => {
  const before = replica.cpuMs();
  const result = await run();
  return { result, cpuPerRequest: ((replica.cpuMs() - before) * 1000) / result.requests.total };
};

/** /healthz, then heartbeats of 100 live sessions (one per connection), then activate+release cycles. */
export const loadReplica = async (
  replica: Replica,
  org: number,
  apiKey: string,
  thisMachine: string,
  connections = 100,
): Promise<ServerLoad> => {
  const { base } = replica;
  const auth = { authorization: `Bearer ${apiKey}` };
  const headers = { ...auth, 'content-type': 'application/json' };
  const activation = () =>
    JSON.stringify({
      orgId: org,
      product: 'KRE',
      machineId: thisMachine,
      nonce: nonce(),
      kx: kx(),
    });
  const sessions: string[] = [];
  for (let i = 0; i < connections; i++) {
    const answer = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers,
      body: activation(),
    });
    sessions.push(((await answer.json()) as { session: { id: string } }).session.id);
  }
  const some = (opts: autocannon.Options) => load({ connections, ...opts });
  await some({ url: `${base}/healthz`, duration: 2 }); // warm-up
  const healthz = await withCpu(replica, () => some({ url: `${base}/healthz` }));
  const health = checked('healthz', healthz.result);
  // A static request per connection, as /healthz is: autocannon prepares its buffer once, instead
  // of building every heartbeat in JavaScript on the same cores as the server.
  const heartbeatLoad = (opts: Partial<autocannon.Options> = {}) => {
    let connection = 0;
    return some({
      url: base,
      setupClient: (client) =>
        client.setRequests([
          {
            method: 'POST',
            // Each with a nonce, answered with an HMAC under the session's lease key, as katalonc asks.
            path: `/v1/sessions/${sessions[connection++ % sessions.length]}/heartbeat?nonce=${nonce()}`,
            headers: auth,
          },
        ]),
      ...opts,
    });
  };
  await heartbeatLoad({ duration: 2 }); // warm-up, as /healthz had
  const beats = await withCpu(replica, () => heartbeatLoad());
  const heartbeats = checked('heartbeat', beats.result);
  const live = (
    (await (
      await fetch(`${base}/v1/admin/sessions?orgId=${org}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).json()) as { sessions: { id: string; startedAt: string; leaseExpiresAt: string }[] }
  ).sessions;
  const extended = live.filter(
    (s) =>
      sessions.includes(s.id) && Date.parse(s.leaseExpiresAt) - Date.parse(s.startedAt) > 600_000,
  ).length;
  if (extended !== sessions.length)
    throw new Error(`heartbeats extended ${extended} of ${sessions.length} sessions`);
  // The server MACed them (a nonce in each): what was measured includes it.
  const beat = await fetch(`${base}/v1/sessions/${sessions[0]}/heartbeat?nonce=${nonce()}`, {
    method: 'POST',
    headers: auth,
  });
  if (!((await beat.json()) as { mac?: string }).mac)
    throw new Error('a heartbeat was answered without its MAC: the bench measured less');
  const cycles = checked(
    'activate+release',
    await activationLoad(base, org, apiKey, thisMachine, connections),
  );
  return {
    health,
    heartbeats,
    cycles,
    cpuPerHealthz: healthz.cpuPerRequest,
    cpuPerHeartbeat: beats.cpuPerRequest,
  };
};

const activationLoad = (
  base: string,
  org: number,
  apiKey: string,
  thisMachine: string,
  connections = 100,
) => {
  const auth = { authorization: `Bearer ${apiKey}` };
  return load({
    connections,
    url: base,
    requests: [
      {
        method: 'POST',
        path: '/v1/sessions',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          orgId: org,
          product: 'KRE',
          machineId: thisMachine,
          nonce: nonce(),
          kx: kx(),
        }),
        onResponse: (_s, body, ctx) => {
          (ctx as { id?: string }).id = (JSON.parse(body) as { session?: { id: string } }).session
            ?.id;
        },
      },
      {
        method: 'DELETE',
        headers: auth,
        setupRequest: (req, ctx) => ({
          ...req,
          path: `/v1/sessions/${(ctx as { id?: string }).id}`,
        }),
      },
    ],
  });
};

export const serverRows = (label: string, r: ServerLoad) => {
  add(
    `${label}: heartbeats/s vs GET /healthz`,
    r.heartbeats.requests.average,
    r.health.requests.average,
    '≥ 0.5x',
    (x) => x >= 0.5,
    rps,
  );
  add(
    `${label}: heartbeat p99 latency vs /healthz p99`,
    p99(r.heartbeats),
    p99(r.health),
    'p99 < 20 ms',
    () => p99(r.heartbeats) < 20,
  );
  add(
    `${label}: activations+releases/s vs GET /healthz`,
    r.cycles.requests.average,
    r.health.requests.average,
    '≥ 0.05x',
    (x) => x >= 0.05,
    rps,
  );
  if (!Number.isNaN(r.cpuPerHeartbeat))
    add(
      `${label}: server CPU per heartbeat vs per /healthz`,
      r.cpuPerHeartbeat,
      r.cpuPerHealthz,
      '(reported)',
      () => true,
      us,
    );
};

/** Everything for one store: the load rows, then activations on an empty pool against one with history. */
export const benchStore = async (store: BenchStore, thisMachine: string) => {
  console.log(`Server, ${store.label}: autocannon, 100 connections on loopback`);
  const replica = await startReplica(store);
  const { org, apiKey } = seedOrg(store);
  const loaded = await loadReplica(replica, org, apiKey, thisMachine);
  serverRows(store.label, loaded);
  const empty = seedOrg(store);
  const aged = seedOrg(store);
  await seedHistory(store, aged.poolId, await userIdOf(replica.base, aged.org));
  await activationLoad(replica.base, empty.org, empty.apiKey, thisMachine, 10); // warm-up
  const fresh = checked(
    'empty pool',
    await activationLoad(replica.base, empty.org, empty.apiKey, thisMachine, 10),
  );
  const history = checked(
    'pool with history',
    await activationLoad(replica.base, aged.org, aged.apiKey, thisMachine, 10),
  );
  add(
    `${store.label}: activate+release p99, pool with 1M ended sessions, 100k machines, 10k live vs empty pool`,
    p99(history),
    p99(fresh),
    '≤ 1.5x',
    (x) => x <= 1.5,
  );
  await historyPages(store.label, replica.base, aged, empty.org);
  return { replica, loaded };
};

/**
 * What License Management reads of a pool with history, through the admin API (the same service
 * operation as the console's page): its newest page, the pages deep in its 100,000 machines and
 * 10,000 live sessions, and a filter that finds a tenth of them, vs the empty pool's page.
 */
const historyPages = async (
  label: string,
  base: string,
  aged: { org: number; poolId: number },
  empty: number,
) => {
  const show = (org: number, query = '') => `/v1/admin/orgs/${org}/pools/KRE-floating${query}`;
  const first = (await (
    await fetch(`${base}${show(aged.org)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).json()) as {
    registeredMachines: { firstSeen: string }[];
    onlineSessions: { startedAt: string }[];
  };
  // The seeded rows share their instants: a cursor near the end of each list (by its key).
  const deep = `?machinesBefore=${Date.parse(first.registeredMachines[0].firstSeen)}.M1000&sessionsBefore=${Date.parse(first.onlineSessions[0].startedAt)}.live-${aged.poolId}-1000`;
  const pages = (org: number, queries: string[]) =>
    autocannon({
      url: base,
      connections: 1,
      duration,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      requests: queries.map((q) => ({ method: 'GET', path: show(org, q) })),
    });
  await pages(empty, ['']); // warm-up
  const fresh = checked('empty pool page', await pages(empty, ['']));
  const paged = checked(
    'pages of history',
    await pages(aged.org, ['', deep, '?prefix=M9', `${deep}&prefix=M9`]),
  );
  add(
    `${label}: pool show p99 (newest, deep and filtered pages), pool with 1M ended sessions, 100k machines, 10k live vs empty pool`,
    p99(paged),
    p99(fresh),
    'p99 < 50 ms',
    () => p99(paged) < 50,
  );
};
