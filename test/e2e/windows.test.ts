// The Windows lane: the npm katalonc on Node.js for Windows, and the Windows executable, under Wine
// (see scripts/harness/wine.ts). Machine IDs, offline and online runs, exit codes, paths with spaces and
// %USERPROFILE%\.katalon\license; one license one run, and a run that dies whole with katalonc; a
// Jenkins `bat` step's Katalon line through cmd.exe, and the proxy options (Internet Options too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir, waitFor, type Result } from '../helpers/cli.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';
import { requireAll, startProxy } from '../helpers/network.ts';
import { adminApi, seedOrg, startServer, type TestServer } from '../helpers/server.ts';
import {
  processesStarting,
  winePrefix,
  wineInstalled,
  wineSkipped,
  windowsPath,
  type WinePrefix,
} from '../../scripts/harness/wine.ts';

const issuer = testIssuer();
const windowsExe = windowsPath(join(ROOT, 'build', 'katalonc-win-x64.exe'));
let wine: WinePrefix;
let machineId: string;

/** The grandchild's argv as Linux shows it (cmd.exe's own contains it, but not first). */
const pingOf = (marker: string) => `ping\0-w\0${marker}\0`;
/** A command whose grandchild (cmd → ping) runs ~`seconds` s and is found by its marker. */
const withGrandchild = (seconds: number) => {
  const marker = String(randomInt(10_000, 99_999));
  return {
    marker,
    command: ['cmd', '/c', `ping -w ${marker} -n ${seconds + 1} 127.0.0.1 > NUL`],
  };
};

/** A license for this prefix's machine, in `folder` (a Unix path). */
const licenseIn = (folder: string): void => {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `KRE_${machineId}.lic`), makeLicense(issuer, { machineId }));
};

/** Waits for `check`; fails at once, with katalonc's output, if katalonc ends first. */
const whileRunning = (
  run: { result: Promise<Result> },
  check: () => boolean,
  what: string,
): Promise<void> =>
  Promise.race([
    waitFor(check, 30_000, what),
    run.result.then((r) => {
      throw new Error(`katalonc ended before ${what}: ${JSON.stringify(r)}`);
    }),
  ]);

/** `katalonc run [options] -licenseDir=<folder> -- command`, by the npm katalonc or `program`. */
const runArgs = (folder: string, command: string[], options: string[] = [], program?: string[]) => [
  ...(program ?? wine.katalonc),
  'run',
  ...options,
  `-licenseDir=${windowsPath(folder)}`,
  '--',
  ...command,
];

/** Starts a run that holds a license until its grandchild ends; resolves once it holds it. */
const holding = async (licenseDir: string, seconds: number, env?: Record<string, string>) => {
  const { marker, command } = withGrandchild(seconds);
  const run = wine.start(runArgs(licenseDir, command), env);
  await whileRunning(run, () => processesStarting(pingOf(marker)).length > 0, 'the grandchild');
  expect(run.progress()).toContain('Holding offline license');
  return { run, marker };
};

const gone = (marker: string) =>
  waitFor(() => processesStarting(pingOf(marker)).length === 0, 10_000, `no process ${marker}`);

describe.skipIf(!wineInstalled && !requireAll)(`katalonc on Windows (Wine)${wineSkipped}`, () => {
  beforeAll(async () => {
    wine = winePrefix();
    const id = await wine.run([...wine.katalonc, '--print-machine-id']);
    expect(id.code, id.stderr).toBe(0);
    machineId = id.stdout.trim();
  });
  afterAll(() => wine?.close());

  it('machine ID: MachineGuid through reg.exe, stable, another per Windows installation; the executable gives the same', async () => {
    const again = await wine.run([...wine.katalonc, '--print-machine-id', '--json']);
    const report = JSON.parse(again.stdout);
    expect(report.machineId).toBe(machineId);
    expect(report.sources[0]).toMatchObject({
      name: 'HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid (reg.exe)',
      used: true,
    });
    const exe = await wine.run([windowsExe, '--print-machine-id']);
    expect(exe.stdout.trim()).toBe(machineId);
    const other = winePrefix();
    try {
      const theirs = await other.run([...other.katalonc, '--print-machine-id']);
      expect(theirs.code).toBe(0);
      expect(theirs.stdout.trim()).not.toBe(machineId);
    } finally {
      other.close();
    }
  });

  it('offline: a license in %USERPROFILE%\\.katalon\\license, a run with the exit code passed through', async () => {
    licenseIn(join(wine.profile, '.katalon', 'license'));
    const list = await wine.run([...wine.katalonc, 'license', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ valid: 1 });
    const run = await wine.run([...wine.katalonc, 'run', '--', 'cmd', '/c', 'echo held& exit 3']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout.trim()).toBe('held');
    expect(run.stderr).toContain(
      `Search for valid offline licenses in folder: C:\\users\\${wine.profile.split('/').pop()}\\.katalon\\license`,
    );
    const none = await wine.run([...wine.katalonc, 'run', '--', 'no-such-command']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('cannot run "no-such-command": no such command');
  });

  it('the Windows executable runs offline too, from a folder with spaces', async () => {
    const folder = join(tempDir(), 'license dir');
    licenseIn(folder);
    const run = await wine.run(runArgs(folder, ['cmd', '/c', 'exit 4'], [], [windowsExe]));
    expect(run.code, run.stderr).toBe(4);
  });

  it('a Jenkins `bat` step: a Katalon line with ^ continuations, %KATALON_API_KEY%, paths with spaces, an engine.cmd found on PATH as cmd.exe finds it, %ERRORLEVEL%', async () => {
    const folder = join(tempDir(), 'bat step licenses');
    licenseIn(folder);
    const tools = join(wine.drive, 'CI tools');
    mkdirSync(tools, { recursive: true });
    writeFileSync(
      join(tools, 'kre-engine.cmd'),
      '@echo engine got %*\r\n@echo key=%KATALON_API_KEY%\r\n@exit /b 3\r\n',
    );
    const line = (katalonc: string) =>
      `${katalonc} -noSplash -runMode=console -consoleLog -noExit ^\r\n` +
      ` -projectPath="C:\\Users\\Katalon Studio\\Project\\YourProject.prj" -retry=0 ^\r\n` +
      ` -testSuitePath="Test Suites/TS_RegressionTest" -browserType="Chrome (headless)" -apiKey=%KATALON_API_KEY% -orgID=1 -- kre-engine\r\n` +
      'echo ERRORLEVEL=%ERRORLEVEL%\r\n';
    writeFileSync(
      join(wine.drive, 'step.bat'),
      '@echo off\r\nset "PATH=C:\\CI tools;%PATH%"\r\nset KATALON_API_KEY=kls_from_credentials\r\n' +
        line(wine.katalonc.map((part) => `"${part}"`).join(' ')) +
        line(`"${windowsExe}"`) +
        // A trailing backslash escapes the closing quote (the C runtime's rule, so Katalon's too).
        'set "KATALONC_ENGINE=C:\\CI tools\\kre-engine.cmd"\r\n' +
        `"${windowsExe}" -runMode=console -reportFolder="C:\\Reports dir\\" -retry=0\r\n` +
        'echo ERRORLEVEL=%ERRORLEVEL%\r\n',
    );
    const step = await wine.run(['cmd', '/c', 'C:\\step.bat'], {
      KATALON_LICENSE_DIR: windowsPath(folder),
    });
    const runs = step.stdout.split('ERRORLEVEL=');
    expect(runs, step.stderr).toHaveLength(4);
    for (const output of runs.slice(0, 2))
      expect(output).toContain(
        'engine got -noSplash -runMode=console -consoleLog -noExit "-projectPath=C:\\Users\\Katalon Studio\\Project\\YourProject.prj" -retry=0 "-testSuitePath=Test Suites/TS_RegressionTest" "-browserType=Chrome (headless)"\r\nkey=kls_from_credentials',
      );
    expect(runs.slice(1).map((r) => r.trim().slice(0, 1))).toEqual(['3', '3', '3']);
    // The engine gets the one argument the runner got, and katalonc says why it looks so.
    expect(runs[2]).toContain(
      'engine got -runMode=console "-reportFolder=C:\\Reports dir\\" -retry=0"',
    );
    expect(step.stderr).toContain(
      "-reportFolder's value took in the options after it, up to the next quote: a backslash before a closing quote escapes the quote",
    );
  });

  it('a bat step whose API key variable is not set: -apiKey=%KATALON_API_KEY% (empty in a batch file, as written in cmd /c) and a $KATALON_API_KEY copied from sh each say so', async () => {
    const none = windowsPath(tempDir());
    const katalonc = `${wine.katalonc.map((part) => `"${part}"`).join(' ')} -orgID=1 -serverUrl=http://127.0.0.1:9 -licenseDir="${none}"`;
    writeFileSync(
      join(wine.drive, 'unset.bat'),
      [
        '@echo off',
        'set KATALON_API_KEY=',
        `${katalonc} -apiKey=%KATALON_API_KEY% -- cmd /c exit 0`,
        'echo ERRORLEVEL=%ERRORLEVEL%',
        `cmd /c "${katalonc} -apiKey=%%KATALON_API_KEY%% -- cmd /c exit 0"`,
        'echo ERRORLEVEL=%ERRORLEVEL%',
        `${katalonc} -apiKey=$KATALON_API_KEY -- cmd /c exit 0`,
        'echo ERRORLEVEL=%ERRORLEVEL%',
        '',
      ].join('\r\n'),
    );
    const step = await wine.run(['cmd', '/c', 'C:\\unset.bat']);
    expect(step.stdout.trim().split(/\s+/)).toEqual([
      'ERRORLEVEL=4',
      'ERRORLEVEL=8',
      'ERRORLEVEL=8',
    ]);
    expect(step.stderr).toContain(
      '-apiKey= has an empty value: a variable written there (%NAME% in cmd.exe, $NAME in sh) is not set where katalonc runs',
    );
    expect(step.stderr).toContain(
      "the API key is %KATALON_API_KEY%, a variable's name, not its value",
    );
    expect(step.stderr).toContain(
      "the API key is $KATALON_API_KEY, a variable's name, not its value",
    );
  });

  it('one license, one run: a second run is refused while the first holds it, even with another KATALONC_HOME', async () => {
    const folder = join(tempDir(), 'one license');
    licenseIn(folder);
    const { run, marker } = await holding(folder, 20);
    const second = await wine.run(
      runArgs(folder, ['cmd', '/c', 'exit 0'], ['-enableLicenseRetry=false']),
      { KATALONC_HOME: windowsPath(tempDir()), USERNAME: 'someone-else' },
    );
    expect(second.code, second.stderr).toBe(6);
    expect(second.stderr).toMatch(/in use/);
    run.kill('SIGKILL');
    await gone(marker);
  });

  it("kill -9 of katalonc ends its command's whole tree (the grandchild too), and then the license is free", async () => {
    const folder = join(tempDir(), 'killed run');
    licenseIn(folder);
    const { run, marker } = await holding(folder, 60);
    run.kill('SIGKILL');
    await gone(marker);
    const next = await wine.run(runArgs(folder, ['cmd', '/c', 'exit 0']));
    expect(next.code, next.stderr).toBe(0);
  });

  it('Ctrl-C (SIGINT, which Wine delivers as a console Ctrl-C) stops the whole tree; exit 130', async () => {
    const folder = join(tempDir(), 'interrupted run');
    licenseIn(folder);
    const { run, marker } = await holding(folder, 60);
    run.kill('SIGINT');
    expect((await run.result).code).toBe(130);
    await gone(marker);
  });

  describe('online', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ args: ['--lease-seconds', '3'] });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('a run against the Linux server: heartbeats keep the session past its lease, it is released at the end', async () => {
      const { org, apiKey } = await seedOrg(server.url, { quota: 1 });
      const sessions = async () =>
        (await adminApi(server.url, 'GET', `/orgs/${org}/pools/KRE`)).body.onlineSessions.length;
      // An empty license folder: the offline license of an earlier test must not be used first.
      const run = wine.start(
        runArgs(
          tempDir(),
          ['cmd', '/c', 'ping -n 8 127.0.0.1 > NUL & exit 5'],
          [`-orgID=${org}`, `-serverUrl=${server.url}`],
        ),
        { KATALON_API_KEY: apiKey, KATALONC_HOME: windowsPath(tempDir()) },
      );
      await whileRunning(run, () => run.progress().includes('Holding online session'), 'a session');
      // Past the 3 s lease: only heartbeats keep it.
      await new Promise((r) => setTimeout(r, 5000));
      expect(await sessions()).toBe(1);
      const r = await run.result;
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain('Start activating online...');
      expect(await sessions()).toBe(0);
    });

    it("the proxy options: MANUAL_CONFIG with credentials, and USE_SYSTEM as Internet Options set it (Katalon's Java reads that on Windows)", async () => {
      const { org, apiKey } = await seedOrg(server.url, { quota: 1 });
      const manual = await startProxy({ user: 'ci', password: 'p@ss word' });
      const system = await startProxy();
      const settings = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
      try {
        const online = (proxy: string[]) =>
          wine.run(
            [
              ...runArgs(
                tempDir(),
                ['cmd', '/c', 'exit 0'],
                [`-orgID=${org}`, `-serverUrl=${server.url}`, '--config', ...proxy],
              ),
            ],
            { KATALON_API_KEY: apiKey, KATALONC_HOME: windowsPath(tempDir()) },
          );
        const viaManual = await online([
          '-proxy.auth.option=MANUAL_CONFIG',
          '-proxy.auth.server.type=HTTP',
          '-proxy.auth.server.address=127.0.0.1',
          `-proxy.auth.server.port=${manual.port}`,
          '-proxy.auth.username=ci',
          '-proxy.auth.password=p@ss word',
        ]);
        expect(viaManual.code, viaManual.stderr).toBe(0);
        expect(manual.log()).toContain(`POST ${server.url}/v1/sessions`);
        for (const [name, type, data] of [
          ['ProxyEnable', 'REG_DWORD', '1'],
          ['ProxyServer', 'REG_SZ', `127.0.0.1:${system.port}`],
        ])
          await wine.run(['reg', 'add', settings, '/v', name, '/t', type, '/d', data, '/f']);
        const viaSystem = await online(['-proxy.auth.option=USE_SYSTEM']);
        expect(viaSystem.code, viaSystem.stderr).toBe(0);
        expect(system.log()).toContain(`POST ${server.url}/v1/sessions`);
        system.stop();
        const refused = await online(['-proxy.auth.option=USE_SYSTEM']);
        expect(refused.code).toBe(7);
        expect(refused.stderr).toContain(
          `error: the proxy at 127.0.0.1:${system.port} refused the connection: check the proxy of Windows' Internet Options`,
        );
      } finally {
        await wine.run(['reg', 'delete', settings, '/v', 'ProxyEnable', '/f']);
        manual.stop();
        system.stop();
      }
    });
  });
});
