// The I/O a machine-facts collector may do, behind one interface so that tests can replay
// fixture file trees and recorded command outputs of every OS on any OS.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export interface Probe {
  /** A small text file's content, or null when absent/unreadable. `path` is absolute on the target OS. */
  readText(path: string): string | null;
  /** A command's stdout, or null when it failed, timed out or does not exist. */
  run(file: string, args: string[]): Promise<string | null>;
  env: Record<string, string | undefined>;
  user(): { name: string; uid: number };
}

const COMMAND_TIMEOUT_MS = 5000;

const currentUser = (env: Record<string, string | undefined>): { name: string; uid: number } => {
  try {
    const info = userInfo();
    return { name: info.username, uid: info.uid };
  } catch {
    // A uid without a passwd entry (common in containers): fall back to what the environment says.
    return { name: env.USER ?? env.USERNAME ?? 'unknown', uid: process.getuid?.() ?? -1 };
  }
};

/** The real machine, optionally with files read below `root` (for tests against fixture trees). */
export const systemProbe = (root = '/'): Probe => ({
  readText(path) {
    try {
      return readFileSync(root === '/' ? path : join(root, path), 'utf8');
    } catch {
      return null;
    }
  },
  async run(file, args) {
    // Loaded here: Linux never runs a command for its machine ID, and start-up time matters.
    const { execFile } = await import('node:child_process');
    return new Promise((resolve) => {
      execFile(file, args, { timeout: COMMAND_TIMEOUT_MS, windowsHide: true }, (err, stdout) =>
        resolve(err ? null : stdout),
      );
    });
  },
  env: process.env,
  user: () => currentUser(process.env),
});
