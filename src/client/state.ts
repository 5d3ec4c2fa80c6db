// katalonc's state on disk, in the client dir (KATALONC_HOME or ~/.katalon/katalonc), readable
// by this user only: the config (saved server, org and engine), the clock mark, revoked server
// keys, the API-key file where no keychain works, and the records of sessions held by running
// katalonc processes. The clock mark and the revoked keys are also kept where KATALONC_HOME and
// HOME do not lead (beside the licenses, and in a per-user folder under /var/tmp).
// One write discipline for all of it: replaceFile (temp file, fsync, rename), mode 0600, in a 0700
// folder, so a crash leaves the old content or the new, never half of it.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { choiceOf, POOL_MODELS, type PoolModel } from '../core/vocabulary.ts';
import { replaceFile } from '../platform/files.ts';
import { clientDir } from '../platform/paths.ts';

/** A state file: a name in the client dir, or (the clock marks kept elsewhere) an absolute path. */
const path = (name: string): string => (isAbsolute(name) ? name : join(clientDir(), name));

const read = (name: string): string | null => {
  try {
    return readFileSync(path(name), 'utf8');
  } catch {
    return null;
  }
};

const readJson = (name: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(read(name) ?? 'null');
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** Written synchronously; a failure is the promise's, as callers expect of a write. */
const write = (name: string, content: string): Promise<string> =>
  new Promise((resolve) => {
    const file = path(name);
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    replaceFile(file, content);
    resolve(file);
  });

const remove = (name: string): void => rmSync(path(name), { force: true });

// ---- config ----

export interface ClientConfig {
  serverUrl?: string;
  orgId?: string;
  /** -licenseModel as saved by `activate --save`. */
  licenseModel?: PoolModel;
  /** The test engine runner options are handed to. */
  engine?: string;
}

const CONFIG = 'config.json';

export const readConfig = (): ClientConfig => {
  const raw = readJson(CONFIG) ?? {};
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const serverUrl = text(raw.serverUrl);
  const orgId = text(raw.orgId);
  const engine = text(raw.engine);
  const licenseModel = choiceOf(POOL_MODELS, text(raw.licenseModel) ?? '');
  return {
    ...(serverUrl ? { serverUrl } : {}),
    ...(orgId ? { orgId } : {}),
    ...(licenseModel ? { licenseModel } : {}),
    ...(engine ? { engine } : {}),
  };
};

export const updateConfig = async (
  change: (config: ClientConfig) => ClientConfig,
): Promise<void> => {
  await write(CONFIG, `${JSON.stringify(change(readConfig()), null, 2)}\n`);
};

// ---- what must not be forgotten, kept in several places ----
// Deleting one file, or pointing KATALONC_HOME or HOME elsewhere, must not reset the clock mark or
// the revoked keys: each is also kept beside the licenses and, on Unix, in a per-user file under
// /var/tmp, and what all places say together counts.

/**
 * This user's folder under /var/tmp, if it is theirs alone: another local user could make it first
 * (any name can be made there) and fill it with a mark far ahead or a list of revoked keys, to
 * stop this user's licenses. A folder that is not a real directory owned by this user with no
 * access for others is not used (it was made to harm).
 */
const judgeMachineWideFolder = (): string | null => {
  if (!process.getuid) return null;
  const dir = join('/var/tmp', `katalonc-${process.getuid()}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // There already (or /var/tmp cannot be written): judged below.
  }
  try {
    const s = lstatSync(dir);
    return s.isDirectory() && s.uid === process.getuid() && (s.mode & 0o077) === 0 ? dir : null;
  } catch {
    return null;
  }
};

/** Judged once a process: every place list asks for it (a read and a write of a mark, say). */
let machineWide: string | null | undefined;
const machineWideFolder = (): string | null => (machineWide ??= judgeMachineWideFolder());

/** The places of one remembered thing: the client dir, the license folder, /var/tmp. */
const places = (licenseFolder: string, name: string, inFolder: string): string[] => {
  const shared = machineWideFolder();
  return [path(name), join(licenseFolder, inFolder), ...(shared ? [join(shared, name)] : [])];
};

/**
 * What a remembered file says, only if this user wrote it: a license folder others may write to
 * must not let them plant a mark or a revocation for this user.
 */
const readOwnJson = (file: string): Record<string, unknown> | null => {
  try {
    const s = lstatSync(file);
    if (!s.isFile() || (process.getuid && s.uid !== process.getuid())) return null;
  } catch {
    return null;
  }
  return readJson(file);
};

/** Writes `content` to every place it can; fails only if no place could be written. */
const writeAll = async (files: string[], content: string): Promise<void> => {
  const results = await Promise.allSettled(files.map((file) => write(file, content)));
  if (results.every((r) => r.status === 'rejected')) throw results[0].reason;
};

// ---- the clock mark (core/license/clock.ts) ----
// The newest of its places counts. Only a time signed by a license server may lower it
// (`katalonc clock sync`).

const markPlaces = (licenseFolder: string): string[] =>
  places(licenseFolder, 'clock-mark.json', '.katalonc-clock.json');

const readMarkFile = (file: string): { mark: number; usedTimes: string[] } | null => {
  const raw = readOwnJson(file);
  if (typeof raw?.mark !== 'number' || !Number.isFinite(raw.mark)) return null;
  const used = Array.isArray(raw.usedTimes)
    ? raw.usedTimes.filter((t): t is string => typeof t === 'string')
    : [];
  return { mark: raw.mark, usedTimes: used };
};

/** The newest mark of every place, and the signed times already used to lower it. */
export const readMark = (licenseFolder: string): number | null => readMarks(licenseFolder).mark;

export const readMarks = (
  licenseFolder: string,
): { mark: number | null; usedTimes: Set<string> } => {
  const found = markPlaces(licenseFolder)
    .map(readMarkFile)
    .filter((m) => m !== null);
  return {
    mark: found.length === 0 ? null : Math.max(...found.map((m) => m.mark)),
    usedTimes: new Set(found.flatMap((m) => m.usedTimes)),
  };
};

/** Writes the mark to every place it can (a place that cannot be written is skipped). */
export const writeMark = async (
  licenseFolder: string,
  mark: number,
  usedTimes: Iterable<string> = readMarks(licenseFolder).usedTimes,
): Promise<void> => {
  const content = `${JSON.stringify({ mark, iso: new Date(mark).toISOString(), usedTimes: [...usedTimes] })}\n`;
  await writeAll(markPlaces(licenseFolder), content);
};

// ---- server keys a root revoked (never forgotten) ----
// Every place's keys count. A license folder remembers them once a revocation list was seen in it
// (it is not written to for lists seen elsewhere: those stay in the other two places).

const BESIDE_LICENSES = '.katalonc-revoked.json';

/** The places that remember, or are to remember, revoked keys for `licenseFolder`. */
const revokedPlaces = (licenseFolder: string, seenHere: boolean): string[] =>
  places(licenseFolder, 'revoked-keys.json', BESIDE_LICENSES).filter(
    (file) => seenHere || file !== join(licenseFolder, BESIDE_LICENSES) || existsSync(file),
  );

/** The keys each place remembers (an unreadable place remembers none). */
export const readRevoked = (licenseFolder: string, seenHere: boolean): string[][] =>
  revokedPlaces(licenseFolder, seenHere).map((file) => {
    const ids = readOwnJson(file)?.keyIds;
    return Array.isArray(ids) ? ids.filter((k): k is string => typeof k === 'string') : [];
  });

/** Writes the keys to every place (beside the licenses too if a list was `seenHere`). */
export const writeRevoked = (
  licenseFolder: string,
  keyIds: string[],
  seenHere: boolean,
): Promise<void> =>
  writeAll(revokedPlaces(licenseFolder, seenHere), `${JSON.stringify({ keyIds })}\n`);

// ---- the API-key file, where no keychain works ----

const KEY_FILE = 'api-key';

export const readKeyFile = (): string | null => read(KEY_FILE)?.trim() || null;
export const writeKeyFile = (apiKey: string): Promise<string> => write(KEY_FILE, `${apiKey}\n`);
export const removeKeyFile = (): void => remove(KEY_FILE);

// ---- records of the sessions running katalonc processes hold ----

export interface SessionRecord {
  id: string;
  serverUrl: string;
  orgId: number;
  pid: number;
  /** The lock its run holds while it lives. */
  lock: string;
}

const SESSIONS = 'sessions';
const recordName = (id: string) => join(SESSIONS, `${id}.json`);

export const writeSessionRecord = (record: SessionRecord): Promise<string> =>
  write(recordName(record.id), JSON.stringify(record));

export const removeSessionRecord = (id: string): void => remove(recordName(id));

/** The keys of a record, exactly: a record with others (a newer katalonc's) is not ours to judge. */
const RECORD_KEYS = ['id', 'lock', 'orgId', 'pid', 'serverUrl'].join();

/**
 * The records this katalonc can judge. Any other file is left as it is: an older katalonc's record
 * (no lock name: its run holds a lock of another kind) or a newer one's may be a live run's, and
 * releasing that run's session would cut it off; its lease ends on the server anyway if it is dead.
 */
export const readSessionRecords = (): SessionRecord[] => {
  let files: string[];
  try {
    files = readdirSync(path(SESSIONS)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const records: SessionRecord[] = [];
  for (const file of files) {
    const r = readJson(join(SESSIONS, file));
    if (
      r &&
      Object.keys(r).sort().join() === RECORD_KEYS &&
      typeof r.id === 'string' &&
      file === `${r.id}.json` &&
      typeof r.serverUrl === 'string' &&
      typeof r.orgId === 'number' &&
      typeof r.pid === 'number' &&
      typeof r.lock === 'string' &&
      /^session-[\w-]+$/.test(r.lock)
    )
      records.push({ id: r.id, serverUrl: r.serverUrl, orgId: r.orgId, pid: r.pid, lock: r.lock });
  }
  return records;
};
