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

export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NO_VALID_LICENSE'
  | 'ALL_LICENSES_IN_USE'
  | 'QUOTA_EXCEEDED'
  | 'MACHINE_QUOTA_EXCEEDED'
  | 'SERVER_UNREACHABLE'
  | 'SERVER_ERROR'
  | 'TLS_ERROR'
  | 'PROXY_ERROR'
  | 'TIMEOUT'
  | 'INVALID_API_KEY'
  | 'NOT_A_MEMBER'
  | 'NO_POOL'
  | 'SUBSCRIPTION_EXPIRED'
  | 'NOT_LICENSED_USER'
  | 'SESSION_TERMINATED'
  | 'LICENSE_REFUSED'
  | 'INVALID_LICENSE_FILE'
  | 'FILE_ERROR'
  | 'COMMAND_FAILED'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SESSION_EXPIRED'
  | 'RATE_LIMITED'
  | 'ADMIN_UNAUTHORIZED'
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL';

const exitCodes: Record<ErrorCode, ExitCode> = {
  INVALID_ARGUMENT: ExitCode.invalidArguments,
  NO_VALID_LICENSE: ExitCode.noLicense,
  ALL_LICENSES_IN_USE: ExitCode.noLicense,
  QUOTA_EXCEEDED: ExitCode.noLicense,
  MACHINE_QUOTA_EXCEEDED: ExitCode.noLicense,
  SERVER_UNREACHABLE: ExitCode.unreachable,
  SERVER_ERROR: ExitCode.unreachable,
  TLS_ERROR: ExitCode.unreachable,
  PROXY_ERROR: ExitCode.unreachable,
  TIMEOUT: ExitCode.unreachable,
  INVALID_API_KEY: ExitCode.rejected,
  NOT_A_MEMBER: ExitCode.rejected,
  NO_POOL: ExitCode.rejected,
  SUBSCRIPTION_EXPIRED: ExitCode.rejected,
  NOT_LICENSED_USER: ExitCode.rejected,
  LICENSE_REFUSED: ExitCode.rejected,
  INVALID_LICENSE_FILE: ExitCode.noLicense,
  SESSION_TERMINATED: ExitCode.terminated,
  FILE_ERROR: ExitCode.failure,
  COMMAND_FAILED: ExitCode.failure,
  BAD_REQUEST: ExitCode.invalidArguments,
  NOT_FOUND: ExitCode.invalidArguments,
  CONFLICT: ExitCode.invalidArguments,
  SESSION_EXPIRED: ExitCode.terminated,
  RATE_LIMITED: ExitCode.unreachable,
  ADMIN_UNAUTHORIZED: ExitCode.rejected,
  DATABASE_UNAVAILABLE: ExitCode.failure,
  INTERNAL: ExitCode.failure,
};

export class KatalonError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'KatalonError';
    this.code = code;
    this.exitCode = exitCodes[code];
  }
}

export const fail = (code: ErrorCode, message: string): KatalonError =>
  new KatalonError(code, message);

export const isKatalonError = (e: unknown): e is KatalonError => e instanceof KatalonError;
