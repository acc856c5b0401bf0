/**
 * The base of every error this project throws on purpose. Each boundary (engine, repo server, auth,
 * RBAC, API) extends it with its own class and a closed union of stable `code`s (after jose), so
 * callers branch on `code`, never on message text. Messages read "failed to <verb> <object>" and the
 * original error travels as `cause`.
 */
export abstract class CodedError<Code extends string = string> extends Error {
  abstract readonly code: Code;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Returns the message of anything thrown, for logs and wrapped errors. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
