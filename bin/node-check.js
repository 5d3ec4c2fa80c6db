// Shared by both bin scripts, written for any Node.js that can parse ES modules: the programs need
// Node.js 22.19 or newer (node:sqlite, undici 8, commander 15). On an older Node.js, a checkout's
// own pinned Node.js (the `node` devDependency) runs the program instead; without one, one line
// says what is needed, never a stack trace.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
const modern = major > 22 || (major === 22 && minor >= 19);

/** Resolves to true when this Node.js may go on; otherwise runs `entry` elsewhere or exits. */
export const ensureNode = async (program, entry) => {
  if (modern) return true;
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
  return false;
};
