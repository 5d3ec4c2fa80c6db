// katalonc run -- CMD, and a Katalon command line handed to the test engine: one license held
// (client/acquire.ts: offline first, then online) while the command runs, released on every way out.
import type { KatalonError } from '../../core/errors.ts';
import { acquire } from '../../client/acquire.ts';
import { realClock, withLicenseRetry } from '../../client/retry.ts';
import { childEnvironment, startChild } from '../../client/child.ts';
import { apiKeyOf, type ClientOptions } from '../../client/settings.ts';
import { environment } from '../../platform/environment.ts';
import { progressLines, warn } from '../../command-line/output.ts';
import type { Result } from '../../command-line/runner.ts';

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
  const progress = progressLines(Boolean(opts.quiet));
  const hold = await withLicenseRetry(
    (tries) => acquire(opts, { progress, warn }, tries),
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
    const child = startChild(plan.command, env, hold.lockFds, hold.silentUntil);
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
