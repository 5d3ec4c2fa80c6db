// katalonc's entry point. The command line is read by the katalonc grammar first (the one place,
// core/katalonc/grammar.ts); `--print-machine-id` alone (with its display flags) is answered
// without loading commander, so the command an admin asks for most starts almost as fast as bare
// Node.js. Everything else goes to program.ts, which the build keeps in a bundle of its own.
import { parseLine, swallowedOptions } from '../core/katalonc/grammar.ts';
import { warn } from '../command-line/output.ts';
import { run } from '../command-line/runner.ts';
import { readTextOrFail } from '../platform/errno.ts';
import { watch, WATCHER_ARGUMENT } from '../client/watcher.ts';

const MACHINE_ID_FLAGS = new Set([
  '--print-machine-id',
  '--json',
  '--explain',
  '--qr',
  '-q',
  '--quiet',
]);

// The standalone executable started as its own run's watcher (client/child.ts); harmless by hand:
// it kills only the process group its stdin names, which its user could kill anyway.
const asWatcher = process.argv[2] === WATCHER_ARGUMENT;

// `katalonc … | head` closes stdout early: that is the reader's choice, not an error. (Not the
// watcher's: its katalonc gone, it has a group to kill first.)
if (!asWatcher)
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });

const readProperties = (file: string): string =>
  readTextOrFail(file, 'INVALID_ARGUMENT', {
    what: `the -propertiesFile ${file}`,
    fix: 'check the path',
  });

const json = process.argv.includes('--json');
if (asWatcher) watch();
// Not a top-level await: the standalone executable is a CommonJS bundle.
else
  void run(
    async () => {
      const argv = process.argv.slice(2);
      const first = parseLine(argv);
      const line = first.propertiesFile
        ? parseLine(argv, readProperties(first.propertiesFile))
        : first;
      for (const option of line.unknown)
        warn(
          `${option.split('=')[0]} is not a documented katalonc option: passed to the test engine as it is`,
        );
      for (const option of swallowedOptions(argv))
        warn(
          // Not the value: what it took in may hold a secret (-apiKey=…).
          `${option.split('=')[0]}'s value took in the options after it, up to the next quote: a backslash before a closing quote escapes the quote; end the path without it ("C:\\dir") or double it ("C:\\dir\\\\")`,
        );
      const args = line.gnu;
      if (args.includes('--print-machine-id') && args.every((a) => MACHINE_ID_FLAGS.has(a))) {
        const { printMachineId } = await import('./commands/machine-id.ts');
        return printMachineId({
          json,
          explain: args.includes('--explain'),
          qr: args.includes('--qr'),
          quiet: args.includes('--quiet') || args.includes('-q'),
        });
      }
      const { runProgram } = await import('./program.ts');
      return runProgram(line);
    },
    json,
    'katalonc',
  );
