// Bundles the two programs into dist/ with esbuild. The client is self-contained (only the native
// keychain add-on stays outside); the server keeps its npm packages external.
import { build, type Plugin } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { builtinKeysDefine } from './builtin-keys.ts';
import { lockDownDevRoot } from './dev-root.ts';
import { buildJobHelper } from './job-helper.ts';

const require = createRequire(import.meta.url);

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
lockDownDevRoot(); // also in a release build, which does not use it
const define = builtinKeysDefine();

// Node's builtins without their ESM facade. `import … from 'node:fs'` makes Node read every export
// of the module, getters too: node:fs loads fs/promises and readline, node:util util.diff, node:http
// its own copy of undici (~10 ms of katalonc's start-up in all, ~45 ms with node:http). The
// client's bundles take them from process.getBuiltinModule instead (the CommonJS object), each
// export read only where it is imported: the reads are pure, so esbuild drops the unused ones.
const builtinsWithoutFacade: Plugin = {
  name: 'builtins-without-facade',
  setup: (b) => {
    // Static imports only: a require() already gets the CommonJS object, and an import() wants
    // the whole namespace (every export read).
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement' ? { path: args.path, namespace: 'builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: [
        `const __m = process.getBuiltinModule(${JSON.stringify(args.path)});`,
        'const __read = (name) => __m[name];',
        'export default __m;',
        ...Object.keys(require(args.path) as object)
          .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default')
          .map((name) => `export const ${name} = /* @__PURE__ */ __read(${JSON.stringify(name)});`),
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * What the client loads only on demand, each in a file of its own beside the bundle that imports it
 * (out), built from entry: the smaller the bundle every command loads, the faster katalonc starts
 * (each 100 KB costs ~3 ms, even from the compile cache).
 */
const APART = [
  { out: 'program', entry: 'src/cli/program.ts' }, // all but --print-machine-id
  { out: 'proxied', entry: 'src/client/http/proxied.ts' }, // undici, 1.4 MB: through a proxy only
  { out: 'file-lock', entry: 'src/platform/slot-lock/file.ts' }, // proper-lockfile: macOS
  { out: 'cli-table3', entry: 'cli-table3' }, // license list's table
  { out: 'qrcode-terminal', entry: 'qrcode-terminal' }, // --qr
];

const apart = (outs: string[]): Plugin => ({
  name: 'apart',
  setup: (b) =>
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const found = APART.find(
        ({ out, entry }) =>
          outs.includes(out) &&
          (args.path.startsWith('.')
            ? resolve(dirname(args.importer), args.path) === resolve(entry)
            : args.path === entry),
      );
      return found ? { path: `./${found.out}.js`, external: true } : undefined;
    }),
});

// The entry: one small module with the argv rewrite and the --print-machine-id fast path; every
// other command is in program.js, loaded on demand: one file, no chunks (each chunk is another
// module for Node to resolve, read and link: ~1 ms apiece).
await build({
  ...common,
  entryPoints: { katalonc: 'src/cli/katalonc.ts' },
  outdir,
  format: 'esm',
  define,
  plugins: [builtinsWithoutFacade, apart(['program', 'qrcode-terminal'])],
});

const onDemand = APART.filter(({ out }) => out !== 'program');
await build({
  ...common,
  entryPoints: Object.fromEntries(APART.map(({ out, entry }) => [out, entry])),
  outdir,
  format: 'esm',
  define,
  plugins: [builtinsWithoutFacade, apart(onDemand.map(({ out }) => out))],
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

buildJobHelper(outdir);
