// Shared by both bin scripts, written for any Node.js that can parse ES modules: the programs need
// Node.js 22.19 or newer (node:sqlite, undici 8, commander 15). On an older Node.js, a checkout's
// own pinned Node.js (the `node` devDependency) runs the program instead; without one, one line
// says what is needed, never a stack trace. The bin scripts load this file only on an old Node.js:
// start-up time is katalonc's first feature.

/** Runs `entry` on the pinned Node.js, or exits with one line when there is none. */
export const runElsewhere = async (program, entry) => {
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `error: ${program} needs Node.js 22.19 or newer (this is ${process.version}): install Node.js 24 LTS, or use the standalone katalonc executable, which needs no Node.js\n`,
    );
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(entry), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
};
