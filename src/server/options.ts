/**
 * `ApiServerOptions`: what `startApiServer` needs, with defaults applied in one place
 * (`resolveApiServerOptions`). The composition root (src/cmd/server.ts) builds it from the flags;
 * tests pass only what they care about.
 */
import { SERVER_DEFAULTS } from '../config/index.js';
import type { TlsSettings } from '../tls/index.js';
import type { ApplicationsOptions } from './applications/options.js';

export interface ApiServerOptions {
  /** namespace of argocd-cm, argocd-secret, AppProjects, repository and cluster Secrets */
  readonly namespace: string;
  /** `--insecure`: plain HTTP/1.1 and h2c, no TLS (behind a TLS-terminating proxy) */
  readonly insecure?: boolean;
  readonly address?: string;
  /** 0 picks a free port */
  readonly port?: number;
  /** metrics listener; undefined: no metrics listener (the registry is still filled) */
  readonly metrics?: { readonly address: string; readonly port: number };
  /** resolved `--tlsminversion/--tlsmaxversion/--tlsciphers` */
  readonly tlsSettings?: TlsSettings;
  readonly basehref?: string;
  readonly rootpath?: string;
  /** `--api-content-types`; empty disables the CSRF guard (logged as a security warning) */
  readonly apiContentTypes?: readonly string[];
  readonly xFrameOptions?: string;
  readonly contentSecurityPolicy?: string;
  /** `--disable-auth`: every request may do everything (development only) */
  readonly disableAuth?: boolean;
  /** `--staticassets`: the web UI; a built-in page is served when it has no index.html */
  readonly staticAssetsDir?: string;
  readonly shutdownGraceMs?: number;
  readonly maxRequestBodyBytes?: number;
  /** `--enable-k8s-event` */
  readonly enableK8sEvent?: 'all' | 'none' | readonly string[];
  /** `--dex-server*`: kept for the SSO service */
  readonly dexServer?: Readonly<Record<string, unknown>>;
  /** tuning of the applications API, streams and webhooks (src/server/applications/options.ts) */
  readonly applications?: ApplicationsOptions;
}

export type ResolvedApiServerOptions = Required<
  Omit<ApiServerOptions, 'metrics' | 'tlsSettings' | 'dexServer' | 'applications'>
> &
  Pick<ApiServerOptions, 'metrics' | 'tlsSettings' | 'dexServer' | 'applications'>;

function normalisePathPrefix(p: string): string {
  const t = p.trim().replace(/\/+$/, '');
  if (t === '') return '';
  return t.startsWith('/') ? t : `/${t}`;
}

/** Applies the defaults (Argo CD's where it has them). */
export function resolveApiServerOptions(o: ApiServerOptions): ResolvedApiServerOptions {
  if (o.namespace.trim() === '') throw new TypeError('ApiServerOptions.namespace is required');
  const basehref = (() => {
    const b = normalisePathPrefix(o.basehref ?? SERVER_DEFAULTS.basehref);
    return b === '' ? '/' : `${b}/`;
  })();
  return Object.freeze({
    namespace: o.namespace,
    insecure: o.insecure ?? false,
    address: o.address ?? SERVER_DEFAULTS.address,
    port: o.port ?? SERVER_DEFAULTS.port,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.tlsSettings ? { tlsSettings: o.tlsSettings } : {}),
    basehref,
    rootpath: normalisePathPrefix(o.rootpath ?? SERVER_DEFAULTS.rootpath),
    apiContentTypes: (o.apiContentTypes ?? SERVER_DEFAULTS.apiContentTypes)
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
    xFrameOptions: o.xFrameOptions ?? SERVER_DEFAULTS.xFrameOptions,
    contentSecurityPolicy: o.contentSecurityPolicy ?? SERVER_DEFAULTS.contentSecurityPolicy,
    disableAuth: o.disableAuth ?? false,
    staticAssetsDir: o.staticAssetsDir ?? SERVER_DEFAULTS.staticAssets,
    shutdownGraceMs: o.shutdownGraceMs ?? SERVER_DEFAULTS.shutdownGraceMs,
    maxRequestBodyBytes: o.maxRequestBodyBytes ?? SERVER_DEFAULTS.maxRequestBodyBytes,
    enableK8sEvent: o.enableK8sEvent ?? 'all',
    ...(o.dexServer ? { dexServer: o.dexServer } : {}),
    ...(o.applications ? { applications: o.applications } : {}),
  });
}
