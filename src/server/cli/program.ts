// The katalon-license-server command line on commander, built for each run (createProgram): the
// program's own options here, each group of commands in a file of its own (commands/), each
// command's action returning its Result (command-line/command.ts).
import { Option } from 'commander';
import { ResultCommand } from '../../command-line/command.ts';
import { VERSION } from '../../version.ts';
import { defaultDataDir } from '../data-dir.ts';
import { adminTokenCommand, migrateCommand, startCommand } from './commands/start.ts';
import { certificateCommand, keysCommand, rootCommand } from './commands/root.ts';
import { inviteCommand, orgCommand } from './commands/org.ts';
import { userCommand } from './commands/user.ts';
import { apikeyCommand } from './commands/apikey.ts';
import { poolCommand } from './commands/pool.ts';
import { offlineCommand } from './commands/offline.ts';
import { machineCommand } from './commands/machine.ts';
import { sessionCommand } from './commands/session.ts';

/** In the order "--help" lists them. */
const COMMANDS = [
  startCommand,
  migrateCommand,
  keysCommand,
  adminTokenCommand,
  certificateCommand,
  rootCommand,
  orgCommand,
  inviteCommand,
  userCommand,
  apikeyCommand,
  poolCommand,
  offlineCommand,
  machineCommand,
  sessionCommand,
];

export const createProgram = (): ResultCommand => {
  const program = new ResultCommand('katalon-license-server')
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
  for (const declare of COMMANDS) declare(program);
  return program;
};
