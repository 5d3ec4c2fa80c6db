// Online activation (filled in with the server's client API).
import type { CliOptions } from '../cli/options.ts';
import type { LicenseHold } from './hold.ts';
import { fail } from '../core/errors.ts';

export interface OnlineCredentials { apiKey: string; orgId: string; serverUrl: string }

export const onlineCredentials = async (opts: CliOptions): Promise<OnlineCredentials | null> =>
  opts.apiKey && opts.orgId && opts.serverUrl ? { apiKey: opts.apiKey, orgId: opts.orgId, serverUrl: opts.serverUrl } : null;

export const holdOnlineSession = async (_c: OnlineCredentials, _o: CliOptions): Promise<LicenseHold> => {
  throw fail('SERVER_UNREACHABLE', 'online activation is not built yet');
};
