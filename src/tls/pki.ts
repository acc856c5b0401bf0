/**
 * The internal PKI of `argocd admin tls init` (beyond Argo CD): one CA, a serving certificate for
 * each component with a TLS endpoint (the right SANs), and a client certificate (clientAuth usage)
 * for each component that connects to another, laid out as Kubernetes Secrets or files so that
 * every link verifies its peer and uses mutual TLS with no flags:
 *
 * | Secret                                      | keys                      | mounted by / at |
 * |---------------------------------------------|---------------------------|-----------------|
 * | `argocd-internal-ca` (kubernetes.io/tls)    | tls.crt, tls.key, ca.crt  | nobody; kept to issue renewals (optional) |
 * | `argocd-server-tls` (kubernetes.io/tls)     | tls.crt, tls.key, ca.crt  | argocd-server reads it through the API (Argo CD's rule) |
 * | `argocd-repo-server-tls` (kubernetes.io/tls)| tls.crt, tls.key, ca.crt  | argocd-repo-server `/app/config/reposerver/tls` |
 * | `argocd-dex-server-tls` (kubernetes.io/tls) | tls.crt, tls.key, ca.crt  | argocd-dex-server `/tls` |
 * | `argocd-repo-server-mtls` (Opaque)          | client-ca.crt             | argocd-repo-server `/app/config/reposerver/mtls` (Argo CD's `--client-ca-path` default) |
 * | `argocd-dex-server-mtls` (Opaque)           | client-ca.crt             | argocd-dex-server `/app/config/dexserver/mtls` |
 * | `argocd-server-internal-tls` (kubernetes.io/tls) | tls.crt, tls.key, ca.crt | argocd-server `/app/config/internal-tls` |
 * | `argocd-application-controller-internal-tls` (kubernetes.io/tls) | tls.crt, tls.key, ca.crt | argocd-application-controller `/app/config/internal-tls` |
 */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigNames, encodeSecretData, Labels, type Secret } from '../apis/index.js';
import {
  createCertificateAuthority,
  issueCertificate,
  type KeyAlgorithm,
  type PemPair,
} from './certs.js';
import {
  CERTIFICATE_ORGANIZATION,
  CLIENT_COMPONENTS,
  componentHosts,
  SERVING_COMPONENTS,
  type ClientComponent,
  type ServingComponent,
} from './components.js';
import { TlsError } from './errors.js';
import { DefaultTlsPaths } from './paths.js';
import { validateCertificatePair } from './validate.js';

/** Secret names of the internal PKI (see the module comment). */
export const PkiSecretNames = {
  ca: 'argocd-internal-ca',
  serverTls: ConfigNames.serverTls,
  repoServerTls: ConfigNames.repoServerTls,
  dexServerTls: ConfigNames.dexServerTls,
  repoServerMtls: 'argocd-repo-server-mtls',
  dexServerMtls: 'argocd-dex-server-mtls',
  serverClient: 'argocd-server-internal-tls',
  controllerClient: 'argocd-application-controller-internal-tls',
} as const;

export type PkiComponent = ServingComponent | ClientComponent;

/** One Secret a component mounts (or reads), and what for. */
export interface PkiMount {
  readonly component: PkiComponent;
  readonly secretName: string;
  /** undefined when the component reads the Secret through the Kubernetes API */
  readonly mountPath: string | undefined;
  readonly keys: readonly string[];
  readonly purpose: string;
}

export interface InternalPki {
  readonly namespace: string;
  readonly createdAt: Date;
  readonly ca: PemPair;
  /** serving certificates, SANs from componentHosts() */
  readonly serving: Readonly<Record<ServingComponent, PemPair>>;
  /** client certificates (clientAuth only), CN = component name */
  readonly clients: Readonly<Record<ClientComponent, PemPair>>;
  readonly mounts: readonly PkiMount[];
}

export interface InitInternalPkiOptions {
  readonly namespace: string;
  /** validity of serving and client certificates (default 365) */
  readonly validityDays?: number;
  /** validity of a new CA (default 3650) */
  readonly caValidityDays?: number;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** reuse this CA (renewal) instead of creating one */
  readonly ca?: PemPair;
  /** extra SANs per serving component (e.g. the ingress host of argocd-server) */
  readonly extraHosts?: Partial<Readonly<Record<ServingComponent, readonly string[]>>>;
  readonly now?: Date;
}

/** What each component mounts (the table in the module comment, as data). */
export function pkiMounts(): PkiMount[] {
  return [
    {
      component: 'argocd-server',
      secretName: PkiSecretNames.serverTls,
      mountPath: undefined,
      keys: ['tls.crt', 'tls.key', 'ca.crt'],
      purpose: 'serving certificate (read and hot-reloaded through the Kubernetes API)',
    },
    {
      component: 'argocd-server',
      secretName: PkiSecretNames.serverClient,
      mountPath: DefaultTlsPaths.internalTlsDir,
      keys: ['tls.crt', 'tls.key', 'ca.crt'],
      purpose: 'client certificate and internal CA for the repo-server and Dex links',
    },
    {
      component: 'argocd-application-controller',
      secretName: PkiSecretNames.controllerClient,
      mountPath: DefaultTlsPaths.internalTlsDir,
      keys: ['tls.crt', 'tls.key', 'ca.crt'],
      purpose: 'client certificate and internal CA for the repo-server link',
    },
    {
      component: 'argocd-repo-server',
      secretName: PkiSecretNames.repoServerTls,
      mountPath: DefaultTlsPaths.repoServerTlsDir,
      keys: ['tls.crt', 'tls.key', 'ca.crt'],
      purpose: 'serving certificate',
    },
    {
      component: 'argocd-repo-server',
      secretName: PkiSecretNames.repoServerMtls,
      mountPath: DefaultTlsPaths.repoServerClientCaPath.replace(/\/[^/]+$/, ''),
      keys: ['client-ca.crt'],
      purpose: 'client CA: client certificates are mandatory',
    },
    {
      component: 'argocd-dex-server',
      secretName: PkiSecretNames.dexServerTls,
      mountPath: DefaultTlsPaths.dexServerTlsDir,
      keys: ['tls.crt', 'tls.key', 'ca.crt'],
      purpose: 'serving certificate',
    },
    {
      component: 'argocd-dex-server',
      secretName: PkiSecretNames.dexServerMtls,
      mountPath: DefaultTlsPaths.dexServerClientCaPath.replace(/\/[^/]+$/, ''),
      keys: ['client-ca.crt'],
      purpose: 'client CA: client certificates are mandatory',
    },
  ];
}

/**
 * Creates the internal PKI (or renews its leaves with an existing `ca`).
 * @example
 * const pki = await initInternalPki({ namespace: 'argocd' });
 * for (const secret of pkiToSecrets(pki)) await kube.apply(secret);
 */
export async function initInternalPki(options: InitInternalPkiOptions): Promise<InternalPki> {
  const now = options.now ?? new Date();
  const validityDays = options.validityDays ?? 365;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650)
    throw new TlsError(
      'ERR_TLS_INVALID_OPTION',
      `failed to create the internal PKI: validity ${validityDays} days is out of range; use 1 to 3650`,
    );
  const alg = options.keyAlgorithm ?? 'ecdsa-p256';
  let ca: PemPair;
  if (options.ca) {
    validateCertificatePair(options.ca, 'internal CA');
    ca = options.ca;
  } else {
    ca = await createCertificateAuthority({
      commonName: 'argocd-ts internal CA',
      organization: CERTIFICATE_ORGANIZATION,
      validityDays: options.caValidityDays ?? 3650,
      keyAlgorithm: alg,
      now,
    });
  }
  const serving = {} as Record<ServingComponent, PemPair>;
  for (const component of SERVING_COMPONENTS) {
    serving[component] = await issueCertificate(ca, {
      commonName: component,
      organization: CERTIFICATE_ORGANIZATION,
      hosts: [
        ...componentHosts(component, options.namespace),
        ...(options.extraHosts?.[component] ?? []),
      ],
      serverAuth: true,
      clientAuth: false,
      validityDays,
      keyAlgorithm: alg,
      now,
    });
  }
  const clients = {} as Record<ClientComponent, PemPair>;
  for (const component of CLIENT_COMPONENTS) {
    clients[component] = await issueCertificate(ca, {
      commonName: component,
      organization: CERTIFICATE_ORGANIZATION,
      hosts: [],
      serverAuth: false,
      clientAuth: true,
      validityDays,
      keyAlgorithm: alg,
      now,
    });
  }
  return {
    namespace: options.namespace,
    createdAt: now,
    ca,
    serving,
    clients,
    mounts: pkiMounts(),
  };
}

export interface PkiSecretsOptions {
  /** include `argocd-internal-ca` with the CA key (default true: needed to renew leaves later) */
  readonly includeCaKey?: boolean;
}

function secret(
  name: string,
  namespace: string,
  type: 'kubernetes.io/tls' | 'Opaque',
  values: Record<string, string>,
): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: {
        [Labels.partOf]: 'argocd',
        'app.kubernetes.io/managed-by': 'argocd-admin-tls-init',
      },
    },
    type,
    data: encodeSecretData(values),
  };
}

/**
 * The internal PKI as Kubernetes Secrets (names and keys in the module comment).
 * @param namespace defaults to the bundle's namespace
 */
export function pkiToSecrets(
  pki: InternalPki,
  namespace: string = pki.namespace,
  options: PkiSecretsOptions = {},
): Secret[] {
  const caCrt = pki.ca.certPem;
  const tlsSecret = (name: string, pair: PemPair): Secret =>
    secret(name, namespace, 'kubernetes.io/tls', {
      'tls.crt': pair.certPem,
      'tls.key': pair.keyPem,
      'ca.crt': caCrt,
    });
  const out: Secret[] = [];
  if (options.includeCaKey ?? true) out.push(tlsSecret(PkiSecretNames.ca, pki.ca));
  out.push(
    tlsSecret(PkiSecretNames.serverTls, pki.serving['argocd-server']),
    tlsSecret(PkiSecretNames.repoServerTls, pki.serving['argocd-repo-server']),
    tlsSecret(PkiSecretNames.dexServerTls, pki.serving['argocd-dex-server']),
    secret(PkiSecretNames.repoServerMtls, namespace, 'Opaque', { 'client-ca.crt': caCrt }),
    secret(PkiSecretNames.dexServerMtls, namespace, 'Opaque', { 'client-ca.crt': caCrt }),
    tlsSecret(PkiSecretNames.serverClient, pki.clients['argocd-server']),
    tlsSecret(PkiSecretNames.controllerClient, pki.clients['argocd-application-controller']),
  );
  return out;
}

export interface WritePkiFilesOptions {
  /** replace files that exist (default false: refuse) */
  readonly overwrite?: boolean;
  /** include the CA key (default true) */
  readonly includeCaKey?: boolean;
}

/**
 * Writes the internal PKI as files: `<dir>/<secret name>/<key>`, the same layout the Secrets have
 * when mounted (so a local run can point its flags or `--internal-tls-dir` at them). Private keys
 * are 0600, certificates 0644, directories 0700. Refuses to overwrite unless asked. Returns the
 * paths written.
 */
export async function writePkiFiles(
  pki: InternalPki,
  dir: string,
  options: WritePkiFilesOptions = {},
): Promise<string[]> {
  const written: string[] = [];
  const secrets = pkiToSecrets(pki, pki.namespace, {
    includeCaKey: options.includeCaKey ?? true,
  });
  const files: { path: string; content: string; mode: number }[] = [];
  for (const s of secrets) {
    const name = s.metadata.name ?? '';
    for (const [key, b64] of Object.entries(s.data ?? {})) {
      files.push({
        path: join(dir, name, key),
        content: Buffer.from(b64, 'base64').toString('utf8'),
        mode: key.endsWith('.key') ? 0o600 : 0o644,
      });
    }
  }
  if (!options.overwrite) {
    for (const f of files) {
      const exists = await stat(f.path).then(
        () => true,
        () => false,
      );
      if (exists)
        throw new TlsError(
          'ERR_TLS_FILE',
          `failed to write the internal PKI: ${f.path} exists; remove it or allow overwriting`,
        );
    }
  }
  for (const f of files) {
    await mkdir(join(f.path, '..'), { recursive: true, mode: 0o700 });
    // write with the final mode so a key is never readable by others, even briefly
    await writeFile(f.path, f.content, { mode: f.mode, flag: options.overwrite ? 'w' : 'wx' });
    // an overwritten file keeps its old mode: set it explicitly
    await chmod(f.path, f.mode);
    written.push(f.path);
  }
  return written;
}
