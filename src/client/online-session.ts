// Online activation: one session on the license server per run. The session token stays on disk
// while the run holds it, guarded by a lock that dies with the process, so the next katalonc on this
// machine releases a killed run's session at once instead of waiting for its lease to pass.
import { hostname } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fail, isKatalonError, type KatalonError } from '../core/errors.ts';
import type { CliOptions } from '../cli/options.ts';
import { clientDir } from '../platform/paths.ts';
import { tryLock } from '../platform/slot-lock/index.ts';
import { machineIdReport } from '../platform/machine/index.ts';
import { createApiClient, type ApiClient, type ConnectionOptions } from './http-client.ts';
import { loadApiKey } from './keychain.ts';
import { readSettings } from './config.ts';
import type { LicenseHold } from './hold.ts';

export interface OnlineCredentials {
  apiKey: string;
  orgId: number;
  serverUrl: string;
}

export interface PoolSummary {
  product: string;
  orgId: number;
  orgName: string;
  quota: number;
  available: number;
  machineQuota: number;
  expiresAt: string;
}
interface Activation {
  session: { id: string; leaseExpiresAt: string; heartbeatIntervalSeconds: number };
  pool: PoolSummary;
}

/** API key: -apiKey, then KATALON_API_KEY, then the saved one. Server and org: options, then saved. */
export const onlineCredentials = async (opts: CliOptions): Promise<OnlineCredentials | null> => {
  const apiKey = opts.apiKey ?? process.env.KATALON_API_KEY ?? (await loadApiKey());
  if (!apiKey) return null;
  const saved = readSettings();
  const org = opts.orgId ?? process.env.KATALON_ORG_ID ?? saved.orgId;
  const serverUrl = opts.serverUrl ?? process.env.KATALON_SERVER_URL ?? saved.serverUrl;
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
  return { apiKey, orgId, serverUrl: serverUrl.replace(/\/+$/, '') };
};

export const connection = (opts: CliOptions, serverUrl: string): ConnectionOptions => ({
  ...opts,
  serverUrl,
});

const sessionsDir = (): string => join(clientDir(), 'sessions');

interface SessionRecord {
  id: string;
  serverUrl: string;
  orgId: number;
  pid: number;
}

/** Releases the sessions of katalonc runs on this machine that died without releasing them. */
const releaseDeadRuns = async (client: ApiClient, serverUrl: string): Promise<void> => {
  let files: string[];
  try {
    files = readdirSync(sessionsDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return;
  }
  for (const file of files) {
    const path = join(sessionsDir(), file);
    let record: SessionRecord;
    try {
      record = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    if (record.serverUrl !== serverUrl) continue;
    const lock = await tryLock(`session-${record.id}`);
    if (!lock) continue; // its run is alive
    await client.call('DELETE', `v1/sessions/${record.id}`).catch(() => {});
    rmSync(path, { force: true });
    await lock.release();
  }
};

export const activateSession = async (
  client: ApiClient,
  c: OnlineCredentials,
  product: string,
): Promise<Activation> => {
  const { machineId, user } = await machineIdReport();
  return client.call<Activation>('POST', 'v1/sessions', {
    orgId: c.orgId,
    product,
    machineId,
    hostname: hostname().slice(0, 255) || 'unknown',
    osUser: user.slice(0, 255),
  });
};

export const releaseMachineSessions = async (
  client: ApiClient,
  c: OnlineCredentials,
  product: string,
): Promise<number> => {
  const { machineId } = await machineIdReport();
  return (
    await client.call<{ released: number }>('POST', 'v1/sessions/release-machine', {
      orgId: c.orgId,
      product,
      machineId,
    })
  ).released;
};

export const holdOnlineSession = async (
  c: OnlineCredentials,
  opts: CliOptions,
  say: (line: string) => void,
): Promise<LicenseHold> => {
  const client = createApiClient(connection(opts, c.serverUrl), c.apiKey);
  try {
    await releaseDeadRuns(client, c.serverUrl);
    if (opts.licenseRelease)
      say(
        `Released ${await releaseMachineSessions(client, c, opts.product)} earlier session(s) of this machine`,
      );
    const { session, pool } = await activateSession(client, c, opts.product);
    mkdirSync(sessionsDir(), { recursive: true, mode: 0o700 });
    const lock = await tryLock(`session-${session.id}`);
    const recordFile = join(sessionsDir(), `${session.id}.json`);
    writeFileSync(
      recordFile,
      JSON.stringify({
        id: session.id,
        serverUrl: c.serverUrl,
        orgId: c.orgId,
        pid: process.pid,
      } satisfies SessionRecord),
      { mode: 0o600 },
    );
    say(
      `Online session ${session.id} (${pool.product}, ${pool.orgName}: ${pool.available} of ${pool.quota} licenses left)`,
    );

    let stopped = false;
    let resolveLost!: (e: KatalonError) => void;
    const lost = new Promise<KatalonError>((r) => (resolveLost = r));
    let leaseExpiresAt = Date.parse(session.leaseExpiresAt);
    const intervalMs = session.heartbeatIntervalSeconds * 1000;

    const beat = async () => {
      let backoff = 1000;
      while (!stopped) {
        await sleep(intervalMs, undefined, { ref: false });
        while (!stopped) {
          try {
            const r = await client.call<{ leaseExpiresAt: string }>(
              'POST',
              `v1/sessions/${session.id}/heartbeat`,
            );
            leaseExpiresAt = Date.parse(r.leaseExpiresAt);
            backoff = 1000;
            break;
          } catch (error) {
            if (stopped) return;
            const e = isKatalonError(error) ? error : fail('INTERNAL', String(error));
            if (
              e.code === 'SESSION_TERMINATED' ||
              e.code === 'SESSION_EXPIRED' ||
              e.code === 'INVALID_API_KEY'
            ) {
              return resolveLost(
                fail(
                  e.code === 'SESSION_EXPIRED' ? 'SESSION_EXPIRED' : 'SESSION_TERMINATED',
                  `the license server ended this run's session: ${e.message}`,
                ),
              );
            }
            // A network problem: retry with backoff while the lease is still valid.
            const left = leaseExpiresAt - Date.now();
            if (left <= 0)
              return resolveLost(
                fail(
                  'SESSION_EXPIRED',
                  `the session's lease ran out while the license server could not be reached (${e.message})`,
                ),
              );
            say(
              `heartbeat failed (${e.message}); retrying, the lease holds for ${Math.round(left / 1000)} s more`,
            );
            await sleep(Math.min(backoff, left), undefined, { ref: false });
            backoff = Math.min(backoff * 2, intervalMs);
          }
        }
      }
    };
    void beat();

    return {
      description: `online session ${session.id}`,
      lost,
      release: async () => {
        stopped = true;
        await client
          .call('DELETE', `v1/sessions/${session.id}`)
          .catch(() =>
            say('could not release the session now; the server frees it when its lease passes'),
          );
        rmSync(recordFile, { force: true });
        await lock?.release();
        await client.close();
      },
    };
  } catch (error) {
    await client.close();
    throw error;
  }
};
