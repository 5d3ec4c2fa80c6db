// Builds a standalone katalonc for this platform with Node's Single Executable Applications,
// entirely offline: an esbuild CommonJS bundle, a SEA blob with the V8 code cache, injected with
// postject into a copy of the pinned Node.js 24 (this process's own binary).
// The keychain add-on is native and cannot live inside the blob: the executable falls back to the
// 0600 file, exactly as the npm version does where the add-on cannot load.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'postject';
import { builtinKeysDefine } from './builtin-keys.ts';

const out = 'build';
const work = join(out, 'sea');
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

await build({
  entryPoints: ['src/cli/katalonc.ts'],
  outfile: join(work, 'katalonc.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  external: ['@napi-rs/keyring'],
  define: builtinKeysDefine(),
  legalComments: 'none',
  logLevel: 'warning',
});

const config = join(work, 'sea-config.json');
writeFileSync(
  config,
  JSON.stringify({
    main: join(work, 'katalonc.cjs'),
    output: join(work, 'sea-prep.blob'),
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

const exe = join(out, process.platform === 'win32' ? 'katalonc.exe' : 'katalonc');
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', exe]);

await inject(exe, 'NODE_SEA_BLOB', readFileSync(join(work, 'sea-prep.blob')), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
});
if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', exe]);
console.log(
  `built ${exe} (${(readFileSync(exe).length / 1e6).toFixed(0)} MB, Node ${process.version}, ${process.platform}-${process.arch})`,
);
