// The katalonc grammar (core/katalonc/grammar.ts): licensing options to GNU form, runner options to
// the engine as typed and in order, unknown options passed on, errors in the user's spelling.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseLine, propertiesTokens, swallowedOptions } from '../../src/core/katalonc/grammar.ts';
import { OPTIONS, findOption } from '../../src/core/katalonc/options.ts';
import type { KatalonError } from '../../src/core/errors.ts';
import { VERSION } from '../../src/version.ts';
import pkg from '../../package.json' with { type: 'json' };

const gnu = (args: string[]) => parseLine(args).gnu;
const error = (args: string[]): KatalonError => {
  try {
    parseLine(args);
  } catch (e) {
    return e as KatalonError;
  }
  throw new Error(`no error for ${args.join(' ')}`);
};

describe('katalonc grammar: licensing options', () => {
  it('maps every katalonc spelling to its GNU option', () => {
    expect(
      gnu([
        '-apiKey=K',
        '-apikey=K2',
        '-orgID=42',
        '-orgId=43',
        '-serverUrl=https://x',
        '-serverURL=https://y',
        '-testOps.serverUrl=https://t',
        '-licenseRelease',
        '-enableLicenseRetry',
        '-licenseRetryMaxDuration=20',
        '-licenseRetryInterval=5',
        '-licenseRetryMaxJitter=2',
        '-licenseDir=/tmp/l',
        '-caFile=ca.pem',
      ]),
    ).toEqual([
      '--api-key=K',
      '--api-key=K2',
      '--org-id=42',
      '--org-id=43',
      '--server-url=https://x',
      '--server-url=https://y',
      '--testops-server-url=https://t',
      '--license-release',
      '--enable-license-retry',
      '--license-retry-max-duration=20',
      '--license-retry-interval=5',
      '--license-retry-max-jitter=2',
      '--license-dir=/tmp/l',
      '--ca-file=ca.pem',
    ]);
  });

  it('booleans bare, =true or =false (any case); anything else is refused naming the option', () => {
    expect(gnu(['-licenseRelease=true', '-enableLicenseRetry=FALSE'])).toEqual([
      '--license-release',
      '--no-enable-license-retry',
    ]);
    expect(gnu(['--licenseRelease=true'])).toEqual(['--license-release']); // seen in real CI lines
    expect(error(['-enableLicenseRetry=yes']).message).toMatch(
      /^-enableLicenseRetry takes true or false/,
    );
  });

  it('--config is consumed; the proxy settings after it are the license connection', () => {
    const line = parseLine([
      '--config',
      '-proxy.auth.option=MANUAL_CONFIG',
      '-proxy.auth.server.type=HTTP',
      '-proxy.auth.server.address=proxy.corp',
      '-proxy.auth.server.port=3128',
      '-proxy.auth.excludes=localhost',
      '-proxy.auth.username=u',
      '-proxy.auth.password=p',
    ]);
    expect(line.gnu).toEqual([
      '--proxy-option=MANUAL_CONFIG',
      '--proxy-type=HTTP',
      '--proxy-address=proxy.corp',
      '--proxy-port=3128',
      '--proxy-excludes=localhost',
      '--proxy-username=u',
      '--proxy-password=p',
    ]);
    expect(line.runner).toEqual([]);
  });

  it('the pre-7.5 proxy forms work; mixed with the new ones they are refused with exit 4', () => {
    expect(gnu(['--config', '-proxy.option=MANUAL_CONFIG', '-proxy.server.port=8888'])).toEqual([
      '--proxy-option=MANUAL_CONFIG',
      '--proxy-port=8888',
    ]);
    const e = error(['-proxy.option=NO_PROXY', '-proxy.auth.server.port=1']);
    expect(e.exitCode).toBe(4);
    expect(e.message).toMatch(/-proxy\.option .* and -proxy\.auth\.server\.port .* are mixed/);
  });

  it('a value option without a value, or with an empty one and a stray token, names the option', () => {
    expect(error(['-apiKey', '-orgID=1']).message).toMatch(/^-apiKey needs a value/);
    const stray = error(['-apiKey=', 'abc-secret', '-orgID=1']);
    expect(stray.message).toMatch(/^-apiKey= has an empty value, and a stray argument follows/);
    expect(stray.message).not.toContain('abc-secret');
    expect(error(['-orgID=', 'x']).message).toMatch(/stray argument "x"/);
    // `-apiKey=%KATALON_API_KEY%` in a batch file (or $KATALON_API_KEY in sh) with the variable unset.
    expect(error(['-apiKey=', '-orgID=1']).message).toBe(
      '-apiKey= has an empty value: a variable written there (%NAME% in cmd.exe, $NAME in sh) is not set where katalonc runs; set it, or write -apiKey=VALUE',
    );
  });

  it('an option whose value took in the options after it (a backslash before its closing quote) is found', () => {
    // cmd.exe's -reportFolder="C:\Reports dir\" -projectPath="C:\p x\a.prj", as the C runtime splits it.
    const argv = [
      '-runMode=console',
      '-reportFolder=C:\\Reports dir" -projectPath=C:\\p',
      'x\\a.prj',
    ];
    expect(swallowedOptions(argv)).toEqual([argv[1]]);
    expect(
      swallowedOptions(['-g_text=say "hi"', '-browserType=Chrome (headless)', '-x="a" b']),
    ).toEqual([]);
  });

  it('keeps values containing "=" intact', () => {
    expect(gnu(['-apiKey=a=b=='])).toEqual(['--api-key=a=b==']);
  });

  it('accepts every documented licensing name in any case', () => {
    for (const spec of OPTIONS.filter((o) => o.role !== 'runner' && o.name !== 'propertiesFile')) {
      const value = spec.shape === 'flag' ? '' : '=1';
      const mixed = spec.name.toUpperCase();
      expect(gnu([`-${mixed}${value}`])[0]).toBe(`${spec.gnu}${value}`);
    }
  });
});

describe('katalonc grammar: runner options', () => {
  const docsLine = [
    '-noSplash',
    '-runMode=console',
    '-consoleLog',
    '-noExit',
    '-projectPath=C:\\Users\\Katalon Studio\\Project\\YourProject.prj',
    '-retry=0',
    '-testSuitePath=Test Suites/TS_RegressionTest',
    '-browserType=Chrome (headless)',
    '-apiKey=abczxzxz',
    '-orgID=123xx',
  ];

  it("the seeds' line: runner options as typed and in order, licensing ones out", () => {
    const line = parseLine(docsLine);
    expect(line.runner).toEqual(docsLine.filter((t) => !/^-(apiKey|orgID)=/.test(t)));
    expect(line.gnu).toEqual(['--api-key=abczxzxz', '--org-id=123xx']);
    expect(line.unknown).toEqual([]);
  });

  it('keeps the --config / --info marker before the runner options of its section', () => {
    const line = parseLine([
      '-retry=0',
      '--config',
      '-proxy.auth.option=NO_PROXY',
      '-proxy.system.option=NO_PROXY',
      '-proxy.system.applyToDesiredCapabilities=true',
      '-webui.autoUpdateDrivers=true',
      '--info',
      '-buildLabel=b1',
    ]);
    expect(line.runner).toEqual([
      '-retry=0',
      '--config',
      '-proxy.system.option=NO_PROXY',
      '-proxy.system.applyToDesiredCapabilities=true',
      '-webui.autoUpdateDrivers=true',
      '--info',
      '-buildLabel=b1',
    ]);
    expect(line.gnu).toEqual(['--proxy-option=NO_PROXY']);
  });

  it('an option that is both (-testOps.serverUrl): katalonc reads it, and the engine gets it as typed', () => {
    const line = parseLine([
      '-serverUrl=https://admin.example.com',
      '-testOps.serverUrl=https://testops.example.com',
      '-noSplash',
      '--config',
      '-TESTOPS.SERVERURL=https://t2',
    ]);
    expect(line.gnu).toEqual([
      '--server-url=https://admin.example.com',
      '--testops-server-url=https://testops.example.com',
      '--testops-server-url=https://t2',
    ]);
    expect(line.runner).toEqual([
      '-testOps.serverUrl=https://testops.example.com',
      '-noSplash',
      '--config',
      '-TESTOPS.SERVERURL=https://t2',
    ]);
    expect(line.unknown).toEqual([]);
    // Every such option in the table.
    for (const spec of OPTIONS.filter((o) => o.role === 'both'))
      expect(parseLine([`-${spec.name}=x`]).runner).toEqual([`-${spec.name}=x`]);
  });

  it('an option nobody documents is passed to the engine and reported, never refused', () => {
    const line = parseLine(['-sendEmail=a@b.c', '-g_user=admin', '-testOpsProjectId=7']);
    expect(line.runner).toEqual(['-sendEmail=a@b.c', '-g_user=admin', '-testOpsProjectId=7']);
    expect(line.unknown).toEqual(['-sendEmail=a@b.c']);
    expect(findOption('g_anything')?.role).toBe('runner');
  });

  it('leaves GNU options, short options, operands and everything after -- alone', () => {
    expect(gnu(['--api-key', 'K', '-q', 'run', '--', '-apiKey=not-ours', '-x'])).toEqual([
      '--api-key',
      'K',
      '-q',
      'run',
      '--',
      '-apiKey=not-ours',
      '-x',
    ]);
  });

  it('never changes tokens after -- (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.array(fc.string()), (before, after) => {
        const safe = before.filter((t) => !t.startsWith('-'));
        expect(gnu([...safe, '--', ...after])).toEqual([...safe, '--', ...after]);
      }),
    );
  });

  it('any interleaving of licensing and runner options gives the same licensing and engine argv (property)', () => {
    const licensing = ['-apiKey=K', '-orgID=7', '-licenseRelease=true', '-licenseRetryInterval=4'];
    const runnerOpts = [
      '-noSplash',
      '-runMode=console',
      '-retry=0',
      '-browserType=Chrome (headless)',
      '-g_x=1',
    ];
    const reference = parseLine([...licensing, ...runnerOpts]);
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), {
          minLength: licensing.length + runnerOpts.length,
          maxLength: licensing.length + runnerOpts.length,
        }),
        (picks) => {
          // A random merge that keeps each list's own order.
          const l = [...licensing];
          const r = [...runnerOpts];
          const merged = picks.map((p) => ((p && l.length) || !r.length ? l.shift()! : r.shift()!));
          const line = parseLine(merged);
          expect(line.gnu).toEqual(reference.gnu);
          expect(line.runner).toEqual(reference.runner);
        },
      ),
    );
  });
});

describe('-propertiesFile', () => {
  it('reads options from the file; the command line wins; the engine gets the option itself', () => {
    const text = '# CI defaults\napiKey=from-file\norgID = 5\nprojectPath=/p/x.prj\n';
    const line = parseLine(['-propertiesFile=ci.properties', '-orgID=9'], text);
    // File first, command line after: commander keeps the last value.
    expect(line.gnu).toEqual(['--api-key=from-file', '--org-id=5', '--org-id=9']);
    expect(line.runner).toEqual(['-propertiesFile=ci.properties']);
    expect(line.propertiesFile).toBe('ci.properties');
  });

  it('parses Java-style properties', () => {
    expect(propertiesTokens('a=1\n! bang\n-b: two words\n\nc="q"\r\n')).toEqual([
      '-a=1',
      '-b=two words',
      '-c=q',
    ]);
  });
});

it("the built-in version is package.json's", () => {
  expect(VERSION).toBe(pkg.version);
});

describe('stray words', () => {
  it('go to the engine with a Katalon line, by position: a command after -- with the same text stays', () => {
    const line = parseLine(['-execution', 'Profile=default', '-retry=0', '--', 'Profile=default']);
    expect(line.runner).toEqual(['-execution', 'Profile=default', '-retry=0']);
    expect(line.gnu).toEqual(['--', 'Profile=default']);
    expect(line.unknown).toEqual(['-execution', 'Profile=default']);
  });

  it("without runner options they are katalonc's (an unknown command there)", () => {
    expect(parseLine(['frobnicate'])).toMatchObject({ gnu: ['frobnicate'], runner: [] });
  });
});
