// katalonc activate / deactivate / status.
import { fail } from '../../core/errors.ts';
import { createApiClient } from '../../client/http-client.ts';
import { activateSession, connection, onlineCredentials } from '../../client/online-session.ts';
import { forgetApiKey, loadApiKey, saveApiKey } from '../../client/keychain.ts';
import { openConfig, readSettings } from '../../client/config.ts';
import { checkFolder } from '../../client/offline.ts';
import { machineIdReport } from '../../platform/machine/index.ts';
import { bold, ok, print, printJson, progress, warn } from '../output.ts';
import type { CliOptions } from '../options.ts';

export const activate = async (opts: CliOptions, save: boolean): Promise<void> => {
  const c = await onlineCredentials(opts);
  if (!c)
    throw fail(
      'INVALID_ARGUMENT',
      'no API key: pass -apiKey=KEY, or better set KATALON_API_KEY (the command line is visible in ps)',
    );
  progress('Start activating online...');
  const client = createApiClient(connection(opts, c.serverUrl), c.apiKey);
  try {
    const { session, pool } = await activateSession(client, c, opts.product);
    await client.call('DELETE', `v1/sessions/${session.id}`);
    let saved: Awaited<ReturnType<typeof saveApiKey>> | undefined;
    if (save) {
      const config = await openConfig();
      config.set('serverUrl', c.serverUrl);
      config.set('orgId', String(c.orgId));
      saved = await saveApiKey(c.apiKey);
      if (saved.warning) warn(saved.warning);
    }
    if (opts.json) {
      printJson({
        activated: true,
        pool,
        ...(saved
          ? { saved: { serverUrl: c.serverUrl, orgId: c.orgId, apiKey: saved.where } }
          : {}),
      });
    } else {
      print(
        `${ok('Activated')} ${pool.product} for ${pool.orgName} (org ${pool.orgId}) on ${c.serverUrl}`,
      );
      print(
        `  quota ${pool.quota}, available ${pool.available}, machine quota ${pool.machineQuota}, expires ${pool.expiresAt.slice(0, 10)}`,
      );
      if (saved)
        print(
          `  saved: server and org in the config, API key in ${saved.where === 'keychain' ? 'the OS keychain' : 'a user-only file'}`,
        );
    }
  } finally {
    await client.close();
  }
};

export const deactivate = async (opts: CliOptions): Promise<void> => {
  const config = await openConfig();
  config.delete('serverUrl');
  config.delete('orgId');
  await forgetApiKey();
  if (opts.json) printJson({ deactivated: true });
  else print('Forgot the saved server, organisation and API key.');
};

export const status = async (opts: CliOptions): Promise<void> => {
  const [{ machineId, warnings }, folder] = await Promise.all([
    machineIdReport(),
    checkFolder(opts),
  ]);
  const config = readSettings();
  const serverUrl = opts.serverUrl ?? process.env.KATALON_SERVER_URL ?? config.serverUrl ?? null;
  const keySaved = Boolean(await loadApiKey());
  let server: { url: string; reachable: boolean; error?: string } | null = null;
  if (serverUrl) {
    const client = createApiClient(connection(opts, serverUrl));
    try {
      await client.call('GET', 'healthz');
      server = { url: serverUrl, reachable: true };
    } catch (error) {
      server = { url: serverUrl, reachable: false, error: (error as Error).message };
    } finally {
      await client.close();
    }
  }
  const report = {
    machineId,
    warnings,
    licenseFolder: { folder: folder.folder, files: folder.licenses.length, valid: folder.valid },
    saved: {
      serverUrl: config.serverUrl ?? null,
      orgId: config.orgId ?? null,
      apiKeySaved: keySaved,
    },
    server,
  };
  if (opts.json) return printJson(report);
  print(`${bold('Machine ID:')} ${machineId}`);
  print(
    `${bold('License folder:')} ${folder.folder} (${folder.licenses.length} files, ${folder.valid} valid)`,
  );
  print(
    `${bold('Saved:')} server ${report.saved.serverUrl ?? '-'}, org ${report.saved.orgId ?? '-'}, API key ${keySaved ? 'saved' : 'not saved'}`,
  );
  print(
    `${bold('Server:')} ${server ? `${server.url} ${server.reachable ? ok('answers') : `does not answer: ${server.error}`}` : 'none configured'}`,
  );
  for (const w of warnings) warn(w);
};
