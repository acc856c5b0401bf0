/**
 * Startup errors of a listener the programs can act on: a port already taken (EADDRINUSE), one
 * that needs privileges (EACCES), an address not on this machine (EADDRNOTAVAIL). Each program
 * turns such an error into one line that names the address and the flag to change, and exits
 * non-zero, instead of crashing with a stack trace.
 */

/** One socket a program opens, and the flags that move it. */
export interface ListenTarget {
  /** what listens there, e.g. `repo server` or `metrics` */
  readonly what: string;
  readonly address: string;
  readonly port: number;
  /** e.g. `--port` */
  readonly portFlag: string;
  /** e.g. `--address` */
  readonly addressFlag: string;
}

interface ListenErrno {
  readonly code: string;
  readonly address?: string;
  readonly port?: number;
}

const CODES: ReadonlySet<string> = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL']);

/** The system error of a failed `listen`, in `err` or its `cause` chain. */
function listenErrnoOf(err: unknown): ListenErrno | undefined {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const { code, syscall, address, port } = e as {
      code?: unknown;
      syscall?: unknown;
      address?: unknown;
      port?: unknown;
    };
    if (typeof code === 'string' && CODES.has(code) && (syscall === 'listen' || syscall === 'bind'))
      return {
        code,
        ...(typeof address === 'string' ? { address } : {}),
        ...(typeof port === 'number' ? { port } : {}),
      };
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function hostPort(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * A one-line explanation of a listen failure (address, cause, flag to change), or undefined when
 * `err` is not one. The target is the one whose port the error names (else the first).
 * @example
 * describeListenFailure(err, [{ what: 'repo server', address: '127.0.0.1', port: 8081, portFlag: '--port', addressFlag: '--address' }])
 * // 'failed to listen on 127.0.0.1:8081 (repo server): the address is already in use; stop the process that holds it, or choose another port with --port'
 */
export function describeListenFailure(
  err: unknown,
  targets: readonly ListenTarget[],
): string | undefined {
  const e = listenErrnoOf(err);
  if (e === undefined) return undefined;
  const t = targets.find((x) => x.port !== 0 && x.port === e.port) ?? targets[0];
  const where = hostPort(e.address ?? t?.address ?? '?', e.port ?? t?.port ?? 0);
  const head = `failed to listen on ${where}${t ? ` (${t.what})` : ''}`;
  const portFlag = t?.portFlag ?? 'the port flag';
  switch (e.code) {
    case 'EADDRINUSE':
      return `${head}: the address is already in use; stop the process that holds it, or choose another port with ${portFlag}`;
    case 'EACCES':
      return `${head}: permission denied (ports below 1024 need privileges); choose another port with ${portFlag}`;
    default:
      return `${head}: the address is not available on this machine; choose another with ${t?.addressFlag ?? 'the address flag'}`;
  }
}
