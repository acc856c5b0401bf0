/**
 * The HTTP client the upstream connector talks to its OpenID provider with. Node's global fetch
 * cannot take a custom CA per request, and connectors need one (`rootCA`, `rootCAs`), so this is a
 * small fetch-compatible function over node:https: TLS verified by default against the system CAs
 * plus the connector's own, redirects never followed, a timeout on every request and a cap on
 * response size.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

export interface ConnectorFetchOptions {
  /** extra trusted CAs (PEM); the system CAs stay trusted */
  readonly ca?: string;
  /** turns certificate verification off (Dex `insecureSkipVerify`); never the default */
  readonly insecureSkipVerify?: boolean;
  /** default 15 s */
  readonly timeoutMs?: number;
  /** default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** What openid-client passes to a custom fetch. */
export interface ConnectorFetchInit {
  readonly method?: string;
  readonly headers?: Record<string, string> | Headers;
  readonly body?: unknown;
  readonly signal?: AbortSignal | null;
  readonly redirect?: string;
}

export type ConnectorFetch = (url: string, init?: ConnectorFetchInit) => Promise<Response>;

function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new TypeError('unsupported request body type');
}

function headerRecord(h: ConnectorFetchInit['headers']): Record<string, string> {
  if (h === undefined) return {};
  if (h instanceof Headers) return Object.fromEntries(h.entries());
  return { ...h };
}

/** A fetch for one connector. */
export function createConnectorFetch(options: ConnectorFetchOptions = {}): ConnectorFetch {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const ca = options.ca === undefined ? undefined : [...rootCertificates, options.ca];
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const u = new URL(url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') {
        reject(new TypeError(`unsupported URL scheme ${u.protocol}`));
        return;
      }
      const body = bodyBytes(init.body);
      const headers = headerRecord(init.headers);
      if (body !== undefined) headers['content-length'] = String(body.length);
      const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        u,
        {
          method: init.method ?? 'GET',
          headers,
          timeout: timeoutMs,
          ...(u.protocol === 'https:'
            ? {
                ...(ca === undefined ? {} : { ca }),
                rejectUnauthorized: options.insecureSkipVerify !== true,
                minVersion: 'TLSv1.2' as const,
              }
            : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBody) {
              res.destroy(new Error(`response from ${u.origin} is larger than ${maxBody} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (v === undefined) continue;
              for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
            }
            const status = res.statusCode ?? 502;
            const noBody = status === 204 || status === 304;
            resolve(
              new Response(noBody ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? '',
                headers: out,
              }),
            );
          });
        },
      );
      req.on('timeout', () => {
        req.destroy(new Error(`request to ${u.origin} timed out after ${timeoutMs} ms`));
      });
      req.on('error', reject);
      if (init.signal) {
        if (init.signal.aborted) req.destroy(new Error('aborted'));
        else
          init.signal.addEventListener('abort', () => req.destroy(new Error('aborted')), {
            once: true,
          });
      }
      req.end(body);
    });
}
