// katalonc run -- CMD: offline first (one license file per run), then online (one session per run),
// as katalonc does; the command runs while the license is held, and the license is released on
// every way out.
import { fail, type KatalonError } from '../../core/errors.ts';
import { checkFolder, holdOfflineLicense } from '../../client/offline.ts';
import { withLicenseRetry } from '../../client/retry.ts';
import { startChild } from '../../client/child.ts';
import type { LicenseHold } from '../../client/hold.ts';
import { onlineCredentials, type ClientOptions } from '../../client/settings.ts';
import { progress } from '../../command-line/output.ts';
import type { Result } from '../../command-line/runner.ts';

const acquire = async (opts: ClientOptions): Promise<LicenseHold> => {
  progress('Start activating offline...');
  const report = await checkFolder(opts);
  progress(`Search for valid offline licenses in folder: ${report.folder}`);
  progress(`The number of valid offline licenses: ${report.valid}`);
  const offline = await holdOfflineLicense(report);
  if (offline) return offline;
  const { holdOnlineSession } = await import('../../client/online-session.ts');
  const credentials = await onlineCredentials(opts);
  if (credentials) {
    progress('Start activating online...');
    return holdOnlineSession(credentials, opts, progress);
  }
  if (report.valid > 0) {
    throw fail(
      'ALL_LICENSES_IN_USE',
      `all ${report.valid} valid offline licenses in ${report.folder} are in use by other katalonc runs on this machine: add -enableLicenseRetry to wait for one, or add license files`,
    );
  }
  const seen =
    report.licenses.length === 0
      ? 'no license files'
      : report.licenses.map((l) => `${l.file}: ${l.status}`).join('; ');
  throw fail(
    'NO_VALID_LICENSE',
    `no valid offline license in ${report.folder} (${seen}) and no API key for online activation: run "katalonc license list" for details, or pass -apiKey and -orgID`,
  );
};

/** How long a command gets to stop after its license was taken away, before SIGKILL. */
const STOP_GRACE_MS = 10_000;

export const runCommand = async (command: string[], opts: ClientOptions): Promise<Result> => {
  const hold = await withLicenseRetry(() => acquire(opts), opts.retry, progress);
  progress(`Holding ${hold.description} while running: ${command.join(' ')}`);
  let lost: KatalonError | undefined;
  let code: number;
  try {
    const child = startChild(command);
    void hold.lost.then((error) => {
      lost = error;
      progress(`${error.message}: stopping the command`);
      child.stop('SIGTERM', STOP_GRACE_MS);
    });
    code = await child.exited;
  } finally {
    await hold.release();
  }
  if (lost) throw lost;
  return { exitCode: code };
};
