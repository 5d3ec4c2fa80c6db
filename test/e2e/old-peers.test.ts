// A new katalonc beside older (and newer) peers: an older katalonc's live run on the same machine,
// and a license server older than katalonc (the 3d6556d release, without GET /v1/orgs and resume).
// The old server is a small real HTTP server here that answers its routes as 3d6556d did (its
// /healthz, its sessions, its 404 body for a route it does not have): building that release takes
// a minute or more, too long for each run of this file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createSocketServer } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { katalonc, userEnv } from '../helpers/cli.ts';
import { activateIn, heartbeatIn, seedOrg, startServer } from '../helpers/server.ts';

/** A server answering as 3d6556d did: no GET /v1/orgs, no resume, and every lease already over. */
const startOldServer = async (): Promise<{ url: string; server: Server }> => {
  const server = createHttpServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    req.resume();
    req.on('end', () => {
      if (route === 'GET /healthz') return send(200, { ok: true });
      if (route === 'POST /v1/sessions')
        return send(201, {
          session: {
            id: 'b1c2d3e4-0000-4000-8000-000000000001',
            leaseExpiresAt: new Date(Date.now() + 1000).toISOString(),
            heartbeatIntervalSeconds: 1,
          },
          pool: {
            product: 'KRE',
            orgId: 1,
            orgName: 'Acme QA',
            quota: 2,
            available: 1,
            machineQuota: 10,
            expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
          },
        });
      if (/^POST \/v1\/sessions\/[\w-]+\/heartbeat$/.test(route))
        return send(410, {
          error: { code: 'SESSION_EXPIRED', message: "the session's lease ran out" },
        });
      if (/^DELETE \/v1\/sessions\/[\w-]+$/.test(route)) return send(200, { released: true });
      send(404, { error: { code: 'NOT_FOUND', message: `no route ${route}` } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
};

describe('against a license server older than katalonc', () => {
  let old: Awaited<ReturnType<typeof startOldServer>>;
  beforeAll(async () => {
    old = await startOldServer();
  });
  afterAll(() => old.server.close());
  const env = () => userEnv(undefined, { KATALON_API_KEY: 'kls_old_server_key' });

  it('without -orgID: says the server is older and to pass -orgID (exit 4), not to check -serverUrl', async () => {
    const r = await katalonc(['run', `-serverUrl=${old.url}`, '--', 'true'], env());
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/older than this katalonc.*pass -orgID=/);
    expect(r.stderr).not.toMatch(/check -serverUrl/);
    // A URL with no license server behind it still says to check -serverUrl.
    const wrong = await katalonc(['run', `-serverUrl=${old.url}/portal`, '--', 'true'], env());
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toMatch(
      /has no license server API \(404 for GET \/v1\/orgs\): check -serverUrl/,
    );
  });

  it('a lease it cannot resume (no resume route) ends the run with a message, exit 9, not a silent loop', async () => {
    const started = Date.now();
    const r = await katalonc(
      ['run', `-serverUrl=${old.url}`, '-orgID=1', '--', 'sleep', '20'],
      env(),
    );
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toMatch(
      /This session has been terminated: .*older than this katalonc: it cannot resume a session/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

it('leaves session records it cannot judge alone: an older katalonc live run keeps its session', async () => {
  const server = await startServer();
  try {
    const seed = await seedOrg(server.url);
    const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
    // An older katalonc (3d6556d) run on this machine: its session, its record (no lock name), and
    // the lock it held while it lived (an abstract socket named after the session).
    const live = (await activateIn(server.url, seed.org, seed.apiKey)).body.session.id as string;
    const lock = createSocketServer();
    await new Promise<void>((r) =>
      lock.listen(`\0katalonc-${process.getuid!()}-session-${live}`, r),
    );
    const dir = join(env.HOME, '.katalon', 'katalonc', 'sessions');
    mkdirSync(dir, { recursive: true });
    const files = {
      [`${live}.json`]: JSON.stringify({
        id: live,
        serverUrl: server.url,
        orgId: seed.org,
        pid: process.pid,
      }),
      // A newer katalonc's record, and one that is no record at all.
      'f00d.json': JSON.stringify({
        id: 'f00d',
        serverUrl: server.url,
        orgId: seed.org,
        pid: 1,
        lock: 'session-f00d',
        lockKind: 'future',
      }),
      'mangled.json': '{"id": ',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    try {
      const r = await katalonc(
        ['run', `-orgID=${seed.org}`, `-serverUrl=${server.url}`, '--', 'true'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
      for (const [name, text] of Object.entries(files))
        expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
      expect((await heartbeatIn(server.url, live, seed.apiKey)).status).toBe(200);
    } finally {
      lock.close();
    }
  } finally {
    await server.stop();
  }
});
