/**
 * One port for everything (Argo CD's cmux): a plain `net.Server` peeks at the first bytes of each
 * connection and hands the socket to the right server.
 *
 * - TLS on (default): a first byte 0x16 (TLS handshake record) goes to an HTTP/2 secure server
 *   with HTTP/1.1 fallback (ALPN `h2`, `http/1.1`), whose certificate hot-reloads through
 *   `attachHotReload`. Anything else is plain HTTP and gets a 307 redirect to
 *   `https://<host><path>`.
 * - `--insecure`: the 24-byte HTTP/2 client preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) goes to an
 *   h2c server, everything else to an HTTP/1.1 server. (Node's native HTTP/2 session reads the
 *   socket's handle directly, so an h2c socket whose first bytes were already read is handed over
 *   through a small Duplex that replays them.)
 *
 * `close(graceMs)` stops accepting, lets requests in flight finish, closes idle keep-alive
 * connections and HTTP/2 sessions (GOAWAY), and destroys whatever is left after the grace period.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
  type Server as HttpServer,
} from 'node:http';
import {
  createSecureServer,
  createServer as createH2cServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { Duplex } from 'node:stream';
import { attachHotReload, type ServerTls } from '../tls/index.js';
import type { ServerLogger } from './logging.js';

export type RequestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing for this long before being classified is dropped. */
const SNIFF_TIMEOUT_MS = 30_000;

export interface PortListenerOptions {
  readonly handler: RequestHandler;
  /** undefined: `--insecure` (plain HTTP/1.1 and h2c) */
  readonly tls: ServerTls | undefined;
  readonly log: ServerLogger;
  /** idle keep-alive timeout of HTTP/1.1 connections (default 65 s, above common proxies' 60 s) */
  readonly keepAliveTimeoutMs?: number;
}

type Protocol = 'tls' | 'h2c' | 'http1' | 'more';

function classify(buf: Buffer, tls: boolean): Protocol {
  if (buf.length === 0) return 'more';
  if (tls) return buf[0] === TLS_HANDSHAKE ? 'tls' : 'http1';
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n)))
    return n === H2_PREFACE.length ? 'h2c' : 'more';
  return 'http1';
}

/** A Duplex over `socket` that first replays `head` (for h2c, see the module comment). */
function replaying(socket: Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  d.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (err) => d.destroy(err));
  socket.on('close', () => d.destroy());
  Object.defineProperties(d, {
    remoteAddress: { get: () => socket.remoteAddress },
    remotePort: { get: () => socket.remotePort },
    remoteFamily: { get: () => socket.remoteFamily },
    setTimeout: {
      value: (ms: number, cb?: () => void) => {
        socket.setTimeout(ms, cb);
        return d;
      },
    },
    setNoDelay: { value: (v?: boolean) => socket.setNoDelay(v) },
    setKeepAlive: { value: (e?: boolean, ms?: number) => socket.setKeepAlive(e, ms) },
  });
  return d;
}

function redirectHandler(req: IncomingMessage, res: ServerResponse): void {
  const host = req.headers.host ?? '';
  // a Host header with anything but host[:port] characters is not echoed into a Location
  if (!/^[A-Za-z0-9.\-:[\]]+$/.test(host)) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end('Bad Request: use https\n');
    return;
  }
  const target = `https://${host}${req.url ?? '/'}`;
  res.writeHead(307, {
    location: target,
    'content-type': 'text/html; charset=utf-8',
    connection: 'close',
  });
  res.end(`<a href="${target.replace(/[<>"&]/g, '')}">Temporary Redirect</a>.\n`);
}

/** The multiplexing listener (see the module comment). */
export class PortListener {
  readonly #net: NetServer;
  readonly #tls: Http2SecureServer | undefined;
  readonly #h1: HttpServer;
  readonly #h2c: Http2Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<Http2Session>();
  readonly #h2cAddress = new WeakMap<Http2Session, string>();
  readonly #log: ServerLogger;
  #detachReload: (() => void) | undefined;
  #pendingH2cAddress: string | undefined;
  #closing = false;

  constructor(options: PortListenerOptions) {
    this.#log = options.log;
    const keepAlive = options.keepAliveTimeoutMs ?? 65_000;
    if (options.tls) {
      this.#tls = createSecureServer(
        { ...options.tls.serverOptions(), allowHTTP1: true },
        options.handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
      );
      this.#detachReload = attachHotReload(this.#tls, options.tls, options.log);
      this.#tls.on('session', (s: Http2Session) => {
        this.#track(s);
      });
      // handshake failures are the client's problem; keep them out of the error log
      this.#tls.on('tlsClientError', (err: Error) => {
        this.#log.debug({ err: err.message }, 'tls handshake failed');
      });
      this.#h1 = createHttpServer(redirectHandler);
    } else {
      this.#h1 = createHttpServer(
        options.handler as (req: IncomingMessage, res: ServerResponse) => void,
      );
      this.#h2c = createH2cServer(
        options.handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
      );
      this.#h2c.on('session', (s: Http2Session) => {
        this.#track(s);
        if (this.#pendingH2cAddress !== undefined) this.#h2cAddress.set(s, this.#pendingH2cAddress);
      });
    }
    this.#h1.keepAliveTimeout = keepAlive;
    this.#net = createNetServer({ pauseOnConnect: false }, (socket) => {
      this.#accept(socket, options.tls !== undefined);
    });
  }

  /** The server fastify's `serverFactory` returns (its `.server`). */
  get primary(): Http2SecureServer | HttpServer {
    return this.#tls ?? this.#h1;
  }

  #track(session: Http2Session): void {
    this.#sessions.add(session);
    // idle sessions are closed (GOAWAY) like fastify's own http2 servers do
    session.setTimeout(72_000, () => {
      session.close();
    });
    session.once('close', () => this.#sessions.delete(session));
    if (this.#closing) session.close();
  }

  #accept(socket: Socket, tls: boolean): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    if (this.#closing) {
      socket.destroy();
      return;
    }
    let head: Buffer = Buffer.alloc(0);
    const onError = (): void => undefined;
    socket.on('error', onError);
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const kind = classify(head, tls);
      if (kind === 'more') return;
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      socket.off('error', onError);
      switch (kind) {
        case 'tls':
          socket.unshift(head);
          this.#tls?.emit('connection', socket);
          break;
        case 'http1':
          socket.unshift(head);
          this.#h1.emit('connection', socket);
          socket.resume();
          break;
        case 'h2c': {
          this.#pendingH2cAddress = socket.remoteAddress;
          try {
            this.#h2c?.emit('connection', replaying(socket, head));
          } finally {
            this.#pendingH2cAddress = undefined;
          }
          break;
        }
      }
    };
    socket.on('data', onData);
  }

  /** The client address of an h2c request (the replaying Duplex hides the socket's). */
  h2cClientAddress(session: Http2Session | undefined): string | undefined {
    return session ? this.#h2cAddress.get(session) : undefined;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(err);
      };
      this.#net.once('error', onError);
      this.#net.listen(port, host, () => {
        this.#net.off('error', onError);
        resolve(this.#net.address() as AddressInfo);
      });
    });
  }

  /**
   * Graceful close: stop accepting, close idle HTTP/1.1 connections and HTTP/2 sessions (GOAWAY:
   * streams in flight finish), wait until `idle()` says no request is in flight or `graceMs`
   * passes, then destroy whatever is left.
   */
  async close(graceMs: number, idle: () => boolean): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#detachReload?.();
    const netClosed = new Promise<void>((resolve) => {
      this.#net.close(() => {
        resolve();
      });
    });
    this.#h1.close();
    this.#h1.closeIdleConnections();
    this.#tls?.close();
    this.#h2c?.close();
    for (const s of this.#sessions) s.close();
    const deadline = Date.now() + graceMs;
    while (!idle() && Date.now() < deadline && this.#sockets.size > 0) {
      await new Promise((r) => setTimeout(r, 25));
      this.#h1.closeIdleConnections();
    }
    for (const s of this.#sessions) s.destroy();
    for (const s of this.#sockets) s.destroy();
    await netClosed;
  }
}
