// `katalon-license-server start`: open the data dir, listen, and on SIGTERM/SIGINT stop accepting,
// finish the requests in flight, write pending leases, then close the database. The shutdown
// cannot hang: after SHUTDOWN_MS the process exits anyway (close-with-grace), with exit code 1.
import { isLoopbackAddress } from '../core/strict.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import closeWithGrace from 'close-with-grace';
import { fail } from '../core/errors.ts';
import { buildApp } from './http/app.ts';
import { createMetrics } from './metrics.ts';
import { createLogOutput } from './log-output.ts';
import { createService, type LicenseEvent, type Settings } from './service/index.ts';
import {
  adminToken,
  openDataDir,
  openSigningKey,
  recordServerUrl,
  serverUrlOf,
} from './data-dir.ts';
import { invitationMailer } from './mail.ts';
import { serverEnvironment } from './environment.ts';
import { serverPid } from './store/sqlite.ts';
import { errnoCode, readTextOrFail } from '../platform/errno.ts';

const SHUTDOWN_MS = 10_000;

const readPem = (file: string): string => readTextOrFail(file, 'INVALID_ARGUMENT');

export interface ServerOptions {
  dataDir: string;
  host: string;
  port: number;
  logLevel: string;
  settings: Settings;
  tls?: { cert: string; key: string };
}

/** One server per SQLite data dir (a second one would keep its own leases and liveness in memory). */
const lockDataDir = async (dataDir: string): Promise<void> => {
  if (process.platform !== 'linux') return;
  const flock = await import('../platform/slot-lock/flock.ts');
  if (!flock.flockAvailable()) return;
  if (!(await flock.tryLock('server.lock', dataDir)))
    throw fail(
      'START_FAILED',
      `another katalon-license-server (pid ${serverPid(dataDir)}) is running on the data dir ${dataDir}: stop it, or give this one another --data-dir`,
    );
  writeFileSync(join(dataDir, 'server.pid'), `${process.pid}\n`, { mode: 0o600 });
};

const listen = async (app: ReturnType<typeof buildApp>, host: string, port: number) => {
  try {
    return await app.listen({ host, port });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EADDRINUSE')
      throw fail(
        'START_FAILED',
        `${host}:${port} is in use (another server?): choose another --port or KLS_PORT`,
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw fail(
        'START_FAILED',
        `cannot listen on ${host}: no such address on this machine (--host, KLS_HOST)`,
      );
    if (code === 'EACCES')
      throw fail(
        'START_FAILED',
        `not allowed to listen on ${host}:${port}: ports below 1024 need privileges`,
      );
    throw error;
  }
};

export const startServer = async (o: ServerOptions): Promise<void> => {
  const https = o.tls ? { cert: readPem(o.tls.cert), key: readPem(o.tls.key) } : undefined;
  // A bad KLS_PUBLIC_URL or KLS_SMTP_URL is refused before anything is made or started; links go
  // out on the address recorded below.
  void serverEnvironment.publicUrl;
  let logMailFailure: (f: { to: string; error: string }) => void = () => {};
  const mail = invitationMailer(
    () => serverUrlOf(o.dataDir),
    (f) => logMailFailure(f),
  );
  openSigningKey(o.dataDir); // makes the data dir (or says why it cannot be one)
  const token = adminToken(o.dataDir);
  // Replicas on PostgreSQL share no memory, and may share one data dir's copy.
  if (!serverEnvironment.databaseUrl) await lockDataDir(o.dataDir);
  const { store, issuer } = await openDataDir(o.dataDir, 'server');
  const metrics = createMetrics(store.availability);
  // Every license event: counted, and logged as one line once the app (and its logger) exists.
  let log: (e: LicenseEvent) => void = () => {};
  const service = createService(store, issuer, {
    settings: o.settings,
    onEvent: (e) => {
      metrics.count(e);
      log(e);
    },
    ...(mail ? { mail } : {}),
  });
  const app = buildApp(service, {
    adminToken: token,
    logLevel: o.logLevel,
    metrics,
    logOutput: createLogOutput(metrics.droppedLogLines),
    ...(https ? { https } : {}),
  });
  log = (e) => app.log.info(e, `license ${e.event}`);
  logMailFailure = (f) =>
    app.log.warn(f, 'an invitation could not be e-mailed: check KLS_SMTP_URL and the SMTP server');
  // Once at each edge of an outage, with the driver's words: not once per request.
  store.availability.watch((o) =>
    o.to === undefined
      ? app.log.error(
          { cause: o.cause },
          'database unreachable: requests that need it get 503 DATABASE_UNAVAILABLE until it answers',
        )
      : app.log.warn(
          { cause: o.cause, seconds: (o.to - o.from) / 1000 },
          'database reachable again after an outage',
        ),
  );
  const address = await listen(app, o.host, o.port);
  const { port } = app.server.address() as { port: number };
  const url = recordServerUrl(o.dataDir, https ? 'https' : 'http', o.host, port);
  // Told at every start, not only when an "offline create" fails (an upgrade from a release that
  // issued format-1 licenses without one leaves a server in this state); before the line that it
  // listens, which whoever watches the log waits for.
  if (!issuer.certificate)
    app.log.warn(
      { keyId: issuer.signingKey.keyId },
      'no issuer certificate: this server cannot issue offline licenses or online sessions that katalonc accepts. In order: "katalon-license-server keys public"; the licensor certifies that key ("root certify"); "katalon-license-server certificate install <file>"; offline licenses this server issued before (by an older release) are then re-issued in their seats with "offline create --replace" (README "Upgrading")',
    );
  // An e-mailed link to this machine's loopback address works for nobody else.
  if (mail && !serverEnvironment.publicUrl && isLoopbackAddress(url))
    app.log.warn(
      { url },
      `invitation e-mails link to ${url}, which only this machine reaches: set KLS_PUBLIC_URL to the address users reach the server at`,
    );
  app.log.info(
    {
      address,
      console: `${url}/console`,
      dataDir: o.dataDir,
      database: store.dialect,
      keyId: issuer.signingKey.keyId,
      issuerCertificate: issuer.certificate?.fields.id ?? null,
      leaseSeconds: o.settings.leaseMs / 1000,
    },
    'katalon-license-server listening',
  );
  closeWithGrace({ delay: SHUTDOWN_MS, logger: false }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'stopping after an unexpected error');
    else app.log.info({ signal }, 'stopping: finishing requests in flight');
    await app.close();
    await service.tick();
    await store.close();
    // The last line of a clean stop: a log without it was cut short (killed, or past SHUTDOWN_MS).
    app.log.info({ signal }, 'stopped: leases written, database closed');
  });
};
