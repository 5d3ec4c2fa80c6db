// The run's watcher against a licensee without root who, in a user and mount namespace of their own
// (unshare -rm), mounts programs of their own over the ones a watcher could find by path (timeout,
// sh, dd, setpriv), then stops katalonc (SIGSTOP) to keep an online run going with no heartbeats,
// its seat freed when the lease passes. The real npm katalonc and standalone executable, run as an
// unprivileged OS user (setpriv), with a real server, real mounts and real signals; Linux only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  alive,
  kataloncForEveryone,
  npmKataloncForEveryone,
  startKatalonc,
  tempDir,
  userEnv,
  waitFor,
  waitForPid,
  watcherOf,
} from '../helpers/cli.ts';
import { adminApi, seedOrg, startServer, type TestServer } from '../helpers/server.ts';
import { installed, missing, requireAll } from '../helpers/network.ts';

const NOBODY = 65534;
const SETPRIV = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
const LEASE_SECONDS = 3;
const hasUnshare = installed('unshare');
const canUserNamespace =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  hasUnshare &&
  spawnSync(SETPRIV[0], [...SETPRIV.slice(1), 'unshare', '-rm', 'true']).status === 0;
const skip = canUserNamespace
  ? ''
  : !hasUnshare
    ? ` (skipped: ${missing('unshare', 'util-linux')})`
    : ' (skipped: needs Linux, root to act as another user, and unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1)';

let server: TestServer;
beforeAll(async () => {
  if (canUserNamespace || requireAll)
    server = await startServer({ args: ['--lease-seconds', String(LEASE_SECONDS)] });
});
afterAll(async () => {
  await server?.stop();
});

/**
 * The licensee's stand-ins, each of which alone disarmed the old shell watcher: a `timeout` that
 * never times out, a `dd` that never returns, an `sh` that runs any watcher script as a sleep, a
 * `setpriv` without the parent-death signal. They run on a copy of the real sh (what they stand
 * in for is mounted over).
 */
const standIns = (): string => {
  const dir = tempDir('katalonc-stand-ins-');
  chmodSync(dir, 0o755);
  const sh = join(dir, 'real-sh');
  copyFileSync(realpathSync('/bin/sh'), sh);
  chmodSync(sh, 0o755);
  const scripts = {
    timeout: 'shift; exec "$@"',
    dd: 'exec sleep 100000',
    sh: `case "$2" in *pgid*) exec sleep 100000 ;; esac; exec ${sh} "$@"`,
    setpriv: 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"',
  };
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), `#!${sh}\n${body}\n`);
    chmodSync(join(dir, name), 0o755); // whatever the umask
  }
  return dir;
};

/** unshare -rm, the stand-ins mounted over every path of the real programs (and `more`), then the rest. */
const overMounted = (dir: string, more = 'true'): string[] => {
  const paths = ['timeout', 'dd', 'sh', 'setpriv'].flatMap((name) =>
    ['/bin', '/usr/bin'].map((bin) => [join(dir, name), `${bin}/${name}`]),
  );
  const mounts = paths
    .map(([own, real]) => `if [ -e ${real} ]; then mount --bind ${own} ${real} || exit 97; fi`)
    .join('; ');
  return [
    ...SETPRIV,
    'unshare',
    '-rm',
    'sh',
    '-c',
    `${mounts}; ${more} || exit 97; exec "$@"`,
    'sh',
  ];
};

const stat = (pid: number): string[] =>
  readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
/** A process's group id. */
const group = (pid: number): number => Number(stat(pid)[2]);
/** A process's open fds, each with what it points at. */
const fds = (pid: number): [string, string][] =>
  readdirSync(`/proc/${pid}/fd`).map((fd) => [fd, readlinkSync(`/proc/${pid}/fd/${fd}`)]);
/** An online run's organisation (one seat, no outage grace) and a home of the licensee's own. */
const licensee = async () => {
  const { org, apiKey } = await seedOrg(server.url, { quota: 1 });
  await adminApi(server.url, 'PATCH', `/orgs/${org}/pools/KRE`, { outageGraceMinutes: 0 });
  const home = tempDir('katalonc-licensee-');
  chownSync(home, NOBODY, NOBODY);
  return {
    home,
    args: [`-orgID=${org}`, `-serverUrl=${server.url}`],
    env: userEnv(home, { KATALON_API_KEY: apiKey }),
  };
};

const PROGRAMS = [
  ['the npm katalonc', () => npmKataloncForEveryone()],
  ['the standalone executable', () => [kataloncForEveryone()]],
] as const;

describe.runIf(canUserNamespace || requireAll)(
  "a licensee's programs mounted over the system's do not disarm the run's watcher" + skip,
  () => {
    it.each(PROGRAMS)(
      '%s, stopped (SIGSTOP) in unshare -rm with its own timeout, sh, dd and setpriv mounted: the command is killed within the lease',
      async (_, program) => {
        const { home, args, env } = await licensee();
        const pidFile = join(home, 'pid');
        const run = startKatalonc(
          [...args, '--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`],
          env,
          overMounted(standIns()),
          program(),
        );
        const command = await waitForPid(pidFile, 'the command');
        try {
          // The watcher: katalonc's own, in a group of its own, with an empty environment and none
          // of the license's lock fds that the command inherited.
          const watcher = watcherOf(run.pid!);
          expect(readlinkSync(`/proc/${watcher}/exe`)).toBe(readlinkSync(`/proc/${run.pid}/exe`));
          expect(group(watcher)).not.toBe(group(command));
          expect(readFileSync(`/proc/${watcher}/environ`, 'utf8')).toBe('');
          const locks = fds(command).filter(([fd]) => fd === '3' || fd === '4');
          expect(locks.length).toBeGreaterThan(0);
          for (const [, lock] of locks) expect(fds(watcher).map(([, t]) => t)).not.toContain(lock);
          run.kill('SIGSTOP');
          // The lease passes and the seat is free for others: the command must be gone by then
          // (plus a few seconds for a shared machine).
          await waitFor(
            () => !alive(command),
            (LEASE_SECONDS + 5) * 1000,
            'the stopped run to be ended',
          );
        } finally {
          if (alive(command)) process.kill(command, 'SIGKILL');
          run.kill('SIGCONT');
          run.kill('SIGTERM');
          await run.result;
        }
      },
    );

    it.each(PROGRAMS)(
      "%s, in unshare -rm with a tree of the licensee's own over /proc (its self/exe a program of theirs): no command runs",
      async (_, program) => {
        const { home, args, env } = await licensee();
        const dir = standIns();
        // /proc/self/exe: the `dd` that never returns, a watcher that never kills.
        const tree = join(dir, 'proc');
        mkdirSync(join(tree, 'self'), { recursive: true, mode: 0o755 });
        chmodSync(tree, 0o755);
        chmodSync(join(tree, 'self'), 0o755);
        symlinkSync(join(dir, 'dd'), join(tree, 'self', 'exe'));
        const ran = join(home, 'ran');
        const r = await startKatalonc(
          [...args, '--', 'sh', '-c', `touch ${ran}`],
          env,
          overMounted(dir, `mount --bind ${tree} /proc`),
          program(),
        ).result;
        expect(r.stderr).toContain("the run's watcher is not katalonc's own executable");
        expect(r.code, r.stderr).toBe(1);
        expect(existsSync(ran)).toBe(false);
      },
    );
  },
);
