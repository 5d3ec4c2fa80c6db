// Every failure a user can see is a value: a stable code, a one-line message that names the thing
// and the fix, and the process exit code. The CLI renders them; nothing else prints errors.

/** katalonc's documented exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  invalidArguments: 4,
  noLicense: 6,
  unreachable: 7,
  rejected: 8,
  terminated: 9,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

// One row per error code: the exit code katalonc (or the server's admin CLI) ends with, the HTTP
// status when the server answers it, and what katalonc makes of it when a server answers it
// (absent: the client never takes that code from a server as it is).
interface ErrorSpec<Code extends string> {
  exit: ExitCode;
  http?: number;
  /** The code a client turns this server answer into; absent for codes servers never send. */
  client?: Code;
}

// Infers the codes from the table's keys, and checks that every `client` names one of them.
const spec = <Code extends string>(table: Record<Code, ErrorSpec<NoInfer<Code>>>) => table;

const ERRORS = spec({
  INVALID_ARGUMENT: { exit: ExitCode.invalidArguments, http: 400 },
  NO_VALID_LICENSE: { exit: ExitCode.noLicense },
  /** Offline licenses cannot trust this machine's ID here (a user namespace of the user's own). */
  OFFLINE_REFUSED: { exit: ExitCode.noLicense },
  ALL_LICENSES_IN_USE: { exit: ExitCode.noLicense },
  QUOTA_EXCEEDED: { exit: ExitCode.noLicense, http: 409, client: 'QUOTA_EXCEEDED' },
  MACHINE_QUOTA_EXCEEDED: { exit: ExitCode.noLicense, http: 409, client: 'MACHINE_QUOTA_EXCEEDED' },
  SERVER_UNREACHABLE: { exit: ExitCode.unreachable },
  SERVER_ERROR: { exit: ExitCode.unreachable },
  /** A 404 for a route of ours: not a license server, or an older one without that route. */
  NO_ROUTE: { exit: ExitCode.unreachable },
  TLS_ERROR: { exit: ExitCode.unreachable },
  PROXY_ERROR: { exit: ExitCode.unreachable },
  TIMEOUT: { exit: ExitCode.unreachable },
  INVALID_API_KEY: { exit: ExitCode.rejected, http: 401, client: 'INVALID_API_KEY' },
  NOT_A_MEMBER: { exit: ExitCode.rejected, http: 403, client: 'NOT_A_MEMBER' },
  NO_POOL: { exit: ExitCode.rejected, http: 404, client: 'NO_POOL' },
  SUBSCRIPTION_EXPIRED: { exit: ExitCode.rejected, http: 403, client: 'SUBSCRIPTION_EXPIRED' },
  NOT_LICENSED_USER: { exit: ExitCode.rejected, http: 403, client: 'NOT_LICENSED_USER' },
  LICENSE_REFUSED: { exit: ExitCode.rejected, http: 422, client: 'LICENSE_REFUSED' },
  UNCERTIFIED_SERVER: { exit: ExitCode.rejected },
  INVALID_LICENSE_FILE: { exit: ExitCode.noLicense },
  SESSION_TERMINATED: { exit: ExitCode.terminated, http: 410, client: 'SESSION_TERMINATED' },
  SESSION_EXPIRED: { exit: ExitCode.terminated, http: 410, client: 'SESSION_EXPIRED' },
  FILE_ERROR: { exit: ExitCode.failure },
  COMMAND_FAILED: { exit: ExitCode.failure },
  // A request katalonc built was refused as malformed, or named something that is gone: to its
  // user that is a refused license, not an invalid command line.
  BAD_REQUEST: { exit: ExitCode.invalidArguments, http: 400, client: 'LICENSE_REFUSED' },
  NOT_FOUND: { exit: ExitCode.invalidArguments, http: 404, client: 'LICENSE_REFUSED' },
  CONFLICT: { exit: ExitCode.invalidArguments, http: 409 },
  RATE_LIMITED: { exit: ExitCode.unreachable, http: 429, client: 'RATE_LIMITED' },
  ADMIN_UNAUTHORIZED: { exit: ExitCode.rejected, http: 401 },
  /** The console: not signed in (or the session ended), or the role does not allow it. */
  SIGNED_OUT: { exit: ExitCode.rejected, http: 401 },
  FORBIDDEN: { exit: ExitCode.rejected, http: 403 },
  DATABASE_UNAVAILABLE: { exit: ExitCode.failure, http: 503 },
  /** The database file is damaged (found at start, or by a query): restore it from a backup. */
  DATABASE_DAMAGED: { exit: ExitCode.failure, http: 503 },
  /** The database's disk is full: nothing was changed; it serves again once there is room. */
  DISK_FULL: { exit: ExitCode.failure, http: 503 },
  /** The database's schema is newer than this server knows, or older and not to be migrated now. */
  SCHEMA_MISMATCH: { exit: ExitCode.failure },
  /** The server cannot start: its address is taken, or another server uses its data dir. */
  START_FAILED: { exit: ExitCode.failure },
  INTERNAL: { exit: ExitCode.failure, http: 500 },
});

export type ErrorCode = keyof typeof ERRORS;

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.hasOwn(ERRORS, value);

/** The HTTP status the server answers an error with. */
export const httpStatus = (code: ErrorCode): number => ERRORS[code].http ?? 500;

/** What katalonc makes of an error code a server sent (anything unknown is a refused license). */
export const clientCode = (serverCode: unknown): ErrorCode =>
  (isErrorCode(serverCode) ? ERRORS[serverCode].client : undefined) ?? 'LICENSE_REFUSED';

export class KatalonError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'KatalonError';
    this.code = code;
    this.exitCode = ERRORS[code].exit;
  }
}

export const fail = (code: ErrorCode, message: string): KatalonError =>
  new KatalonError(code, message);

// A brand rather than instanceof: katalonc's entry and its commands are separate bundles, each with
// its own copy of this class, and an error crosses from one to the other.
const BRAND = Symbol.for('katalonc.KatalonError');
Object.defineProperty(KatalonError.prototype, BRAND, { value: true });

export const isKatalonError = (e: unknown): e is KatalonError =>
  typeof e === 'object' && e !== null && BRAND in e;
