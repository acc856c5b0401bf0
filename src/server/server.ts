/**
 * `startApiServer(options, deps)`: the API server's assembly. In order:
 * 1. initial setup of argocd-secret (signing key, admin password, self-signed certificate);
 * 2. the watch cache of the namespace (settings, RBAC, accounts, projects, credentials);
 * 3. sessions, login hardening, RBAC, fed by the cache and kept current on every change;
 * 4. the certificate source (argocd-server-tls → argocd-secret) with hot reload;
 * 5. the fastify app with every service, behind the one-port listener;
 * 6. the metrics listener.
 * `close()` shuts down in reverse order, letting requests in flight finish.
 */
import { randomBytes } from 'node:crypto';
import type { Http2ServerRequest } from 'node:http2';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import {
  LoginService,
  MemoryFailureStore,
  MemoryRevocationStore,
  SessionManager,
  parseServerSecretKey,
  projectTokenLookupFrom,
  systemClock,
  SERVER_SECRET_KEY,
  type Clock,
  type FailureStore,
  type LoginOptions,
  type Random,
  type RevocationStore,
  type Sleep,
  type TokenOptions,
} from '../auth/index.js';
import { ConfigNames } from '../apis/index.js';
import { EventRecorder, type KubeClient } from '../kube/index.js';
import { errorMessage } from '../lib/index.js';
import { formatProblem, RbacEnforcer, rbacOptionsFromConfigMaps } from '../rbac/index.js';
import type { RepoServerClient } from '../reposerver/client.js';
import { createServerTls, type ServerTls } from '../tls/index.js';
import { Authenticator, callerFor, type SsoTokenVerifier } from './authn.js';
import { RequestContext, type RequestContextDeps } from './context.js';
import { registerConnect } from './connect.js';
import { createHttpApp, logRefusedToken } from './http-app.js';
import { PortListener, type RequestHandler } from './listener.js';
import {
  authSecurityLogger,
  Cwe,
  kubeLogger,
  logSecurityEvent,
  Security,
  silentServerLogger,
  type ServerLogger,
} from './logging.js';
import { createServerMetrics, listenMetrics } from './metrics.js';
import { resolveApiServerOptions, type ApiServerOptions } from './options.js';
import { redactText } from './redact.js';
import type { ApiService, AuditRecorder, ServiceDeps } from './service.js';
import { defaultServices } from './services.js';
import { KubeAccountStore } from './state/account-store.js';
import { initializeSettings } from './state/initial-setup.js';
import { watchServerCertificate } from './state/server-certificate.js';
import { SettingsStore } from './state/settings-store.js';

export interface ApiServerDeps {
  /** a client of the control-plane cluster with rights on the namespace's ConfigMaps, Secrets, AppProjects, Events */
  readonly kube: KubeClient;
  readonly logger?: ServerLogger;
  /** Prometheus registry for the server's metrics (a new one when absent) */
  readonly registry?: Registry;
  readonly repoServer?: RepoServerClient;
  /** shared revocations (Redis) for several replicas; in memory by default */
  readonly revocations?: RevocationStore;
  /** shared login failure counters (Redis); in memory by default */
  readonly failures?: FailureStore;
  readonly loginOptions?: Partial<LoginOptions>;
  readonly tokenOptions?: Partial<TokenOptions>;
  /** services beyond the built-in ones (the applications, stream, webhook and SSO services) */
  readonly services?: readonly ApiService[];
  readonly clock?: Clock;
  readonly random?: Random;
  /** the login delay's sleep (tests inject a fast one) */
  readonly sleep?: Sleep;
}

export interface ApiServerHandle {
  /** `https://<address>:<port>` (`http://` with --insecure) */
  readonly url: string;
  readonly port: number;
  readonly metricsUrl: string | undefined;
  readonly namespace: string;
  readonly store: SettingsStore;
  readonly registry: Registry;
  readonly app: FastifyInstance;
  /** graceful: requests in flight finish (up to the grace period) */
  close(): Promise<void>;
}

/** Sessions and login, rebuilt when `users.session.duration` changes. */
class AuthHolder {
  sessions: SessionManager;
  login: LoginService;
  #lifetimeMs: number;
  readonly #make: (lifetimeMs: number) => { sessions: SessionManager; login: LoginService };

  constructor(
    lifetimeMs: number,
    make: (lifetimeMs: number) => { sessions: SessionManager; login: LoginService },
  ) {
    this.#make = make;
    this.#lifetimeMs = lifetimeMs;
    ({ sessions: this.sessions, login: this.login } = make(lifetimeMs));
  }

  setLifetime(ms: number): boolean {
    if (ms === this.#lifetimeMs || ms <= 0) return false;
    this.#lifetimeMs = ms;
    ({ sessions: this.sessions, login: this.login } = this.#make(ms));
    return true;
  }
}

function clientAddressOf(
  listener: () => PortListener | undefined,
): (req: FastifyRequest) => string {
  return (req) => {
    const ip = req.socket.remoteAddress;
    if (ip) return ip;
    const stream = (req.raw as unknown as Partial<Http2ServerRequest>).stream;
    const session = stream?.session;
    return listener()?.h2cClientAddress(session) ?? 'unknown';
  };
}

/**
 * Starts argocd-server's API: see the module comment. Resolves once it listens.
 * @example
 * const server = await startApiServer({ namespace: 'argocd', port: 8080 }, { kube, logger });
 * process.on('SIGTERM', () => void server.close());
 */
export async function startApiServer(
  input: ApiServerOptions,
  deps: ApiServerDeps,
): Promise<ApiServerHandle> {
  const options = resolveApiServerOptions(input);
  const log = deps.logger ?? silentServerLogger;
  const kube = deps.kube;
  const namespace = options.namespace;
  const clock = deps.clock ?? systemClock;
  const registry = deps.registry ?? new Registry();

  await initializeSettings({
    client: kube,
    namespace,
    insecure: options.insecure,
    log,
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.loginOptions?.bcryptCost !== undefined
      ? { bcryptCost: deps.loginOptions.bcryptCost }
      : {}),
  });

  const store = new SettingsStore({ client: kube, namespace, log: kubeLogger(log) });
  await store.start();
  const stoppers: (() => Promise<void> | void)[] = [() => store.stop()];
  try {
    const accounts = new KubeAccountStore(store);
    const revocations = deps.revocations ?? new MemoryRevocationStore();
    const failures =
      deps.failures ??
      new MemoryFailureStore(
        deps.loginOptions?.maxCacheSize !== undefined
          ? { maxEntries: deps.loginOptions.maxCacheSize }
          : {},
      );
    const securityLogger = authSecurityLogger(log);
    let secretKey = store.secretData()[SERVER_SECRET_KEY];
    const projects = projectTokenLookupFrom((name) => store.project(name));
    const auth = new AuthHolder(store.settings().sessionDurationMs, (lifetimeMs) => {
      const sessions = new SessionManager(
        {
          secretKey: parseServerSecretKey(secretKey),
          accounts,
          projects,
          revocations,
          clock,
          logger: securityLogger,
          ...(deps.random ? { random: deps.random } : {}),
        },
        { sessionLifetimeMs: lifetimeMs, ...deps.tokenOptions },
      );
      const login = new LoginService(
        {
          sessions,
          accounts,
          failures,
          clock,
          logger: securityLogger,
          ...(deps.random ? { random: deps.random } : {}),
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
        },
        deps.loginOptions ?? {},
      );
      return { sessions, login };
    });

    const rbac = new RbacEnforcer({
      onProjectPolicyProblems: (project, problems) => {
        log.warn(
          { project, problems: problems.map(formatProblem) },
          `project ${project} has an invalid role policy; its roles' policies are ignored until it is fixed`,
        );
      },
    });
    let lastRbacProblems = '';
    const applyRbac = (): void => {
      const { options: rbacOptions, problems } = rbacOptionsFromConfigMaps(
        store.rbacCm()?.data,
        store.argocdCm()?.data,
      );
      const result = problems.some((p) => p.severity === 'error')
        ? { applied: false, problems }
        : rbac.update({
            ...rbacOptions,
            onProjectPolicyProblems: (project, pp) => {
              log.warn(
                { project, problems: pp.map(formatProblem) },
                `project ${project} has an invalid role policy; its roles' policies are ignored until it is fixed`,
              );
            },
          });
      const all = [...problems, ...result.problems];
      const text = all.map(formatProblem).join('\n');
      if (text !== lastRbacProblems && all.length > 0) {
        if (result.applied)
          log.warn({ problems: all.map(formatProblem) }, 'RBAC policy loaded with warnings');
        else
          log.error(
            { problems: all.map(formatProblem) },
            `${ConfigNames.rbacCm} has errors; the last valid RBAC policy stays in force`,
          );
      } else if (result.applied && text !== lastRbacProblems) {
        log.info({}, 'RBAC policy loaded');
      }
      lastRbacProblems = text;
    };
    applyRbac();

    const onStoreChange = (what: string): void => {
      try {
        if (what === 'argocd-rbac-cm' || what === 'argocd-cm') applyRbac();
        if (what === 'argocd-cm' && auth.setLifetime(store.settings().sessionDurationMs))
          log.info(
            { sessionDurationMs: store.settings().sessionDurationMs },
            'users.session.duration changed',
          );
        if (what === 'argocd-secret') {
          const next = store.secretData()[SERVER_SECRET_KEY];
          if (next !== undefined && next !== '' && next !== secretKey) {
            secretKey = next;
            auth.sessions.updateSecretKey(parseServerSecretKey(next));
            log.info(
              {},
              `${SERVER_SECRET_KEY} changed: tokens signed with the old key are no longer accepted`,
            );
          }
        }
      } catch (err) {
        log.error(
          { err: redactText(errorMessage(err)) },
          'failed to apply a settings change; the previous settings stay in force',
        );
      }
    };
    store.on('change', onStoreChange);
    stoppers.push(() => {
      store.off('change', onStoreChange);
    });

    let serverTls: ServerTls | undefined;
    if (!options.insecure) {
      const cert = watchServerCertificate(store, log);
      stoppers.push(cert.stop);
      serverTls = createServerTls({
        source: cert.source,
        logger: log,
        ...(options.tlsSettings ? { settings: options.tlsSettings } : {}),
      });
      const tls = serverTls;
      stoppers.push(() => {
        tls.close();
      });
    } else {
      logSecurityEvent(log, {
        security: Security.MEDIUM,
        CWE: Cwe.CLEARTEXT,
        msg: 'TLS is disabled (--insecure): serve this only behind a proxy that terminates TLS',
      });
    }
    if (options.disableAuth)
      logSecurityEvent(log, {
        security: Security.HIGH,
        msg: 'authentication and authorization are disabled (--disable-auth): every caller may do everything',
      });
    if (options.apiContentTypes.length === 0)
      logSecurityEvent(log, {
        security: Security.HIGH,
        CWE: Cwe.CSRF,
        msg: 'Content-Type enforcement is disabled (--api-content-types is empty): the API is open to cross-site request forgery',
      });

    let sso: SsoTokenVerifier | undefined;
    const authenticator = new Authenticator({
      get sessions() {
        return auth.sessions;
      },
      sso: () => sso,
      anonymousEnabled: () => store.settings().anonymousEnabled,
      scopes: () => rbac.scopes,
    });

    const events = new EventRecorder(kube, {
      component: 'argocd-server',
      enabled: options.enableK8sEvent,
      log: kubeLogger(log),
    });
    const audit: AuditRecorder = {
      record(ctx, ev) {
        const message = `${ctx.actor} ${ev.action}`;
        logSecurityEvent(log, {
          security: Security.LOW,
          msg: message,
          fields: {
            reason: ev.reason,
            kind: ev.involvedObject.kind,
            name: ev.involvedObject.name,
            requestId: ctx.requestId,
          },
        });
        void events.record({
          involvedObject: ev.involvedObject,
          reason: ev.reason,
          message,
          user: ctx.actor,
          namespace: ev.involvedObject.namespace ?? namespace,
          ...(ev.type ? { type: ev.type } : {}),
        });
      },
    };

    const contextDeps: RequestContextDeps = {
      rbac,
      project: (name) => store.project(name),
      log,
      disableAuth: options.disableAuth,
    };
    const metrics = createServerMetrics(registry);
    let listener: PortListener | undefined;
    const shutdown = new AbortController();
    const { app, routes, rpcServices, inFlight } = createHttpApp({
      options,
      authenticator,
      contextDeps,
      log,
      clientAddress: clientAddressOf(() => listener),
      serverFactory: (handler) => {
        listener = new PortListener({
          handler: handler as unknown as RequestHandler,
          tls: serverTls,
          log,
        });
        return listener.primary as never;
      },
      onResponse: (req, reply, ms) => {
        metrics.request(
          req.method,
          req.routeOptions.url ?? 'unmatched',
          reply.statusCode,
          ms / 1000,
        );
      },
    });
    metrics.inFlight(inFlight);

    const serviceDeps: ServiceDeps = {
      options,
      namespace,
      kube,
      store,
      accounts,
      get sessions() {
        return auth.sessions;
      },
      get login() {
        return auth.login;
      },
      revocations,
      rbac,
      repoServer: deps.repoServer,
      audit,
      events,
      log,
      clock,
      shutdownSignal: shutdown.signal,
      setSsoVerifier: (v) => {
        sso = v;
      },
      authenticate: async (carriers, clientAddress, mode, logFields = {}) => {
        const outcome = await authenticator.authenticate(carriers);
        const resolved = callerFor(outcome, mode, options.disableAuth);
        if ('refused' in resolved) {
          logRefusedToken(log, outcome, resolved.refused, { ...logFields, clientAddress });
          throw resolved.refused;
        }
        const ctx = new RequestContext(
          resolved.caller,
          randomBytes(8).toString('hex'),
          clientAddress,
          contextDeps,
        );
        return resolved.renewed ? { ctx, renewed: resolved.renewed } : { ctx };
      },
    };
    for (const service of [...defaultServices, ...(deps.services ?? [])])
      service.register(routes, serviceDeps);
    await registerConnect(
      app,
      serviceDeps,
      clientAddressOf(() => listener),
      rpcServices,
    );
    await app.ready();
    const portListener = listener;
    if (!portListener) throw new Error('the listener was not created by the server factory');
    const address = await portListener.listen(options.port, options.address);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `${options.insecure ? 'http' : 'https'}://${host}:${address.port}`;

    let metricsHandle: { url: string; close(): Promise<void> } | undefined;
    if (options.metrics) {
      metricsHandle = await listenMetrics(registry, options.metrics.address, options.metrics.port);
      const m = metricsHandle;
      stoppers.push(() => m.close());
    }
    log.info(
      {
        url,
        namespace,
        tls: options.insecure ? 'off' : 'on',
        metrics: metricsHandle?.url,
        rootpath: options.rootpath || '/',
      },
      'argocd-server is serving',
    );

    let closing: Promise<void> | undefined;
    return {
      url,
      port: address.port,
      metricsUrl: metricsHandle?.url,
      namespace,
      store,
      registry,
      app,
      close: () => {
        closing ??= (async () => {
          shutdown.abort();
          await portListener.close(options.shutdownGraceMs, () => inFlight() === 0);
          await app.close();
          for (const stop of stoppers.reverse()) await stop();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const stop of stoppers.reverse()) await stop();
    throw err;
  }
}
