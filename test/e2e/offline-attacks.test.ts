// Issue 21's client findings, tried as a licensee without root would: one offline license and a
// second concurrent run by any means they have (environment, their own files, namespaces, copies),
// another user's or machine's ID through a user namespace, a revocation or a clock they reset.
// Each runs the real CLI as an unprivileged OS user of its own (setpriv), with real namespaces
// (unshare), real mounts and libfaketime; Linux only.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  katalonc,
  kataloncForEveryone,
  startKatalonc,
  tempDir,
  userEnv,
  waitFor,
  waitForPid,
} from '../helpers/cli.ts';
import type { Result } from '../helpers/cli.ts';
import { installed, missing, requireAll } from '../helpers/network.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';
import { revoke } from '../../src/core/license/certificate.ts';
import { devRootKey } from '../../scripts/dev-root.ts';
import { WATCHER_ARGUMENT } from '../../src/client/watcher.ts';

const DAY = 86_400_000;
const linux = process.platform === 'linux';
const asRoot = process.getuid?.() === 0;
/** An OS user of this file's own (no passwd entry needed), so its /var/tmp state is fresh. */
const UID = 61000 + Math.floor(Math.random() * 1000);
const SETPRIV = ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups'];
const issuer = testIssuer();
/** Every test acts as a user of its own (setpriv), which needs root. */
const canActAsUser = linux && (asRoot || requireAll);
const rootSkip = canActAsUser ? '' : ' (skipped: needs Linux and root, to act as another user)';

/** Runs still going when their test ended (it failed): stopped then, not left holding a license. */
const started = new Set<ChildProcess>();
afterEach(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGTERM');
  started.clear();
});

/** Runs `prefix… katalonc args` in the background, stopped at the end of its test. */
const start = (prefix: string[], args: string[], env: Record<string, string>) => {
  const child = startKatalonc(args, env, prefix, [kataloncForEveryone()]);
  started.add(child);
  return child;
};
const runAs = (prefix: string[], args: string[], env: Record<string, string>) =>
  start(prefix, args, env).result;

/** This file's licensee: a home of their own with a license folder, and their machine ID. */
const licensee = async () => {
  const home = tempDir('katalonc-licensee-');
  const dir = join(home, '.katalon', 'license');
  mkdirSync(dir, { recursive: true });
  const env = userEnv(home, { USER: `licensee${UID}` });
  const own = () => spawnSync('chown', ['-R', `${UID}:${UID}`, home]);
  own();
  const machineId = (await runAs(SETPRIV, ['--print-machine-id'], env)).stdout.trim();
  return { home, dir, env, own, machineId };
};

/** A run that holds a license while its command sleeps; `ready` once the command started. */
const holder = (prefix: string[], env: Record<string, string>, marker: string) => {
  const run = start(prefix, ['run', '--', 'sh', '-c', `echo $$ > ${marker}; exec sleep 60`], env);
  const ready = waitForPid(marker, 'the first run to start its command');
  return Object.assign(run, { ready, commandPid: () => Number(readFileSync(marker, 'utf8')) });
};

const second = ['-enableLicenseRetry=false', 'run', '--', 'true'];

const readText = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // the process is gone
  }
};

/** Every process below `pid` (children, theirs, …), from /proc. */
const descendants = (pid: number): number[] => {
  const parent = new Map(
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => [Number(p), Number(readText(`/proc/${p}/stat`).split(') ')[1]?.split(' ')[1])]),
  );
  const below = (p: number): number[] =>
    [...parent].filter(([, pp]) => pp === p).flatMap(([c]) => [c, ...below(c)]);
  return below(pid);
};

const canUserNamespace =
  linux &&
  asRoot &&
  spawnSync(SETPRIV[0], [...SETPRIV.slice(1), 'unshare', '-r', 'true']).status === 0;
const nsSkip = canUserNamespace
  ? ''
  : ' (skipped: needs Linux, root to act as another user, and unprivileged user namespaces)';

afterAll(() => rmSync(`/var/tmp/katalonc-${UID}`, { recursive: true, force: true }));

describe.runIf(canActAsUser)(
  'one offline license, one run, whatever the licensee owns' + rootSkip,
  () => {
    let user: Awaited<ReturnType<typeof licensee>>;
    beforeAll(async () => {
      user = await licensee();
      writeFileSync(join(user.dir, 'a.lic'), makeLicense(issuer, { machineId: user.machineId }));
      user.own();
    });

    it('a second run is refused with another KATALONC_HOME, HOME or XDG_*, a copy of the license, or everything under ~/.katalon but the license deleted or moved aside', async () => {
      const { home, dir, env, own } = user;
      const elsewhere = tempDir('katalonc-elsewhere-');
      const copy = join(elsewhere, 'copy');
      mkdirSync(copy);
      copyFileSync(join(dir, 'a.lic'), join(copy, 'KRE_renamed.lic'));
      own();
      spawnSync('chown', ['-R', `${UID}:${UID}`, elsewhere]);
      const first = holder(SETPRIV, env, join(home, 'started'));
      await first.ready;
      const attempts: [string, string[], Record<string, string>][] = [
        ['another KATALONC_HOME', second, { ...env, KATALONC_HOME: join(elsewhere, 'state') }],
        [
          'another HOME, same folder',
          [`-licenseDir=${dir}`, ...second],
          { ...env, HOME: elsewhere },
        ],
        [
          'XDG_* elsewhere',
          second,
          {
            ...env,
            XDG_CONFIG_HOME: elsewhere,
            XDG_STATE_HOME: elsewhere,
            XDG_RUNTIME_DIR: elsewhere,
            XDG_CACHE_HOME: elsewhere,
          },
        ],
        [
          'a renamed copy in another folder, another KATALONC_HOME',
          [`-licenseDir=${copy}`, ...second],
          { ...env, KATALONC_HOME: join(elsewhere, 'state2') },
        ],
      ];
      for (const [what, args, attemptEnv] of attempts) {
        const r = await runAs(SETPRIV, args, attemptEnv);
        expect(r.code, `${what}: ${r.stderr}`).toBe(6);
        expect(r.stderr, what).toMatch(/in use by another katalonc run/);
      }
      // Everything the licensee owns under ~/.katalon but the license: deleted, then moved aside.
      for (const name of readdirSync(join(home, '.katalon')))
        if (name !== 'license') rmSync(join(home, '.katalon', name), { recursive: true });
      let r = await runAs(SETPRIV, second, env);
      expect(r.code, r.stderr).toBe(6);
      renameSync(join(home, '.katalon'), join(home, '.katalon-aside'));
      r = await runAs(
        SETPRIV,
        [`-licenseDir=${join(home, '.katalon-aside', 'license')}`, ...second],
        env,
      );
      expect(r.code, r.stderr).toBe(6);
      first.kill('SIGTERM');
      await first.result;
      rmSync(join(home, '.katalon'), { recursive: true, force: true }); // state of the last try
      renameSync(join(home, '.katalon-aside'), join(home, '.katalon'));
    });

    it("no helper process of a run can be killed to free its license while its command goes on: the run's own processes hold it, and killing its watcher ends the run", async () => {
      const { home, env } = user;
      const marker = join(home, 'started-helpers');
      const first = holder(SETPRIV, env, marker);
      await first.ready;
      // Every process katalonc started, and theirs, but the command (its watcher; a lock holder, if
      // any). setpriv execs katalonc, so katalonc is the process started here.
      const helpers = descendants(first.pid!).filter(
        (p) => p !== first.commandPid() && !descendants(first.commandPid()).includes(p),
      );
      const command = first.commandPid();
      for (const pid of helpers) process.kill(pid, 'SIGKILL');
      // Either the command still runs, and holds the license; or the run ended with its watcher.
      const r = await runAs(SETPRIV, second, env);
      if (r.code === 0) expect(descendants(1).includes(command)).toBe(false);
      else expect(r.code, `killed ${helpers.length} helpers: ${r.stderr}`).toBe(6);
      const ended = await first.result;
      expect(ended.stderr).toContain("the run's watcher was killed: stopping the command");
    });

    it('SIGKILL of katalonc and its watcher: the license stays held while a process of the run lives, and is free when they are gone', async () => {
      const { home, env } = user;
      const pidFile = join(home, 'grandchild');
      const first = start(
        SETPRIV,
        ['run', '--', 'sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`],
        env,
      );
      const grandchild = await waitForPid(pidFile, 'the command');
      // setpriv execs katalonc; its watcher is the katalonc --katalonc-run-watcher it started.
      for (const p of descendants(first.pid!))
        if (readText(`/proc/${p}/cmdline`).includes(WATCHER_ARGUMENT)) process.kill(p, 'SIGKILL');
      first.kill('SIGKILL');
      await first.exited;
      expect((await runAs(SETPRIV, second, env)).code).toBe(6);
      process.kill(grandchild, 'SIGKILL');
      await waitFor(
        async () => (await runAs(SETPRIV, second, env)).code === 0,
        10_000,
        'the license to be free once the last process of the run is gone',
      );
    });

    it('a read-only license folder works, one run at a time', async () => {
      const { home, env, machineId } = user;
      const folder = join(home, 'read-only');
      mkdirSync(folder);
      writeFileSync(join(folder, 'a.lic'), makeLicense(issuer, { machineId }));
      chmodSync(join(folder, 'a.lic'), 0o444);
      chownSync(folder, UID, UID);
      chmodSync(folder, 0o555);
      const first = holder(
        SETPRIV,
        { ...env, KATALON_LICENSE_DIR: folder },
        join(home, 'ro-started'),
      );
      await first.ready;
      const r = await runAs(SETPRIV, second, { ...env, KATALON_LICENSE_DIR: folder });
      expect(r.code, r.stderr).toBe(6);
      first.kill('SIGTERM');
      expect((await first.result).code, (await first.result).stderr).toBe(143);
      const again = await runAs(SETPRIV, second, { ...env, KATALON_LICENSE_DIR: folder });
      expect(again.code, again.stderr).toBe(0);
    });
  },
);

describe.runIf(canActAsUser)(
  'containers sharing the license folder are one machine' + rootSkip,
  () => {
    const canUnshare = linux && spawnSync('unshare', ['-n', 'true']).status === 0;
    it.runIf(canUnshare || requireAll)(
      `two runs in network namespaces of their own (as containers get them, from root), with HOMEs of their own: one runs, the other is refused${canUnshare ? '' : ' (skipped: unshare -n is not permitted here)'}`,
      async () => {
        const home = tempDir();
        const folder = join(home, 'shared-license');
        mkdirSync(folder);
        const machineId = (await katalonc(['--print-machine-id'], userEnv(home))).stdout.trim();
        writeFileSync(join(folder, 'a.lic'), makeLicense(issuer, { machineId }));
        const container = () => ({ ...userEnv(tempDir()), KATALON_LICENSE_DIR: folder });
        const first = holder(['unshare', '-n'], container(), join(home, 'started'));
        await first.ready;
        const r = await runAs(['unshare', '-n'], second, container());
        expect(r.code, r.stderr).toBe(6);
        first.kill('SIGTERM');
        await first.result;
      },
    );

    it("root without CAP_SYS_NICE (Docker's root) keeps its offline licenses", async () => {
      const home = tempDir();
      const env = userEnv(home);
      const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
      mkdirSync(join(home, '.katalon', 'license'), { recursive: true });
      writeFileSync(join(home, '.katalon', 'license', 'a.lic'), makeLicense(issuer, { machineId }));
      const r = await runAs(['setpriv', '--bounding-set=-sys_nice'], second, env);
      expect(r.code, r.stderr).toBe(0);
    });
  },
);

describe.runIf(canActAsUser)(
  "a user namespace of the licensee's own: offline licenses are refused" + rootSkip,
  () => {
    let user: Awaited<ReturnType<typeof licensee>>;
    let rootId = '';
    beforeAll(async () => {
      user = await licensee();
      rootId = (await katalonc(['--print-machine-id'], userEnv())).stdout.trim();
    });
    const refused = (r: Result) => {
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(
        /offline \(node-locked\) licenses are refused here: .*user namespace/,
      );
      expect(r.stderr).toMatch(
        /use online floating licenses: -apiKey and -orgID with -licenseModel=floating/,
      );
    };

    it.runIf(canUserNamespace || requireAll)(
      `unshare -r: root's ID is reported untrusted, and root's license does not run${nsSkip}`,
      async () => {
        const { dir, env, own } = user;
        writeFileSync(join(dir, 'root.lic'), makeLicense(issuer, { machineId: rootId }));
        own();
        const fakeRoot = [...SETPRIV, 'unshare', '-r'];
        const id = await runAs(fakeRoot, ['--print-machine-id', '--json'], env);
        expect(JSON.parse(id.stdout).warnings.join('\n')).toMatch(
          /offline \(node-locked\) licenses are refused here: it runs in a user namespace of its own .*uid_map "0 \d+ 1"/,
        );
        refused(await runAs(fakeRoot, ['run', '--', 'true'], env));
        const list = await runAs(fakeRoot, ['license', 'list', '--json'], env);
        expect(list.code).toBe(6);
        expect(JSON.parse(list.stdout).offlineRefused).toMatch(/refused here/);
        rmSync(join(dir, 'root.lic'));
      },
    );

    it.runIf(canUserNamespace || requireAll)(
      `unshare -rm with the uid_map and the namespace link over-mounted: the kernel still refuses fake root${nsSkip}`,
      async () => {
        const { home, dir, env, own } = user;
        writeFileSync(join(dir, 'root.lic'), makeLicense(issuer, { machineId: rootId }));
        const fake = join(home, 'fake');
        mkdirSync(join(fake, 'ns'), { recursive: true });
        writeFileSync(join(fake, 'uid_map'), '         0          0 4294967295\n');
        spawnSync('ln', ['-s', 'user:[4026531837]', join(fake, 'ns', 'user')]);
        own();
        const overMounted = [
          ...SETPRIV,
          'unshare',
          '-rm',
          'sh',
          '-c',
          `mount --bind ${fake}/uid_map /proc/$$/uid_map && mount --bind ${fake}/ns /proc/$$/ns && exec "$@"`,
          'sh',
        ];
        const r = await runAs(overMounted, ['run', '--', 'true'], env);
        expect(r.code, r.stderr).toBe(6);
        expect(r.stderr).toMatch(/refused here: it is uid 0 only inside a user namespace/);
        // Without CAP_SYS_NICE (as Docker's root is), signalling pid 1 tells instead.
        const r2 = await runAs(
          [...overMounted, 'setpriv', '--bounding-set=-sys_nice'],
          second,
          env,
        );
        expect(r2.code, r2.stderr).toBe(6);
        expect(r2.stderr).toMatch(/refused here: it is uid 0 only inside a user namespace/);
        rmSync(join(dir, 'root.lic'));
      },
    );

    it.runIf(canUserNamespace || requireAll)(
      `unshare -rm and a bind mount over /etc/machine-id: another machine's license does not run${nsSkip}`,
      async () => {
        const { home, dir, env, own } = user;
        const otherMachine = join(home, 'other-machine-id');
        writeFileSync(otherMachine, 'a1b2c3d4e5f60718293a4b5c6d7e8f90\n');
        own();
        const spoofed = [
          ...SETPRIV,
          'unshare',
          '-rm',
          'sh',
          '-c',
          `mount --bind ${otherMachine} /etc/machine-id && exec "$@"`,
          'sh',
        ];
        const id = JSON.parse((await runAs(spoofed, ['--print-machine-id', '--json'], env)).stdout);
        expect(id.warnings.join('\n')).toMatch(/\/etc\/machine-id is a mount there/);
        writeFileSync(join(dir, 'other.lic'), makeLicense(issuer, { machineId: id.machineId }));
        own();
        refused(await runAs(spoofed, ['run', '--', 'true'], env));
        rmSync(join(dir, 'other.lic'));
      },
    );

    it.runIf(canUserNamespace || requireAll)(
      `unshare -rn or unshare -rm with a tmpfs, keeping the licensee's own uid: no second run${nsSkip}`,
      async () => {
        const { home, dir, env, machineId } = user;
        writeFileSync(join(dir, 'mine.lic'), makeLicense(issuer, { machineId }));
        user.own();
        const first = holder(SETPRIV, env, join(home, 'ns-started'));
        await first.ready;
        const sameUid = ['unshare', '--user', `--map-user=${UID}`, `--map-group=${UID}`];
        const elsewhere = { ...env, KATALONC_HOME: join(home, 'ns-state') };
        // Its own network namespace: an abstract socket of the first run is not seen there.
        refused(await runAs([...SETPRIV, ...sameUid, '--net'], second, elsewhere));
        // A tmpfs over katalonc's state folder, then the licensee's uid again.
        mkdirSync(join(home, '.katalon', 'katalonc'), { recursive: true });
        user.own();
        refused(
          await runAs(
            [
              ...SETPRIV,
              'unshare',
              '-rm',
              'sh',
              '-c',
              `mount -t tmpfs none ${join(home, '.katalon', 'katalonc')} && exec "$@"`,
              'sh',
              ...sameUid,
            ],
            second,
            env,
          ),
        );
        first.kill('SIGTERM');
        await first.result;
        rmSync(join(dir, 'mine.lic'));
      },
    );
  },
);

describe.runIf(canActAsUser)(
  'what the licensee can reset does not undo a revocation or the clock' + rootSkip,
  () => {
    it('a revoked server key stays revoked with the list deleted, a fresh KATALONC_HOME and HOME, and the license copied to a new folder', async () => {
      const user = await licensee();
      const compromised = testIssuer();
      const lic = makeLicense(compromised, { machineId: user.machineId });
      writeFileSync(join(user.dir, 'a.lic'), lic);
      writeFileSync(
        join(user.dir, 'revoked.krl'),
        revoke(devRootKey(), {
          id: 'r-attack',
          issuedAt: new Date().toISOString(),
          revokedKeyIds: [compromised.key.keyId],
        }),
      );
      user.own();
      const status = async (env: Record<string, string>, folder = user.dir) =>
        JSON.parse(
          (await runAs(SETPRIV, [`-licenseDir=${folder}`, 'license', 'list', '--json'], env))
            .stdout,
        ).licenses[0].status;
      expect(await status(user.env)).toBe('revoked');
      rmSync(join(user.dir, 'revoked.krl'));
      const fresh = () => {
        const home = tempDir();
        spawnSync('chown', [`${UID}:${UID}`, home]);
        return { ...user.env, HOME: home, KATALONC_HOME: join(home, 'state') };
      };
      expect(await status(fresh())).toBe('revoked');
      const newFolder = tempDir();
      writeFileSync(join(newFolder, 'a.lic'), lic);
      spawnSync('chown', ['-R', `${UID}:${UID}`, newFolder]);
      expect(await status(fresh(), newFolder)).toBe('revoked');
    });

    const hasFaketime = installed('faketime');
    it.runIf(hasFaketime || requireAll)(
      `a faked clock (libfaketime) does not run an expired license, with every clock mark deleted${hasFaketime ? '' : ` (skipped: ${missing('libfaketime', 'faketime')})`}`,
      async () => {
        const user = await licensee();
        writeFileSync(
          join(user.dir, 'a.lic'),
          makeLicense(issuer, {
            machineId: user.machineId,
            issuedAt: new Date(Date.now() - 20 * DAY).toISOString(),
            expiresAt: new Date(Date.now() - 2 * DAY).toISOString(),
          }),
        );
        user.own();
        rmSync(`/var/tmp/katalonc-${UID}`, { recursive: true, force: true });
        const r = await runAs(
          [...SETPRIV, 'faketime', '-f', '-5d'],
          ['-enableLicenseRetry=false', 'run', '--', 'true'],
          user.env,
        );
        expect(r.code, r.stderr).toBe(6);
        expect(r.stderr).toMatch(/this process's clock .* is not the machine's/);
        const list = await runAs(
          [...SETPRIV, 'faketime', '-f', '-5d'],
          ['license', 'list', '--json'],
          user.env,
        );
        expect(JSON.parse(list.stdout).licenses[0].status).toBe('expired');
      },
    );
  },
);

describe.runIf(canActAsUser)('what another local user can leave for this one' + rootSkip, () => {
  it("a clock mark far ahead or a revocation list planted in this user's /var/tmp folder counts for nothing", async () => {
    const user = await licensee();
    writeFileSync(join(user.dir, 'a.lic'), makeLicense(issuer, { machineId: user.machineId }));
    user.own();
    // Another user makes the folder first (anyone may make any name in /var/tmp), open to all.
    const shared = `/var/tmp/katalonc-${UID}`;
    rmSync(shared, { recursive: true, force: true });
    const other = String(UID + 1);
    const plant = (file: string, content: unknown) => {
      writeFileSync(join(shared, file), `${JSON.stringify(content)}\n`);
      spawnSync('chown', [`${other}:${other}`, join(shared, file)]);
    };
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    spawnSync('chown', [`${other}:${other}`, shared]);
    plant('clock-mark.json', { mark: Date.now() + 3000 * DAY, usedTimes: [] });
    plant('revoked-keys.json', { keyIds: [issuer.key.keyId] });
    const list = await runAs(SETPRIV, ['license', 'list', '--json'], user.env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).licenses[0].status).toBe('valid');
    // Nor is it copied into this user's own state, to count later.
    expect(readText(join(user.home, '.katalon', 'katalonc', 'revoked-keys.json'))).not.toContain(
      issuer.key.keyId,
    );
    rmSync(shared, { recursive: true, force: true });
  });
});
