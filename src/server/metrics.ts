/**
 * Prometheus metrics of the API server (registered in a registry the caller owns) and the metrics
 * listener (`--metrics-port`, default 8083, plain HTTP `GET /metrics`, as Argo CD). Label values
 * are route patterns, never raw paths: no user input, no credentials.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ServerMetrics {
  request(method: string, route: string, status: number, seconds: number): void;
  loginAttempt(outcome: 'success' | 'failure'): void;
  inFlight(get: () => number): void;
}

/** Registers the API server metrics in `registry`. */
export function createServerMetrics(registry: Registry): ServerMetrics {
  const requests = new Counter({
    name: 'argocd_server_http_requests_total',
    help: 'HTTP requests handled by the API server, by method, route pattern and status code',
    labelNames: ['method', 'route', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'argocd_server_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route pattern',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
    registers: [registry],
  });
  const logins = new Counter({
    name: 'argocd_server_login_request_total',
    help: 'Login requests by outcome',
    labelNames: ['status'],
    registers: [registry],
  });
  let getInFlight: () => number = () => 0;
  new Gauge({
    name: 'argocd_server_http_requests_in_flight',
    help: 'HTTP requests being handled now',
    registers: [registry],
    collect() {
      this.set(getInFlight());
    },
  });
  return {
    request: (method, route, status, seconds) => {
      requests.inc({ method, route, code: String(status) });
      duration.observe({ route }, seconds);
    },
    loginAttempt: (outcome) => {
      logins.inc({ status: outcome });
    },
    inFlight: (get) => {
      getInFlight = get;
    },
  };
}

/** Serves `GET /metrics` (and `/healthz`) of `registry` on a plain HTTP listener. */
export async function listenMetrics(
  registry: Registry,
  address: string,
  port: number,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('failed to collect metrics\n');
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
