// Bundles the two programs into dist/ with esbuild. The client is self-contained (only the native
// keychain add-on stays outside); the server keeps its npm packages external.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { builtinKeysDefine } from './builtin-keys.ts';

// --outdir DIR builds elsewhere (a test builds a client with built-in keys that way).
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : 'dist';
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
} as const;

// CommonJS dependencies bundled into ESM still expect require and __filename.
const cjsShims = {
  js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url);",
};
const define = builtinKeysDefine();

// The entry: one small module with the argv rewrite and the --print-machine-id fast path; every
// other command is in program.js, loaded on demand (one file loads measurably faster than chunks).
await build({
  ...common,
  entryPoints: { katalonc: 'src/cli/katalonc.ts' },
  outdir,
  format: 'esm',
  define,
  plugins: [
    {
      name: 'program-apart',
      setup: (b) =>
        b.onResolve({ filter: /^\.\/program\.ts$/ }, () => ({
          path: './program.js',
          external: true,
        })),
    },
  ],
});

await build({
  ...common,
  entryPoints: { program: 'src/cli/program.ts' },
  outdir,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  define,
  // Native add-on: loaded at run time if present; the CLI falls back to a file without it.
  external: ['@napi-rs/keyring'],
  banner: cjsShims,
});

// The web console's script, for browsers: the machine-ID parser is the server's own.
await build({
  ...common,
  platform: 'browser',
  target: 'es2022',
  entryPoints: { console: 'src/server/console/browser/machine-id-field.ts' },
  outdir: `${outdir}/console`,
  format: 'iife',
  minify: true,
});

await build({
  ...common,
  entryPoints: { 'katalon-license-server': 'src/server/main.ts' },
  outdir,
  format: 'esm',
  packages: 'external',
});
