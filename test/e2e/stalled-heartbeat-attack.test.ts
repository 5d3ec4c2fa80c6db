// A licensee with a real API key puts a proxy of their own between katalonc and a certified server:
// it forwards the activation (its grant is the server's, signed) and then answers each heartbeat
// with its headers and a byte now and then, never the end. A request that trickles must not hold
// katalonc's heartbeat forever: the seat is free on the server once the lease passes, so the run
// must end as a run cut off would (lease + outage grace), not go on for as long as its command.
// The real CLI, a real server and a real HTTP proxy on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { katalonc, startKatalonc, tempDir, userEnv, waitForPid } from '../helpers/cli.ts';
import { startProxy, type Proxy } from '../helpers/network.ts';
import { adminApi, seedOrg, startServer, type TestServer } from '../helpers/server.ts';

const HEARTBEAT = /\/v1\/sessions\/[^/]+\/(heartbeat|resume)(\?|$)/;

/** Forwards everything but heartbeats, which it answers a space a second, forever. */
const tricklingProxy = (target: string, stalled: Set<() => void>) =>
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const path = req.url ?? '';
      if (HEARTBEAT.test(path)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const timer = setInterval(() => res.write(' '), 1000);
        const stop = () => {
          clearInterval(timer);
          res.destroy();
        };
        stalled.add(stop);
        res.once('close', () => (clearInterval(timer), stalled.delete(stop)));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([k, v]) =>
            typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k),
        ),
      ) as Record<string, string>;
      void fetch(`${target}${path}`, {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(await r.text());
      });
    });
  });

describe('a proxy of the licensee own that trickles the answers to heartbeats', () => {
  let server: TestServer;
  let proxy: Server;
  let url: string;
  let forward: Proxy;
  const stalled = new Set<() => void>();
  beforeAll(async () => {
    server = await startServer({ args: ['--lease-seconds', '3'] });
    proxy = tricklingProxy(server.url, stalled);
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    forward = await startProxy();
  });
  afterAll(async () => {
    forward.stop();
    for (const stop of stalled) stop();
    await new Promise<void>((done) => proxy.close(() => done()));
    await server.stop();
  });

  // Directly (node:http), and through a forward proxy of the network's (undici), whose body
  // timeout is an idle time: the deadline is the request's own on either (25 s through a proxy).
  it.each([
    ['directly', [], 30_000],
    ['through a forward proxy', ['proxy'], 40_000],
  ] as const)(
    '%s: the run ends when its lease and outage grace have passed (exit 9), it does not go on without its seat',
    async (_, via, within) => {
      const seed = await seedOrg(server.url, { quota: 1 });
      // The Owner turned the outage grace off: a run cut off from the server ends with its lease.
      await adminApi(server.url, 'PATCH', `/orgs/${seed.org}/pools/KRE`, { outageGraceMinutes: 0 });
      const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
      const marker = join(tempDir(), 'started');
      const proxied = via.length
        ? [
            '--config',
            '-proxy.auth.option=MANUAL_CONFIG',
            '-proxy.auth.server.type=HTTP',
            '-proxy.auth.server.address=127.0.0.1',
            `-proxy.auth.server.port=${forward.port}`,
          ]
        : [];
      const org = `-orgID=${seed.org}`;
      const started = Date.now();
      const first = startKatalonc(
        [
          '-enableLicenseRetry=false',
          `-serverUrl=${url}`,
          org,
          'run',
          ...proxied,
          '--',
          'sh',
          '-c',
          `echo $$ > ${marker}; sleep 50; echo STILL-RAN`,
        ],
        env,
      );
      await waitForPid(marker, 'the first run');
      // Its lease passes on the server with no heartbeat: the seat is another run's.
      await new Promise((done) => setTimeout(done, 5000));
      const second = await katalonc(
        [
          '-enableLicenseRetry=false',
          `-serverUrl=${server.url}`,
          org,
          'run',
          '--',
          'echo',
          'SECOND-RAN',
        ],
        env,
      );
      expect(second.stdout).toContain('SECOND-RAN');
      const r = await first.result;
      expect(r.stdout).not.toContain('STILL-RAN');
      // 9 as a run cut off; once in four runs on a loaded machine it was 137 (the command SIGKILLed
      // first; with a 3 s lease its watcher has about 2 s to answer): ended either way.
      expect([9, 137], r.stderr).toContain(r.code);
      // The lease (3 s), no grace, and one request's deadline at most, with room for a loaded machine.
      expect(Date.now() - started).toBeLessThan(within);
    },
    90_000,
  );
});
