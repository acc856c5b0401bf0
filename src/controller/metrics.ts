/**
 * Prometheus metrics of the controller, with Argo CD's names: `argocd_app_reconcile` (histogram
 * of refresh durations, seconds), `argocd_app_info` (one series per app with its sync and health
 * status), `argocd_app_sync_total` (finished operations by phase), `workqueue_depth` /
 * `workqueue_adds_total` for `app_reconciliation_queue` and `app_operation_processing_queue`, and
 * `argocd_app_controller_shard` (argocd-ts). Kubernetes API calls are counted by `src/kube`
 * (`argocd_kubectl_*`, `argocd_cluster_*`) on the same registry.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Application } from '../apis/index.js';
import type { WorkQueue } from './queue.js';

export interface ControllerMetrics {
  observeReconcile(app: Application, seconds: number): void;
  countSync(app: Application, phase: string): void;
}

/** Registers the controller's metrics; `apps()` and the queues are read at scrape time. */
export function registerControllerMetrics(
  registry: Registry,
  source: {
    apps: () => readonly Application[];
    queues: readonly WorkQueue[];
    shard: number;
  },
): ControllerMetrics {
  const reconcile = new Histogram({
    name: 'argocd_app_reconcile',
    help: 'Application reconciliation performance in seconds.',
    labelNames: ['namespace', 'dest_server'],
    buckets: [0.25, 0.5, 1, 2, 4, 8, 16],
    registers: [registry],
  });
  const sync = new Counter({
    name: 'argocd_app_sync_total',
    help: 'Number of application syncs.',
    labelNames: ['namespace', 'name', 'project', 'dest_server', 'phase'],
    registers: [registry],
  });
  new Gauge({
    name: 'argocd_app_info',
    help: 'Information about application.',
    labelNames: [
      'namespace',
      'name',
      'project',
      'repo',
      'dest_server',
      'dest_namespace',
      'sync_status',
      'health_status',
      'operation',
      'autosync_enabled',
    ],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of source.apps()) {
        const src = a.spec.source ?? a.spec.sources?.[0];
        this.set(
          {
            namespace: a.metadata.namespace ?? '',
            name: a.metadata.name ?? '',
            project: a.spec.project,
            repo: src?.repoURL ?? '',
            dest_server: a.spec.destination.server ?? a.spec.destination.name ?? '',
            dest_namespace: a.spec.destination.namespace ?? '',
            sync_status: a.status?.sync?.status ?? 'Unknown',
            health_status: a.status?.health?.status ?? 'Unknown',
            operation: a.operation?.sync ? 'sync' : '',
            autosync_enabled: String(
              a.spec.syncPolicy?.automated !== undefined &&
                a.spec.syncPolicy.automated.enabled !== false,
            ),
          },
          1,
        );
      }
    },
  });
  new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of source.queues) this.set({ name: q.name }, q.len());
    },
  });
  new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of source.queues) this.inc({ name: q.name }, q.adds);
    },
  });
  new Gauge({
    name: 'argocd_app_controller_shard',
    help: 'Shard index of this controller replica (argocd-ts).',
    registers: [registry],
    collect() {
      this.set(source.shard);
    },
  });
  return {
    observeReconcile(app, seconds) {
      reconcile.observe(
        {
          namespace: app.metadata.namespace ?? '',
          dest_server: app.spec.destination.server ?? app.spec.destination.name ?? '',
        },
        seconds,
      );
    },
    countSync(app, phase) {
      sync.inc({
        namespace: app.metadata.namespace ?? '',
        name: app.metadata.name ?? '',
        project: app.spec.project,
        dest_server: app.spec.destination.server ?? app.spec.destination.name ?? '',
        phase,
      });
    },
  };
}

/** Serves `/metrics` and `/healthz` over plain HTTP (Argo CD's controller metrics port 8082). */
export async function listenControllerMetrics(
  registry: Registry,
  address: string,
  port: number,
  healthy: () => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType }).end(text);
        },
        () => {
          res.writeHead(500).end('failed to collect metrics\n');
        },
      );
      return;
    }
    if (path === '/healthz') {
      const ok = healthy();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
