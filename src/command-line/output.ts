// Styling and the side channels of both programs' command lines. Colour only on a TTY and never
// with NO_COLOR (util.styleText checks the stream and NO_COLOR/FORCE_COLOR itself, and costs
// nothing to load, unlike chalk). Results go to stdout through runner.ts; progress lines and
// warnings go to stderr, so stdout stays the command's.
import { styleText } from 'node:util';

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
export const errorLabel = (): string => paint('red', 'error:', process.stderr);

/**
 * Where a command's progress lines go (katalonc's "Start activating offline..."): stderr, or
 * nowhere with -q or --json. Each command asks with its own options: no state is shared.
 */
export const progressLines =
  (quiet: boolean) =>
  (text: string): void => {
    if (!quiet) process.stderr.write(`${text}\n`);
  };

export const warn = (text: string): void => {
  process.stderr.write(`${paint('yellow', 'warning:', process.stderr)} ${text}\n`);
};
