// `katalon-license-server start`: open the data dir, listen, and on SIGTERM/SIGINT stop accepting,
// finish the requests in flight, write pending leases, then close the database. The shutdown
// cannot hang: after SHUTDOWN_MS the process exits anyway (close-with-grace), with exit code 1.
import { readFileSync } from 'node:fs';
import closeWithGrace from 'close-with-grace';
import { fail } from '../core/errors.ts';
import { buildApp } from './http/app.ts';
import { createService, type Settings } from './service/index.ts';
import { adminToken, openDataDir } from './data-dir.ts';

const SHUTDOWN_MS = 10_000;

const readPem = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw fail(
      'INVALID_ARGUMENT',
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
};

export interface ServerOptions {
  dataDir: string;
  host: string;
  port: number;
  logLevel: string;
  settings: Settings;
  tls?: { cert: string; key: string };
}

export const startServer = async (o: ServerOptions): Promise<void> => {
  const https = o.tls ? { cert: readPem(o.tls.cert), key: readPem(o.tls.key) } : undefined;
  const token = adminToken(o.dataDir);
  const { store, issuer } = await openDataDir(o.dataDir);
  const service = createService(store, issuer, o.settings);
  const app = buildApp(service, {
    adminToken: token,
    logLevel: o.logLevel,
    ...(https ? { https } : {}),
  });
  const address = await app.listen({ host: o.host, port: o.port });
  app.log.info(
    {
      address,
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
  });
};
