// katalonc run -- CMD, and a Katalon command line handed to the test engine: offline first (one
// license file per run), then online (one session per run), as katalonc does; the command runs
// while the license is held, and the license is released on every way out.
import { fail, type KatalonError } from '../../core/errors.ts';
import { checkFolder, holdOfflineLicense } from '../../client/offline.ts';
import { realClock, withLicenseRetry } from '../../client/retry.ts';
import { childEnvironment, startChild } from '../../client/child.ts';
import type { LicenseHold } from '../../client/hold.ts';
import { apiKeyOf, onlineCredentials, type ClientOptions } from '../../client/settings.ts';
import { environment } from '../../platform/environment.ts';
import { buildKind, DEVELOPMENT_NOTICE } from '../../client/trust.ts';
import { progress, warn } from '../../command-line/output.ts';
import type { Result } from '../../command-line/runner.ts';

/**
 * One license for this run: offline first, then online (katalonc's order). A retry (`tries` > 1)
 * says only what changed: the retry loop's own line says why it waits.
 */
export const acquire = async (opts: ClientOptions, tries = 1): Promise<LicenseHold> => {
  const say = tries === 1 ? progress : () => {};
  say('Start activating offline...');
  const report = await checkFolder(opts);
  say(`Search for valid offline licenses in folder: ${report.folder}`);
  if (tries === 1) for (const w of report.warnings) warn(w);
  say(`The number of valid offline licenses: ${report.valid}`);
  if (buildKind() === 'development') say(DEVELOPMENT_NOTICE);
  const offline = await holdOfflineLicense(report);
  if (offline) return offline;
  say('Offline activation failed.');
  const { holdOnlineSession } = await import('../../client/online-session.ts');
  const credentials = await onlineCredentials(opts);
  if (credentials) {
    say('Start activating online...');
    return holdOnlineSession(credentials, opts, progress);
  }
  if (report.refused) throw fail('OFFLINE_REFUSED', report.refused);
  if (report.valid > 0) {
    throw fail(
      'ALL_LICENSES_IN_USE',
      `all ${report.valid} valid offline licenses in ${report.folder} are in use by other katalonc runs on this machine`,
    );
  }
  const seen =
    report.licenses.length === 0
      ? 'no license files'
      : report.licenses.map((l) => `${l.file}: ${l.status}`).join('; ');
  // An air-gapped user upgrading katalonc: what to ask for, not only that the file is refused.
  const old = report.licenses.find((l) => l.status === 'old-format');
  throw fail(
    'NO_VALID_LICENSE',
    `no valid offline license in ${report.folder} (${seen}) and no API key for online activation: ${old ? `${old.file} is ${old.message}` : 'run "katalonc license list" for details'}, or pass -apiKey and -orgID`,
  );
};

/** How long a command gets to stop after its license was taken away, before SIGKILL. */
const STOP_GRACE_MS = 10_000;

export interface RunPlan {
  command: string[];
  /**
   * The command is the test engine of a Katalon command line: it gets the API key in
   * KATALON_API_KEY (for TestOps). Any other command never sees katalonc's secrets.
   */
  engine: boolean;
}

export const runCommand = async (plan: RunPlan, opts: ClientOptions): Promise<Result> => {
  const hold = await withLicenseRetry(
    (tries) => acquire(opts, tries),
    opts.retry,
    progress,
    realClock(environment.minuteMs),
  );
  let lost: KatalonError | undefined;
  let code: number;
  try {
    const apiKey = plan.engine ? (hold.apiKey ?? (await apiKeyOf(opts))) : null;
    const env = childEnvironment({
      KATALONC_LICENSE: JSON.stringify(hold.license),
      ...(apiKey ? { KATALON_API_KEY: apiKey } : {}),
    });
    progress(`Holding ${hold.description} while running: ${plan.command.join(' ')}`);
    const child = startChild(plan.command, env, hold.lockFds, hold.silenceLimitMs);
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
