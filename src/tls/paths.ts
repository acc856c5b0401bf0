/**
 * Where argocd components find their TLS material by default. The Argo CD paths are Argo CD's own
 * (its manifests mount the Secrets there); `internalTlsDir` and `dexServerClientCaPath` are ours
 * (docs/tls.md). The values live in src/config (flag defaults need them) and are re-exported here.
 *
 * - `repoServerTlsDir`: argocd-repo-server's own certificate (`argocd-repo-server-tls`)
 * - `repoServerClientCaPath`: its `--client-ca-path`; when the file exists, client certificates are mandatory
 * - `repoServerClientCertPath`/`KeyPath`: Argo CD's default client certificate (used when present)
 * - `serverRepoServerTlsDir`, `controllerRepoServerTlsDir`: where argocd-server and the controller
 *   mount `argocd-repo-server-tls` (read by `--repo-server-strict-tls`)
 * - `serverDexServerTlsDir`: argocd-server's mount of `argocd-dex-server-tls` (`--dex-server-strict-tls`)
 * - `dexServerTlsDir`, `dexServerClientCaPath`: argocd-dex-server's certificate and client CA
 * - `internalTlsDir`: the internal PKI (ca.crt, tls.crt, tls.key) in every client component
 */
import { TlsPaths } from '../config/index.js';

export const DefaultTlsPaths = TlsPaths;
