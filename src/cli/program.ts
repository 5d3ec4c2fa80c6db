// The katalonc command line on commander, built for each command line (createProgram). Each
// command's module is loaded only when it runs; each returns a Result (command-line/command.ts)
// that the runner renders (command-line/runner.ts).
import { Option, type Command } from 'commander';
import { fail } from '../core/errors.ts';
import { POOL_MODELS, PRODUCTS } from '../core/vocabulary.ts';
import type { Result } from '../command-line/runner.ts';
import { ResultCommand } from '../command-line/command.ts';
import type { ParsedLine } from '../core/katalonc/grammar.ts';
import { engineOf, type ClientOptions } from '../client/settings.ts';
import { buildKind } from '../client/trust.ts';
import type { RunPlan } from './commands/run.ts';
import {
  clientOptions,
  integer,
  nonEmpty,
  number,
  oneOf,
  url,
  type ParsedOptions,
} from './options.ts';
import { environment } from '../platform/environment.ts';
import { VERSION } from '../version.ts';

const parsed = (cmd: Command): ParsedOptions => cmd.optsWithGlobals<ParsedOptions>();

/**
 * What runs under the license: the runner options go to the engine (after the command's own
 * arguments when one follows "--"); a command line with runner options and no engine is refused,
 * so that a line meant to run tests never exits 0 without running them.
 */
const plan = (command: string[], opts: ClientOptions, runner: string[]): RunPlan => {
  if (runner.length === 0) return { command, engine: false };
  if (command.length > 0) return { command: [...command, ...runner], engine: true };
  const engine = engineOf(opts);
  if (engine) return { command: [engine, ...runner], engine: true };
  const seen = runner.filter((t) => !t.startsWith('--'));
  throw fail(
    'INVALID_ARGUMENT',
    `this command line has options for the test engine (${seen.slice(0, 6).join(' ')}${seen.length > 6 ? ' …' : ''}) but no engine is configured: set KATALONC_ENGINE=/path/to/engine, pass --engine=/path/to/engine, or run "katalonc engine /path/to/engine" once; or name it after --: katalonc -apiKey=… -- ./your-engine …`,
  );
};

/** katalonc with its options, before its commands. */
const katalonc = (): ResultCommand =>
  new ResultCommand('katalonc')
    .description(
      'Katalon Runtime Engine licensing: machine ID, offline license files, online sessions',
    )
    .version(
      `${VERSION}${buildKind() === 'development' ? ' (development build)' : ''}`,
      '-V, --version',
    )
    .helpOption('-h, --help')
    .helpCommand('help [command]', 'the help of a command')
    // A command's help lists the options that apply to it (-licenseDir, -apiKey, … are global).
    .configureHelp({ showGlobalOptions: true })
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
    .addOption(
      new Option(
        '--license-model <model>',
        'online: only the node-locked or only the floating pool (or $KATALONC_LICENSE_MODEL; default node-locked first, then floating)',
      ).argParser(oneOf('-licenseModel', POOL_MODELS)),
    )
    .option('--insecure', 'allow plain http to a server that is not on this machine')
    .option('--ca-file <file>', 'extra CA certificates (PEM) to trust for the license server')
    .option(
      '--license-release',
      "first free the sessions of this machine's runs that were killed (never a live run's)",
    )
    .option('--no-license-release', 'do not release earlier sessions (the default)')
    .option('--enable-license-retry', 'wait for a license when all are in use (the default)')
    .option('--no-enable-license-retry', 'fail at once when all licenses are in use')
    .addOption(
      new Option(
        '--license-retry-max-duration <minutes>',
        'how long to wait for a license (20)',
      ).argParser(number('-licenseRetryMaxDuration', 0)),
    )
    .addOption(
      new Option(
        '--license-retry-interval <minutes>',
        'minutes between tries (5, at least 3)',
      ).argParser(number('-licenseRetryInterval', 3)),
    )
    .addOption(
      new Option(
        '--license-retry-max-jitter <minutes>',
        'random extra minutes per try (2)',
      ).argParser(number('-licenseRetryMaxJitter', 0)),
    )
    .addOption(
      new Option(
        '--testops-server-url <url>',
        'TestOps server (a last resort for the license server)',
      )
        .argParser(url)
        .hideHelp(),
    )
    .option('--engine <path>', 'the test engine runner options are handed to (or $KATALONC_ENGINE)')
    .addOption(
      new Option(
        '--proxy-option <option>',
        'proxy: NO_PROXY, USE_SYSTEM or MANUAL_CONFIG',
      ).argParser(
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
Katalon's own command lines run unchanged: katalonc takes the license (offline, else online) and
hands the runner options (-runMode, -projectPath, -testSuitePath, -browserType, ...) to the test
engine (--engine, $KATALONC_ENGINE or "katalonc engine PATH"). Licensing options in Katalon's
spelling: -apiKey=KEY -orgID=ID -serverUrl=URL -licenseRelease[=true] -enableLicenseRetry[=true|false]
-licenseRetryMaxDuration=20 -licenseRetryInterval=5 -licenseRetryMaxJitter=2 (minutes)
--config -proxy.auth.option=MANUAL_CONFIG -proxy.auth.server.type=HTTP -proxy.auth.server.address=HOST
-proxy.auth.server.port=PORT -proxy.auth.excludes=HOSTS -proxy.auth.username=USER -proxy.auth.password=PASS
-propertiesFile=FILE (options from a file; the command line wins)
katalonc's own: -licenseModel=node-locked|floating (the online pool; in containers: floating)

Examples:
  katalonc --print-machine-id
  katalonc license list
  katalonc run -- ./run-tests.sh
  KATALON_API_KEY=... katalonc -orgID=42 -serverUrl=https://license.example.com -- ./run-tests.sh
  KATALONC_ENGINE=/opt/kre/katalonc-engine katalonc -noSplash -runMode=console -projectPath=/p/x.prj -testSuitePath="Test Suites/Smoke" -apiKey=$KATALON_API_KEY`,
    );

/** katalonc's commands for one command line (`line`: what the katalonc grammar read of it). */
const createProgram = (line: ParsedLine): ResultCommand => {
  const options = (cmd: Command) => clientOptions(parsed(cmd), line.spelled);
  const run = async (command: string[], cmd: Command): Promise<Result> => {
    const opts = options(cmd);
    return (await import('./commands/run.ts')).runCommand(plan(command, opts, line.runner), opts);
  };
  const program = katalonc();

  program.returns(async (command: string[], _opts: unknown, cmd: Command) => {
    const opts = parsed(cmd);
    if (opts.printMachineId) return (await import('./commands/machine-id.ts')).printMachineId(opts);
    if (command.length > 0 && !line.gnu.includes('--')) {
      throw fail(
        'INVALID_ARGUMENT',
        `unknown command "${command[0]}": see "katalonc --help" (put the command to run after --)`,
      );
    }
    if (command.length > 0 || line.runner.length > 0) return run(command, cmd);
    if (opts.apiKey || environment.apiKey)
      return (await import('./commands/online.ts')).activate(options(cmd), false);
    program.outputHelp();
  });

  program
    .command('machine-id')
    .description('same as --print-machine-id')
    .option('--explain')
    .option('--qr')
    .returns(async (_o: unknown, cmd: Command) =>
      (await import('./commands/machine-id.ts')).printMachineId(parsed(cmd)),
    );

  const license = program.command('license').description('offline license files');
  license
    .command('list')
    .description('validate every .lic file in the license folder')
    .returns(async (_o: unknown, cmd: Command) =>
      (await import('./commands/license.ts')).listLicenses(options(cmd)),
    );
  license
    .command('install')
    .description('validate a license file and copy it into the license folder')
    .argument('<file>')
    .returns(async (file: string, _o: unknown, cmd: Command) =>
      (await import('./commands/license.ts')).installLicense(file, options(cmd)),
    );

  const trust = program
    .command('trust')
    .description('public keys whose licenses this client accepts');
  trust
    .command('add')
    .description('refused: katalonc trusts only its built-in root keys (see "trust list")')
    .argument('[public-key]')
    .returns(async () => (await import('./commands/trust.ts')).addTrustedKey());
  trust
    .command('list')
    .description('list the built-in root keys and the build kind')
    .returns(async () => (await import('./commands/trust.ts')).listTrustedKeys());

  program
    .command('run')
    .description('hold one license (offline file, else online session) while a command runs')
    .argument('<command...>')
    .returns((command: string[], _o: unknown, cmd: Command) => run(command, cmd));

  program
    .command('completion')
    .description('a shell completion script: eval "$(katalonc completion bash)" (or zsh, fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .returns(async (shell: string) =>
      (await import('./commands/completion.ts')).completion(
        shell,
        program.commands.map((c) => c.name()),
        program.options.map((o) => o.long).filter((l): l is string => Boolean(l)),
      ),
    );

  program
    .command('clock')
    .description('the clock mark katalonc keeps against clock rollback')
    .command('sync')
    .description('reset it to a time a license server signed (online, or --file from your admin)')
    .option('--file <file>', 'a time file from "katalon-license-server offline time"')
    .returns(async (o: { file?: string }, cmd: Command) =>
      (await import('./commands/clock.ts')).syncClock(options(cmd), o.file),
    );

  program
    .command('engine')
    .description('show, set (PATH) or forget (--unset) the test engine saved in the config')
    .argument('[path]')
    .option('--unset', 'forget the saved engine')
    .returns(async (path: string | undefined, o: { unset?: boolean }) =>
      (await import('./commands/engine.ts')).engine(path, Boolean(o.unset)),
    );

  program
    .command('activate')
    .description('check the online entitlement and register this machine')
    .option('--save', 'remember server, org and API key (keychain)')
    .returns(async (o: { save?: boolean }, cmd: Command) =>
      (await import('./commands/online.ts')).activate(options(cmd), Boolean(o.save)),
    );
  program
    .command('deactivate')
    .description('forget the saved server, org and API key')
    .returns(async () => (await import('./commands/online.ts')).deactivate());
  program
    .command('status')
    .description(
      'machine ID, license folder, saved server, and whether it answers (a CI pre-flight)',
    )
    .option(
      '--check',
      'also take a license and release it: exit 6 if none can be had, 8 if refused',
    )
    .returns(async (o: { check?: boolean }, cmd: Command) =>
      (await import('./commands/online.ts')).status(
        options(cmd),
        Boolean(parsed(cmd).json),
        Boolean(o.check),
        Boolean(parsed(cmd).quiet),
      ),
    );

  return program;
};

/** commander names options in their GNU spelling, our parsers in Katalon's; the user typed another. */
const asTyped = (error: unknown, spelled: ParsedLine['spelled']): unknown => {
  if (!(error instanceof Error)) return error;
  const m = /^(?:error: )?option '(--[a-z-]+)[^']*' argument '[^']*' is invalid\. (-[\w.]+)/.exec(
    error.message,
  );
  const typed = m ? spelled[m[1]] : undefined;
  if (m && typed) error.message = `${typed}${error.message.slice(m[0].length)}`;
  return error;
};

/** Parses the command line (see core/katalonc/grammar.ts) and runs the command; the runner renders. */
export const runProgram = async (line: ParsedLine): Promise<Result | void> => {
  try {
    return await createProgram(line).execute(line.gnu, 'user');
  } catch (error) {
    throw asTyped(error, line.spelled);
  }
};
