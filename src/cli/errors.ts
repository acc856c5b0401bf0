/**
 * Errors of the CLI and the one place where any error becomes an exit code and a message.
 *
 * Exit codes (stable; docs/cli.md): Argo CD's own codes where it has them (`util/errors`: 11
 * connection failure, 12 API refused the request, 13 not found, 20 generic), plus 1 for
 * command-specific results (differences found, check answered "No", timed out, operation failed)
 * and 2 for usage errors (bad flags or arguments).
 */
import { ClientError } from '../client/index.js';
import { CodedError, errorMessage, sanitizeText } from '../lib/index.js';

export const ExitCodes = {
  ok: 0,
  /** a command-specific negative result: differences, "No", timeout, failed operation */
  commandSpecific: 1,
  usage: 2,
  connection: 11,
  apiRefused: 12,
  notFound: 13,
  generic: 20,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

export type CliErrorCode =
  | 'ERR_CLI_USAGE'
  | 'ERR_CLI_NOT_LOGGED_IN'
  | 'ERR_CLI_NOT_FOUND'
  | 'ERR_CLI_CONFIG'
  | 'ERR_CLI_INPUT'
  | 'ERR_CLI_FAILED'
  | 'ERR_CLI_TIMEOUT'
  | 'ERR_CLI_INTERRUPTED';

export class CliError extends CodedError<CliErrorCode> {
  readonly code: CliErrorCode;
  /** what to do next, printed as `hint:` under the message */
  readonly hint: string | undefined;
  constructor(
    code: CliErrorCode,
    message: string,
    options?: { readonly cause?: unknown; readonly hint?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.hint = options?.hint;
  }
}

/**
 * A refused password login (`POST /api/v1/session` answered Unauthenticated) as a CliError that
 * says what to check; undefined for any other error. The server answers the same for an unknown
 * user and a wrong password (on purpose), so the hint names both.
 */
export function loginRefusedError(err: unknown, username: string): CliError | undefined {
  if (!(err instanceof ClientError) || err.code !== 'ERR_CLIENT_API' || err.grpcCode !== 16)
    return undefined;
  const reason = err.serverMessage ?? 'Invalid username or password';
  const admin =
    username === 'admin'
      ? "; the initial admin password is printed by 'argocd admin initial-password -n <namespace>' (until it is changed)"
      : '';
  return new CliError('ERR_CLI_NOT_LOGGED_IN', `failed to log in as "${username}": ${reason}`, {
    cause: err,
    hint: `check the user name and the password (the server does not say which is wrong)${admin}`,
  });
}

/** A usage error: bad flags or arguments (exit 2). */
export function usageError(message: string): CliError {
  return new CliError('ERR_CLI_USAGE', message);
}

/** Which exit code an error maps to. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliError) {
    switch (err.code) {
      case 'ERR_CLI_USAGE':
        return ExitCodes.usage;
      case 'ERR_CLI_NOT_LOGGED_IN':
        return ExitCodes.apiRefused;
      case 'ERR_CLI_NOT_FOUND':
        return ExitCodes.notFound;
      case 'ERR_CLI_TIMEOUT':
      case 'ERR_CLI_FAILED':
        return ExitCodes.commandSpecific;
      case 'ERR_CLI_CONFIG':
      case 'ERR_CLI_INPUT':
      case 'ERR_CLI_INTERRUPTED':
        return ExitCodes.generic;
    }
  }
  if (err instanceof ClientError) {
    switch (err.code) {
      case 'ERR_CLIENT_CONNECTION':
      case 'ERR_CLIENT_TIMEOUT':
        return ExitCodes.connection;
      case 'ERR_CLIENT_API':
        if (err.grpcCode === 5) return ExitCodes.notFound;
        if (err.grpcCode === 16 || err.grpcCode === 7) return ExitCodes.apiRefused;
        return ExitCodes.generic;
      case 'ERR_CLIENT_RESPONSE':
      case 'ERR_CLIENT_ABORTED':
        return ExitCodes.generic;
    }
  }
  return ExitCodes.generic;
}

/** What to do next, for errors whose message alone does not say it. */
function hint(err: unknown): string | undefined {
  if (!(err instanceof ClientError) || err.code !== 'ERR_CLIENT_API') return undefined;
  if (err.grpcCode === 16)
    return "not logged in, or the session expired or was revoked: run 'argocd login <server>' (or 'argocd relogin')";
  if (err.grpcCode === 7)
    return "your account lacks the RBAC permission (for applications this also means the app does not exist): check with 'argocd account can-i <action> <resource> <object>' and ask an administrator";
  return undefined;
}

/**
 * The message printed for an error (one or two lines, ending in a newline). `secrets` are removed
 * wherever they appear (passwords and tokens the command read).
 */
export function formatError(err: unknown, secrets: readonly string[] = []): string {
  const h = err instanceof CliError ? err.hint : hint(err);
  const msg = sanitizeText(errorMessage(err), secrets);
  return `argocd: ${msg}\n${h ? `hint: ${h}\n` : ''}`;
}
