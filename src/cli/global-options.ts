/**
 * The global flags of `argocd` (Argo CD's persistent flags), declared once, with their
 * environment variables, and resolved once per run into a frozen `GlobalOptions`.
 */
import { usageError } from './errors.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type CliLogLevel = (typeof LOG_LEVELS)[number];

/** A global flag (the shape of define.ts's OptionDef, kept apart to avoid an import cycle). */
export interface GlobalOptionDef {
  readonly flags: string;
  readonly description: string;
  readonly default?: string;
  readonly repeatable?: boolean;
  readonly choices?: readonly string[];
}

export const globalOptionDefs: readonly GlobalOptionDef[] = [
  {
    flags: '--server <address>',
    description: 'Argo CD server address, host:port (env ARGOCD_SERVER)',
  },
  {
    flags: '--auth-token <token>',
    description: 'authentication token (env ARGOCD_AUTH_TOKEN)',
  },
  {
    flags: '--insecure',
    description: "skip verification of the server's TLS certificate (unsafe)",
  },
  { flags: '--plaintext', description: 'connect without TLS (plain HTTP)' },
  {
    flags: '--grpc-web',
    description: 'accepted for compatibility: argocd-ts always speaks REST over HTTP/1.1',
  },
  {
    flags: '--grpc-web-root-path <path>',
    description: 'path prefix the server is served under (its --rootpath)',
  },
  {
    flags: '--server-crt <file>',
    description: "CA (or self-signed certificate) file to verify the server's certificate with",
  },
  { flags: '--client-crt <file>', description: 'client certificate file (mutual TLS)' },
  { flags: '--client-crt-key <file>', description: 'client certificate key file (mutual TLS)' },
  {
    flags: '-H, --header <header>',
    description: "extra HTTP header for every request, 'Name: value' (repeatable)",
    repeatable: true,
  },
  {
    flags: '--config <path>',
    description: 'path to the config file (default ~/.config/argocd/config, env ARGOCD_CONFIG_DIR)',
  },
  {
    flags: '--argocd-context <name>',
    description: 'the context to use (default: the current one)',
  },
  {
    flags: '--loglevel <level>',
    description: 'log level',
    default: 'info',
    choices: LOG_LEVELS,
  },
];

export interface GlobalOptions {
  readonly server: string | undefined;
  readonly authToken: string | undefined;
  readonly insecure: boolean;
  readonly plaintext: boolean;
  readonly grpcWeb: boolean;
  readonly rootPath: string | undefined;
  readonly serverCrt: string | undefined;
  readonly clientCrt: string | undefined;
  readonly clientCrtKey: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly config: string | undefined;
  readonly context: string | undefined;
  readonly logLevel: CliLogLevel;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses `-H 'Name: value'` values; refuses malformed names and line breaks (header injection). */
export function parseHeaders(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf(':');
    const name = i === -1 ? '' : v.slice(0, i).trim();
    const value = i === -1 ? '' : v.slice(i + 1).trim();
    if (!HEADER_NAME.test(name))
      throw usageError(`invalid --header "${v}": use 'Name: value' with a valid header name`);
    if (/[\r\n\0]/.test(value))
      throw usageError(`invalid --header ${name}: the value may not contain line breaks`);
    out[name] = value;
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** flag > environment variable > unset. */
export function resolveGlobals(
  raw: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): GlobalOptions {
  const headers = Array.isArray(raw.header)
    ? (raw.header as unknown[]).filter((x): x is string => typeof x === 'string')
    : [];
  const level = str(raw.loglevel) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw usageError(`invalid --loglevel "${level}": use one of ${LOG_LEVELS.join(', ')}`);
  return Object.freeze({
    server: str(raw.server) ?? str(env.ARGOCD_SERVER),
    authToken: str(raw.authToken) ?? str(env.ARGOCD_AUTH_TOKEN),
    insecure: raw.insecure === true,
    plaintext: raw.plaintext === true,
    grpcWeb: raw.grpcWeb === true,
    rootPath: str(raw.grpcWebRootPath),
    serverCrt: str(raw.serverCrt),
    clientCrt: str(raw.clientCrt),
    clientCrtKey: str(raw.clientCrtKey),
    headers: Object.freeze(parseHeaders(headers)),
    config: str(raw.config),
    context: str(raw.argocdContext),
    logLevel: level as CliLogLevel,
  });
}

/**
 * `ARGOCD_OPTS` holds extra flags, as in Argo CD (e.g. `--grpc-web --server argocd.example`):
 * split on white space (single or double quotes group words) and put before the arguments.
 */
export function splitArgocdOpts(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (const ch of value) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw usageError('ARGOCD_OPTS has an unclosed quote');
  if (inWord) out.push(cur);
  return out;
}
