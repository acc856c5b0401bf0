/**
 * HTTP(S) transport of the API client: one keep-alive agent per client, TLS options applied to
 * every connection (CA, client certificate, verification on unless `insecureSkipVerify`), custom
 * headers, an idle timeout per request, bounded response bodies, and streaming responses.
 * Failures become `ClientError`s whose messages say what to do (trust the CA, use --plaintext, ...).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { errorMessage } from '../lib/index.js';
import { ClientError } from './errors.js';

export interface TransportTlsOptions {
  /** PEM bundle of CAs to trust instead of the system ones (`--server-crt`) */
  readonly caPem?: string;
  /** client certificate and key for mutual TLS (`--client-crt`, `--client-crt-key`) */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Unsafe: accept any server certificate (`--insecure`). */
  readonly insecureSkipVerify?: boolean;
  /** name to verify the certificate against, when it differs from the URL host */
  readonly serverName?: string;
}

export interface TransportOptions {
  /** `https://host:port` or `http://host:port`, optionally with a path prefix */
  readonly baseUrl: string;
  readonly tls?: TransportTlsOptions;
  /** sent with every request (`-H name: value`); cannot replace Authorization */
  readonly headers?: Readonly<Record<string, string>>;
  /** idle timeout of one request (no bytes for this long = failure); default 60 s */
  readonly timeoutMs?: number;
  /** idle timeout of a stream; default 90 s (the server sends a keepalive every 15 s) */
  readonly streamIdleTimeoutMs?: number;
  /** largest response body read into memory; default 64 MiB */
  readonly maxResponseBytes?: number;
  readonly userAgent?: string;
  /** called after every exchange, for debug logs (no headers, no bodies) */
  readonly onExchange?: (info: ExchangeInfo) => void;
}

export interface ExchangeInfo {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly durationMs: number;
  readonly error?: string;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** path below the base URL, already escaped, e.g. `/api/v1/applications/guestbook` */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** serialised as JSON */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The subset of fetch options `HttpTransport.fetch` supports (what openid-client sends). */
export interface FetchOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?:
    string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream | null | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** text chunks as they arrive; ends when the server closes the stream */
  readonly chunks: AsyncIterable<string>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_STREAM_IDLE_MS = 90_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Builds `path?query` with repeated keys for arrays (`projects=a&projects=b`). */
export function buildPath(path: string, query?: Readonly<Record<string, QueryValue>>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v as readonly string[]) params.append(k, item);
    else params.append(k, String(v));
  }
  const qs = params.toString();
  return qs === '' ? path : `${path}?${qs}`;
}

const TLS_ERROR =
  /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|EPROTO|HOSTNAME/i;

/** Explains a socket-level failure in words a CLI user can act on. */
export function describeConnectionError(err: unknown, origin: string): ClientError {
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
      ? err.code
      : '';
  const msg = errorMessage(err);
  let why: string;
  let tls = false;
  switch (code) {
    case 'ECONNREFUSED':
      why = 'connection refused: is the server running and the address right?';
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      why = 'host name not found: check the server address';
      break;
    case 'ECONNRESET':
      why = 'the connection was reset by the server';
      break;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      tls = true;
      why = `the server's certificate is not trusted (${code}): pass the CA that signed it with --server-crt <file>, or --insecure to skip verification (unsafe)`;
      break;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      tls = true;
      why = `the server's certificate does not name this host (${code}): connect with a name the certificate lists, or --insecure to skip verification (unsafe)`;
      break;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      tls = true;
      why = `the server's certificate is outside its validity period (${code})`;
      break;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      tls = true;
      why = `the server does not speak TLS on this port (${code}): if it really serves plain HTTP, use --plaintext`;
      break;
    default:
      tls = TLS_ERROR.test(code) || TLS_ERROR.test(msg);
      why = msg === '' ? code || 'unknown error' : msg;
      // Node 20 reports a TLS client talking to a plain HTTP port as EPROTO "wrong version number"
      if (/wrong version number|packet length too long/i.test(msg))
        why = `the server does not speak TLS on this port (${code || 'EPROTO'}): if it really serves plain HTTP, use --plaintext`;
  }
  return new ClientError('ERR_CLIENT_CONNECTION', `failed to connect to ${origin}: ${why}`, {
    tls,
    cause: err,
  });
}

export class HttpTransport {
  readonly baseUrl: URL;
  readonly #agent: http.Agent;
  readonly #options: TransportOptions;
  readonly #secure: boolean;
  readonly #headers: Record<string, string>;
  /** path prefix without a trailing slash ('' at the root) */
  readonly #basePath: string;

  constructor(options: TransportOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (err) {
      throw new TypeError(`invalid server URL "${options.baseUrl}": ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:')
      throw new TypeError(`server URL must be http(s), not ${base.protocol}`);
    this.#basePath = base.pathname.replace(/\/+$/, '');
    base.search = '';
    base.hash = '';
    this.baseUrl = base;
    this.#options = options;
    this.#secure = base.protocol === 'https:';
    const tls = options.tls ?? {};
    this.#agent = this.#secure
      ? new https.Agent({
          keepAlive: true,
          maxSockets: 8,
          rejectUnauthorized: tls.insecureSkipVerify !== true,
          ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}),
          ...(tls.certPem !== undefined ? { cert: tls.certPem } : {}),
          ...(tls.keyPem !== undefined ? { key: tls.keyPem } : {}),
          ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
          minVersion: 'TLSv1.2',
        })
      : new http.Agent({ keepAlive: true, maxSockets: 8 });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      if (k.toLowerCase() === 'authorization' || k.toLowerCase() === 'host') continue;
      headers[k] = v;
    }
    headers['user-agent'] = options.userAgent ?? 'argocd-ts-client';
    this.#headers = headers;
  }

  /** `https://host:port` (no path), for messages. */
  get origin(): string {
    return this.baseUrl.origin;
  }

  /** Sends a request and reads the whole answer (at most `maxResponseBytes`). */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    let res: IncomingMessage;
    try {
      res = await this.#send(req, req.timeoutMs ?? this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    } catch (err) {
      this.#report(req, undefined, started, errorMessage(err));
      throw err;
    }
    try {
      const body = await this.#readBody(res, req.signal);
      this.#report(req, res.statusCode, started);
      return { status: res.statusCode ?? 0, headers: res.headers, body };
    } catch (err) {
      this.#report(req, res.statusCode, started, errorMessage(err));
      throw err;
    }
  }

  /** Opens a streaming request; the caller reads `chunks` and calls `close()` when done. */
  async stream(req: HttpRequest): Promise<HttpStream> {
    const started = Date.now();
    const idle = this.#options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_MS;
    let res: IncomingMessage;
    try {
      res = await this.#send(req, idle);
    } catch (err) {
      this.#report(req, undefined, started, errorMessage(err));
      throw err;
    }
    this.#report(req, res.statusCode, started);
    const onAbort = (): void => {
      res.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    res.once('close', () => {
      req.signal?.removeEventListener('abort', onAbort);
    });
    res.setEncoding('utf8');
    const chunks = (async function* (): AsyncGenerator<string> {
      for await (const chunk of res as AsyncIterable<string>) yield chunk;
    })();
    return {
      status: res.statusCode ?? 0,
      headers: res.headers,
      chunks,
      close: () => {
        res.destroy();
      },
    };
  }

  /** Closes idle keep-alive connections so the process can exit. */
  close(): void {
    this.#agent.destroy();
  }

  /**
   * A `fetch` for libraries that take one (openid-client): requests to the API server's origin
   * use this transport's TLS settings; other origins use Node's defaults (system CAs, verified).
   */
  readonly fetch = async (input: string, init: FetchOptions = {}): Promise<Response> => {
    const url = new URL(input);
    const sameOrigin = url.origin === this.baseUrl.origin;
    const method = (init.method ?? 'GET').toUpperCase();
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(init.headers ?? {})) outHeaders[k.toLowerCase()] = v;
    let body: Buffer | undefined;
    const raw = init.body;
    if (typeof raw === 'string') body = Buffer.from(raw);
    else if (raw instanceof URLSearchParams) {
      body = Buffer.from(raw.toString());
      outHeaders['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (raw instanceof Uint8Array) body = Buffer.from(raw);
    else if (raw instanceof ArrayBuffer) body = Buffer.from(new Uint8Array(raw));
    else if (raw !== undefined && raw !== null)
      throw new TypeError('fetch body must be a string, URLSearchParams or bytes');
    if (body) outHeaders['content-length'] = String(body.length);
    const mod = url.protocol === 'https:' ? https : http;
    const agent = sameOrigin ? this.#agent : undefined;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = mod.request(
        url,
        {
          method,
          headers: outHeaders,
          ...(agent ? { agent } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
        },
        resolve,
      );
      r.setTimeout(this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => {
        r.destroy(new ClientError('ERR_CLIENT_TIMEOUT', `no answer from ${url.origin} in time`));
      });
      r.on('error', (err) => {
        reject(err instanceof ClientError ? err : describeConnectionError(err, url.origin));
      });
      r.end(body);
    });
    const data = await this.#readBody(res, init.signal);
    const resHeaders = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const x of v) resHeaders.append(k, x);
      else if (v !== undefined) resHeaders.set(k, v);
    }
    const status = res.statusCode ?? 500;
    const nullBody = status === 204 || status === 304;
    return new Response(nullBody ? null : new Uint8Array(data), { status, headers: resHeaders });
  };

  #send(req: HttpRequest, idleMs: number): Promise<IncomingMessage> {
    const path = buildPath(this.#basePath + req.path, req.query);
    const headers: Record<string, string> = { ...this.#headers, accept: 'application/json' };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    let payload: Buffer | undefined;
    // every non-GET request is JSON, `{}` when empty (the server's CSRF guard wants the type)
    const body = req.body ?? (req.method === 'GET' ? undefined : {});
    if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const mod = this.#secure ? https : http;
    const origin = this.origin;
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (req.signal?.aborted) {
        reject(new ClientError('ERR_CLIENT_ABORTED', `request to ${origin} aborted`));
        return;
      }
      const r = mod.request(
        {
          protocol: this.baseUrl.protocol,
          hostname: this.baseUrl.hostname.replace(/^\[|\]$/g, ''),
          port: this.baseUrl.port === '' ? undefined : Number(this.baseUrl.port),
          path,
          method: req.method,
          headers,
          agent: this.#agent,
        },
        (res) => {
          req.signal?.removeEventListener('abort', onAbort);
          res.on('error', () => {
            // read errors surface through the body reader / stream iterator
          });
          // the idle timeout keeps applying to the body (socket inactivity)
          resolve(res);
        },
      );
      const onAbort = (): void => {
        r.destroy(new ClientError('ERR_CLIENT_ABORTED', `request to ${origin} aborted`));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      r.setTimeout(idleMs, () => {
        r.destroy(
          new ClientError(
            'ERR_CLIENT_TIMEOUT',
            `failed to get an answer from ${origin} within ${Math.round(idleMs / 1000)} s`,
          ),
        );
      });
      r.on('error', (err) => {
        req.signal?.removeEventListener('abort', onAbort);
        reject(err instanceof ClientError ? err : describeConnectionError(err, origin));
      });
      r.end(payload);
    });
  }

  async #readBody(res: IncomingMessage, signal?: AbortSignal): Promise<Buffer> {
    const max = this.#options.maxResponseBytes ?? DEFAULT_MAX_BYTES;
    const parts: Buffer[] = [];
    let size = 0;
    const onAbort = (): void => {
      res.destroy(new ClientError('ERR_CLIENT_ABORTED', 'request aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of res as Readable) {
        const b = chunk as Buffer;
        size += b.length;
        if (size > max) {
          res.destroy();
          throw new ClientError(
            'ERR_CLIENT_RESPONSE',
            `failed to read the answer from ${this.origin}: larger than ${max} bytes`,
          );
        }
        parts.push(b);
      }
    } catch (err) {
      if (err instanceof ClientError) throw err;
      throw new ClientError(
        'ERR_CLIENT_RESPONSE',
        `failed to read the answer from ${this.origin}: ${errorMessage(err)}`,
        { cause: err },
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return Buffer.concat(parts);
  }

  #report(req: HttpRequest, status: number | undefined, started: number, error?: string): void {
    this.#options.onExchange?.({
      method: req.method,
      path: req.path,
      status,
      durationMs: Date.now() - started,
      ...(error !== undefined ? { error } : {}),
    });
  }
}
