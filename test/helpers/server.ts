// A real katalon-license-server process on a free loopback port with a temp data dir.
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import type { StoreRef } from './counters.ts';
import { randomBytes } from 'node:crypto';
import { SERVER, run, tempDir, userEnv, type Result } from './cli.ts';
import { formatMachineId } from '../../src/core/machine-id/format.ts';
import { certifyDataDir } from './licenses.ts';
import { storeEnvironment, type Postgres } from '../../scripts/harness/postgres.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestServer {
  url: string;
  dataDir: string;
  process: ChildProcess;
  logs: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const startServer = async (
  opts: { dataDir?: string; args?: string[]; port?: number; env?: Record<string, string> } = {},
): Promise<TestServer> => {
  const dataDir = opts.dataDir ?? tempDir('kls-data-');
  // As the licensor would: the server's key certified by a root the checkout's katalonc trusts.
  certifyDataDir(dataDir);
  const child = spawn(
    process.execPath,
    [
      SERVER,
      '--data-dir',
      dataDir,
      'start',
      '--host',
      '127.0.0.1',
      '--port',
      String(opts.port ?? 0),
      ...(opts.args ?? []),
    ],
    {
      env: userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN, ...opts.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // A failing test must not leave servers behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reap();
      reject(new Error(`server did not start:\n${out}`));
    }, 20_000);
    const check = () => {
      const m = /"address":"(https?:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    url,
    dataDir,
    process: child,
    logs: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
};

export const api = async (
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
};

export const adminApi = (base: string, method: string, path: string, body?: unknown) =>
  api(base, method, `/v1/admin${path}`, body, ADMIN_TOKEN);

export const randomMachineId = (): string => formatMachineId(randomBytes(16));

/** A KRE activation of a new random machine in the organisation, through the client API. */
export const activateIn = (
  base: string,
  org: number,
  apiKey: string,
  more: Record<string, string> = {},
) =>
  api(
    base,
    'POST',
    '/v1/sessions',
    { orgId: org, product: 'KRE', machineId: randomMachineId(), ...more },
    apiKey,
  );

/** A heartbeat of the session, through the client API. */
export const heartbeatIn = (base: string, sessionId: string, apiKey: string) =>
  api(base, 'POST', `/v1/sessions/${sessionId}/heartbeat`, undefined, apiKey);

/**
 * 200 KRE activations at once from as many new machines, spread over `servers` in turn, against a
 * pool that has room for 50 of them (by its quota or its machine quota): exactly 50 are granted,
 * every other is refused with `code`, and each server's view of the pool says the same.
 */
export const expectFiftyOf200 = async (
  servers: TestServer[],
  org: number,
  apiKey: string,
  code: 'QUOTA_EXCEEDED' | 'MACHINE_QUOTA_EXCEEDED',
): Promise<void> => {
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => activateIn(servers[i % servers.length].url, org, apiKey)),
  );
  expect(results.filter((r) => r.status === 201)).toHaveLength(50);
  expect(results.filter((r) => r.status === 409 && r.body.error.code === code)).toHaveLength(150);
  for (const server of servers) {
    const pool = (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`)).body;
    if (code === 'QUOTA_EXCEEDED') {
      expect(pool.onlineSessions).toHaveLength(50);
      expect(pool.available).toBe(0);
    } else expect(pool.registeredMachines).toHaveLength(50);
  }
};

/** An org with a member, an API key and one pool, made through the admin API. */
export const seedOrg = async (
  base: string,
  pool: {
    product?: 'KRE' | 'KSE';
    model?: string;
    billing?: string;
    quota?: number;
    machineQuota?: number;
    expiresAt?: string;
  } = {},
) => {
  // Organisation names are unique on a server.
  const name = `Acme QA ${randomBytes(3).toString('hex')}`;
  const org = (await adminApi(base, 'POST', '/orgs', { name })).body.id as number;
  const email = `dev${org}@acme.test`;
  await adminApi(base, 'POST', `/orgs/${org}/users`, { email });
  const apiKey = (await adminApi(base, 'POST', `/orgs/${org}/api-keys`, { email })).body
    .apiKey as string;
  const product = pool.product ?? 'KRE';
  const created = await adminApi(base, 'POST', `/orgs/${org}/pools`, {
    product,
    model: pool.model ?? 'floating',
    billing: pool.billing ?? 'yearly',
    quota: pool.quota ?? 5,
    machineQuota: pool.machineQuota ?? 100,
    expiresAt: pool.expiresAt ?? new Date(Date.now() + 365 * 86_400_000).toISOString(),
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return { org, apiKey, product, email, name };
};

export const adminCli = (
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Result> => {
  certifyDataDir(dataDir);
  return run(SERVER, ['--data-dir', dataDir, ...args], userEnv(undefined, env));
};

/** 20 clients activate on `server` as fast as they can; after 1.5 s it is killed with SIGKILL. Resolves to the sessions it granted. */
export const activateUntilKilled = async (
  server: TestServer,
  apiKey: string,
  org: number,
): Promise<string[]> => {
  const granted: string[] = [];
  const fire = async () => {
    for (;;) {
      try {
        const res = await api(
          server.url,
          'POST',
          '/v1/sessions',
          { orgId: org, product: 'KRE', machineId: randomMachineId() },
          apiKey,
        );
        if (res.status === 201) granted.push(res.body.session.id);
      } catch {
        return;
      }
    }
  };
  const load = Promise.all(Array.from({ length: 20 }, fire));
  await new Promise((r) => setTimeout(r, 1500));
  server.process.kill('SIGKILL');
  await load;
  return granted;
};

/** The pool as `base` shows it: every granted session live, none twice, and the count right. */
export const expectSessionsKept = async (
  base: string,
  org: number,
  quota: number,
  granted: string[],
): Promise<void> => {
  expect(granted.length).toBeGreaterThan(20);
  // Every page of the pool's sessions (pool show answers 100 at a time, newest first).
  const shown: string[] = [];
  let pool;
  let older: string | undefined;
  do {
    const query = older === undefined ? '' : `?sessionsBefore=${encodeURIComponent(older)}`;
    pool = (await adminApi(base, 'GET', `/orgs/${org}/pools/KRE${query}`)).body;
    shown.push(...pool.onlineSessions.map((s: { id: string }) => s.id));
    older = pool.paging.sessions.older;
  } while (older !== undefined);
  const ids = new Set(shown);
  expect(ids.size).toBe(shown.length);
  expect(shown.length).toBe(pool.paging.sessions.found);
  for (const id of granted) expect(ids.has(id), id).toBe(true);
  expect(pool.available).toBe(quota - shown.length);
};

/** The arguments of `pool create` (strings as typed; a node-locked yearly KRE pool by default). */
/** The admin CLI's "offline create" for one machine (the caller adds --out and the rest). */
export const offlineCreateArgs = (
  org: string | number,
  machineId: string,
  product = 'KRE',
): string[] => [
  'offline',
  'create',
  '--org',
  String(org),
  '--product',
  product,
  '--machine-id',
  machineId,
];

export const poolCreateArgs = (
  org: string,
  p: {
    product?: string;
    model?: string;
    billing?: string;
    quota?: string;
    machineQuota?: string;
    expires?: string;
  } = {},
): string[] => [
  'pool',
  'create',
  '--org',
  org,
  '--product',
  p.product ?? 'KRE',
  '--model',
  p.model ?? 'node-locked',
  '--billing',
  p.billing ?? 'yearly',
  '--quota',
  p.quota ?? '2',
  '--machine-quota',
  p.machineQuota ?? '5',
  '--expires',
  p.expires ?? '2099-12-31',
];

/**
 * For a describe block run once per store (`stores`): its database (on PostgreSQL a throwaway
 * cluster) made before the tests, `start` called with its environment, `stop` and the cluster's end
 * after them; the tests skip where the store is missing.
 */
export const onStore = (
  store: { skip: boolean; postgres: boolean },
  start: (env: Record<string, string>) => Promise<unknown>,
  stop: () => Promise<unknown> | undefined,
): void => {
  let cluster: Postgres | undefined;
  beforeAll(async () => {
    if (store.skip) return;
    const made = await storeEnvironment(store.postgres);
    cluster = made.cluster;
    await start(made.env);
  }, 60_000);
  afterAll(async () => {
    await stop();
    cluster?.destroy();
  });
  beforeEach(({ skip }) => {
    if (store.skip) skip();
  });
};

/**
 * A server of its own for a describe block run once per store (onStore), started with `args`; its
 * database environment (`dbEnv`) is what the admin subcommands need to reach the same database.
 */
export const serverOnStore = (
  store: { skip: boolean; postgres: boolean },
  args: string[] = [],
): { server: TestServer; dbEnv: Record<string, string>; storeRef(): StoreRef } => {
  const on = {
    server: undefined as unknown as TestServer,
    dbEnv: {} as Record<string, string>,
    /** Where its rows are, for SQL of the test's own (helpers/counters.ts). */
    storeRef: (): StoreRef =>
      on.dbEnv.KLS_DATABASE_URL
        ? { databaseUrl: on.dbEnv.KLS_DATABASE_URL }
        : { dataDir: on.server.dataDir },
  };
  onStore(
    store,
    async (env) => {
      on.dbEnv = env;
      on.server = await startServer({ env, args });
    },
    () => on.server?.stop(),
  );
  return on;
};
