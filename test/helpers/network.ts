// Real network peers for the client tests: a TLS CA and server certificate made with openssl, and
// a real HTTP proxy from the npm registry on a loopback port.
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProxy } from 'proxy';
import { tempDir } from './cli.ts';
import { freePort, installed, missing, requireAll } from '../../scripts/harness/env.ts';

export { freePort, installed, missing, requireAll };

export const makeCertificates = () => {
  const dir = tempDir('katalonc-tls-');
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=katalonc test CA',
  );
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(f('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext'),
  );
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
};

export interface Proxy {
  port: number;
  /** One line per request the proxy handled: "CONNECT host:port" or "GET http://…". */
  log: () => string;
  stop(): void;
}

/** A real HTTP proxy (the npm package `proxy`: CONNECT tunnels and plain requests, Basic auth). */
export const startProxy = async (
  auth?: { user: string; password: string },
  port = 0,
): Promise<Proxy> => {
  const server = createProxy(createHttpServer());
  const lines: string[] = [];
  if (auth) {
    const expected = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    server.authenticate = (req) => req.headers['proxy-authorization'] === expected;
  }
  // Logged once the proxy let the request through, as a proxy's access log would.
  server.prependListener('request', (req) => lines.push(`${req.method} ${req.url}`));
  server.prependListener('connect', (req) => lines.push(`CONNECT ${req.url}`));
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return {
    port: (server.address() as { port: number }).port,
    log: () => lines.join('\n'),
    stop: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};
