// The license server of the release of 2026-11-23 (3d6556d), built for upgrade tests: its sources
// (test/fixtures/release-3d6556d.tar.gz, made by `git archive --format=tar.gz 3d6556d src
// package.json`, so that a shallow clone has them too) bundled as its own scripts/build.ts bundled
// them (esbuild, npm packages external). It is built under build/ (git-ignored), so its packages
// (fastify, commander and pg, the versions it shipped with) come from this checkout's node_modules:
// no network, about a second.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run, userEnv, type Result } from './cli.ts';

export const OLD_RELEASE = '3d6556d';
const DIR = join(ROOT, 'build', `release-${OLD_RELEASE}`);
const SERVER = join(DIR, 'dist', 'katalon-license-server.js');
const SOURCES = join(ROOT, 'test', 'fixtures', `release-${OLD_RELEASE}.tar.gz`);

/**
 * The old server's entry, built once: in a folder of its own, then renamed into place, so that test
 * files building it at once (and a build cut short) never leave half of one.
 */
const oldServer = async (): Promise<string> => {
  if (existsSync(SERVER)) return SERVER;
  const building = `${DIR}-${process.pid}-${Date.now()}`;
  mkdirSync(building, { recursive: true });
  try {
    execFileSync('tar', ['-xzf', SOURCES, '-C', building], { stdio: ['ignore', 'ignore', 'pipe'] });
    const { build } = await import('esbuild');
    await build({
      bundle: true,
      platform: 'node',
      target: 'node22',
      entryPoints: { 'katalon-license-server': join(building, 'src/server/main.ts') },
      outdir: join(building, 'dist'),
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    });
    renameSync(building, DIR);
  } catch (error) {
    if (existsSync(SERVER)) return SERVER; // another test file built it first
    throw new Error(`cannot build the release ${OLD_RELEASE} from ${SOURCES}`, { cause: error });
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return SERVER;
};

/** The old admin CLI on `dataDir` (or the database `env` names), with --json. */
export const oldAdmin = async (
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Result> =>
  run(await oldServer(), ['--data-dir', dataDir, '--json', ...args], userEnv(undefined, env));

/** The old server on `dataDir`, once it listens. */
export const startOldServer = async (
  dataDir: string,
  args: string[] = [],
): Promise<{ url: string; process: ChildProcess }> => {
  const child = spawn(
    process.execPath,
    [await oldServer(), '--data-dir', dataDir, 'start', '--port', '0', ...args],
    { env: userEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"address":"(http:[^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the old server exited (${code}): ${out}`)));
  });
  return { url, process: child };
};
