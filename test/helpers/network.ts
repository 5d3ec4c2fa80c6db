// Real network peers for the client tests: a TLS CA and server certificate made with openssl, and
// Debian's tinyproxy on a loopback port.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from './cli.ts';

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

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
  log: () => string;
  stop(): void;
}

export const startTinyproxy = async (auth?: { user: string; password: string }): Promise<Proxy> => {
  const dir = tempDir('katalonc-proxy-');
  const port = await freePort();
  const logFile = join(dir, 'tinyproxy.log');
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${logFile}"`,
      'LogLevel Info',
      'MaxClients 50',
      'Allow 127.0.0.1',
      ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
      '',
    ].join('\n'),
  );
  writeFileSync(logFile, '');
  const bin =
    ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'].find((p) => {
      try {
        readFileSync(p);
        return true;
      } catch {
        return false;
      }
    }) ?? 'tinyproxy';
  const child: ChildProcess = spawn(bin, ['-d', '-c', join(dir, 'tinyproxy.conf')], {
    stdio: 'ignore',
  });
  const log = () => readFileSync(logFile, 'utf8');
  await waitFor(() => /listening|Accepting/i.test(log()), 10_000, 'tinyproxy to listen');
  return { port, log, stop: () => child.kill('SIGKILL') };
};
