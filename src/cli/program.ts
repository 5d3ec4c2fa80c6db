// The katalonc command line on commander. Each command's module is loaded only when it runs.
import { Command, CommanderError, Option } from 'commander';
import { fail, isKatalonError, type KatalonError } from '../core/errors.ts';
import { reportError, setQuiet } from './output.ts';
import { integer, nonEmpty, number, oneOf, url, type CliOptions } from './options.ts';
import { VERSION } from '../version.ts';
import { PRODUCTS } from '../core/product.ts';

const program = new Command('katalonc')
  .description(
    'Katalon Runtime Engine licensing: machine ID, offline license files, online sessions',
  )
  .version(VERSION, '-V, --version')
  .helpOption('-h, --help')
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .option('--print-machine-id', "print this machine's ID for offline activation")
  .option('--explain', 'with --print-machine-id: show which sources made the ID')
  .option('--qr', 'with --print-machine-id: also draw the ID as a QR code')
  .option('--json', 'machine-readable output on stdout')
  .option('-q, --quiet', 'no progress lines on stderr')
  .option(
    '--license-dir <dir>',
    'offline license folder (default ~/.katalon/license, or $KATALON_LICENSE_DIR)',
  )
  .addOption(
    new Option('--product <product>', 'which product the licenses are for')
      .argParser(oneOf('product', PRODUCTS))
      .default('KRE'),
  )
  .addOption(
    new Option(
      '--api-key <key>',
      'API key for online activation (prefer $KATALON_API_KEY: the command line is visible in ps)',
    ).argParser(nonEmpty('the API key')),
  )
  .addOption(
    new Option('--org-id <id>', 'organisation whose licenses are used').argParser(
      nonEmpty('the organisation ID'),
    ),
  )
  .addOption(new Option('--server-url <url>', 'license server URL').argParser(url))
  .option('--insecure', 'allow plain http to a server that is not on this machine')
  .option('--ca-file <file>', 'extra CA certificates (PEM) to trust for the license server')
  .option('--license-release', "release this machine's earlier online sessions first")
  .option('--enable-license-retry', 'wait for a license when all are in use instead of failing')
  .addOption(
    new Option('--license-retry-max-duration <minutes>', 'how long to wait for a license')
      .argParser(number('-licenseRetryMaxDuration', 0))
      .default(20),
  )
  .addOption(
    new Option('--license-retry-interval <seconds>', 'time between tries')
      .argParser(number('-licenseRetryInterval', 3))
      .default(5),
  )
  .addOption(
    new Option('--license-retry-max-jitter <seconds>', 'random extra wait per try')
      .argParser(number('-licenseRetryMaxJitter', 0))
      .default(2),
  )
  .addOption(
    new Option('--proxy-option <option>', 'proxy: NO_PROXY, USE_SYSTEM or MANUAL_CONFIG').argParser(
      oneOf('-proxy.auth.option', ['NO_PROXY', 'USE_SYSTEM', 'MANUAL_CONFIG'] as const),
    ),
  )
  .addOption(
    new Option('--proxy-type <type>', 'proxy: HTTP, HTTPS or SOCKS').argParser(
      oneOf('-proxy.auth.server.type', ['HTTP', 'HTTPS', 'SOCKS'] as const),
    ),
  )
  .option('--proxy-address <host>', 'proxy host')
  .addOption(
    new Option('--proxy-port <port>', 'proxy port').argParser(
      integer('-proxy.auth.server.port', 1, 65535),
    ),
  )
  .option('--proxy-excludes <hosts>', 'comma-separated hosts that bypass the proxy')
  .option('--proxy-username <name>', 'proxy user name')
  .option('--proxy-password <password>', 'proxy password (prefer $KATALON_PROXY_PASSWORD)')
  .argument('[command...]', 'after --: the command to run while a license is held')
  .addHelpText(
    'after',
    `
katalonc-style spellings are accepted too: -apiKey=KEY -orgID=ID -serverUrl=URL -licenseRelease
-enableLicenseRetry -licenseRetryMaxDuration=20 -licenseRetryInterval=5 -licenseRetryMaxJitter=2
--config -proxy.auth.option=MANUAL_CONFIG -proxy.auth.server.type=HTTP -proxy.auth.server.address=HOST
-proxy.auth.server.port=PORT -proxy.auth.excludes=HOSTS -proxy.auth.username=USER -proxy.auth.password=PASS

Examples:
  katalonc --print-machine-id
  katalonc license list
  katalonc run -- ./run-tests.sh
  KATALON_API_KEY=... katalonc -orgID=42 -serverUrl=https://license.example.com -- ./run-tests.sh`,
  );

const options = (cmd: Command): CliOptions => cmd.optsWithGlobals<CliOptions>();

program.action(async (command: string[], _opts, cmd: Command) => {
  const opts = options(cmd);
  if (opts.printMachineId) {
    const { printMachineId } = await import('./commands/machine-id.ts');
    return printMachineId(opts as CliOptions & { explain?: boolean; qr?: boolean });
  }
  if (command.length > 0 && !parsedArgs.includes('--')) {
    throw fail(
      'INVALID_ARGUMENT',
      `unknown command "${command[0]}": see "katalonc --help" (put the command to run after --)`,
    );
  }
  if (command.length > 0) {
    const { runCommand } = await import('./commands/run.ts');
    return runCommand(command, opts);
  }
  if (opts.apiKey || process.env.KATALON_API_KEY) {
    const { activate } = await import('./commands/online.ts');
    return activate(opts, false);
  }
  program.outputHelp();
});

program
  .command('machine-id')
  .description('same as --print-machine-id')
  .option('--explain')
  .option('--qr')
  .action(async (_o, cmd: Command) =>
    (await import('./commands/machine-id.ts')).printMachineId(
      options(cmd) as CliOptions & { explain?: boolean },
    ),
  );

const license = program.command('license').description('offline license files');
license
  .command('list')
  .description('validate every .lic file in the license folder')
  .action(async (_o, cmd: Command) =>
    (await import('./commands/license.ts')).listLicenses(options(cmd)),
  );
license
  .command('install')
  .description('validate a license file and copy it into the license folder')
  .argument('<file>')
  .action(async (file: string, _o, cmd: Command) =>
    (await import('./commands/license.ts')).installLicense(file, options(cmd)),
  );

const trust = program
  .command('trust')
  .description('public keys whose licenses this client accepts');
trust
  .command('add')
  .description('trust the licenses of a self-hosted server (katalon-license-server keys public)')
  .argument('<public-key>')
  .action(async (key: string, _o, cmd: Command) =>
    (await import('./commands/trust.ts')).addTrustedKey(key, options(cmd)),
  );
trust
  .command('list')
  .description('list trusted keys')
  .action(async (_o, cmd: Command) =>
    (await import('./commands/trust.ts')).listTrustedKeys(options(cmd)),
  );

program
  .command('run')
  .description('hold one license (offline file, else online session) while a command runs')
  .argument('<command...>')
  .action(async (command: string[], _o, cmd: Command) =>
    (await import('./commands/run.ts')).runCommand(command, options(cmd)),
  );

program
  .command('activate')
  .description('check the online entitlement and register this machine')
  .option('--save', 'remember server, org and API key (keychain)')
  .action(async (o: { save?: boolean }, cmd: Command) =>
    (await import('./commands/online.ts')).activate(options(cmd), Boolean(o.save)),
  );
program
  .command('deactivate')
  .description('forget the saved server, org and API key')
  .action(async (_o, cmd: Command) =>
    (await import('./commands/online.ts')).deactivate(options(cmd)),
  );
program
  .command('status')
  .description('machine ID, license folder, saved server, and whether it answers')
  .action(async (_o, cmd: Command) => (await import('./commands/online.ts')).status(options(cmd)));

/** commander's own errors (unknown option, bad value) become ours, with katalonc's exit code 4. */
const toKatalonError = (error: unknown): KatalonError => {
  if (isKatalonError(error)) return error;
  if (error instanceof CommanderError) {
    const message = error.message.replace(/^error: /, '').replace(/\n[\s\S]*/, '');
    return fail('INVALID_ARGUMENT', `${message} (see "katalonc --help")`);
  }
  return fail(
    'INTERNAL',
    `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
  );
};

const isHelpOrVersion = (error: unknown): boolean =>
  error instanceof CommanderError &&
  ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);

let parsedArgs: string[] = [];

/** Parses the rewritten argv and runs the command; renders its own errors (see katalonc.ts). */
export const runProgram = async (args: string[], json: boolean): Promise<void> => {
  parsedArgs = args;
  setQuiet(args.includes('--quiet') || args.includes('-q') || json);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!isHelpOrVersion(error)) reportError(toKatalonError(error), json);
  }
};
