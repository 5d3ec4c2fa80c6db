// What a katalonc run is told, resolved in one place: each setting from its option, else the
// environment, else what `katalonc activate --save` saved, else Katalon's own
// ~/.katalon/licenseServer.properties (README "Configuration").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../core/errors.ts';
import { propertyEntries } from '../core/katalonc/grammar.ts';
import type { RetryPolicy } from '../core/retry.ts';
import { choiceOf, POOL_MODELS, type PoolModel, type Product } from '../core/vocabulary.ts';
import { environment } from '../platform/environment.ts';
import { katalonHome } from '../platform/paths.ts';
import type { ConnectionOptions } from './http/api-client.ts';
import { loadApiKey } from './keychain.ts';
import { readConfig } from './state.ts';

/** The options of a katalonc run that the client acts on (the CLI parses them). */
export interface ClientOptions extends Omit<ConnectionOptions, 'serverUrl'> {
  licenseDir?: string;
  product: Product;
  apiKey?: string;
  orgId?: string;
  serverUrl?: string;
  /** -licenseModel: the online pool of this model only. */
  licenseModel?: PoolModel;
  /** -testOps.serverUrl: the last place a license server URL is taken from. */
  testopsServerUrl?: string;
  licenseRelease?: boolean;
  retry: RetryPolicy;
  /** The test engine for runner options: --engine, else KATALONC_ENGINE, else the config's. */
  engine?: string;
  /** No progress lines (-q, and --json, whose stdout is for the script). */
  quiet?: boolean;
}

let katalonFile: { serverURL?: string; apiKey?: string } | undefined;
/** Katalon's own file for on-premise activation (read once a process): serverURL and apiKey. */
const katalonProperties = (): { serverURL?: string; apiKey?: string } => {
  if (katalonFile) return katalonFile;
  katalonFile = {};
  try {
    const text = readFileSync(join(katalonHome(), 'licenseServer.properties'), 'utf8');
    for (const { name, value } of propertyEntries(text))
      if (value) (katalonFile as Record<string, string>)[name] = value;
  } catch {
    // no such file: nothing from it
  }
  return katalonFile;
};

/**
 * Server URL: -serverUrl, KATALON_SERVER_URL, the saved one, licenseServer.properties' serverURL,
 * then -testOps.serverUrl.
 */
export const serverUrlOf = (
  opts: Pick<ClientOptions, 'serverUrl' | 'testopsServerUrl'>,
): string | undefined =>
  (
    opts.serverUrl ??
    environment.serverUrl ??
    readConfig().serverUrl ??
    katalonProperties().serverURL ??
    opts.testopsServerUrl
  )?.replace(/\/+$/, '');

export const engineOf = (opts: Pick<ClientOptions, 'engine'>): string | undefined =>
  opts.engine ?? environment.engine ?? readConfig().engine;

export interface OnlineCredentials {
  apiKey: string;
  /** Absent: the one organisation of the key's user with licenses of the product. */
  orgId?: number;
  serverUrl: string;
  /** Absent: node-locked first, then floating (the server's order). */
  model?: PoolModel;
}

// Keys are pasted from web pages and chat: curly quotes and spaces are the usual damage.
const PASTE_DAMAGE = /[\s"'`\u2018\u2019\u201A\u201C\u201D\u201E\u00A0]/;
/** A variable that was not expanded: `%NAME%` (cmd.exe leaves an unset one as written), `$NAME`, `${NAME}`, `$env:NAME`. */
const UNEXPANDED = /^(?:%\w+%|\$(?:env:)?\{?\w+\}?)$/i;

/** API key: -apiKey, KATALON_API_KEY, the saved one, then licenseServer.properties' apiKey. */
export const apiKeyOf = async (opts: Pick<ClientOptions, 'apiKey'>): Promise<string | null> => {
  const apiKey =
    opts.apiKey ?? environment.apiKey ?? (await loadApiKey()) ?? katalonProperties().apiKey ?? null;
  if (apiKey !== null && UNEXPANDED.test(apiKey))
    throw fail(
      'INVALID_API_KEY',
      `the API key is ${apiKey}, a variable's name, not its value: the shell did not expand it (cmd.exe expands %NAME% only when NAME is set, and never $NAME; PowerShell writes $env:NAME): set the variable, write it as this shell does, or pass the key itself`,
    );
  if (apiKey !== null && PASTE_DAMAGE.test(apiKey))
    throw fail(
      'INVALID_API_KEY',
      'the API key contains quotes or spaces (pasted from a document or chat?): paste it again as plain text, without quotes',
    );
  return apiKey;
};

const modelOf = (value: string | undefined): PoolModel | undefined => {
  if (value === undefined) return undefined;
  const model = choiceOf(POOL_MODELS, value);
  if (!model)
    throw fail(
      'INVALID_ARGUMENT',
      `KATALONC_LICENSE_MODEL must be one of ${POOL_MODELS.join(', ')}, not "${value}"`,
    );
  return model;
};

/** Everything online activation needs; null when there is no API key at all. */
export const onlineCredentials = async (opts: ClientOptions): Promise<OnlineCredentials | null> => {
  const apiKey = await apiKeyOf(opts);
  if (!apiKey) return null;
  const org = opts.orgId ?? environment.orgId ?? readConfig().orgId;
  const serverUrl = serverUrlOf(opts);
  let orgId: number | undefined;
  if (org !== undefined) {
    orgId = Number(org);
    if (!Number.isInteger(orgId) || orgId < 1)
      throw fail('INVALID_ARGUMENT', `-orgID must be a positive whole number, not "${org}"`);
  }
  if (!serverUrl)
    throw fail(
      'INVALID_ARGUMENT',
      'no license server: pass -serverUrl=https://…, set KATALON_SERVER_URL, save one with "katalonc activate --save", or put serverURL in ~/.katalon/licenseServer.properties',
    );
  const model = opts.licenseModel ?? modelOf(environment.licenseModel) ?? readConfig().licenseModel;
  return {
    apiKey,
    serverUrl,
    ...(orgId === undefined ? {} : { orgId }),
    ...(model === undefined ? {} : { model }),
  };
};

export const connection = (opts: ClientOptions, serverUrl: string): ConnectionOptions => ({
  ...opts,
  serverUrl,
  ...((opts.proxyPassword ?? environment.proxyPassword)
    ? { proxyPassword: opts.proxyPassword ?? environment.proxyPassword }
    : {}),
});
