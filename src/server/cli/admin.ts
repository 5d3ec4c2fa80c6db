// How an admin command reaches the service: the data dir's (never made by mistake) or a running
// server's (--server, through the admin API), and how its answer is shown (--json, or a tree).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { fail } from '../../core/errors.ts';
import type { Result } from '../../command-line/runner.ts';
import { printableDeep } from '../../command-line/sanitize.ts';
import { createService } from '../service/index.ts';
import { remoteAdmin, type AdminOps } from '../remote-admin.ts';
import { serverEnvironment } from '../environment.ts';
import { openDataDir, serverUrlOf } from '../data-dir.ts';
import { invitationMailer } from '../mail.ts';
import type { Global } from './options.ts';

/** The text form of an admin result: nested keys and lists, one value a line. */
const tree = (value: unknown, indent = ''): string => {
  if (Array.isArray(value))
    return value.length === 0
      ? '(none)'
      : value.map((v) => `\n${indent}- ${tree(v, `${indent}  `).trimStart()}`).join('');
  if (value && typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) =>
        // A nested object starts on a line of its own, indented.
        v && typeof v === 'object' && !Array.isArray(v)
          ? `${indent}${k}:\n${tree(v, `${indent}  `)}`
          : `${indent}${k}: ${tree(v, `${indent}  `)}`,
      )
      .join('\n');
  return String(value);
};
export const shown = (data: unknown): Result => ({ data, lines: [tree(printableDeep(data))] });

/**
 * The data dir of an admin command must exist: a mistyped or forgotten --data-dir must not quietly
 * make a second database, or a second signing key for the licensor to certify, beside the real one.
 * `orServer`: whether the command can also run through a server's admin API (--server URL).
 */
export const existingDataDirOrFail = (dataDir: string, orServer = true): void => {
  if (!existsSync(dataDir))
    throw fail(
      'INVALID_ARGUMENT',
      `there is no data dir at ${dataDir}: pass the server's --data-dir (or KLS_DATA_DIR)${orServer ? ', or --server URL' : ''}; "start" makes a new one`,
    );
};

export const openExistingDataDir = (dataDir: string, access: 'read' | 'write') => {
  existingDataDirOrFail(dataDir);
  return openDataDir(dataDir, access);
};

/**
 * An admin operation on the data dir's service, or on a running server's (--server); `O` is the
 * command's own options. `access`: 'read' for one that only reads (it never migrates the database).
 */
export const admin =
  <O>(
    op: (service: AdminOps, o: O, global: Global) => Promise<unknown>,
    access: 'read' | 'write' = 'write',
  ) =>
  async (o: O, cmd: Command): Promise<Result> => {
    const global = cmd.optsWithGlobals<Global>();
    if (global.server) {
      const token = serverEnvironment.adminToken;
      if (!token)
        throw fail(
          'INVALID_ARGUMENT',
          `--server needs the server's admin token in KLS_ADMIN_TOKEN ("katalon-license-server admin-token" on the server prints it)`,
        );
      return shown(await op(remoteAdmin(global.server, token.trim()), o, global));
    }
    // On the data dir the command sends invitations itself, with its own KLS_SMTP_URL and
    // KLS_PUBLIC_URL (both refused, if bad, before anything is written).
    void serverEnvironment.publicUrl;
    const mail = invitationMailer(() => serverUrlOf(global.dataDir));
    const { store, issuer } = await openExistingDataDir(global.dataDir, access);
    try {
      const service = createService(store, issuer, mail ? { mail } : {});
      return shown(await op(service, o, global));
    } finally {
      await store.close();
    }
  };
