// The bench's measuring: where the programs are, whole-process timings (interleaved medians), and
// the table of rows, each a ratio against a baseline measured in the same run on this machine.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
export const node = process.execPath;
export const katalonc = join(root, 'bin/katalonc.js');
export const server = join(root, 'bin/katalon-license-server.js');
export const exe = join(root, 'build', 'katalonc');
export const quick = process.argv.includes('--quick');
export const RUNS = quick ? 10 : 30;

interface Row {
  what: string;
  ours: string;
  baseline: string;
  ratio: number;
  target: string;
  ok: boolean;
}
const rows: Row[] = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;
/** A ratio with the digits its target needs: 0.045x is not rounded up to a 0.05x target. */
const times = (x: number) => `${x.toFixed(x < 0.1 ? 3 : 2)}x`;

export interface Command {
  cmd: string;
  args: string[];
  env?: Record<string, string | undefined>;
}

/**
 * Median wall time of whole processes. The commands run interleaved, one run each in turn, so that
 * the drift of a shared machine (seen here: node -e 0 from 30 to 43 ms within minutes) falls on all
 * of them alike. Warm-up runs first (they also fill the compile cache).
 */
export const timeTogether = (commands: Command[], runs = RUNS): number[] => {
  const once = ({ cmd, args, env }: Command): number => {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: 'ignore' });
    if (r.status !== 0 && r.status !== 6)
      throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (let i = 0; i < 3; i++) commands.forEach(once);
  const samples: number[][] = commands.map(() => []);
  for (let i = 0; i < runs; i++) commands.forEach((c, k) => samples[k].push(once(c)));
  return samples.map(median);
};

export const add = (
  what: string,
  ours: number,
  baseline: number,
  target: string,
  ok: (ratio: number) => boolean,
  unit = ms,
) => {
  const ratio = ours / baseline;
  rows.push({ what, ours: unit(ours), baseline: unit(baseline), ratio, target, ok: ok(ratio) });
  console.log(`  ${what}: ${unit(ours)} vs ${unit(baseline)} → ${times(ratio)} (${target})`);
};

/** Prints the table and writes it, with the CPU and Node version, to bench/results.md. */
export const writeResults = (): void => {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const table = [
    `# katalonc benchmarks`,
    '',
    `${new Date().toISOString()} · ${cpu} × ${cpus().length} · Node ${process.version} · ${process.platform}-${process.arch}${quick ? ' · --quick' : ''}`,
    '',
    '| what | ours | baseline (same run) | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${r.ours} | ${r.baseline} | ${times(r.ratio)} | ${r.target} | ${r.ok ? 'yes' : 'NO'} |`,
    ),
    '',
  ].join('\n');
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results.md'), table);
  console.log(`\n${table}`);
};
