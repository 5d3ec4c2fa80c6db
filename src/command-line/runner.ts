// The one runner of both programs' commands (katalonc and katalon-license-server): a command
// returns a Result; the runner prints it for humans or as JSON and sets the exit code. Failures
// are KatalonErrors (core/errors.ts), rendered here and nowhere else.
import { fail, isKatalonError, type KatalonError } from '../core/errors.ts';
import { errorLabel } from './output.ts';

export interface Result {
  /** What `--json` prints. */
  data?: unknown;
  /** What humans read on stdout, a line each; a function when making them costs (a big table). */
  lines?: readonly string[] | (() => Promise<readonly string[]>);
  /** The process exit code; 0 when absent. */
  exitCode?: number;
}

const write = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

const render = async (result: Result | void, json: boolean): Promise<void> => {
  if (!result) return;
  if (json && result.data !== undefined) write(JSON.stringify(result.data, null, 2));
  else if (!json && result.lines) {
    const lines = typeof result.lines === 'function' ? await result.lines() : result.lines;
    if (lines.length > 0) write(lines.join('\n'));
  }
  process.exitCode = result.exitCode ?? 0;
};

/** Renders any failure and sets the exit code: ours as they are, anything else as an internal error. */
const renderError = (error: unknown, json: boolean): void => {
  const e: KatalonError = isKatalonError(error)
    ? error
    : fail(
        'INTERNAL',
        `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
      );
  if (e.code === 'INTERNAL' && process.env.KATALONC_DEBUG) console.error(error);
  if (json) write(JSON.stringify({ error: { code: e.code, message: e.message } }));
  else process.stderr.write(`${errorLabel()} ${e.message}\n`);
  process.exitCode = e.exitCode;
};

const QUIET_COMMANDER_CODES = new Set([
  'commander.helpDisplayed',
  'commander.version',
  'commander.help',
  'commander.executeSubCommandAsync',
]);

/**
 * commander's own errors (unknown option, bad value) as ours, with exit code 4; null for help and
 * version, which end the program normally. Recognised by their code, so that the runner need not
 * load commander (katalonc's fast path never does).
 */
const fromCommander = (error: unknown, program: string): KatalonError | null => {
  const code = String((error as { code?: unknown } | null)?.code);
  if (QUIET_COMMANDER_CODES.has(code)) return null;
  const message = (error as Error).message.replace(/^error: /, '').replace(/\n[\s\S]*/, '');
  return fail('INVALID_ARGUMENT', `${message} (see "${program} --help")`);
};

/** Runs a command to its end: renders its result or its failure. */
export const run = async (
  command: () => Promise<Result | void>,
  json: boolean,
  program: string,
): Promise<void> => {
  try {
    await render(await command(), json);
  } catch (error) {
    const isCommander = String((error as { code?: unknown } | null)?.code).startsWith('commander.');
    const failure = isCommander ? fromCommander(error, program) : error;
    if (failure) renderError(failure, json);
  }
};
