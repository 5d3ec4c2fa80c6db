// A licensee on an air-gapped machine with no license at all starts a license server of their own
// on loopback (a few lines of HTTP, or the katalon-license-server of this very package with a data
// dir of their own) and points katalonc at it with -serverUrl: an "online session" from a server
// the licensor never certified must not run anything. Or, with a real server in reach, a proxy of
// their own that releases each session on the server at once and answers its heartbeats itself. The real CLI (bin/katalonc.js, and the
// standalone executable as an unprivileged user), a real HTTP server on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createPublicKey, diffieHellman, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  katalonc,
  kataloncForEveryone,
  startKatalonc,
  tempDir,
  userEnv,
  waitForPid,
} from '../helpers/cli.ts';
import { installed, missing, requireAll } from '../helpers/network.ts';
import { activateIn, adminApi, seedOrg, startServer, type TestServer } from '../helpers/server.ts';
import { certifyDataDir } from '../helpers/licenses.ts';
import { sqlOn } from '../helpers/counters.ts';
import { armor, dearmor } from '../../src/core/license/armor.ts';
import { CERTIFICATE_VERSION } from '../../src/core/license/certificate.ts';
import {
  deliverLeaseKey,
  leaseMac,
  newKeyExchange,
  type KeyExchange,
} from '../../src/core/license/grant.ts';

const linux = process.platform === 'linux';
const canActAsUser = linux && (process.getuid?.() === 0 || requireAll);
const SETPRIV = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/** A "license server" that grants everything and answers heartbeats forever; it counts releases. */
const fakeServer = () => {
  const seen = { activations: 0, releases: 0 };
  const lease = () => new Date(Date.now() + 60_000).toISOString();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const path = req.url ?? '';
      if (req.method === 'GET' && path.endsWith('/v1/orgs'))
        return send(200, { orgs: [{ id: 1, name: 'Mine', products: ['KRE', 'KSE'] }] });
      if (req.method === 'POST' && path.endsWith('/v1/sessions')) {
        seen.activations++;
        const id = randomUUID();
        return send(201, {
          session: { id, leaseExpiresAt: lease(), heartbeatIntervalSeconds: 30 },
          pool: {
            product: (JSON.parse(body) as { product: string }).product,
            orgId: 1,
            orgName: 'Mine',
            model: 'floating',
            quota: 1000,
            available: 999,
            machineQuota: 1000,
            expiresAt: '2099-01-01T00:00:00.000Z',
          },
          // Whatever a grant field may be asked for: a made-up one.
          grant: 'trust me',
        });
      }
      if (req.method === 'POST' && /\/v1\/sessions\/[^/]+\/(heartbeat|resume)(\?|$)/.test(path))
        return send(200, {
          id: path.split('/')[3],
          leaseExpiresAt: lease(),
          heartbeatIntervalSeconds: 30,
        });
      if (req.method === 'DELETE') {
        seen.releases++;
        return send(200, { id: path.split('/').pop(), released: true });
      }
      send(404, { error: { code: 'NO_ROUTE', message: 'no route' } });
    });
  });
  return { server, seen };
};

describe('a license server of the licensee own', () => {
  let fake: ReturnType<typeof fakeServer>;
  let url: string;
  beforeAll(async () => {
    fake = fakeServer();
    await new Promise<void>((done) => fake.server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`;
  });
  afterAll(
    () => new Promise<void>((done) => (fake as { server: Server }).server.close(() => done())),
  );

  it('a server the licensor did not certify gives no run: its session is refused and released (exit 8)', async () => {
    const before = { ...fake.seen };
    const env = userEnv(undefined, { KATALON_API_KEY: 'anything' });
    const r = await katalonc(
      [`-serverUrl=${url}`, '-orgID=1', 'run', '--', 'sh', '-c', 'echo THE-TESTS-RAN'],
      env,
    );
    expect(r.stdout).not.toContain('THE-TESTS-RAN');
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(/not certified by the licensor/);
    expect(fake.seen.activations).toBe(before.activations + 1);
    expect(fake.seen.releases).toBe(before.releases + 1);
  });

  it.runIf(canActAsUser)(
    'nor through the standalone executable, as a licensee without root',
    async () => {
      const home = tempDir('katalonc-licensee-');
      chownSync(home, 65534, 65534);
      const env = userEnv(home, { KATALON_API_KEY: 'anything' });
      const r = await startKatalonc(
        [`-serverUrl=${url}`, '-orgID=1', 'run', '--', 'sh', '-c', 'echo THE-TESTS-RAN'],
        env,
        SETPRIV,
        [kataloncForEveryone()],
      ).result;
      expect(r.stdout).not.toContain('THE-TESTS-RAN');
      expect(r.code, r.stderr).toBe(8);
    },
  );
});

interface Exchange {
  path: string;
  /** The request's body as katalonc sent it. */
  body: string;
  /** Its API key's header. */
  authorization: string;
  /** The certified server's answer to the request. */
  forward: () => Promise<{ status: number; body: Record<string, any> }>;
  /** Releases a session on the server, with the run's own API key. */
  release: (sessionId: string) => Promise<void>;
}

/** A proxy of the licensee's own in front of `target`: `answer` makes each answer, forwarded or not. */
const licenseeProxy = (
  target: string,
  answer: (x: Exchange) => Promise<{ status: number; body: unknown }>,
) =>
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      void (async () => {
        const path = req.url ?? '';
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            ([k, v]) =>
              typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k),
          ),
        ) as Record<string, string>;
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const a = await answer({
          path,
          body: body?.toString() ?? '',
          authorization: headers.authorization,
          forward: async () => {
            const r = await fetch(`${target}${path}`, { method: req.method, headers, body });
            return { status: r.status, body: (await r.json()) as Record<string, any> };
          },
          release: async (id) => {
            await fetch(`${target}/v1/sessions/${id}`, {
              method: 'DELETE',
              headers: { authorization: headers.authorization },
            });
          },
        });
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.body));
      })();
    });
  });

const HEARTBEAT = /\/v1\/sessions\/[^/]+\/(heartbeat|resume)(\?|$)/;
const isActivation = (path: string) => path.endsWith('/v1/sessions');

/** Forwards everything, but releases each granted session at once and answers its heartbeats itself. */
const releasingProxy = (target: string) =>
  licenseeProxy(target, async ({ path, forward, release }) => {
    if (HEARTBEAT.test(path))
      return {
        status: 200,
        body: {
          id: path.split('/')[3],
          leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
          heartbeatIntervalSeconds: 1,
        },
      };
    const a = await forward();
    if (isActivation(path) && a.status === 201) await release(a.body.session.id);
    return a;
  });

/** Forwards each session's first heartbeat, then releases it and answers later ones with that answer. */
const replayingProxy = (target: string) => {
  const first = new Map<string, Record<string, any>>();
  return licenseeProxy(target, async ({ path, forward, release }) => {
    const id = path.split('/')[3]?.split('?')[0];
    const earlier = first.get(id);
    if (HEARTBEAT.test(path) && earlier) return { status: 200, body: earlier };
    const a = await forward();
    if (HEARTBEAT.test(path) && a.status === 200) {
      first.set(id, a.body);
      await release(id);
    }
    return a;
  });
};

/**
 * Puts its own ephemeral key and a lease key of its choosing, wrapped for katalonc's, into the
 * activation's grant; then releases the session and answers heartbeats under that key itself.
 */
const keySwappingProxy = (target: string) => {
  const chosen = randomBytes(32);
  return licenseeProxy(target, async ({ path, forward, release }) => {
    if (HEARTBEAT.test(path)) {
      const url = new URL(path, 'http://proxy');
      const body = {
        id: path.split('/')[3],
        leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
        heartbeatIntervalSeconds: 1,
      };
      const nonce = url.searchParams.get('nonce') ?? '';
      const mac = leaseMac(chosen, { kind: 'lease', sessionId: body.id, nonce, ...body });
      return { status: 200, body: { ...body, mac } };
    }
    const a = await forward();
    if (!isActivation(path) || a.status !== 201) return a;
    const read = dearmor(a.body.grant, 'KATALON SESSION GRANT', 1, CERTIFICATE_VERSION);
    if (!read.ok) throw new Error('no grant to change');
    const grant = JSON.parse(Buffer.from(read.document.payload).toString());
    Object.assign(grant, deliverLeaseKey(chosen, grant.kx, grant, newKeyExchange()));
    a.body.grant = armor({ ...read.document, payload: Buffer.from(JSON.stringify(grant)) });
    await release(a.body.session.id);
    return a;
  });
};

const A_YEAR = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
/**
 * Forwards the certified server's signed answers, but stretches one of the lease's terms (or none)
 * and then releases the session there: every heartbeat after that fails as in an outage (502).
 */
const stretchingProxy = (target: string, term: 'interval' | 'grace' | 'lease' | 'none') => {
  const released = new Set<string>();
  return licenseeProxy(target, async ({ path, forward, release }) => {
    const id = path.split('/')[3]?.split('?')[0];
    if (HEARTBEAT.test(path) && released.has(id))
      return { status: 502, body: { error: { code: 'BAD_GATEWAY', message: 'down' } } };
    const a = await forward();
    if (a.status >= 300) return a;
    const stretch = (sessionId: string, change: () => void) => {
      change();
      released.add(sessionId);
      return release(sessionId).then(() => a);
    };
    if (isActivation(path) && term === 'interval')
      return stretch(a.body.session.id, () =>
        Object.assign(a.body.session, {
          heartbeatIntervalSeconds: 2_000_000,
          leaseExpiresAt: A_YEAR(),
        }),
      );
    if (isActivation(path) && term === 'grace')
      return stretch(a.body.session.id, () => (a.body.pool.outageGraceMinutes = 10_000_000));
    if (HEARTBEAT.test(path) && term === 'lease')
      return stretch(id, () => (a.body.leaseExpiresAt = A_YEAR()));
    if (isActivation(path) && term === 'none') return stretch(a.body.session.id, () => {});
    return a;
  });
};

describe('a proxy of the licensee own in front of a certified server', () => {
  let server: TestServer;
  let proxy: Server;
  let url: string;
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
    proxy = releasingProxy(server.url);
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => proxy.close(() => done()));
    await server.stop();
  });

  it('that releases each session at once and fakes its heartbeats: the run ends within a lease, at its first heartbeat (exit 9)', async () => {
    const seed = await seedOrg(server.url, { quota: 1 });
    const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
    const marker = join(tempDir(), 'started');
    const args = [`-serverUrl=${url}`, `-orgID=${seed.org}`, 'run', '--'];
    const first = startKatalonc([...args, 'sh', '-c', `echo $$ > ${marker}; exec sleep 30`], env);
    await waitForPid(marker, 'the first run');
    // The seat is free on the server while the first run goes on: a second run gets it.
    const second = await katalonc(
      ['-enableLicenseRetry=false', ...args, 'echo', 'SECOND-RAN'],
      env,
    );
    expect(second.stdout).toContain('SECOND-RAN');
    const started = Date.now();
    const r = await first.result;
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toMatch(/This session has been terminated: .*no signed grant/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('a proxy of the licensee own that replays or forges what a certified server answered', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
  });
  afterAll(() => server.stop());

  /** A run of `seconds` through `proxy` to a new organisation's pool of one seat. */
  const runThrough = async (proxy: Server, seconds: number) => {
    const seed = await seedOrg(server.url, { quota: 1 });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
      const args = [`-serverUrl=${url}`, `-orgID=${seed.org}`, 'run', '--'];
      return await katalonc([...args, 'sh', '-c', `sleep ${seconds}; echo STILL-RAN`], env);
    } finally {
      await new Promise<void>((done) => proxy.close(() => done()));
    }
  };

  it('an activation for a key that is no X25519 key (a low-order point) is refused (400) and takes no seat', async () => {
    const seed = await seedOrg(server.url, { quota: 1 });
    const nonce = '0'.repeat(32);
    const bad = await activateIn(server.url, seed.org, seed.apiKey, { nonce, kx: 'A'.repeat(43) });
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(bad.body.error.message).toMatch(/kx is not an X25519 public key/);
    expect((await activateIn(server.url, seed.org, seed.apiKey)).status).toBe(201);
  });

  it("that releases the session after its first heartbeat and replays that heartbeat's answer: the run ends at the next heartbeat (exit 9)", async () => {
    const started = Date.now();
    const r = await runThrough(replayingProxy(server.url), 8);
    expect(r.stdout).not.toContain('STILL-RAN');
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toMatch(/This session has been terminated: .*not certified by the licensor/);
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it("that puts its own ephemeral key (and a lease key of its own) into the activation's grant, to answer heartbeats itself: the signature breaks, the session is refused and released (exit 8)", async () => {
    const r = await runThrough(keySwappingProxy(server.url), 4);
    expect(r.stdout).not.toContain('STILL-RAN');
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(/its session grant is refused/);
  });
});

/**
 * A run of 8 s through `proxy`, while another run takes the pool's one seat directly: the first must
 * end (exit 9) before its command does. Resolves to the first run's result.
 */
const runWhileSeatTaken = async (
  server: TestServer,
  seed: { org: number; apiKey: string },
  proxy: Server,
) => {
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  try {
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
    const args = [`-serverUrl=${url}`, `-orgID=${seed.org}`, 'run', '--'];
    const marker = join(tempDir(), 'started');
    const first = startKatalonc(
      [...args, 'sh', '-c', `echo $$ > ${marker}; sleep 8; echo STILL-RAN`],
      env,
    );
    await waitForPid(marker, 'the first run');
    // The seat is free on the organisation's server meanwhile: another run takes it.
    const direct = [`-serverUrl=${server.url}`, `-orgID=${seed.org}`, 'run', '--'];
    const second = await katalonc(
      ['-enableLicenseRetry=false', ...direct, 'echo', 'SECOND-RAN'],
      env,
    );
    expect(second.stdout, second.stderr).toContain('SECOND-RAN');
    const r = await first.result;
    expect(r.stdout).not.toContain('STILL-RAN');
    expect(r.code, r.stderr).toBe(9);
    return r;
  } finally {
    await new Promise<void>((done) => proxy.close(() => done()));
  }
};

describe('a second certified server of the licensee own, certified by the licensor for another organisation', () => {
  let server: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
    const dataDir = tempDir('kls-other-');
    certifyDataDir(dataDir, { orgs: ['999999'] });
    other = await startServer({ dataDir, args: ['--lease-seconds', '3'] });
  });
  afterAll(() => Promise.all([server.stop(), other.stop()]));

  it("answers the heartbeats and resumes of a session that the organisation's server granted (released there by a proxy): the run ends (exit 9), the seat is not shared", async () => {
    const seed = await seedOrg(server.url, { quota: 1 });
    const theirs = await seedOrg(other.url);
    const proxy = licenseeProxy(server.url, async ({ path, body, forward, release }) => {
      if (HEARTBEAT.test(path)) {
        const r = await fetch(`${other.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${theirs.apiKey}` },
        });
        return { status: r.status, body: await r.json() };
      }
      const a = await forward();
      if (isActivation(path) && a.status === 201) {
        const id = a.body.session.id as string;
        await release(id);
        // The other server holds a session of that ID: activated there, its ID edited in its database.
        const { machineId } = JSON.parse(body) as { machineId: string };
        const there = await activateIn(other.url, theirs.org, theirs.apiKey, { machineId });
        await sqlOn(
          { dataDir: other.dataDir },
          'UPDATE sessions SET id = ? WHERE id = ?',
          id,
          there.body.session.id,
        );
      }
      return a;
    });
    const r = await runWhileSeatTaken(server, seed, proxy);
    expect(r.stderr).toMatch(/its issuer certificate does not cover organisation/);
  });
});

/**
 * A run of 8 s through a stretchingProxy with `term`, in a new organisation's pool of one seat whose
 * Owner turned the outage grace off (a run cut off from the server ends with its lease), through
 * `prefix` if given: it must not finish its command. Resolves to its result.
 */
const runWithoutGrace = async (
  server: TestServer,
  term: Parameters<typeof stretchingProxy>[1],
  prefix: string[] = [],
) => {
  const seed = await seedOrg(server.url, { quota: 1 });
  await adminApi(server.url, 'PATCH', `/orgs/${seed.org}/pools/KRE`, { outageGraceMinutes: 0 });
  const proxy = stretchingProxy(server.url, term);
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  try {
    const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
    const r = await startKatalonc(
      [
        '-enableLicenseRetry=false',
        `-serverUrl=${url}`,
        `-orgID=${seed.org}`,
        'run',
        '--',
        'sh',
        '-c',
        'sleep 8; echo STILL-RAN',
      ],
      env,
      prefix,
    ).result;
    expect(r.stdout).not.toContain('STILL-RAN');
    return r;
  } finally {
    await new Promise<void>((done) => proxy.close(() => done()));
  }
};

describe('a proxy of the licensee own that stretches the lease terms a certified server signed', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
  });
  afterAll(() => server.stop());

  const refused = /its session grant is for another/;
  it.each([
    ['a heartbeat interval of weeks in the activation', 'interval', 8, refused],
    ['an outage grace of years in the activation', 'grace', 8, refused],
    // A heartbeat's answer is under the session's lease key: the stretched one is not, the resume
    // that katalonc then asks for fails as in an outage, and the run ends when its lease (and the
    // grace of 0) has passed.
    [
      "a lease of a year in a heartbeat's answer",
      'lease',
      9,
      /could not reach the license server for longer than its pool's outage grace \(0 minutes/,
    ],
  ] as const)(
    '%s, then releases the session and fakes an outage: the run ends, it does not go on without its seat',
    async (_, term, code, why) => {
      const r = await runWithoutGrace(server, term);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(why);
    },
  );
});

/** The lease key a resume's grant delivers for `own` (as katalonc unwraps it; the licensee's own code). */
const unwrapLeaseKey = (grant: string, own: KeyExchange, nonce: string, sessionId: string) => {
  const read = dearmor(grant, 'KATALON SESSION GRANT', 1, CERTIFICATE_VERSION);
  if (!read.ok) throw new Error('no grant to read');
  const p = JSON.parse(Buffer.from(read.document.payload).toString());
  const shared = diffieHellman({
    privateKey: own.privateKey,
    publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: p.ex }, format: 'jwk' }),
  });
  const pad = Buffer.from(
    hkdfSync('sha256', shared, nonce, `katalonc lease key wrap v1\0${sessionId}`, 32),
  );
  return Buffer.from(Buffer.from(p.wrappedKey, 'base64url').map((x, i) => x ^ pad[i]));
};

/**
 * Forwards the activation, then resumes the granted session itself, with its own ephemeral key,
 * to be given the session's lease key; releases the session, and answers its heartbeats under that key.
 */
const keyStealingProxy = (target: string) => {
  const stolen = new Map<string, { key: Buffer; subscriptionExpiresAt: string }>();
  return licenseeProxy(target, async ({ path, authorization, forward, release }) => {
    const id = path.split('/')[3]?.split('?')[0];
    const held = stolen.get(id);
    if (HEARTBEAT.test(path) && held) {
      const body = {
        id,
        leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
        heartbeatIntervalSeconds: 1,
        subscriptionExpiresAt: held.subscriptionExpiresAt,
      };
      const nonce = new URL(path, 'http://proxy').searchParams.get('nonce') ?? '';
      const terms = { kind: 'lease' as const, sessionId: id, nonce, ...body };
      return { status: 200, body: { ...body, mac: leaseMac(held.key, terms) } };
    }
    const a = await forward();
    if (!isActivation(path) || a.status !== 201) return a;
    const sessionId = a.body.session.id as string;
    const own = newKeyExchange();
    const nonce = randomBytes(16).toString('hex');
    const r = await fetch(
      `${target}/v1/sessions/${sessionId}/resume?nonce=${nonce}&kx=${own.publicKey}`,
      { method: 'POST', headers: { authorization } },
    );
    const resumed = (await r.json()) as { grant?: string };
    if (r.status === 200 && resumed.grant)
      stolen.set(sessionId, {
        key: unwrapLeaseKey(resumed.grant, own, nonce, sessionId),
        subscriptionExpiresAt: a.body.session.subscriptionExpiresAt,
      });
    await release(sessionId);
    return a;
  });
};

// A resume delivered a session's lease key to whichever ephemeral key asked for it, and the
// licensee holds the API key that may ask: the proxy learnt the key, released the seat and answered
// katalonc's heartbeats itself, for as long as the run went on. Now only to the run's own key.
describe('a proxy of the licensee own that resumes the session itself, for its lease key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
  });
  afterAll(() => server.stop());

  it('then releases the session and answers its heartbeats under that key: the run ends (exit 9), the seat is not shared', async () => {
    const seed = await seedOrg(server.url, { quota: 1 });
    const r = await runWhileSeatTaken(server, seed, keyStealingProxy(server.url));
    expect(r.stderr).toMatch(/This session has been terminated/);
  });
});

const hasFaketime = installed('faketime');
// katalonc judged its lease and outage grace by its own clock, which libfaketime sets back (offline
// checks went by the kernel's time already): a proxy released the seat and faked an outage, and the
// run went on for as long as the faked clock said the lease still held. Now by the kernel's time.
describe('a licensee who sets back the clock of katalonc (libfaketime), behind a proxy of their own', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
  });
  afterAll(() => server.stop());

  it.runIf(hasFaketime || requireAll)(
    `that releases the session and fakes an outage: the run ends with its lease and grace, by the machine's time${hasFaketime ? '' : ` (skipped: ${missing('libfaketime', 'faketime')})`}`,
    async () => {
      const r = await runWithoutGrace(server, 'none', ['faketime', '-f', '-1d']);
      expect(r.code, r.stderr).toBe(9);
    },
  );
});

// The kernel's time that an online run's lease went by was read from /proc/stat and /proc/uptime,
// and in a user and mount namespace of their own a licensee without root mounts a file of theirs
// over /proc/stat (its btime a day back), then sets katalonc's clock back as much (libfaketime):
// both clocks agreed, and a run whose seat a proxy released went on past its lease and grace. Now
// by the watcher's clock (empty environment, no file read).
describe('a licensee who sets back both katalonc clock and the /proc/stat it reads, in a user namespace', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
  });
  afterAll(() => server.stop());

  it.runIf((hasFaketime && linux) || requireAll)(
    `behind a proxy that releases the session and fakes an outage: the run ends with its lease and grace${hasFaketime ? '' : ` (skipped: ${missing('libfaketime', 'faketime')})`}`,
    async () => {
      const stat = readFileSync('/proc/stat', 'latin1').replace(
        /^btime (\d+)$/m,
        (_, t: string) => `btime ${Number(t) - 86_400}`,
      );
      const fakeStat = join(tempDir(), 'stat');
      writeFileSync(fakeStat, stat);
      const r = await runWithoutGrace(server, 'none', [
        ...['unshare', '-rm', 'sh', '-c', 'mount --bind "$0" /proc/stat && exec "$@"', fakeStat],
        ...['faketime', '-f', '-1d'],
      ]);
      expect(r.code, r.stderr).toBe(9);
    },
  );
});
