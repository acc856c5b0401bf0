/**
 * Prometheus metrics of the repo server, registered in a registry the caller owns (the composition
 * root serves it on `--metrics-port`; tests read it directly). Names follow Argo CD where it has
 * one (`argocd_git_request_total`); label values never hold credentials (repository URLs are
 * shown without userinfo).
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface RepoServerMetrics {
  /** requests to remotes: `ls-remote` or `fetch` */
  gitRequest(repo: string, kind: 'ls-remote' | 'fetch'): void;
  /** one manifest generation that actually rendered (a cache miss) */
  manifestGenerated(sourceType: string, seconds: number): void;
  /** a manifest cache lookup */
  manifestCache(result: 'hit' | 'miss'): void;
  /** a refusal logged as a security event */
  securityEvent(cwe: number): void;
}

/** Registers the repo server metrics in `registry`. */
export function createRepoServerMetrics(registry: Registry): RepoServerMetrics {
  const git = new Counter({
    name: 'argocd_git_request_total',
    help: 'Number of git requests performed by the repo server',
    labelNames: ['repo', 'request_type'],
    registers: [registry],
  });
  const generated = new Counter({
    name: 'argocd_repo_server_manifest_generations_total',
    help: 'Manifest generations that ran a renderer (cache misses), by source type',
    labelNames: ['source_type'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'argocd_repo_server_manifest_generation_duration_seconds',
    help: 'Time to render manifests (cache misses), by source type',
    labelNames: ['source_type'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 90],
    registers: [registry],
  });
  const cache = new Counter({
    name: 'argocd_repo_server_manifest_cache_requests_total',
    help: 'Manifest cache lookups by result (hit or miss)',
    labelNames: ['result'],
    registers: [registry],
  });
  const security = new Counter({
    name: 'argocd_repo_server_security_events_total',
    help: 'Refusals logged as security events, by CWE',
    labelNames: ['cwe'],
    registers: [registry],
  });
  return {
    gitRequest: (repo, kind) => {
      git.inc({ repo, request_type: kind });
    },
    manifestGenerated: (sourceType, seconds) => {
      generated.inc({ source_type: sourceType });
      duration.observe({ source_type: sourceType }, seconds);
    },
    manifestCache: (result) => {
      cache.inc({ result });
    },
    securityEvent: (cwe) => {
      security.inc({ cwe: String(cwe) });
    },
  };
}
