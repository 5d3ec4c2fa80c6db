// katalonc's entry point. The katalonc-style argv is rewritten first (argv.ts, the one place);
// `--print-machine-id` alone (with its display flags) is answered without loading commander, so the
// command an admin asks for most starts almost as fast as bare Node.js. Everything else goes to program.ts.
import { fail, isKatalonError, type KatalonError } from '../core/errors.ts';
import { rewriteArgv } from './argv.ts';
import { renderError, setQuiet } from './output.ts';

const MACHINE_ID_FLAGS = new Set(['--print-machine-id', '--json', '--explain', '--qr', '-q', '--quiet']);

// `katalonc … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const main = async (): Promise<void> => {
  const json = process.argv.includes('--json');
  try {
    const args = rewriteArgv(process.argv.slice(2));
    setQuiet(args.includes('--quiet') || args.includes('-q') || json);
    if (args.includes('--print-machine-id') && args.every((a) => MACHINE_ID_FLAGS.has(a))) {
      const { printMachineId } = await import('./commands/machine-id.ts');
      return await printMachineId({ json, explain: args.includes('--explain'), qr: args.includes('--qr') });
    }
    const { parse, isHelpOrVersion, toKatalonError } = await import('./program.ts');
    try {
      await parse(args);
    } catch (error) {
      if (!isHelpOrVersion(error)) throw toKatalonError(error);
    }
  } catch (error) {
    const e: KatalonError = isKatalonError(error) ? error : fail('INTERNAL', `unexpected failure: ${(error as Error)?.message ?? String(error)}`);
    if (e.code === 'INTERNAL' && process.env.KATALONC_DEBUG) console.error(error);
    renderError(e, json);
    process.exitCode = e.exitCode;
  }
};

void main();
