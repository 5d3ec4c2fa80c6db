// The run's watcher: a process of katalonc's own that kills the command's process group when
// katalonc dies or stops answering (client/child.ts starts it, before the command). It is
// katalonc's own executable again (Linux: /proc/self/exe, which the kernel resolves to the running
// file whatever a mount namespace puts over its path), never a program found by path: a `timeout`,
// `sh` or `dd` of a licensee's mounted over the system's cannot disarm it.

/** The argument that makes the standalone executable a watcher (the npm katalonc runs `watch` by `node -e`). */
export const WATCHER_ARGUMENT = '--katalonc-run-watcher';

/**
 * Reads the group's id and until when a silence is allowed ("@" and ms since the epoch, by this
 * process's clock, which no faked clock of katalonc's reaches; 0: any) as two lines on stdin, then
 * one byte at a time: "." (katalonc is alive; answered with this clock's time and "." so that
 * katalonc knows the watcher is too, and judges its lease by that time),
 * "d" (the command ended normally). End of input (katalonc is gone), any other byte, or silence
 * past the limit (katalonc stopped, SIGSTOP: its session's lease runs out) kills the group.
 * Self-contained (globals only, no imports): the npm katalonc runs its source with `node -e`.
 */
export const watch = (): void => {
  let header = '';
  let pgid = 0;
  let limit = -1;
  let silence: ReturnType<typeof setTimeout> | undefined;
  const kill = (): never => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    return process.exit(0);
  };
  // An answer to a katalonc killed meanwhile (EPIPE) must not end the watcher before the group.
  process.stdout.on('error', () => {});
  process.stdin.on('error', kill);
  process.stdin.setEncoding('latin1');
  process.stdin.on('data', (chunk: string) => {
    let bytes = chunk;
    if (limit < 0) {
      header += chunk;
      const lines = header.split('\n');
      if (lines.length < 3) return;
      pgid = Number(lines[0]);
      limit = lines[1].startsWith('@') ? Math.max(1, Number(lines[1].slice(1)) - Date.now()) : 0;
      if (!(limit >= 0)) limit = 1; // an unreadable time: no silence allowed
      bytes = lines.slice(2).join('\n');
      if (!(pgid > 0)) return process.exit(0);
    }
    for (const byte of bytes)
      if (byte === 'd') process.exit(0);
      else if (byte === '.') process.stdout.write(`${Date.now()}.`);
      else kill();
    if (limit > 0) {
      clearTimeout(silence);
      silence = setTimeout(kill, limit);
    }
  });
  // Nothing started (no group yet): nothing to kill.
  process.stdin.on('end', () => (pgid > 0 ? kill() : process.exit(0)));
};
