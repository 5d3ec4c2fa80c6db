// The client's licensing policy, katalonc's order: one license for a run, offline first (a license
// file of this machine not in use by another run), then online (one session); the reason it
// failed says which of the two to fix. Used by "run" and by "status --check".
import { fail } from '../core/errors.ts';
import { checkFolder, holdOfflineLicense } from './offline.ts';
import type { LicenseHold } from './hold.ts';
import { onlineCredentials, type ClientOptions } from './settings.ts';
import { buildKind, DEVELOPMENT_NOTICE } from './trust.ts';

/** Where acquire's lines go: katalonc's progress lines and warnings (stderr). */
interface Out {
  progress: (line: string) => void;
  warn: (line: string) => void;
}

/**
 * One license for this run: offline first, then online (katalonc's order). A retry (`tries` > 1)
 * says only what changed: the retry loop's own line says why it waits.
 */
export const acquire = async (opts: ClientOptions, out: Out, tries = 1): Promise<LicenseHold> => {
  const say = tries === 1 ? out.progress : () => {};
  say('Start activating offline...');
  const report = await checkFolder(opts);
  say(`Search for valid offline licenses in folder: ${report.folder}`);
  if (tries === 1) for (const w of report.warnings) out.warn(w);
  say(`The number of valid offline licenses: ${report.valid}`);
  if (buildKind() === 'development') say(DEVELOPMENT_NOTICE);
  const offline = await holdOfflineLicense(report);
  if (offline) return offline;
  say('Offline activation failed.');
  const { holdOnlineSession } = await import('./online-session.ts');
  const credentials = await onlineCredentials(opts);
  if (credentials) {
    say('Start activating online...');
    return holdOnlineSession(credentials, opts, out.progress);
  }
  if (report.refused) throw fail('OFFLINE_REFUSED', report.refused);
  if (report.valid > 0) {
    throw fail(
      'ALL_LICENSES_IN_USE',
      report.valid === 1
        ? `the 1 valid offline license in ${report.folder} is in use by another katalonc run on this machine`
        : `all ${report.valid} valid offline licenses in ${report.folder} are in use by other katalonc runs on this machine`,
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
