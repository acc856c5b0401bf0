/**
 * The HTTP client argocd-server talks to its identity provider with (discovery, JWKS, token
 * endpoint): a fetch-compatible function over node:http(s), because Node's global fetch cannot take
 * per-request TLS options and every link here has its own trust:
 *
 * - the bundled provider: the `--dex-server*` link (plaintext, non-validating TLS as Argo CD,
 *   strict TLS with the mounted `argocd-dex-server-tls`, or the internal CA with a client
 *   certificate); requests to the issuer (`<url>/api/dex/...`) are sent to `--dex-server` instead,
 *   exactly as Argo CD rewrites them, so the server never goes out through the public URL;
 * - `oidc.config`: the system CAs plus `rootCA`, verified unless `oidc.tls.insecure.skip.verify`.
 *
 * Redirects are never followed (the caller sees the 3xx), every request has a timeout, response
 * bodies are capped, and the TLS options are read per request so rotated certificates apply at once.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ConnectionOptions } from 'node:tls';

/** The request options openid-client and the JWKS loader pass. */
export interface ProviderFetchInit {
  readonly method?: string;
  readonly headers?: Record<string, string> | Headers;
  readonly body?: unknown;
  readonly signal?: AbortSignal | null;
  readonly redirect?: string;
}

export type ProviderFetch = (url: string, init?: ProviderFetchInit) => Promise<Response>;

export interface ProviderFetchOptions {
  /** TLS options for an https request (read per request); undefined: Node's defaults (system CAs) */
  readonly tls: () => ConnectionOptions | undefined;
  /** plain http is refused unless true (the bundled provider's `--dex-server-plaintext` link) */
  readonly allowHttp: boolean;
  /** maps the URL the library asks for to the one to connect to (the Dex rewrite) */
  readonly rewrite?: (url: URL) => URL;
  /** default 15 s */
  readonly timeoutMs?: number;
  /** default 1 MiB */
  readonly maxBodyBytes?: number;
}

function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  throw new TypeError('unsupported request body type');
}

function headerRecord(h: ProviderFetchInit['headers']): Record<string, string> {
  if (h === undefined) return {};
  if (h instanceof Headers) return Object.fromEntries(h.entries());
  return { ...h };
}

/** Builds the fetch of one provider link (see the module comment). */
export function createProviderFetch(options: ProviderFetchOptions): ProviderFetch {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      let u = new URL(url);
      if (options.rewrite) u = options.rewrite(u);
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && options.allowHttp)) {
        reject(
          new TypeError(
            `refusing to contact ${u.origin}: ${u.protocol === 'http:' ? 'plain HTTP is not allowed on this link' : `unsupported scheme ${u.protocol}`}`,
          ),
        );
        return;
      }
      const body = bodyBytes(init.body);
      const headers = headerRecord(init.headers);
      if (body !== undefined) headers['content-length'] = String(body.length);
      const secure = u.protocol === 'https:';
      const send = secure ? httpsRequest : httpRequest;
      const req = send(
        u,
        {
          method: init.method ?? 'GET',
          headers,
          timeout: timeoutMs,
          agent: false,
          ...(secure ? { minVersion: 'TLSv1.2' as const, ...options.tls() } : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBody) {
              res.destroy(
                new Error(`the response from ${u.origin} is larger than ${maxBody} bytes`),
              );
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
            const noBody = status === 204 || status === 304 || init.method === 'HEAD';
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
        req.destroy(new Error(`the request to ${u.origin} timed out after ${timeoutMs} ms`));
      });
      req.on('error', reject);
      const signal = init.signal;
      if (signal) {
        if (signal.aborted) req.destroy(new Error('aborted'));
        else
          signal.addEventListener(
            'abort',
            () => {
              req.destroy(new Error('aborted'));
            },
            { once: true },
          );
      }
      req.end(body);
    });
}
