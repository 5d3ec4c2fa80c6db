// katalon-license-server: `start` runs the HTTP server; every other subcommand is an admin
// operation on the data dir (the same service as the admin API), each with --json. Commands return
// Results that the shared runner renders (command-line/runner.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import { fail } from '../core/errors.ts';
import {
  BILLING_CYCLES,
  isOneOf,
  POOL_MODELS,
  PRODUCTS,
  ROLES,
  type Billing,
  type PoolModel,
  type Product,
  type Role,
} from '../core/vocabulary.ts';
import { run, type Result } from '../command-line/runner.ts';
import { dayOrInstant, wholeNumber } from '../core/strict.ts';
import { OUTAGE_GRACE_MINUTES } from '../core/quota.ts';
import { printableDeep } from '../command-line/sanitize.ts';
import { VERSION } from '../version.ts';
import { createNewFile } from '../platform/files.ts';
import { createService, DEFAULT_SETTINGS } from './service/index.ts';
import { SCHEMA_VERSION } from './store/schema.ts';
import { remoteAdmin, type AdminOps } from './remote-admin.ts';
import { serverEnvironment } from './environment.ts';
import {
  adminToken,
  CERTIFICATE_FILE,
  defaultDataDir,
  installCertificate,
  openDataDir,
  openSigningKey,
  serverUrlOf,
} from './data-dir.ts';
import { warn } from '../command-line/output.ts';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armorCertificate, certify, revoke } from '../core/license/certificate.ts';
import {
  generateSigningKey,
  parsePublicKey,
  signingKeyFromPem,
  type SigningKey,
} from '../core/license/keys.ts';

const readText = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw fail('FILE_ERROR', `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
};

const readRootKey = (file: string): SigningKey => {
  try {
    return signingKeyFromPem(readText(file));
  } catch (error) {
    if ((error as { code?: string }).code === 'FILE_ERROR') throw error;
    throw fail('INVALID_ARGUMENT', `${file} is not a private key (PEM) made by "root create"`);
  }
};

const COUNT_MAX = 1_000_000;
const positive =
  (what: string, min = 0, max = COUNT_MAX) =>
  (v: string): number => {
    const n = wholeNumber(v, min, max);
    if (!n.ok) throw new InvalidArgumentError(`${what} ${n.reason}`);
    return n.value;
  };
const date = (v: string): number => {
  const d = dayOrInstant(v);
  if (!d.ok) throw new InvalidArgumentError(d.reason);
  return d.value;
};
const productOption = () =>
  new Option('--product <product>', PRODUCTS.join(' or ')).choices(PRODUCTS).makeOptionMandatory();
const orgOption = () =>
  new Option('--org <id>', 'organisation ID')
    .argParser(positive('--org', 1, Number.MAX_SAFE_INTEGER))
    .makeOptionMandatory();

interface Global {
  dataDir: string;
  server?: string;
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
  .addOption(
    new Option(
      '--server <url>',
      'run admin commands against this running server (admin token: $KLS_ADMIN_TOKEN) instead of a data dir',
    ).env('KLS_SERVER_URL'),
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
      .map(([k, v]) =>
        // A nested object starts on a line of its own, indented.
        v && typeof v === 'object' && !Array.isArray(v)
          ? `${indent}${k}:\n${tree(v, `${indent}  `)}`
          : `${indent}${k}: ${tree(v, `${indent}  `)}`,
      )
      .join('\n');
  return String(value);
};
const shown = (data: unknown): Result => ({ data, lines: [tree(printableDeep(data))] });

let result: Result | void;

/** The data dir of an admin command: a mistyped or forgotten --data-dir must not quietly make a second database beside the real one. */
const openExistingDataDir = (dataDir: string, access: 'read' | 'write') => {
  if (!existsSync(dataDir))
    throw fail(
      'INVALID_ARGUMENT',
      `there is no data dir at ${dataDir}: pass the server's --data-dir (or KLS_DATA_DIR), or --server URL; "start" makes a new one`,
    );
  return openDataDir(dataDir, access);
};

/**
 * An admin operation on the data dir's service, or on a running server's (--server); `O` is the
 * command's own options. `access`: 'read' for one that only reads (it never migrates the database).
 */
const admin =
  <O>(op: (service: AdminOps, o: O) => Promise<unknown>, access: 'read' | 'write' = 'write') =>
  async (o: O, cmd: Command): Promise<void> => {
    const { dataDir, server } = cmd.optsWithGlobals<Global>();
    if (server) {
      const token = serverEnvironment.adminToken;
      if (!token)
        throw fail(
          'INVALID_ARGUMENT',
          `--server needs the server's admin token in KLS_ADMIN_TOKEN ("katalon-license-server admin-token" on the server prints it)`,
        );
      result = shown(await op(remoteAdmin(server, token.trim()), o));
      return;
    }
    const { store, issuer } = await openExistingDataDir(dataDir, access);
    try {
      result = shown(await op(createService(store, issuer), o));
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
    new Option('--lease-seconds <s>', 'a session stops counting this long after its last heartbeat')
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
    new Option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)').env('KLS_TLS_CERT'),
  )
  .addOption(
    new Option('--tls-key <file>', 'the private key of --tls-cert (PEM)').env('KLS_TLS_KEY'),
  )
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

program
  .command('migrate')
  .description(
    "upgrade the data dir's database to this version's schema (refused while a server uses it); start does it too",
  )
  .action(async (_o: unknown, cmd: Command) => {
    const { dataDir } = cmd.optsWithGlobals<Global>();
    const { store } = await openExistingDataDir(dataDir, 'write');
    await store.close();
    result = shown({ schemaVersion: SCHEMA_VERSION });
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

program
  .command('certificate')
  .description("the root's certificate for this server's key (needed to issue offline licenses)")
  .command('install')
  .argument('<file>', 'the .cert file "root certify" wrote')
  .action((file: string, _o: unknown, cmd: Command) => {
    const { dataDir } = cmd.optsWithGlobals<Global>();
    const fields = installCertificate(dataDir, file, readText(file));
    result = shown({ installed: join(dataDir, CERTIFICATE_FILE), ...fields });
  });

// The licensor's side: root keys, and what they sign. A root's private key belongs offline, with
// the licensor; katalonc release builds carry its public key (KATALONC_BUILTIN_KEYS).
const root = program
  .command('root')
  .description("the licensor's root keys: certify servers, revoke their keys");
const rootKeyOption = () =>
  new Option('--root <file>', "the root's private key (PEM)").makeOptionMandatory();
root
  .command('create')
  .description('make a root key pair; prints the public key to build into katalonc')
  .requiredOption('--out <file>', 'where to write the private key (0600; it must not exist)')
  .action(async (o: { out: string }) => {
    const { pem, signingKey } = generateSigningKey();
    await writeFile(o.out, pem, { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      throw fail('FILE_ERROR', `cannot create ${o.out} (${e.code}): choose a new file`);
    });
    result = {
      data: { keyId: signingKey.keyId, publicKey: signingKey.publicKey.text, privateKey: o.out },
      lines: [signingKey.publicKey.text],
    };
  });

interface CertifyOptions {
  root: string;
  serverKey: string;
  orgs: string;
  products: string;
  maxLicenses: number;
  until: number;
  out: string;
}
root
  .command('certify')
  .description("certify a server's signing key: what it may issue, and until when")
  .addOption(rootKeyOption())
  .requiredOption('--server-key <key>', 'the output of "katalon-license-server keys public"')
  .option('--orgs <ids>', 'organisation IDs it may issue for, comma-separated, or *', '*')
  .option('--products <list>', 'products it may issue, comma-separated', PRODUCTS.join(','))
  .addOption(
    new Option('--max-licenses <n>', 'at most this many offline licenses')
      .argParser(positive('--max-licenses', 0))
      .makeOptionMandatory(),
  )
  .addOption(
    new Option('--until <date>', 'the certificate ends, YYYY-MM-DD')
      .argParser(date)
      .makeOptionMandatory(),
  )
  .requiredOption('--out <file>', 'the .cert file to write (it must not exist)')
  .action(async (o: CertifyOptions) => {
    const rootKey = readRootKey(o.root);
    const serverKey = parsePublicKey(o.serverKey);
    if (!serverKey)
      throw fail(
        'INVALID_ARGUMENT',
        `--server-key "${o.serverKey}" is not a public key (ed25519:…)`,
      );
    const products = o.products.split(',').map((p) => p.trim().toUpperCase());
    for (const p of products)
      if (!isOneOf(PRODUCTS, p))
        throw fail('INVALID_ARGUMENT', `--products: "${p}" is not one of ${PRODUCTS.join(', ')}`);
    const orgs = o.orgs
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const now = Date.now();
    if (o.until <= now) throw fail('INVALID_ARGUMENT', '--until is in the past');
    const fields = {
      id: randomUUID(),
      keyId: serverKey.keyId,
      publicKey: serverKey.text,
      orgs,
      products: products as Product[],
      maxLicenses: o.maxLicenses,
      notBefore: new Date(now).toISOString(),
      notAfter: new Date(o.until).toISOString(),
    };
    await writeFile(o.out, armorCertificate(certify(rootKey, fields)), {
      mode: 0o644,
      flag: 'wx',
    }).catch((e: NodeJS.ErrnoException) => {
      throw fail('FILE_ERROR', `cannot create ${o.out} (${e.code}): choose a new file`);
    });
    result = shown({ file: o.out, rootKeyId: rootKey.keyId, ...fields });
  });
root
  .command('revoke')
  .description('revoke server keys (compromised): a signed list to put beside the .lic files')
  .addOption(rootKeyOption())
  .requiredOption('--key-id <ids>', 'server key IDs, comma-separated')
  .requiredOption('--out <file>', 'the .krl file to write (it must not exist)')
  .action(async (o: { root: string; keyId: string; out: string }) => {
    const rootKey = readRootKey(o.root);
    const revokedKeyIds = o.keyId
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    const text = revoke(rootKey, {
      id: randomUUID(),
      issuedAt: new Date().toISOString(),
      revokedKeyIds,
    });
    await writeFile(o.out, text, { mode: 0o644, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      throw fail('FILE_ERROR', `cannot create ${o.out} (${e.code}): choose a new file`);
    });
    result = shown({ file: o.out, revokedKeyIds });
  });

const org = program.command('org').description('organisations');
org.command('list').action(admin(async (s) => ({ orgs: await s.listOrgs() }), 'read'));
/**
 * The console link of an invitation, on the server as its users reach it: --server, KLS_PUBLIC_URL,
 * or the address the server running on this data dir recorded.
 */
const invitationLink = (token: string): string => {
  const { server, dataDir } = program.opts<Global>();
  let base = server ?? serverUrlOf(dataDir);
  if (!base) {
    base = 'http://127.0.0.1:8080';
    warn(
      `no server has started on ${dataDir} and KLS_PUBLIC_URL is not set: the link assumes ${base}; set KLS_PUBLIC_URL to the address users reach the server at`,
    );
  }
  return `${base.replace(/\/+$/, '')}/console/invitations/${token}`;
};
const invitation = async (
  s: AdminOps,
  r: { orgId: number; email: string; role: Role },
): Promise<Record<string, string>> => {
  const { token, ...rest } = await s.invite(r);
  return { ...rest, link: invitationLink(token) };
};
const roleOption = () =>
  new Option('--role <role>', 'their role in the organisation').choices(ROLES).default('member');

org
  .command('create')
  .requiredOption('--name <name>')
  .option(
    '--owner-email <email>',
    "invite the organisation's first Owner: prints their one-time link",
  )
  .action(
    admin(async (s, o: { name: string; ownerEmail?: string }) => {
      const created = await s.createOrg(o.name);
      if (!o.ownerEmail) return created;
      const owner = await invitation(s, { orgId: created.id, email: o.ownerEmail, role: 'owner' });
      return { ...created, ownerInvitation: owner };
    }),
  );

program
  .command('invite')
  .description(
    'a one-time link (valid 7 days) with which someone joins an organisation in the console (KLS_PUBLIC_URL: the address in it)',
  )
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .addOption(roleOption())
  .action(
    admin((s, o: { org: number; email: string; role: Role }) =>
      invitation(s, { orgId: o.org, email: o.email, role: o.role }),
    ),
  );

const user = program.command('user').description('organisation members');
user
  .command('list')
  .addOption(orgOption())
  .action(admin(async (s, o: { org: number }) => ({ users: await s.listUsers(o.org) }), 'read'));
user
  .command('add')
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .action(admin((s, o: { org: number; email: string }) => s.addUser(o.org, o.email)));
user
  .command('remove')
  .description('remove a member; their sessions end at the next heartbeat')
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .action(admin((s, o: { org: number; email: string }) => s.removeUser(o.org, o.email)));

const apikey = program
  .command('apikey')
  .description('API keys (shown once; stored only as hashes)');
apikey
  .command('list')
  .description('the keys of the members (prefixes only)')
  .addOption(orgOption())
  .action(
    admin(async (s, o: { org: number }) => ({ apiKeys: await s.listApiKeys(o.org) }), 'read'),
  );
apikey
  .command('create')
  .addOption(orgOption())
  .requiredOption('--email <email>')
  .action(admin((s, o: { org: number; email: string }) => s.createApiKey(o.org, o.email)));
apikey
  .command('revoke')
  .addOption(
    new Option('--id <id>', 'the id "apikey create" printed')
      .argParser(positive('--id', 1, Number.MAX_SAFE_INTEGER))
      .makeOptionMandatory(),
  )
  .action(admin((s, o: { id: number }) => s.revokeApiKey(o.id)));

interface PoolCreateOptions extends PoolOptions {
  model: PoolModel;
  billing: Billing;
  quota: number;
  machineQuota: number;
  expires: number;
  outageGrace?: number;
}

const outageGraceOption = () =>
  new Option(
    '--outage-grace <minutes>',
    `how long a run cut off from the server goes on past its lease (default ${OUTAGE_GRACE_MINUTES.default})`,
  ).argParser(positive('--outage-grace', 0, OUTAGE_GRACE_MINUTES.max));

const pool = program.command('pool').description('license pools');
pool
  .command('list')
  .addOption(orgOption())
  .action(admin(async (s, o: { org: number }) => ({ pools: await s.listPools(o.org) }), 'read'));
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
  .addOption(outageGraceOption())
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
        ...(o.outageGrace === undefined ? {} : { outageGraceMinutes: o.outageGrace }),
      }),
    ),
  );
pool
  .command('set')
  .description("change a pool's outage grace")
  .addOption(orgOption())
  .addOption(productOption())
  .addOption(outageGraceOption().makeOptionMandatory())
  .action(
    admin((s, o: PoolOptions & { outageGrace: number }) =>
      s.setOutageGrace(o.org, o.product, o.outageGrace),
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
  .action(admin((s, o: PoolOptions) => s.poolShow(o.org, o.product), 'read'));

interface OfflineOptions extends PoolOptions {
  machineId: string;
  expires?: number;
  testing?: boolean;
  replace?: boolean;
  out: string;
}

/** An issued license's file in `dir`; a file that cannot be written is an error that says so. */
const writeIssued = (dir: string, fileName: string, text: string): string => {
  try {
    return createNewFile(dir, fileName, text);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw fail(
      'FILE_ERROR',
      `cannot write ${fileName} into ${dir} (${e.code ?? e.message}): nothing was issued`,
    );
  }
};

const offline = program.command('offline').description('offline licenses');
offline
  .command('create')
  .addOption(orgOption())
  .addOption(productOption())
  .requiredOption('--machine-id <id>', 'the ID "katalonc --print-machine-id" printed')
  .addOption(
    new Option('--expires <date>', 'an earlier expiry than the default 60 days').argParser(date),
  )
  .option('--testing', 'a testing license: proves the machine ID, runs nothing, uses no quota')
  .option(
    '--replace',
    "re-issue the machine's license of this pool (an old format's first) in its seat: no second license used",
  )
  .requiredOption('--out <dir>', 'folder to write the .lic file to')
  .action(
    admin((s, o: OfflineOptions) =>
      s.createOffline(
        {
          orgId: o.org,
          product: o.product,
          machineId: o.machineId,
          testing: Boolean(o.testing),
          replace: Boolean(o.replace),
          ...(o.expires === undefined ? {} : { expiresAt: o.expires }),
        },
        // On the data dir, written before the license is committed: a file that cannot be written
        // burns no quota. (Through --server the API commits first.)
        (license) => ({
          file: writeIssued(o.out, license.fileName, license.text),
          id: license.id,
          kind: license.kind,
          expiresAt: license.expiresAt,
          ...(license.capped ? { capped: license.capped } : {}),
          ...(license.replaces ? { replaces: license.replaces } : {}),
        }),
      ),
    ),
  );

offline
  .command('time')
  .description(
    'a signed time for one air-gapped machine, to reset its clock mark (katalonc clock sync --file)',
  )
  .requiredOption('--machine-id <id>', 'the ID "katalonc --print-machine-id" printed')
  .requiredOption('--out <dir>', 'folder to write the .ktime file to')
  .action(
    admin(async (s, o: { machineId: string; out: string }) => {
      const { signedTime } = await s.signedTime({ machineId: o.machineId });
      const file = createNewFile(
        o.out,
        `time_${o.machineId.trim().toUpperCase()}.ktime`,
        signedTime,
      );
      return { file };
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
    admin((s, o: PoolOptions & { machineId: string }) =>
      s.removeMachine(o.org, o.product, o.machineId),
    ),
  );

const session = program.command('session').description('online sessions');
session
  .command('list')
  .addOption(new Option('--org <id>').argParser(positive('--org', 1, Number.MAX_SAFE_INTEGER)))
  .action(
    admin(async (s, o: { org?: number }) => ({ sessions: await s.listSessions(o.org) }), 'read'),
  );
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
