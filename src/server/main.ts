// katalon-license-server: `start` runs the HTTP server; every other subcommand is an admin
// operation on the data dir (the same operations as the admin API), each with --json.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { fail, isKatalonError, type KatalonError } from '../core/errors.ts';
import { VERSION } from '../version.ts';
import { createNewFile } from '../platform/new-file.ts';
import { createLicensing, DEFAULT_SETTINGS, type Licensing } from './licensing.ts';
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
  new Option('--product <product>', 'KRE or KSE').choices(['KRE', 'KSE']).makeOptionMandatory();
const orgOption = () =>
  new Option('--org <id>', 'organisation ID').argParser(positive('--org', 1)).makeOptionMandatory();

interface Common {
  dataDir: string;
  json?: boolean;
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

const show = (value: unknown, json: boolean | undefined): void => {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${render(value, '')}\n`);
};
const render = (value: unknown, indent: string): string => {
  if (Array.isArray(value))
    return value.length === 0
      ? '(none)'
      : value.map((v) => `\n${indent}- ${render(v, `${indent}  `).trimStart()}`).join('');
  if (value && typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${indent}${k}: ${render(v, `${indent}  `)}`)
      .join('\n')
      .replace(/^\s+/, indent);
  return String(value);
};

/** Runs an admin operation against the data dir. */
const admin =
  (op: (l: Licensing, opts: Record<string, unknown>) => unknown) =>
  async (_opts: unknown, cmd: Command) => {
    const opts = cmd.optsWithGlobals<Common & Record<string, unknown>>();
    const { store, signingKey } = await openDataDir(opts.dataDir);
    try {
      show(await op(createLicensing(store, signingKey), opts), opts.json);
    } finally {
      await store.close();
    }
  };

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
  .action(
    async (
      o: {
        host: string;
        port: number;
        leaseSeconds: number;
        heartbeatSeconds?: number;
        logLevel: string;
        tlsCert?: string;
        tlsKey?: string;
      },
      cmd: Command,
    ) => {
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey))
        throw fail('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
      const { dataDir } = cmd.optsWithGlobals<Common>();
      const { startServer } = await import('./serve.ts');
      await startServer({
        dataDir,
        host: o.host,
        port: o.port,
        logLevel: o.logLevel,
        ...(o.tlsCert ? { tls: { cert: o.tlsCert, key: o.tlsKey! } } : {}),
        settings: {
          leaseMs: o.leaseSeconds * 1000,
          heartbeatMs: (o.heartbeatSeconds ?? Math.max(1, Math.floor(o.leaseSeconds / 3))) * 1000,
        },
      });
    },
  );

const keys = program.command('keys').description('the signing key');
keys
  .command('public')
  .description('print the public key, for "katalonc trust add"')
  .action(async (_o, cmd: Command) => {
    const { dataDir, json } = cmd.optsWithGlobals<Common>();
    const signingKey = openSigningKey(dataDir);
    if (json) show({ keyId: signingKey.keyId, publicKey: signingKey.publicKey.text }, true);
    else process.stdout.write(`${signingKey.publicKey.text}\n`);
  });
program
  .command('admin-token')
  .description('print the admin token for the admin API (keep it secret)')
  .action(async (_o, cmd: Command) => {
    const { dataDir, json } = cmd.optsWithGlobals<Common>();
    openSigningKey(dataDir); // makes the data dir, where the token file goes
    const token = adminToken(dataDir);
    if (json) show({ adminToken: token }, true);
    else process.stdout.write(`${token}\n`);
  });

const org = program.command('org').description('organisations');
org
  .command('create')
  .requiredOption('--name <name>')
  .action(admin((l, o) => l.createOrg(o.name as string)));

program
  .command('user')
  .description('organisation members')
  .command('add')
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .action(admin((l, o) => l.addUser(o.org as number, o.email as string)));

const apikey = program
  .command('apikey')
  .description('API keys (shown once; stored only as hashes)');
apikey
  .command('create')
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .action(admin((l, o) => l.createApiKey(o.org as number, o.email as string)));
apikey
  .command('revoke')
  .addOption(
    new Option('--id <id>', 'the id "apikey create" printed')
      .argParser(positive('--id', 1))
      .makeOptionMandatory(),
  )
  .action(admin((l, o) => l.revokeApiKey(o.id as number)));

const pool = program.command('pool').description('license pools');
pool
  .command('create')
  .addOption(orgOption())
  .addOption(productOption())
  .addOption(
    new Option('--model <model>').choices(['node-locked', 'floating']).makeOptionMandatory(),
  )
  .addOption(new Option('--billing <cycle>').choices(['yearly', 'monthly']).makeOptionMandatory())
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
    admin((l, o) =>
      l.createPool({
        orgId: o.org as number,
        product: o.product as 'KRE',
        model: o.model as 'floating',
        billing: o.billing as 'yearly',
        quota: o.quota as number,
        machineQuota: o.machineQuota as number,
        expiresAt: o.expires as number,
      }),
    ),
  );
pool
  .command('grant')
  .description('make a member a licensed user (KSE)')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--email <email>')
  .action(admin((l, o) => l.grant(o.org as number, o.product as 'KSE', o.email as string)));
pool
  .command('revoke')
  .description('withdraw a licensed user; their sessions end')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--email <email>')
  .action(admin((l, o) => l.revokeGrant(o.org as number, o.product as 'KSE', o.email as string)));
pool
  .command('show')
  .addOption(orgOption())
  .addOption(productOption())
  .action(admin((l, o) => l.poolShow(o.org as number, o.product as 'KRE')));

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
    admin(async (l, o) => {
      const lic = await l.createOffline({
        orgId: o.org as number,
        product: o.product as 'KRE',
        machineId: o.machineId as string,
        testing: Boolean(o.testing),
        ...(o.expires === undefined ? {} : { expiresAt: o.expires as number }),
      });
      const file = await createNewFile(o.out as string, lic.fileName, lic.text);
      return { file, id: lic.id, kind: lic.kind, expiresAt: lic.expiresAt };
    }),
  );

program
  .command('machine')
  .description('registered machines')
  .command('remove')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--machine-id <id>')
  .action(
    admin((l, o) => l.removeMachine(o.org as number, o.product as 'KRE', o.machineId as string)),
  );

const session = program.command('session').description('online sessions');
session
  .command('list')
  .addOption(new Option('--org <id>').argParser(positive('--org', 1)))
  .action(admin(async (l, o) => ({ sessions: await l.listSessions(o.org as number | undefined) })));
session
  .command('terminate')
  .requiredOption('--id <session>')
  .option('--reason <text>', 'shown to the user', 'terminated by an admin')
  .action(admin((l, o) => l.terminateSession(o.id as string, o.reason as string)));

const toError = (error: unknown): KatalonError => {
  if (isKatalonError(error)) return error;
  if (error instanceof CommanderError)
    return fail(
      'INVALID_ARGUMENT',
      `${error.message.replace(/^error: /, '')} (see "katalon-license-server --help")`,
    );
  return fail('INTERNAL', `unexpected failure: ${(error as Error)?.message ?? String(error)}`);
};

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(
    error instanceof CommanderError &&
    [
      'commander.helpDisplayed',
      'commander.version',
      'commander.help',
      'commander.executeSubCommandAsync',
    ].includes(error.code)
  )) {
    const e = toError(error);
    if (process.argv.includes('--json'))
      process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    else process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = e.exitCode;
  }
}
