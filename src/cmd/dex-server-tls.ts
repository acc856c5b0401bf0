/**
 * argocd-dex-server's serving certificate, as the TLS document says: the mounted
 * `argocd-dex-server-tls` Secret (`tls.crt`, `tls.key`; `ca.crt` is for its clients), else a new
 * self-signed pair at each start. Beyond Argo CD, a renewed mounted pair is picked up without a
 * restart: the files are checked periodically and the listener's certificate is swapped.
 *
 * This is the seam to src/tls's `FileCertificateSource` + `attachHotReload`: once those are merged
 * here, `loadServingCertificate` and `watchServingCertificate` become thin calls to them.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { errorMessage } from '../lib/index.js';
import type { OidcLogger, ServingCertificate } from '../oidc/index.js';
import { createSelfSignedCertificate } from '../tls/index.js';

export const COMPONENT = 'argocd-dex-server';

export interface LoadedCertificate {
  readonly certificate: ServingCertificate;
  readonly origin: 'mounted' | 'self-signed';
  /** hash of the mounted files, to notice changes */
  readonly fingerprint: string | undefined;
}

/** The SANs Argo CD gives a component's self-signed certificate. */
export function componentHosts(namespace: string): string[] {
  return [
    'localhost',
    '127.0.0.1',
    COMPONENT,
    `${COMPONENT}.${namespace}`,
    `${COMPONENT}.${namespace}.svc`,
    `${COMPONENT}.${namespace}.svc.cluster.local`,
  ];
}

async function readPair(
  dir: string,
): Promise<{ pair: ServingCertificate; fingerprint: string } | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([
      readFile(join(dir, 'tls.crt'), 'utf8'),
      readFile(join(dir, 'tls.key'), 'utf8'),
    ]);
  } catch {
    return undefined;
  }
  if (certPem.trim() === '' || keyPem.trim() === '') return undefined;
  // throws when the key does not belong to the certificate or either is malformed
  createSecureContext({ cert: certPem, key: keyPem });
  const fingerprint = createHash('sha256')
    .update(certPem)
    .update('\0')
    .update(keyPem)
    .digest('hex');
  return { pair: { certPem, keyPem }, fingerprint };
}

/** The mounted pair when there is a valid one, else a fresh self-signed pair. */
export async function loadServingCertificate(
  dir: string,
  namespace: string,
  log: OidcLogger,
): Promise<LoadedCertificate> {
  try {
    const mounted = await readPair(dir);
    if (mounted !== undefined)
      return { certificate: mounted.pair, origin: 'mounted', fingerprint: mounted.fingerprint };
  } catch (err) {
    log.error(
      { dir, err: errorMessage(err) },
      'the mounted certificate is invalid; serving a self-signed certificate instead',
    );
  }
  const self = await createSelfSignedCertificate({
    commonName: COMPONENT,
    organization: 'Argo CD',
    hosts: componentHosts(namespace),
    serverAuth: true,
  });
  return { certificate: self, origin: 'self-signed', fingerprint: undefined };
}

/**
 * Checks the mounted files every `intervalMs` and calls `onChange` with a new valid pair. An
 * invalid or half-written pair is logged and skipped; the current certificate stays in use.
 */
export function watchServingCertificate(
  dir: string,
  initial: string | undefined,
  intervalMs: number,
  onChange: (certificate: ServingCertificate) => void,
  log: OidcLogger,
): () => void {
  let last = initial;
  let lastError: string | undefined;
  const timer = setInterval(() => {
    readPair(dir).then(
      (read) => {
        lastError = undefined;
        if (read === undefined || read.fingerprint === last) return;
        last = read.fingerprint;
        onChange(read.pair);
        log.info({ dir }, 'serving the renewed certificate');
      },
      (err: unknown) => {
        const message = errorMessage(err);
        if (message !== lastError)
          log.error(
            { dir, err: message },
            'the mounted certificate is invalid; keeping the current one',
          );
        lastError = message;
      },
    );
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
