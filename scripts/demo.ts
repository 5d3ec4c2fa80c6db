// The one-command tour: on the embedded defaults, in a temp dir, it starts katalon-license-server,
// sets up an organisation, activates online, runs a command under an online session, issues an
// offline license for this machine, validates it offline and runs a command under it. Each step is
// printed as a user would type it; any failing step fails the tour.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEV_ROOT_FILE } from './dev-root.ts';
import { cleanEnv, removeTempDirs, tempDir } from './harness/env.ts';

const root = resolve(import.meta.dirname, '..');
const work = tempDir('katalonc-demo-');
const dataDir = join(work, 'server-data');
const home = join(work, 'home'); // this tour's user: its own ~/.katalon
const bins = {
  katalonc: join(root, 'bin/katalonc.js'),
  'katalon-license-server': join(root, 'bin/katalon-license-server.js'),
};
// The embedded defaults whatever the shell holds (an operator's KLS_DATABASE_URL or admin token, a
// proxy, a saved KATALON_API_KEY): the programs get the basics and this tour's home only.
const env: Record<string, string | undefined> = cleanEnv({ HOME: home, USERPROFILE: home });

// Bold only on a terminal: a piped tour (CI logs) gets no escape codes.
const bold = (t: string) =>
  process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${t}\x1b[0m` : t;
const step = (title: string) => console.log(`\n${bold(`# ${title}`)}`);

const sh = (
  program: keyof typeof bins,
  args: string[],
  extraEnv: Record<string, string> = {},
  shown = args,
): Promise<string> =>
  new Promise((done, failed) => {
    const prefix = Object.keys(extraEnv)
      .map((k) => `${k}=<${k.toLowerCase().replaceAll('_', '-')}> `)
      .join('');
    // As typed in a shell: a word with a space or a quote quoted.
    const typed = shown.map((a) =>
      /^[\w@%+=:,./<>$-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`,
    );
    console.log(`$ ${prefix}${program} ${typed.join(' ')}`);
    execFile(
      process.execPath,
      [bins[program], ...args],
      { env: { ...env, ...extraEnv } },
      (error, stdout, stderr) => {
        // katalonc's progress lines (stderr) come before the command's own output.
        process.stdout.write(stderr.replace(/^warning: running in a container.*\n/m, ''));
        process.stdout.write(stdout);
        if (error)
          failed(new Error(`step failed (exit ${error.code}): ${program} ${shown.join(' ')}`));
        else done(stdout);
      },
    );
  });

step(
  "The licensor certifies the server's signing key (here with this checkout's development root)",
);
// Before the first start: the folder is made by hand (admin commands refuse one that is missing).
console.log(`$ mkdir -m 700 ${dataDir}`);
mkdirSync(dataDir, { mode: 0o700 });
const serverKey = (
  await sh('katalon-license-server', ['--data-dir', dataDir, 'keys', 'public'])
).trim();
const until = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
const certificate = join(work, 'server.cert');
await sh('katalon-license-server', [
  'root',
  'certify',
  '--root',
  DEV_ROOT_FILE,
  '--server-key',
  serverKey,
  '--max-licenses',
  '100',
  '--until',
  until,
  '--out',
  certificate,
]);
await sh('katalon-license-server', ['--data-dir', dataDir, 'certificate', 'install', certificate]);

const server = spawn(
  process.execPath,
  [
    bins['katalon-license-server'],
    '--data-dir',
    dataDir,
    'start',
    '--port',
    '0',
    '--log-level',
    'info',
  ],
  { env, stdio: ['ignore', 'pipe', 'inherit'] },
);
let exitCode = 0;
try {
  step('Start the license server (embedded SQLite in a temp data dir)');
  console.log(`$ katalon-license-server --data-dir ${dataDir} start --port 0`);
  const url = await new Promise<string>((done, failed) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"address":"(https?:\/\/[^"]+)"/.exec(out);
      if (m) done(m[1]);
    });
    server.once('exit', () => failed(new Error(`the server did not start:\n${out}`)));
  });
  console.log(`listening on ${url}`);
  const admin = (args: string[]) =>
    sh('katalon-license-server', ['--data-dir', dataDir, ...args, '--json']).then((o) =>
      JSON.parse(o),
    );

  step(
    'An admin sets up an organisation, a member with an API key, and a node-locked yearly KRE pool',
  );
  const org = String((await admin(['org', 'create', '--name', 'Acme QA'])).id);
  await admin(['user', 'add', '--org', org, '--email', 'ci@acme.test']);
  const { apiKey } = await admin(['apikey', 'create', '--org', org, '--email', 'ci@acme.test']);
  const expires = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  await admin([
    'pool',
    'create',
    '--org',
    org,
    '--product',
    'KRE',
    '--model',
    'node-locked',
    '--billing',
    'yearly',
    '--quota',
    '5',
    '--machine-quota',
    '10',
    '--expires',
    expires,
  ]);

  step("A test engineer prints this machine's ID");
  const machineId = (await sh('katalonc', ['--print-machine-id'])).trim();

  step('Online: activate, then run a command under one online session');
  const key = { KATALON_API_KEY: apiKey as string };
  await sh('katalonc', ['activate', `-orgID=${org}`, `-serverUrl=${url}`], key);
  await sh(
    'katalonc',
    [
      `-orgID=${org}`,
      `-serverUrl=${url}`,
      '--',
      process.execPath,
      '-e',
      'console.log("  tests running under an online session")',
    ],
    key,
    [
      `-orgID=${org}`,
      `-serverUrl=${url}`,
      '--',
      'node',
      '-e',
      'console.log("  tests running under an online session")',
    ],
  );

  step('Offline: the admin issues a license for that machine ID (it carries the certificate)');
  const licenseDir = join(home, '.katalon', 'license');
  await admin([
    'offline',
    'create',
    '--org',
    org,
    '--product',
    'KRE',
    '--machine-id',
    machineId,
    '--out',
    licenseDir,
  ]);

  step('Air-gapped: validate the license folder and run a command under the offline license');
  await sh('katalonc', ['license', 'list']);
  await sh(
    'katalonc',
    [
      'run',
      '--',
      process.execPath,
      '-e',
      'console.log("  tests running under an offline license")',
    ],
    {},
    ['run', '--', 'node', '-e', 'console.log("  tests running under an offline license")'],
  );

  step('The admin sees the pool: available = quota − (offline licenses + active online sessions)');
  await sh('katalon-license-server', [
    '--data-dir',
    dataDir,
    'pool',
    'show',
    '--org',
    org,
    '--product',
    'KRE',
  ]);
  console.log('\nTour complete.');
} catch (error) {
  console.error(`\n${(error as Error).message}`);
  exitCode = 1;
} finally {
  step('Stop the server (SIGTERM: finishes requests in flight, closes the database)');
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}
// A failed tour leaves its folder (the server's data and log) to look at.
if (exitCode === 0) removeTempDirs();
else console.error(`The tour's files are left in ${work}`);
process.exit(exitCode);
