// Rendering for humans and scripts. Colour only on a TTY and never with NO_COLOR (util.styleText
// checks the stream and NO_COLOR/FORCE_COLOR itself, and costs nothing to load, unlike chalk).
import { styleText } from 'node:util';
import { fail, isKatalonError, type KatalonError } from '../core/errors.ts';

type Style = Parameters<typeof styleText>[0];

// styleText's own stream check costs ~2 ms on first use; a pipe or a CI log without FORCE_COLOR is
// never coloured, so it is skipped there (NO_COLOR and FORCE_COLOR=0 are left to styleText).
const paint = (style: Style, text: string, stream: NodeJS.WriteStream): string =>
  stream.isTTY || process.env.FORCE_COLOR !== undefined
    ? styleText(style, text, { stream, validateStream: true })
    : text;

export const ok = (text: string): string => paint('green', text, process.stdout);
export const dim = (text: string): string => paint('dim', text, process.stdout);
export const bold = (text: string): string => paint('bold', text, process.stdout);
export const bad = (text: string): string => paint('red', text, process.stdout);

export const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

let quiet = false;
export const setQuiet = (value: boolean): void => {
  quiet = value;
};

/** Progress lines (katalonc's "Start activating offline..."): stderr, so stdout stays the command's. */
export const progress = (text: string): void => {
  if (!quiet) process.stderr.write(`${text}\n`);
};

export const warn = (text: string): void => {
  process.stderr.write(`${paint('yellow', 'warning:', process.stderr)} ${text}\n`);
};

export const renderError = (error: KatalonError, json: boolean): void => {
  if (json)
    process.stdout.write(
      `${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`,
    );
  else process.stderr.write(`${paint('red', 'error:', process.stderr)} ${error.message}\n`);
};

/** Renders any failure and sets the exit code: ours as they are, anything else as an internal error. */
export const reportError = (error: unknown, json: boolean): void => {
  const e: KatalonError = isKatalonError(error)
    ? error
    : fail('INTERNAL', `unexpected failure: ${(error as Error)?.message ?? String(error)}`);
  if (e.code === 'INTERNAL' && process.env.KATALONC_DEBUG) console.error(error);
  renderError(e, json);
  process.exitCode = e.exitCode;
};
