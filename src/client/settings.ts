// What a katalonc run is told, resolved in one place: each setting from its option, else the
// environment, else what `katalonc activate --save` saved (README "Configuration").
import { fail } from '../core/errors.ts';
import type { RetryPolicy } from '../core/retry.ts';
import type { Product } from '../core/vocabulary.ts';
import { environment } from '../platform/environment.ts';
import type { ConnectionOptions } from './http-client.ts';
import { loadApiKey } from './keychain.ts';
import { readConfig } from './state.ts';

/** The options of a katalonc run that the client acts on (the CLI parses them). */
export interface ClientOptions extends Omit<ConnectionOptions, 'serverUrl'> {
  licenseDir?: string;
  product: Product;
  apiKey?: string;
  orgId?: string;
  serverUrl?: string;
  licenseRelease?: boolean;
  retry: RetryPolicy;
}

/** Server URL: -serverUrl, then KATALON_SERVER_URL, then the saved one. */
export const serverUrlOf = (opts: Pick<ClientOptions, 'serverUrl'>): string | undefined =>
  (opts.serverUrl ?? environment.serverUrl ?? readConfig().serverUrl)?.replace(/\/+$/, '');

export interface OnlineCredentials {
  apiKey: string;
  orgId: number;
  serverUrl: string;
}

/** API key: -apiKey, then KATALON_API_KEY, then the saved one; null when there is none. */
export const onlineCredentials = async (opts: ClientOptions): Promise<OnlineCredentials | null> => {
  const apiKey = opts.apiKey ?? environment.apiKey ?? (await loadApiKey());
  if (!apiKey) return null;
  const org = opts.orgId ?? environment.orgId ?? readConfig().orgId;
  const serverUrl = serverUrlOf(opts);
  if (!org)
    throw fail(
      'INVALID_ARGUMENT',
      'an API key was given but no organisation: pass -orgID=<id> (katalonc activate --save remembers it)',
    );
  const orgId = Number(org);
  if (!Number.isInteger(orgId) || orgId < 1)
    throw fail('INVALID_ARGUMENT', `-orgID must be a positive whole number, not "${org}"`);
  if (!serverUrl)
    throw fail(
      'INVALID_ARGUMENT',
      'no license server: pass -serverUrl=https://… or set KATALON_SERVER_URL',
    );
  return { apiKey, orgId, serverUrl };
};

export const connection = (opts: ClientOptions, serverUrl: string): ConnectionOptions => ({
  ...opts,
  serverUrl,
  ...((opts.proxyPassword ?? environment.proxyPassword)
    ? { proxyPassword: opts.proxyPassword ?? environment.proxyPassword }
    : {}),
});
