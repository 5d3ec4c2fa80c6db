// katalon-license-server: `start` runs the HTTP server; every other subcommand is an admin
// operation on the data dir (the same service as the admin API), each with --json. Commands return
// Results that the shared runner renders (command-line/runner.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import { fail } from '../core/errors.ts';
import {
  BILLING_CYCLES,
  POOL_MODELS,
  PRODUCTS,
  type Billing,
  type PoolModel,
  type Product,
} from '../core/vocabulary.ts';
import { run, type Result } from '../command-line/runner.ts';
import { VERSION } from '../version.ts';
import { createNewFile } from '../platform/new-file.ts';
import { createService, DEFAULT_SETTINGS, type Service } from './service/index.ts';
import { adminToken, defaultDataDir, openDataDir, openSigningKey } from './data-dir.ts';

const positive =
  (what: string, min = 0) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} up, not "${v}"`);
    return n;
  };
const date = (v: string): number => {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T23:59:59.999Z` : v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${v}" is not a date (YYYY-MM-DD)`);
  return ms;
};
const productOption = () =>
  new Option('--product <product>', PRODUCTS.join(' or ')).choices(PRODUCTS).makeOptionMandatory();
const orgOption = () =>
  new Option('--org <id>', 'organisation ID').argParser(positive('--org', 1)).makeOptionMandatory();

interface Global {
  dataDir: string;
  json?: boolean;
}
interface PoolOptions {
  org: number;
  product: Product;
}

const program = new Command('katalon-license-server')
  .description(
    'License server for katalonc: organisations, license pools, online sessions, offline licenses',
  )
  .version(VERSION, '-V, --version')
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .option(
    '--data-dir <dir>',
    'data directory (database, signing key); default $KLS_DATA_DIR or ~/.katalon-license-server',
    defaultDataDir(),
  )
  .option('--json', 'machine-readable output');

/** The text form of an admin result: nested keys and lists, one value a line. */
const tree = (value: unknown, indent = ''): string => {
  if (Array.isArray(value))
    return value.length === 0
      ? '(none)'
      : value.map((v) => `\n${indent}- ${tree(v, `${indent}  `).trimStart()}`).join('');
  if (value && typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${indent}${k}: ${tree(v, `${indent}  `)}`)
      .join('\n')
      .replace(/^\s+/, indent);
  return String(value);
};
const shown = (data: unknown): Result => ({ data, lines: [tree(data)] });

let result: Result | void;

/** An admin operation on the data dir's service; `O` is the command's own options. */
const admin =
  <O>(op: (service: Service, o: O) => Promise<unknown>) =>
  async (o: O, cmd: Command): Promise<void> => {
    const { dataDir } = cmd.optsWithGlobals<Global>();
    const { store, signingKey } = await openDataDir(dataDir);
    try {
      result = shown(await op(createService(store, signingKey), o));
    } finally {
      await store.close();
    }
  };

interface StartOptions {
  host: string;
  port: number;
  leaseSeconds: number;
  heartbeatSeconds?: number;
  logLevel: string;
  tlsCert?: string;
  tlsKey?: string;
}

program
  .command('start')
  .description('run the HTTP server')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .addOption(
    new Option('--port <port>', 'port (0: any free port)')
      .argParser(positive('--port'))
      .default(8080),
  )
  .addOption(
    new Option('--lease-seconds <s>', 'a session stops counting this long after its last heartbeat')
      .argParser(positive('--lease-seconds', 2))
      .default(DEFAULT_SETTINGS.leaseMs / 1000),
  )
  .addOption(
    new Option(
      '--heartbeat-seconds <s>',
      'how often clients heartbeat (default: a third of the lease)',
    ).argParser(positive('--heartbeat-seconds', 1)),
  )
  .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
  .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
  .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
  .action(async (o: StartOptions, cmd: Command) => {
    if (Boolean(o.tlsCert) !== Boolean(o.tlsKey))
      throw fail('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
    const { dataDir } = cmd.optsWithGlobals<Global>();
    const { startServer } = await import('./serve.ts');
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

const keys = program.command('keys').description('the signing key');
keys
  .command('public')
  .description('print the public key, for "katalonc trust add"')
  .action((_o: unknown, cmd: Command) => {
    const signingKey = openSigningKey(cmd.optsWithGlobals<Global>().dataDir);
    result = {
      data: { keyId: signingKey.keyId, publicKey: signingKey.publicKey.text },
      lines: [signingKey.publicKey.text],
    };
  });
program
  .command('admin-token')
  .description('print the admin token for the admin API (keep it secret)')
  .action((_o: unknown, cmd: Command) => {
    const { dataDir } = cmd.optsWithGlobals<Global>();
    openSigningKey(dataDir); // makes the data dir, where the token file goes
    const token = adminToken(dataDir);
    result = { data: { adminToken: token }, lines: [token] };
  });

const org = program.command('org').description('organisations');
org
  .command('create')
  .requiredOption('--name <name>')
  .action(admin((s, o: { name: string }) => s.createOrg(o.name)));

program
  .command('user')
  .description('organisation members')
  .command('add')
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .action(admin((s, o: { org: number; email: string }) => s.addUser(o.org, o.email)));

const apikey = program
  .command('apikey')
  .description('API keys (shown once; stored only as hashes)');
apikey
  .command('create')
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .action(admin((s, o: { org: number; email: string }) => s.createApiKey(o.org, o.email)));
apikey
  .command('revoke')
  .addOption(
    new Option('--id <id>', 'the id "apikey create" printed')
      .argParser(positive('--id', 1))
      .makeOptionMandatory(),
  )
  .action(admin((s, o: { id: number }) => s.revokeApiKey(o.id)));

interface PoolCreateOptions extends PoolOptions {
  model: PoolModel;
  billing: Billing;
  quota: number;
  machineQuota: number;
  expires: number;
}

const pool = program.command('pool').description('license pools');
pool
  .command('create')
  .addOption(orgOption())
  .addOption(productOption())
  .addOption(new Option('--model <model>').choices(POOL_MODELS).makeOptionMandatory())
  .addOption(new Option('--billing <cycle>').choices(BILLING_CYCLES).makeOptionMandatory())
  .addOption(new Option('--quota <n>').argParser(positive('--quota')).makeOptionMandatory())
  .addOption(
    new Option('--machine-quota <n>').argParser(positive('--machine-quota')).makeOptionMandatory(),
  )
  .addOption(
    new Option('--expires <date>', 'subscription end, YYYY-MM-DD')
      .argParser(date)
      .makeOptionMandatory(),
  )
  .action(
    admin((s, o: PoolCreateOptions) =>
      s.createPool({
        orgId: o.org,
        product: o.product,
        model: o.model,
        billing: o.billing,
        quota: o.quota,
        machineQuota: o.machineQuota,
        expiresAt: o.expires,
      }),
    ),
  );
pool
  .command('grant')
  .description('make a member a licensed user (KSE)')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--email <email>')
  .action(admin((s, o: PoolOptions & { email: string }) => s.grant(o.org, o.product, o.email)));
pool
  .command('revoke')
  .description('withdraw a licensed user; their sessions end')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--email <email>')
  .action(
    admin((s, o: PoolOptions & { email: string }) => s.revokeGrant(o.org, o.product, o.email)),
  );
pool
  .command('show')
  .addOption(orgOption())
  .addOption(productOption())
  .action(admin((s, o: PoolOptions) => s.poolShow(o.org, o.product)));

interface OfflineOptions extends PoolOptions {
  machineId: string;
  expires?: number;
  testing?: boolean;
  out: string;
}

program
  .command('offline')
  .description('offline licenses')
  .command('create')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--machine-id <id>', 'the ID "katalonc --print-machine-id" printed')
  .addOption(
    new Option('--expires <date>', 'an earlier expiry than the default 60 days').argParser(date),
  )
  .option('--testing', 'a testing license: proves the machine ID, runs nothing, uses no quota')
  .requiredOption('--out <dir>', 'folder to write the .lic file to')
  .action(
    admin((s, o: OfflineOptions) =>
      s.createOffline(
        {
          orgId: o.org,
          product: o.product,
          machineId: o.machineId,
          testing: Boolean(o.testing),
          ...(o.expires === undefined ? {} : { expiresAt: o.expires }),
        },
        // Written before the license is committed: a file that cannot be written burns no quota.
        async (license) => ({
          file: await createNewFile(o.out, license.fileName, license.text),
          id: license.id,
          kind: license.kind,
          expiresAt: license.expiresAt,
        }),
      ),
    ),
  );

program
  .command('machine')
  .description('registered machines')
  .command('remove')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--machine-id <id>')
  .action(
    admin((s, o: PoolOptions & { machineId: string }) =>
      s.removeMachine(o.org, o.product, o.machineId),
    ),
  );

const session = program.command('session').description('online sessions');
session
  .command('list')
  .addOption(new Option('--org <id>').argParser(positive('--org', 1)))
  .action(admin(async (s, o: { org?: number }) => ({ sessions: await s.listSessions(o.org) })));
session
  .command('terminate')
  .requiredOption('--id <session>')
  .option('--reason <text>', 'shown to the user', 'terminated by an admin')
  .action(admin((s, o: { id: string; reason: string }) => s.terminateSession(o.id, o.reason)));

await run(
  async () => {
    await program.parseAsync(process.argv);
    return result;
  },
  process.argv.includes('--json'),
  'katalon-license-server',
);
