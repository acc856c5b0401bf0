/**
 * Serves a request handler on HTTP or HTTPS. The handler can be replaced after listening, which
 * lets a caller bind port 0 first and build the provider once the URL (and so the issuer) is known.
 * The HTTPS server accepts TLS 1.2 and 1.3 only; `setCertificate` swaps the serving pair without a
 * restart (hot reload).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../lib/index.js';
import { OidcError } from './errors.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port */
  readonly port: number;
  /** serve HTTPS with this pair; plain HTTP when absent */
  readonly certificate?: ServingCertificate;
  /**
   * PEM CA of client certificates: when given (HTTPS only), every client must present a
   * certificate it issued, or the handshake fails (mutual TLS)
   */
  readonly clientCaPem?: string;
}

export interface Listener {
  readonly server: Server;
  /** `https://127.0.0.1:5556` (IPv6 hosts in brackets) */
  readonly url: string;
  readonly port: number;
  setHandler(handler: RequestHandler): void;
  /** replaces the serving certificate for new connections (HTTPS only) */
  setCertificate(certificate: ServingCertificate): void;
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export async function listen(handler: RequestHandler, options: ListenOptions): Promise<Listener> {
  let current = handler;
  const dispatch: RequestHandler = (req, res) => {
    current(req, res);
  };
  const tls = options.certificate;
  const clientCa = options.clientCaPem;
  const secure: HttpsServer | undefined =
    tls === undefined
      ? undefined
      : createHttpsServer(
          {
            cert: tls.certPem,
            key: tls.keyPem,
            minVersion: 'TLSv1.2',
            maxVersion: 'TLSv1.3',
            ...(clientCa === undefined
              ? {}
              : { ca: clientCa, requestCert: true, rejectUnauthorized: true }),
          },
          dispatch,
        );
  const server: Server = secure ?? createHttpServer(dispatch);
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new OidcError(
          'ERR_OIDC_LISTEN',
          `failed to listen on ${options.host}:${options.port}: ${errorMessage(err)}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    server,
    port,
    url: `${tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    setHandler(next) {
      current = next;
    },
    setCertificate(certificate) {
      if (secure === undefined) throw new TypeError('setCertificate needs an HTTPS listener');
      secure.setSecureContext({
        cert: certificate.certPem,
        key: certificate.keyPem,
        // the client CA belongs to the context too: a new context without it would refuse
        // every client certificate
        ...(clientCa === undefined ? {} : { ca: clientCa }),
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}
