/**
 * The logging surface the TLS module needs: a subset of pino's API, so a pino logger (or a child of
 * one) can be passed as is; tests pass a recorder. The module never logs key material or PEM text.
 */
export interface TlsLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** A logger that drops everything (the default when none is injected). */
export const silentLogger: TlsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
