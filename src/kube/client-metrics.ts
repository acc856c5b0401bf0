/**
 * What a KubeClient reports about its own traffic: requests by verb and status code, retries,
 * time spent waiting in the rate limiter, watches opened. Always kept in memory (`stats()`); also
 * exported as Prometheus metrics with Argo CD's names (`argocd_kubectl_*`) when a prom-client
 * registry is injected. Several clients may share one registry: metrics are registered once and
 * told apart by the `host` label.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Kubernetes verbs as the client reports them (`apply` is a server-side-apply PATCH). */
export type KubeVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete' | 'discovery';

export interface KubeClientStats {
  /** completed requests (watches included) by verb, then by HTTP status code (`'0'` = no response) */
  readonly requests: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** all requests sent, watches and retries included */
  readonly total: number;
  readonly watches: number;
  readonly retries: number;
  /** requests that had to wait for the rate limiter, and for how long in total */
  readonly throttled: number;
  readonly throttledMs: number;
  readonly inflight: number;
  readonly qps: number;
  readonly burst: number;
}

interface PromMetrics {
  readonly requests: Counter<'host' | 'method' | 'code'>;
  readonly retries: Counter<'host' | 'method' | 'code'>;
  readonly duration: Histogram<'host' | 'verb'>;
  readonly limiter: Histogram<'host' | 'verb'>;
  readonly responseSize: Histogram<'host' | 'method'>;
}

function counter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly ('host' | 'method' | 'code')[],
): Counter<'host' | 'method' | 'code'> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Histogram) return existing;
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

function promMetrics(registry: Registry): PromMetrics {
  return {
    requests: counter(
      registry,
      'argocd_kubectl_requests_total',
      'Number of kubectl request results',
      ['host', 'method', 'code'],
    ),
    retries: counter(
      registry,
      'argocd_kubectl_request_retries_total',
      'Number of kubectl request retries',
      ['host', 'method', 'code'],
    ),
    duration: histogram(
      registry,
      'argocd_kubectl_request_duration_seconds',
      'Kubectl request latency',
      ['host', 'verb'],
      [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    ),
    limiter: histogram(
      registry,
      'argocd_kubectl_rate_limiter_duration_seconds',
      'Kubectl rate limiter latency',
      ['host', 'verb'],
      [0.005, 0.1, 0.5, 2, 8, 30],
    ),
    responseSize: histogram(
      registry,
      'argocd_kubectl_response_size_bytes',
      'Size of kubectl responses',
      ['host', 'method'],
      [64, 512, 4096, 65536, 1048576, 16777216],
    ),
  };
}

/** Mutable counters behind `KubeClient.stats()`. */
export class ClientMetrics {
  private readonly byVerb = new Map<string, Map<string, number>>();
  private total = 0;
  private watches = 0;
  private retries = 0;
  private throttled = 0;
  private throttledMs = 0;
  private inflight = 0;
  private readonly prom: PromMetrics | undefined;
  private readonly host: string;

  constructor(host: string, registry: Registry | undefined) {
    this.host = host;
    this.prom = registry ? promMetrics(registry) : undefined;
  }

  started(verb: KubeVerb): void {
    this.total++;
    this.inflight++;
    if (verb === 'watch') this.watches++;
  }

  finished(
    verb: KubeVerb,
    method: string,
    status: number,
    durationMs: number,
    bytes: number | undefined,
  ): void {
    this.inflight--;
    const code = String(status);
    let codes = this.byVerb.get(verb);
    if (!codes) {
      codes = new Map();
      this.byVerb.set(verb, codes);
    }
    codes.set(code, (codes.get(code) ?? 0) + 1);
    if (this.prom) {
      this.prom.requests.inc({ host: this.host, method, code: status === 0 ? '<error>' : code });
      if (verb !== 'watch')
        this.prom.duration.observe({ host: this.host, verb }, durationMs / 1000);
      if (bytes !== undefined) this.prom.responseSize.observe({ host: this.host, method }, bytes);
    }
  }

  retried(method: string, status: number): void {
    this.retries++;
    this.prom?.retries.inc({
      host: this.host,
      method,
      code: status === 0 ? '<error>' : String(status),
    });
  }

  waited(verb: KubeVerb, ms: number): void {
    if (ms > 0) {
      this.throttled++;
      this.throttledMs += ms;
    }
    this.prom?.limiter.observe({ host: this.host, verb }, ms / 1000);
  }

  snapshot(qps: number, burst: number): KubeClientStats {
    const requests: Record<string, Record<string, number>> = {};
    for (const [verb, codes] of this.byVerb) requests[verb] = Object.fromEntries(codes);
    return {
      requests,
      total: this.total,
      watches: this.watches,
      retries: this.retries,
      throttled: this.throttled,
      throttledMs: Math.round(this.throttledMs),
      inflight: this.inflight,
      qps,
      burst,
    };
  }
}
