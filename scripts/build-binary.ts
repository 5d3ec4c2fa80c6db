// Builds standalone katalonc executables with Node's Single Executable Applications, entirely
// offline but for one npm fetch: an esbuild CommonJS bundle, a SEA blob, injected with postject into
// a copy of a Node.js binary:
// - build/katalonc (katalonc.exe on Windows): this platform's, in the pinned Node.js 24 (this
//   process's own binary), with the V8 code cache;
// - build/katalonc-win-x64.exe, from any platform: in Node.js 22 for Windows (scripts/windows-node.ts),
//   without the code cache (a cache made by another platform's V8 is rejected there), carrying
//   katalonc-job.exe (platform/process-tree) as an asset.
// The keychain add-on is native and cannot live inside the blob: the executable falls back to the
// 0600 file, exactly as the npm version does where the add-on cannot load.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { builtinKeysDefine } from './builtin-keys.ts';
import { buildJobHelper } from './job-helper.ts';
import { WINDOWS_NODE_VERSION, windowsNode } from './windows-node.ts';
import { JOB_HELPER } from '../src/platform/process-tree/win32.ts';

const out = 'build';
const work = join(out, 'sea');
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

await build({
  entryPoints: ['src/cli/katalonc.ts'],
  outfile: join(work, 'katalonc.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['@napi-rs/keyring'],
  define: builtinKeysDefine(),
  legalComments: 'none',
  logLevel: 'warning',
  // import.meta locates dist/ in the npm package; an executable has what it needs inside.
  logOverride: { 'empty-import-meta': 'silent' },
});
const jobHelper = buildJobHelper(work);

/** Injects a blob of the bundle into a copy of `node`; for Windows with katalonc-job.exe. */
const executable = (
  exe: string,
  node: string,
  target: NodeJS.Platform,
  codeCache: boolean,
): void => {
  const name = exe.replace(/\W/g, '-');
  const config = join(work, `${name}.json`);
  const blob = join(work, `${name}.blob`);
  writeFileSync(
    config,
    JSON.stringify({
      main: join(work, 'katalonc.cjs'),
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: codeCache,
      // Node.js 24 (this platform's build): no code of a licensee's into the executable by
      // NODE_OPTIONS (--require, --import), nor a debugger opened by SIGUSR1. Node.js 22 (the Windows
      // build) has neither setting.
      ...(target === process.platform
        ? { execArgvExtension: 'none', execArgv: ['--disable-sigusr1'] }
        : {}),
      ...(target === 'win32' && jobHelper ? { assets: { [JOB_HELPER]: jobHelper } } : {}),
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'ignore' });
  copyFileSync(node, exe);
  chmodSync(exe, 0o755);
  if (target === 'darwin') execFileSync('codesign', ['--remove-signature', exe]);
  // postject's CLI in a child of its own: LIEF prints a harmless warning per ELF note section it
  // cannot name ("Can't find string offset …") straight to stderr; shown only when it fails.
  try {
    execFileSync(
      process.execPath,
      [
        createRequire(import.meta.url).resolve('postject/dist/cli.js'),
        exe,
        'NODE_SEA_BLOB',
        blob,
        '--sentinel-fuse',
        'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
        ...(target === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : []),
      ],
      { stdio: 'pipe' },
    );
  } catch (error) {
    process.stderr.write((error as { stderr?: Buffer }).stderr ?? '');
    throw error;
  }
  if (target === 'darwin') execFileSync('codesign', ['--sign', '-', exe]);
  console.log(`built ${exe} (${(readFileSync(exe).length / 1e6).toFixed(0)} MB)`);
};

executable(
  join(out, process.platform === 'win32' ? 'katalonc.exe' : 'katalonc'),
  process.execPath,
  process.platform,
  true,
);
// Without katalonc-job.exe a Windows katalonc cannot run commands: not worth shipping.
if (jobHelper) executable(join(out, 'katalonc-win-x64.exe'), windowsNode(), 'win32', false);
else console.warn(`warning: build/katalonc-win-x64.exe (Node ${WINDOWS_NODE_VERSION}) not built`);
