/**
 * `/api/dex/*`: the reverse proxy to the bundled provider (Argo CD proxies Dex the same way, so the
 * browser and the CLI reach the issuer `<url>/api/dex` through argocd-server):
 *
 * - bodies are streamed both ways, never buffered; request bodies over `maxRequestBytes` (1 MiB)
 *   and responses over `maxResponseBytes` (10 MiB) are cut off;
 * - hop-by-hop headers (RFC 9110 §7.6.1: `Connection` and the headers it names, `Keep-Alive`,
 *   `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`) are dropped both ways;
 * - `X-Forwarded-For`/`-Proto`/`-Host` are set (replacing what the client sent) so the provider
 *   sees the public origin;
 * - argocd-server's own cookies (`argocd.token*`, `argocd.oauthstate`) are not forwarded: the
 *   provider has no business with the session token;
 * - the upstream link is the `--dex-server*` one (TLS options per request); failures are a 502
 *   with a fixed message, the detail goes to the log.
 */
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '../../lib/index.js';
import type { ServerLogger } from '../logging.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);
const OWN_COOKIE = /^(argocd\.token(-\d+)?|argocd\.oauthstate)$/;

export interface DexProxyOptions {
  /** where the provider listens (`https://argocd-dex-server:5556`) */
  readonly target: () => URL | undefined;
  /** the issuer's path on the provider (`/api/dex`, or `<rootpath>/api/dex`) */
  readonly issuerPath: () => string;
  readonly tls: () => ConnectionOptions | undefined;
  readonly log: ServerLogger;
  readonly maxRequestBytes?: number;
  readonly maxResponseBytes?: number;
  readonly timeoutMs?: number;
}

/** Drops hop-by-hop headers (and those `Connection` names). */
export function stripHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    (headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(key) || named.has(key) || key.startsWith(':')) continue;
    out[key] = v;
  }
  return out;
}

/** The Cookie header without argocd-server's own cookies (undefined when nothing is left). */
export function withoutOwnCookies(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  const kept = cookie
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '' && !OWN_COOKIE.test(c.slice(0, Math.max(0, c.indexOf('=')))));
  return kept.length === 0 ? undefined : kept.join('; ');
}

function fail(reply: FastifyReply, status: number, text: string): void {
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  void reply.code(status).type('text/plain; charset=utf-8').send(`${text}\n`);
}

/** Registers `/api/dex` and `/api/dex/*` (an encapsulated plugin: its own body handling). */
export function registerDexProxy(app: FastifyInstance, options: DexProxyOptions): void {
  const maxReq = options.maxRequestBytes ?? 1024 * 1024;
  const maxRes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.log;

  const handler = (request: FastifyRequest, reply: FastifyReply): Promise<void> =>
    new Promise<void>((resolve) => {
      const target = options.target();
      if (target === undefined) {
        fail(reply, 404, 'the bundled identity provider is not configured (argocd-cm dex.config)');
        resolve();
        return;
      }
      const path = request.url; // after the rootpath rewrite: /api/dex/...
      const rest = path.slice('/api/dex'.length);
      const upstreamPath = `${options.issuerPath().replace(/\/+$/, '')}${rest === '' ? '' : rest}`;
      const declared = Number(request.headers['content-length'] ?? '0');
      if (declared > maxReq) {
        fail(reply, 413, 'request body too large');
        resolve();
        return;
      }
      const headers = stripHopByHop(request.headers);
      delete headers.host;
      delete headers['content-length'];
      const cookie = withoutOwnCookies(request.headers.cookie);
      if (cookie === undefined) delete headers.cookie;
      else headers.cookie = cookie;
      const host = request.headers.host ?? request.hostname;
      headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
      headers['x-forwarded-proto'] = request.protocol;
      headers['x-forwarded-host'] = host;
      const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
      if (hasBody && request.headers['content-length'] !== undefined)
        headers['content-length'] = request.headers['content-length'];
      const secure = target.protocol === 'https:';
      const send = secure ? httpsRequest : httpRequest;
      const upstream = send(
        {
          protocol: target.protocol,
          hostname: target.hostname.replace(/^\[|\]$/g, ''),
          port: target.port,
          method: request.method,
          path: upstreamPath,
          headers,
          timeout: timeoutMs,
          agent: false,
          ...(secure ? { minVersion: 'TLSv1.2' as const, ...options.tls() } : {}),
        },
        (res) => {
          const out = stripHopByHop(res.headers);
          const len = Number(res.headers['content-length'] ?? '0');
          if (len > maxRes) {
            res.destroy();
            fail(reply, 502, 'the identity provider answered with a body that is too large');
            resolve();
            return;
          }
          reply.hijack();
          reply.raw.writeHead(res.statusCode ?? 502, out);
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxRes) {
              log.warn({ path }, 'dex proxy: response cut off (too large)');
              res.destroy();
              reply.raw.destroy();
              return;
            }
            reply.raw.write(chunk);
          });
          res.on('end', () => {
            reply.raw.end();
            resolve();
          });
          res.on('error', () => {
            reply.raw.destroy();
            resolve();
          });
        },
      );
      upstream.on('timeout', () => {
        upstream.destroy(new Error(`no answer within ${timeoutMs} ms`));
      });
      upstream.on('error', (err) => {
        log.warn(
          { err: errorMessage(err), target: target.origin, path: upstreamPath },
          'dex proxy: the bundled identity provider could not be reached',
        );
        fail(reply, 502, 'failed to reach the identity provider');
        resolve();
      });
      if (!hasBody) {
        upstream.end();
        return;
      }
      let size = 0;
      const body = request.raw;
      body.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxReq) {
          body.pause();
          upstream.destroy(new Error('request body too large'));
          fail(reply, 413, 'request body too large');
          resolve();
          return;
        }
        upstream.write(chunk);
      });
      body.on('end', () => upstream.end());
      body.on('error', () => upstream.destroy());
    });

  void app.register((inst, _opts, done) => {
    inst.removeAllContentTypeParsers();
    // leave the body unread: the handler streams request.raw to the provider
    inst.addContentTypeParser('*', (_req, _payload, next) => {
      next(null);
    });
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
    for (const url of ['/api/dex', '/api/dex/*'])
      inst.route({
        method: [...methods],
        url,
        // the provider has its own CSRF protection (bound form tokens); its token endpoint is
        // called with form bodies by OAuth clients
        config: { auth: 'none', csrf: false },
        bodyLimit: maxReq,
        handler: async (request, reply) => {
          await handler(request, reply);
          return reply;
        },
      });
    done();
  });
}
