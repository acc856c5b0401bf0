/**
 * One open stream of results (`{"result": ...}`), as grpc-gateway and Argo CD's SSE handler write
 * them:
 * - with `Accept: text/event-stream`: `Content-Type: text/event-stream`, each message
 *   `data: {"result": ...}\n\n`, and a `:` comment every `streamKeepaliveMs` (15 s) so proxies and
 *   browsers keep the connection;
 * - otherwise newline-delimited JSON (`{"result": ...}\n`, `application/json`).
 * Never compressed (`Content-Encoding` is not set and proxies are told not to buffer).
 *
 * The stream belongs to the caller who opened it: every `streamSessionRecheckMs` its token is
 * verified again (expiry, logout/revocation, password change, disabled account, deleted project
 * token) and the stream ends when that fails; it also ends when the client goes away, when the
 * server shuts down, when the client reads too slowly (more than 8 MiB waiting) or on `close()`.
 */
import { extractToken, parseCookieHeader, type SessionManager } from '../../auth/index.js';
import { errorMessage } from '../../lib/index.js';
import type { RequestContext } from '../context.js';
import type { ServerLogger } from '../logging.js';
import type { ApiRequest } from '../service.js';

/** Bytes allowed to wait in the socket buffer before a slow client is cut off. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export interface StreamOptions {
  readonly keepaliveMs: number;
  readonly sessionRecheckMs: number;
  readonly sessions: () => SessionManager;
  readonly anonymousEnabled: () => boolean;
  readonly shutdownSignal: AbortSignal;
  readonly log: ServerLogger;
  readonly now: () => number;
}

/** An open stream; `send` takes the `result` payload (or its JSON text). */
export interface ResultStream {
  readonly sse: boolean;
  readonly closed: boolean;
  send(result: unknown): void;
  /** sends `{"result": <json>}` for an already serialised result */
  sendJson(resultJson: string): void;
  close(reason?: string): void;
  /** called once when the stream ends, for whatever reason */
  onClose(fn: (reason: string) => void): void;
}

function wantsSse(accept: string | undefined): boolean {
  return (accept ?? '').toLowerCase().includes('text/event-stream');
}

/** Whether the caller's credentials still hold; throws (with the reason) when they do not. */
async function recheck(ctx: RequestContext, req: ApiRequest, o: StreamOptions): Promise<void> {
  const c = ctx.caller;
  if (c.kind === 'anonymous') {
    if (!o.anonymousEnabled()) throw new Error('anonymous access was disabled');
    return;
  }
  if (c.kind === 'sso') {
    const exp = c.claims.exp;
    if (typeof exp === 'number' && o.now() / 1000 >= exp) throw new Error('the token has expired');
    return;
  }
  const found = extractToken({
    ...(req.headers.authorization !== undefined
      ? { authorization: req.headers.authorization }
      : {}),
    ...(req.headers.cookie !== undefined ? { cookies: parseCookieHeader(req.headers.cookie) } : {}),
  });
  if (!found) throw new Error('the token is gone');
  await o.sessions().verifyToken(found.token);
}

/** Opens the stream on `req` (the handler must return `req.reply`). */
export function openStream(ctx: RequestContext, req: ApiRequest, o: StreamOptions): ResultStream {
  const sse = wantsSse(req.headers.accept);
  const reply = req.reply;
  const raw = reply.raw;
  reply.hijack();
  const headers: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(reply.getHeaders()))
    if (v !== undefined && k !== 'content-length' && k !== 'content-encoding') headers[k] = v;
  headers['content-type'] = sse
    ? 'text/event-stream; charset=utf-8'
    : 'application/json; charset=utf-8';
  headers['cache-control'] = 'no-cache, no-store';
  headers['x-accel-buffering'] = 'no';
  raw.writeHead(200, headers);
  // the headers go out now: a client sees the stream open before the first event
  if ('flushHeaders' in raw && typeof raw.flushHeaders === 'function') raw.flushHeaders();

  let closed = false;
  const closers: ((reason: string) => void)[] = [];
  const timers: NodeJS.Timeout[] = [];

  const close = (reason = 'closed'): void => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearInterval(t);
    o.shutdownSignal.removeEventListener('abort', onShutdown);
    raw.off('close', onGone);
    for (const fn of closers.splice(0)) {
      try {
        fn(reason);
      } catch (err) {
        o.log.error({ err: errorMessage(err) }, 'a stream close handler failed');
      }
    }
    if (!raw.writableEnded) raw.end();
  };
  const onGone = (): void => {
    close('client went away');
  };
  const onShutdown = (): void => {
    close('server shutting down');
  };
  raw.on('close', onGone);
  if (o.shutdownSignal.aborted) queueMicrotask(onShutdown);
  else o.shutdownSignal.addEventListener('abort', onShutdown, { once: true });

  const write = (text: string): void => {
    if (closed) return;
    if (raw.writableLength > MAX_BUFFERED) {
      o.log.warn({ requestId: ctx.requestId }, 'closing a stream whose client reads too slowly');
      close('client too slow');
      return;
    }
    raw.write(text);
  };

  const sendJson = (resultJson: string): void => {
    const msg = `{"result":${resultJson}}`;
    write(sse ? `data: ${msg}\n\n` : `${msg}\n`);
  };

  if (sse)
    timers.push(
      setInterval(() => {
        write(':\n\n');
      }, o.keepaliveMs),
    );
  let checking = false;
  timers.push(
    setInterval(() => {
      if (checking || closed) return;
      checking = true;
      recheck(ctx, req, o)
        .catch((err: unknown) => {
          o.log.info(
            { requestId: ctx.requestId, subject: ctx.caller.subject, reason: errorMessage(err) },
            'closing a stream: the session is no longer valid',
          );
          close('session ended');
        })
        .finally(() => {
          checking = false;
        });
    }, o.sessionRecheckMs),
  );
  for (const t of timers) t.unref();

  return {
    sse,
    get closed() {
      return closed;
    },
    send(result: unknown) {
      sendJson(JSON.stringify(result));
    },
    sendJson,
    close,
    onClose(fn) {
      if (closed) fn('closed');
      else closers.push(fn);
    },
  };
}
