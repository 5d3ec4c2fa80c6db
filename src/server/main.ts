// katalon-license-server: `start` runs the HTTP server; every other subcommand is an admin
// operation on the data dir (the same service as the admin API), each with --json. The commands are
// in cli/; the shared runner renders what they return (command-line/runner.ts).
import { run } from '../command-line/runner.ts';
import { createProgram } from './cli/program.ts';

await run(
  () => createProgram().execute(process.argv, 'node'),
  process.argv.includes('--json'),
  'katalon-license-server',
);
