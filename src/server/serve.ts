// `katalon-license-server start`: open the data dir, listen, and on SIGTERM/SIGINT stop accepting,
// finish the requests in flight, then close the database.
import { readFileSync } from 'node:fs';
import { fail } from '../core/errors.ts';
import { buildApp } from './http/app.ts';
import { createLicensing, type Settings } from './licensing.ts';
import { adminToken, openDataDir } from './data-dir.ts';

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

export const startServer = async (o: {
  dataDir: string;
  host: string;
  port: number;
  logLevel: string;
  settings: Settings;
  tls?: { cert: string; key: string };
}): Promise<void> => {
  const https = o.tls ? { cert: readPem(o.tls.cert), key: readPem(o.tls.key) } : undefined;
  const { store, signingKey } = await openDataDir(o.dataDir);
  const licensing = createLicensing(store, signingKey, o.settings);
  const app = buildApp(licensing, {
    adminToken: adminToken(o.dataDir),
    logLevel: o.logLevel,
    ...(https ? { https } : {}),
  });
  const address = await app.listen({ host: o.host, port: o.port });
  app.log.info(
    {
      address,
      dataDir: o.dataDir,
      database: store.shared ? 'postgresql' : 'sqlite',
      keyId: signingKey.keyId,
      leaseSeconds: o.settings.leaseMs / 1000,
    },
    'katalon-license-server listening',
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping: finishing requests in flight');
    await app.close();
    await licensing.tick();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
};
