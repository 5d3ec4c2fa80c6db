// katalonc activate / deactivate / status.
import { poolLabel } from '../../core/pool-ref.ts';
import { ExitCode, fail } from '../../core/errors.ts';
import { createApiClient, shown } from '../../client/http/api-client.ts';
import {
  activateSession,
  chooseOrg,
  releaseLeftovers,
  serverTrust,
} from '../../client/online-session.ts';
import { forgetApiKey, loadApiKey, saveApiKey } from '../../client/keychain.ts';
import {
  connection,
  onlineCredentials,
  serverUrlOf,
  type ClientOptions,
} from '../../client/settings.ts';
import { readConfig, updateConfig } from '../../client/state.ts';
import { checkFolder } from '../../client/offline.ts';
import { machineIdReport } from '../../platform/machine/index.ts';
import { shownWarnings } from './machine-id.ts';
import { bold, ok, progressLines, warn } from '../../command-line/output.ts';
import type { Result } from '../../command-line/runner.ts';

export const activate = async (opts: ClientOptions, save: boolean): Promise<Result> => {
  const credentials = await onlineCredentials(opts);
  if (!credentials)
    throw fail(
      'INVALID_ARGUMENT',
      'no API key: pass -apiKey=KEY, or better set KATALON_API_KEY (the command line is visible in ps)',
    );
  const say = progressLines(Boolean(opts.quiet));
  say('Start activating online...');
  const client = createApiClient(connection(opts, credentials.serverUrl), credentials.apiKey);
  try {
    const c = await chooseOrg(client, credentials, opts.product);
    // Katalon's "-apiKey=… -licenseRelease=true" alone, as a CI clean-up step, releases too.
    await releaseLeftovers(client, c, opts, say);
    const activation = await activateSession(client, c, opts.product, await serverTrust(opts));
    await client.call('DELETE', `v1/sessions/${activation.session.id}`);
    // The pool as it is now that the check's own session is released again.
    const pool = { ...activation.pool, available: activation.pool.available + 1 };
    let saved: Awaited<ReturnType<typeof saveApiKey>> | undefined;
    if (save) {
      // What this activation used, and nothing an earlier --save kept beside it.
      await updateConfig(({ engine }) => ({
        ...(engine ? { engine } : {}),
        serverUrl: c.serverUrl,
        orgId: String(c.orgId),
        ...(c.model ? { licenseModel: c.model } : {}),
      }));
      saved = await saveApiKey(c.apiKey);
      if (saved.warning) warn(saved.warning);
    }
    const lines = [
      `${ok('Activated')} ${poolLabel(pool)} for ${pool.orgName} (org ${pool.orgId}) on ${c.serverUrl}`,
      // A floating pool has no machine quota (its 0 is no limit of 0 machines).
      `  quota ${pool.quota}, available ${pool.available}, ${pool.model === 'floating' ? 'no machine quota (floating)' : `machine quota ${pool.machineQuota}`}, expires ${pool.expiresAt.slice(0, 10)}`,
    ];
    if (saved)
      lines.push(
        `  saved: ${c.model ? 'server, org and license model' : 'server and org'} in the config, API key in ${saved.where === 'keychain' ? 'the OS keychain' : 'a user-only file'}`,
      );
    return {
      data: {
        activated: true,
        pool,
        ...(saved
          ? {
              saved: {
                serverUrl: c.serverUrl,
                orgId: c.orgId,
                ...(c.model ? { licenseModel: c.model } : {}),
                apiKey: saved.where,
              },
            }
          : {}),
      },
      lines,
    };
  } finally {
    await client.close();
  }
};

export const deactivate = async (): Promise<Result> => {
  await updateConfig(({ engine }) => (engine ? { engine } : {}));
  await forgetApiKey();
  return {
    data: { deactivated: true },
    lines: ['Forgot the saved server, organisation, license model and API key.'],
  };
};

/**
 * The machine, the folder, the saved settings, and whether the server answers: a CI pre-flight.
 * Exit 7 when a configured server cannot be reached; with `check`, a license is taken and released
 * (exit 6 when none can be had, 8 when the key is refused).
 */
export const status = async (
  opts: ClientOptions,
  json: boolean,
  check = false,
  quiet = false,
): Promise<Result> => {
  const [{ machineId, warnings }, folder] = await Promise.all([
    machineIdReport(),
    checkFolder(opts),
  ]);
  const config = readConfig();
  const serverUrl = serverUrlOf(opts) ?? null;
  const keySaved = Boolean(await loadApiKey());
  let server: { url: string; reachable: boolean; error?: string } | null = null;
  if (serverUrl) {
    const client = createApiClient(connection(opts, serverUrl));
    try {
      await client.call('GET', 'healthz');
      server = { url: shown(serverUrl), reachable: true };
    } catch (error) {
      server = { url: shown(serverUrl), reachable: false, error: (error as Error).message };
    } finally {
      await client.close();
    }
  }
  let checked: string | null = null;
  if (check) {
    const { acquire } = await import('../../client/acquire.ts');
    const hold = await acquire(
      { ...opts, retry: { ...opts.retry, enabled: false } },
      { progress: progressLines(Boolean(opts.quiet)), warn },
    );
    checked = hold.description;
    await hold.release();
  }
  const saved = {
    serverUrl: config.serverUrl ? shown(config.serverUrl) : null,
    orgId: config.orgId ?? null,
    licenseModel: config.licenseModel ?? null,
    apiKeySaved: keySaved,
  };
  if (!json) for (const w of shownWarnings(warnings, quiet)) warn(w);
  return {
    data: {
      machineId,
      warnings,
      licenseFolder: { folder: folder.folder, files: folder.licenses.length, valid: folder.valid },
      saved,
      server,
      ...(check ? { check: { license: checked } } : {}),
    },
    lines: [
      `${bold('Machine ID:')} ${machineId}`,
      `${bold('License folder:')} ${folder.folder} (${folder.licenses.length} files, ${folder.valid} valid)`,
      `${bold('Saved:')} server ${saved.serverUrl ?? '-'}, org ${saved.orgId ?? '-'}${saved.licenseModel ? `, license model ${saved.licenseModel}` : ''}, API key ${keySaved ? 'saved' : 'not saved'}`,
      `${bold('Server:')} ${server ? `${server.url} ${server.reachable ? ok('answers') : `does not answer: ${server.error}`}` : 'none configured'}`,
      ...(checked
        ? [`${bold('Check:')} ${ok('a license can be had')} (${checked}, released)`]
        : []),
    ],
    exitCode: server && !server.reachable ? ExitCode.unreachable : ExitCode.ok,
  };
};
