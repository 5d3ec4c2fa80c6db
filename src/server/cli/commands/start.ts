// The server itself: start (the HTTP server), migrate (the database to this version's schema), and
// admin-token (the secret of the admin API).
import { Option } from 'commander';
import { fail } from '../../../core/errors.ts';
import type { ResultCommand } from '../../../command-line/command.ts';
import { DEFAULT_SETTINGS } from '../../service/index.ts';
import { SCHEMA_VERSION } from '../../store/schema.ts';
import { adminToken, openSigningKey } from '../../data-dir.ts';
import { existingDataDirOrFail, openExistingDataDir, shown } from '../admin.ts';
import { positive, type Global } from '../options.ts';

interface StartOptions {
  host: string;
  port: number;
  leaseSeconds: number;
  heartbeatSeconds?: number;
  logLevel: string;
  tlsCert?: string;
  tlsKey?: string;
}

export const startCommand = (program: ResultCommand): void => {
  program
    .command('start')
    .description('run the HTTP server (every option also from its KLS_ environment variable)')
    .addOption(
      new Option('--host <host>', 'address to listen on').env('KLS_HOST').default('127.0.0.1'),
    )
    .addOption(
      new Option('--port <port>', 'port (0: any free port)')
        .env('KLS_PORT')
        .argParser(positive('--port', 0, 65535))
        .default(8080),
    )
    .addOption(
      new Option(
        '--lease-seconds <s>',
        'a session stops counting this long after its last heartbeat',
      )
        .env('KLS_LEASE_SECONDS')
        .argParser(positive('--lease-seconds', 2))
        .default(DEFAULT_SETTINGS.leaseMs / 1000),
    )
    .addOption(
      new Option(
        '--heartbeat-seconds <s>',
        'how often clients heartbeat (default: a third of the lease)',
      )
        .env('KLS_HEARTBEAT_SECONDS')
        .argParser(positive('--heartbeat-seconds', 1)),
    )
    .addOption(
      new Option('--log-level <level>', 'how much the server logs')
        .env('KLS_LOG_LEVEL')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .addOption(
      new Option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)').env(
        'KLS_TLS_CERT',
      ),
    )
    .addOption(
      new Option('--tls-key <file>', 'the private key of --tls-cert (PEM)').env('KLS_TLS_KEY'),
    )
    .returns(async (o: StartOptions, cmd: ResultCommand) => {
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey))
        throw fail('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
      const { dataDir } = cmd.optsWithGlobals<Global>();
      const { startServer } = await import('../../serve.ts');
      await startServer({
        dataDir,
        host: o.host,
        port: o.port,
        logLevel: o.logLevel,
        ...(o.tlsCert && o.tlsKey ? { tls: { cert: o.tlsCert, key: o.tlsKey } } : {}),
        settings: {
          leaseMs: o.leaseSeconds * 1000,
          heartbeatMs: (o.heartbeatSeconds ?? Math.max(1, Math.floor(o.leaseSeconds / 3))) * 1000,
        },
      });
    });
};

export const migrateCommand = (program: ResultCommand): void => {
  program
    .command('migrate')
    .description(
      "upgrade the data dir's database to this version's schema (refused while a server uses it); start does it too",
    )
    .returns(async (_o: unknown, cmd: ResultCommand) => {
      const { dataDir } = cmd.optsWithGlobals<Global>();
      const { store } = await openExistingDataDir(dataDir, 'write');
      await store.close();
      return shown({ schemaVersion: SCHEMA_VERSION });
    });
};

export const adminTokenCommand = (program: ResultCommand): void => {
  program
    .command('admin-token')
    .description('print the admin token for the admin API (keep it secret)')
    .returns((_o: unknown, cmd: ResultCommand) => {
      const { dataDir } = cmd.optsWithGlobals<Global>();
      // A mistyped --data-dir must not make a token that no server checks.
      existingDataDirOrFail(dataDir, false);
      openSigningKey(dataDir); // its key and token are made on first use, as start makes them
      const token = adminToken(dataDir);
      return { data: { adminToken: token }, lines: [token] };
    });
};
