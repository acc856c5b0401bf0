/**
 * argocd-server's certificate priority, as Argo CD decides it: the `argocd-server-tls` Secret when
 * it holds a valid pair in `tls.crt`/`tls.key` (any Secret type), else `argocd-secret`'s
 * `tls.crt`/`tls.key` (deprecated), else none (the server then generates one and persists it in
 * `argocd-secret`). "Valid" means what every source checks: parses, key matches, strong enough.
 */
import { decodeSecretData, type Secret } from '../apis/index.js';
import { errorMessage } from '../lib/index.js';
import { validateCertificatePair, type LoadedCertificate } from './validate.js';

export type ServerCertificateOrigin = 'argocd-server-tls' | 'argocd-secret';

export type ServerCertificateChoice =
  | {
      readonly origin: ServerCertificateOrigin;
      readonly certificate: LoadedCertificate;
      readonly problems: readonly string[];
    }
  /** nothing usable: generate a self-signed certificate and persist it in argocd-secret */
  | { readonly origin: 'none'; readonly problems: readonly string[] };

function fromSecret(
  secret: Pick<Secret, 'data' | 'stringData'> | undefined,
  name: ServerCertificateOrigin,
  problems: string[],
): LoadedCertificate | undefined {
  if (!secret) return undefined;
  const d = decodeSecretData(secret);
  const cert = d['tls.crt'];
  const key = d['tls.key'];
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    problems.push(`${name} has ${cert ? 'tls.crt but no tls.key' : 'tls.key but no tls.crt'}`);
    return undefined;
  }
  try {
    // ca.crt travels along for clients that want it; argocd-secret has none
    return validateCertificatePair(
      { certPem: cert, keyPem: key, caPem: d['ca.crt'] },
      `certificate in Secret ${name}`,
    );
  } catch (err) {
    problems.push(errorMessage(err));
    return undefined;
  }
}

/**
 * Picks argocd-server's certificate from its two Secrets (either may be absent). `problems` says
 * why a Secret that has TLS keys was passed over (log them; they contain no key material).
 * @example
 * const choice = selectServerCertificate({ serverTlsSecret, argocdSecret });
 * if (choice.origin === 'none') { ...generate, persist into argocd-secret... }
 * else source.update(choice.certificate);
 */
export function selectServerCertificate(secrets: {
  readonly serverTlsSecret?: Pick<Secret, 'data' | 'stringData'> | undefined;
  readonly argocdSecret?: Pick<Secret, 'data' | 'stringData'> | undefined;
}): ServerCertificateChoice {
  const problems: string[] = [];
  const fromTls = fromSecret(secrets.serverTlsSecret, 'argocd-server-tls', problems);
  if (fromTls) return { origin: 'argocd-server-tls', certificate: fromTls, problems };
  const fromArgo = fromSecret(secrets.argocdSecret, 'argocd-secret', problems);
  if (fromArgo) return { origin: 'argocd-secret', certificate: fromArgo, problems };
  return { origin: 'none', problems };
}
