// The katalonc command line, as Katalon documents it, split into what katalonc acts on and what
// the test engine gets. Pure: tokens in, tokens out; the one place katalonc-style options are read.
//
//   katalonc -noSplash -runMode=console -apiKey=K -orgID=1 --config -proxy.auth.option=NO_PROXY …
//
// - Licensing options are checked here (with the spelling the user typed) and rewritten into the
//   GNU options commander parses: -apiKey=K → --api-key=K, -licenseRelease=true → --license-release.
// - Runner options (and options nobody documents) go to the engine unchanged, in their order, with
//   the --config / --info marker of their section. Options that are both (-testOps.serverUrl,
//   -propertiesFile) are read as licensing options and go to the engine as well.
// - Everything else (katalonc's own GNU options, subcommands, `--` and the command after it) is
//   commander's.
import { fail } from '../errors.ts';
import { COMMANDS, findOption, type OptionSpec } from './options.ts';

export interface ParsedLine {
  /** For commander: katalonc's own options and commands, and the licensing options in GNU form. */
  gnu: string[];
  /** For the test engine: runner options as typed, in order, with their section markers. */
  runner: string[];
  /** Options that no documentation names, and stray words, as typed (they are in `runner` too). */
  unknown: string[];
  /** How the user spelled each licensing option, by its GNU name (for messages). */
  spelled: Record<string, string>;
  /** -propertiesFile=FILE, if given: options to read, with less weight than the command line. */
  propertiesFile?: string;
}

const SECTIONS = new Set(['--config', '--info']);
const SECRET = new Set(['--api-key', '--proxy-password']);
const BOOLEAN = /^(true|false)$/i;

/** The katalonc-style option a token spells, if it is one (one dash, or two with a documented name). */
const optionOf = (token: string): { name: string; value?: string } | null => {
  const body = token.startsWith('--')
    ? token.slice(2)
    : token.startsWith('-')
      ? token.slice(1)
      : null;
  if (body === null || body.length < 2) return null;
  const eq = body.indexOf('=');
  const name = eq === -1 ? body : body.slice(0, eq);
  if (token.startsWith('--') && !findOption(name)) return null; // GNU: commander's
  return eq === -1 ? { name } : { name, value: body.slice(eq + 1) };
};

const flagValue = (typed: string, value: string | undefined): boolean => {
  if (value === undefined) return true;
  if (!BOOLEAN.test(value))
    throw fail('INVALID_ARGUMENT', `${typed} takes true or false (or nothing), not "${value}"`);
  return value.toLowerCase() === 'true';
};

/** The GNU tokens of one licensing option, checked; `next` is the token after it, if any. */
const licensingTokens = (
  spec: OptionSpec,
  typed: string,
  value: string | undefined,
  next: string | undefined,
): string[] => {
  const gnu = spec.gnu!;
  if (spec.shape === 'flag') return [flagValue(typed, value) ? gnu : `--no-${gnu.slice(2)}`];
  if (value === undefined)
    throw fail('INVALID_ARGUMENT', `${typed} needs a value: write ${typed}=VALUE (no space)`);
  if (value === '') {
    const stray =
      next !== undefined && !next.startsWith('-')
        ? SECRET.has(gnu)
          ? ', and a stray argument follows it (not shown: it may be the secret itself)'
          : `, and a stray argument "${next}" follows it`
        : '';
    // Nothing follows: most often a variable that is not set (-apiKey=%KATALON_API_KEY% in a
    // batch file, $KATALON_API_KEY in sh) became nothing.
    throw fail(
      'INVALID_ARGUMENT',
      stray
        ? `${typed}= has an empty value${stray}: write ${typed}=VALUE with no space after "="`
        : `${typed}= has an empty value: a variable written there (%NAME% in cmd.exe, $NAME in sh) is not set where katalonc runs; set it, or write ${typed}=VALUE`,
    );
  }
  return [`${gnu}=${value}`];
};

export const parseLine = (args: readonly string[], propertiesText?: string): ParsedLine => {
  const line: ParsedLine = { gnu: [], runner: [], unknown: [], spelled: {} };
  const forms = new Map<string, string>(); // proxy generation → the first option typed in it
  let section: string | null = null;
  let sectionShown = false;
  let ownCommand = false; // a katalonc command word was seen: every later word is its argument
  // Words in a Katalon line that nobody documents (a broken quote), where they went in both lists.
  const strays: { token: string; gnuAt: number; runnerAt: number }[] = [];
  let runnerOptions = 0;

  const take = (tokens: readonly string[], fromFile: boolean) => {
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      if (token === '--') {
        line.gnu.push(...tokens.slice(i));
        return;
      }
      if (SECTIONS.has(token)) {
        section = token;
        sectionShown = false;
        continue;
      }
      const option = optionOf(token);
      if (!option) {
        const word = !token.startsWith('-');
        const value =
          /^--[a-z-]+$/.test(line.gnu.at(-1) ?? '') && tokens[i - 1] === line.gnu.at(-1);
        if (word && COMMANDS.has(token)) ownCommand = true;
        if (word && !ownCommand && !value && !fromFile) {
          strays.push({ token, gnuAt: line.gnu.length, runnerAt: line.runner.length });
          line.runner.push(token);
        }
        line.gnu.push(token);
        continue;
      }
      const typed = `${token.startsWith('--') ? '--' : '-'}${option.name}`;
      const spec = findOption(option.name);
      if (spec && spec.role !== 'runner') {
        if (spec.proxyForm) {
          forms.set(spec.proxyForm, forms.get(spec.proxyForm) ?? typed);
          if (forms.size > 1)
            throw fail(
              'INVALID_ARGUMENT',
              `${forms.get('pre-7.5')} (the proxy options before Katalon 7.5) and ${forms.get('7.5+')} (7.5 and later) are mixed in one command line: use one form, preferably -proxy.auth.*`,
            );
        }
        if (spec.name === 'propertiesFile') {
          if (!option.value)
            throw fail('INVALID_ARGUMENT', `${typed} needs a file: write ${typed}=FILE`);
          if (!fromFile) line.propertiesFile = option.value;
        } else {
          line.gnu.push(...licensingTokens(spec, typed, option.value, tokens[i + 1]));
          if (!fromFile) line.spelled[spec.gnu!] = typed;
        }
        if (spec.role === 'licensing') continue;
      }
      if (fromFile) continue; // the engine reads the file itself
      if (!spec) line.unknown.push(token);
      if (section && !sectionShown) {
        line.runner.push(section);
        sectionShown = true;
      }
      line.runner.push(token);
      runnerOptions++;
    }
  };

  // The properties file first: whatever the command line says comes later and wins.
  if (propertiesText !== undefined) take(propertiesTokens(propertiesText), true);
  take(args, false);
  // Stray words go with a Katalon line to its engine (as Katalon ignores them); without runner
  // options they are katalonc's (and an unknown command is an error there).
  if (strays.length > 0) {
    const drop = (list: string[], at: Set<number>) => list.filter((_, i) => !at.has(i));
    if (runnerOptions > 0) {
      line.gnu = drop(line.gnu, new Set(strays.map((w) => w.gnuAt)));
      line.unknown.push(...strays.map((w) => w.token));
    } else line.runner = drop(line.runner, new Set(strays.map((w) => w.runnerAt)));
  }
  return line;
};

/**
 * Options whose value swallowed the options after it through a quote taken as a character:
 * `-reportFolder="C:\\Reports\\" -retry=0`, where a backslash before the closing quote escapes it
 * (Windows' command-line rules, and sh's inside double quotes), arrives as one argument
 * `-reportFolder=C:\\Reports" -retry=0`. Katalon's runner is handed it the same way; katalonc
 * passes it on too, but says so.
 */
export const swallowedOptions = (args: readonly string[]): string[] =>
  args.filter((arg) => /^-[^=\s]+=[^"]*"\s+-/.test(arg));

/** The entries of a Java-style properties file (`name=value` or `name: value` lines, # or ! comments). */
export const propertyEntries = (text: string): { name: string; value?: string }[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((l) => {
      const m = /^-?([^=:\s]+)\s*[=:]\s*(.*)$/.exec(l);
      return m
        ? { name: m[1], value: m[2].replace(/^"(.*)"$/, '$1') }
        : { name: l.replace(/^-/, '') };
    });

/** A properties file as katalonc-style tokens (`-name=value`, or `-name` for a bare flag). */
export const propertiesTokens = (text: string): string[] =>
  propertyEntries(text).map((e) =>
    e.value === undefined ? `-${e.name}` : `-${e.name}=${e.value}`,
  );
