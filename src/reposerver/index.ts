/**
 * reposerver: argocd-repo-server, the git cache and manifest generation service. It holds no
 * Kubernetes credentials and never talks to a cluster; credentials for git come with each request.
 *
 * This entry point is for the composition root (`src/cmd/repo-server.ts`) only. Other components
 * reach the repo server over the wire through `reposerver/client.ts` (conventions B.5).
 *
 * - `startRepoServer(options, { logger, registry })`: starts the gRPC / gRPC-Web / Connect service
 *   `repository.RepoServerService` (GenerateManifest, ResolveRevision, ListRefs, GetAppDetails,
 *   GetRevisionMetadata, TestRepository, ListApps) plus `grpc.health.v1.Health` on one port, with
 *   TLS (optionally mutual) or plaintext h2c + HTTP/1.1. Returns a handle with `url`, `close()`,
 *   `setServing()` and `setCertificate()`.
 * - `listenMetrics(registry, address, port, healthy)`: `/metrics` and `/healthz` over plain HTTP.
 * - `RepoServerOptions`, `RepoServerDeps`, `RepoServerHandle`: the option and handle types.
 * - `RepoServerTls` = `PemServerTls` (PEM certificate, key, client CA, versions, ciphers) or
 *   `PreparedServerTls` (Node options built by the TLS module plus an `attach` hook for hot reload).
 * - `RepoServerError`, `isRepoServerError`, `RepoServerErrorCode`: the error boundary.
 * - `DEFAULT_MAX_DOCUMENT_BYTES`, `DEFAULT_MAX_ALIAS_COUNT`: manifest parsing limits.
 *
 * @example
 * const server = await startRepoServer(
 *   { address: '127.0.0.1', port: 8081, tls: { certPem, keyPem }, ...limits },
 *   { logger, registry },
 * );
 * process.on('SIGTERM', () => void server.close());
 */
export {
  startRepoServer,
  type RepoServerOptions,
  type RepoServerDeps,
  type RepoServerHandle,
} from './repo-server.js';
export {
  listenMetrics,
  type RepoServerTls,
  type PemServerTls,
  type PreparedServerTls,
} from './server.js';
export { RepoServerError, isRepoServerError, type RepoServerErrorCode } from './errors.js';
export { DEFAULT_MAX_DOCUMENT_BYTES, DEFAULT_MAX_ALIAS_COUNT } from './render/manifests.js';
