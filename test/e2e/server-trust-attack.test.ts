// A licensee on an air-gapped machine with no license at all starts a license server of their own
// on loopback (a few lines of HTTP, or the katalon-license-server of this very package with a data
// dir of their own) and points katalonc at it with -serverUrl: an "online session" from a server
// the licensor never certified must not run anything. The real CLI (bin/katalonc.js, and the
// standalone executable as an unprivileged user), a real HTTP server on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { chownSync } from 'node:fs';
import { katalonc, kataloncForEveryone, startKatalonc, tempDir, userEnv } from '../helpers/cli.ts';
import { requireAll } from '../helpers/network.ts';

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
      if (req.method === 'POST' && /\/v1\/sessions\/[^/]+\/(heartbeat|resume)$/.test(path))
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
  afterAll(() => new Promise<void>((done) => (fake as { server: Server }).server.close(() => done())));

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
