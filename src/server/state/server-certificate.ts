/**
 * Feeds argocd-server's serving certificate from its Secrets, as the TLS document says: the pair in
 * `argocd-server-tls` when valid, else the one in `argocd-secret` (deprecated). The watch cache
 * reports every change; a new valid pair is installed in a `MutableCertificateSource`, whose
 * `change` event makes the listener use it for new handshakes (open connections keep theirs). A
 * broken or half-written pair is refused and the current certificate keeps serving.
 */
import { MutableCertificateSource, selectServerCertificate } from '../../tls/index.js';
import { TlsError } from '../../tls/index.js';
import { errorMessage } from '../../lib/index.js';
import type { ServerLogger } from '../logging.js';
import type { SettingsStore } from './settings-store.js';

/**
 * The certificate source of the listener, kept in step with the Secrets. Throws when no pair is
 * usable at start (initial setup makes sure one is).
 */
export function watchServerCertificate(
  store: SettingsStore,
  log: ServerLogger,
): { source: MutableCertificateSource; stop: () => void } {
  const first = selectServerCertificate({
    serverTlsSecret: store.serverTlsSecret(),
    argocdSecret: store.argocdSecret(),
  });
  for (const p of first.problems) log.warn({}, `tls: ${p}`);
  if (first.origin === 'none')
    throw new TlsError(
      'ERR_TLS_INVALID_CERTIFICATE',
      'failed to load the server certificate: neither argocd-server-tls nor argocd-secret holds a usable tls.crt/tls.key pair',
    );
  log.info(
    {
      origin: first.origin,
      subject: first.certificate.leaf.subject,
      notAfter: first.certificate.leaf.notAfter.toISOString(),
    },
    'tls: serving the certificate from Secret ' + first.origin,
  );
  const source = new MutableCertificateSource(first.certificate, 'argocd-server certificate', log);
  let origin: string = first.origin;
  let lastProblem = '';
  const onChange = (what: string): void => {
    if (what !== 'argocd-server-tls' && what !== 'argocd-secret') return;
    const choice = selectServerCertificate({
      serverTlsSecret: store.serverTlsSecret(),
      argocdSecret: store.argocdSecret(),
    });
    const problem = choice.problems.join('; ');
    if (problem !== '' && problem !== lastProblem) log.warn({}, `tls: ${problem}`);
    lastProblem = problem;
    if (choice.origin === 'none') {
      if (origin !== 'none')
        log.warn(
          {},
          'tls: no usable certificate in argocd-server-tls or argocd-secret any more; still serving the previous one',
        );
      origin = 'none';
      return;
    }
    try {
      if (source.update(choice.certificate)) {
        log.info(
          { origin: choice.origin, subject: choice.certificate.leaf.subject },
          'tls certificate modified. reloading certificate',
        );
      }
      origin = choice.origin;
    } catch (err) {
      log.error(
        { err: errorMessage(err) },
        'tls: the new certificate was refused; still serving the previous one',
      );
    }
  };
  store.on('change', onChange);
  return {
    source,
    stop: () => {
      store.off('change', onChange);
    },
  };
}
