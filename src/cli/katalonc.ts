// katalonc's entry point. The katalonc-style argv is rewritten first (argv.ts, the one place);
// `--print-machine-id` alone (with its display flags) is answered without loading commander, so the
// command an admin asks for most starts almost as fast as bare Node.js. Everything else goes to
// program.ts, which the build keeps in a bundle of its own (this file stays one small module).
import { rewriteArgv } from './argv.ts';
import { setQuiet } from '../command-line/output.ts';
import { run } from '../command-line/runner.ts';

const MACHINE_ID_FLAGS = new Set([
  '--print-machine-id',
  '--json',
  '--explain',
  '--qr',
  '-q',
  '--quiet',
]);

// `katalonc … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const json = process.argv.includes('--json');
await run(
  async () => {
    const args = rewriteArgv(process.argv.slice(2));
    if (args.includes('--print-machine-id') && args.every((a) => MACHINE_ID_FLAGS.has(a))) {
      setQuiet(args.includes('--quiet') || args.includes('-q') || json);
      const { printMachineId } = await import('./commands/machine-id.ts');
      return printMachineId({
        json,
        explain: args.includes('--explain'),
        qr: args.includes('--qr'),
      });
    }
    const { runProgram } = await import('./program.ts');
    return runProgram(args, json);
  },
  json,
  'katalonc',
);
