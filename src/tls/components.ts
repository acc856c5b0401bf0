/**
 * The argocd components that serve TLS, their Kubernetes service names and the self-signed
 * certificate each generates when nothing is configured.
 */
import { createSelfSignedCertificate, type KeyAlgorithm, type PemPair } from './certs.js';

/** Components with a TLS endpoint. */
export type ServingComponent = 'argocd-server' | 'argocd-repo-server' | 'argocd-dex-server';
export const SERVING_COMPONENTS: readonly ServingComponent[] = [
  'argocd-server',
  'argocd-repo-server',
  'argocd-dex-server',
];

/** Components that connect to other components (and present client certificates under mTLS). */
export type ClientComponent = 'argocd-server' | 'argocd-application-controller';
export const CLIENT_COMPONENTS: readonly ClientComponent[] = [
  'argocd-server',
  'argocd-application-controller',
];

/** The organisation Argo CD writes into the certificates it generates. */
export const CERTIFICATE_ORGANIZATION = 'Argo CD';
export const DEFAULT_VALIDITY_DAYS = 365;

/**
 * The subjectAltNames a component's certificate carries: `localhost`, `127.0.0.1`, and the service
 * name in every form a pod may use to reach it.
 * @example
 * componentHosts('argocd-repo-server', 'argocd')
 * // ['localhost', '127.0.0.1', 'argocd-repo-server', 'argocd-repo-server.argocd',
 * //  'argocd-repo-server.argocd.svc', 'argocd-repo-server.argocd.svc.cluster.local']
 */
export function componentHosts(component: ServingComponent, namespace: string): string[] {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63)
    throw new TypeError(`componentHosts: "${namespace}" is not a valid namespace name`);
  return [
    'localhost',
    '127.0.0.1',
    component,
    `${component}.${namespace}`,
    `${component}.${namespace}.svc`,
    `${component}.${namespace}.svc.cluster.local`,
  ];
}

export interface ComponentCertificateRequest {
  readonly component: ServingComponent;
  readonly namespace: string;
  /** ECDSA P-256 by default; RSA 2048 on request */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** default 365 */
  readonly validityDays?: number;
  /** extra SANs (e.g. an ingress host) */
  readonly extraHosts?: readonly string[];
  readonly now?: Date;
}

/**
 * The self-signed certificate a component serves when no certificate is configured: a fresh key
 * pair, random 128-bit serial, 365 days, `O=Argo CD`, server usage, the component's SANs.
 * @example
 * const pair = await createComponentSelfSigned({ component: 'argocd-repo-server', namespace: 'argocd' });
 */
export async function createComponentSelfSigned(
  req: ComponentCertificateRequest,
): Promise<PemPair> {
  return createSelfSignedCertificate({
    commonName: req.component,
    organization: CERTIFICATE_ORGANIZATION,
    hosts: [...componentHosts(req.component, req.namespace), ...(req.extraHosts ?? [])],
    serverAuth: true,
    clientAuth: false,
    validityDays: req.validityDays ?? DEFAULT_VALIDITY_DAYS,
    ...(req.keyAlgorithm ? { keyAlgorithm: req.keyAlgorithm } : {}),
    ...(req.now ? { now: req.now } : {}),
  });
}

/**
 * An ephemeral client certificate for a server's own health check under mandatory mTLS (Argo CD's
 * repo-server makes one at start-up for its liveness probe): self-signed ECDSA P-256,
 * `O=Argo CD Health Check`, clientAuth only, 10 years. The server trusts it by passing `certPem`
 * in `extraClientCaPems`; the probe presents it. It never leaves the process.
 * @example
 * const healthCheck = await createHealthCheckClientCertificate('argocd-repo-server');
 * const serverTls = await loadComponentServerTls({ ..., extraClientCaPems: [healthCheck.certPem] });
 */
export async function createHealthCheckClientCertificate(
  component: ServingComponent,
  now?: Date,
): Promise<PemPair> {
  return createSelfSignedCertificate({
    commonName: `${component}-healthcheck`,
    organization: 'Argo CD Health Check',
    hosts: [`${component}-healthcheck`],
    serverAuth: false,
    clientAuth: true,
    validityDays: 3650,
    ...(now ? { now } : {}),
  });
}
