/**
 * Helpers for TLS tests on loopback: a greeting TLS server on a free port, a client handshake that
 * reports what really happened (protocol, cipher, the certificate served, or the error code), a
 * logger that records, and event waiting with a timeout.
 */
import { once, type EventEmitter } from 'node:events';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connect,
  createServer,
  type ConnectionOptions,
  type Server,
  type TlsOptions,
} from 'node:tls';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/** A TlsLogger that keeps every entry. */
export function recordingLogger(): {
  entries: LogEntry[];
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
} {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (obj, msg) => entries.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj, msg }),
  };
}

export interface GreetingServer {
  server: Server;
  port: number;
  /** client certificates seen on accepted connections (CN and serial) */
  clients: { cn: string; serial: string }[];
  close(): Promise<void>;
}

/** A TLS server on 127.0.0.1:<free port> that writes "hello" to every accepted connection. */
export async function startGreetingServer(options: TlsOptions): Promise<GreetingServer> {
  const clients: { cn: string; serial: string }[] = [];
  const server = createServer(options, (socket) => {
    const peer = socket.getPeerCertificate();
    // an empty object when the client sent no certificate
    if (Object.keys(peer).length > 0)
      clients.push({ cn: String(peer.subject.CN), serial: peer.serialNumber });
    socket.end('hello');
  });
  // errors of refused handshakes are expected here; the client side reports them
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    clients,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

export interface HandshakeResult {
  ok: boolean;
  protocol?: string | null;
  cipher?: string;
  /** CN and serial of the certificate the server presented */
  serverCn?: string;
  serverSerial?: string;
  authorized?: boolean;
  errorCode?: string;
  error?: string;
}

/**
 * Connects to 127.0.0.1:port, waits for the server's greeting (not just the handshake: under TLS
 * 1.3 a client learns that its certificate was refused only after its own handshake completes).
 */
export function handshake(port: number, options: ConnectionOptions = {}): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: HandshakeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = connect({ host: '127.0.0.1', port, ...options });
    const timer = setTimeout(() => {
      finish({ ok: false, errorCode: 'TIMEOUT', error: 'no greeting within 5 s' });
    }, 5000);
    socket.on('data', (d: Buffer) => {
      const peer = socket.getPeerCertificate();
      finish({
        ok: d.toString() === 'hello',
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        serverCn: String(peer.subject.CN),
        serverSerial: peer.serialNumber,
        authorized: socket.authorized,
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, errorCode: err.code ?? 'UNKNOWN', error: err.message });
    });
    socket.on('close', () => {
      finish({ ok: false, errorCode: 'CLOSED', error: 'closed without greeting' });
    });
  });
}

/** Resolves with the event's arguments, or rejects after `ms`. */
export async function waitFor(
  emitter: EventEmitter,
  event: string,
  ms = 10_000,
): Promise<unknown[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => {
    ac.abort();
  }, ms);
  try {
    return (await once(emitter, event, { signal: ac.signal })) as unknown[];
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`no "${event}" event within ${ms} ms`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh temporary directory and its cleanup. */
export function tempDir(prefix = 'argocd-ts-tls-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A self-signed certificate with a 1024-bit RSA key, which no part of the system may accept (built
 * here because the module under test refuses to create one).
 */
export async function weakRsaCertificate(): Promise<{ certPem: string; keyPem: string }> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 1024,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=weak',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: alg,
    },
    webcrypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString(
    'base64',
  );
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${(pkcs8.match(/.{1,64}/g) ?? []).join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem };
}
