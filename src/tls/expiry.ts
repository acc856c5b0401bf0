/**
 * Certificate expiry as a metric and a log warning: every certificate a process serves or
 * presents, and the CAs it trusts, gets a gauge `argocd_tls_certificate_expiry_timestamp_seconds`
 * (`component`, `role`) holding the earliest notAfter of that role, updated on every reload; a
 * certificate within 30 days of expiry is logged as a warning at registration, on change and on a
 * periodic check (an expired one as an error). Registry, logger and clock are injected.
 */
import { Gauge, type Registry } from 'prom-client';
import { silentLogger, type TlsLogger } from './logger.js';
import type { Reloadable } from './sources.js';
import type { ClientTlsConfig } from './client.js';
import type { CertificateInfo, LoadedCaBundle, LoadedCertificate } from './validate.js';

export const EXPIRY_METRIC_NAME = 'argocd_tls_certificate_expiry_timestamp_seconds';
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ExpiryObserverOptions {
  readonly registry: Registry;
  /** the process, e.g. `argocd-repo-server` (metric label) */
  readonly component: string;
  readonly logger?: TlsLogger;
  /** clock (tests); default `() => new Date()` */
  readonly now?: () => Date;
  /** warn this many days ahead (default 30) */
  readonly warnBeforeDays?: number;
  /** how often to re-check without a change (default 12 h; 0 disables the timer) */
  readonly checkIntervalMs?: number;
}

interface Observed {
  readonly certs: () => readonly CertificateInfo[];
  readonly detach: () => void;
}

interface ChangeEmitter {
  on(event: 'change', listener: () => void): unknown;
  off(event: 'change', listener: () => void): unknown;
}

function gaugeFor(registry: Registry): Gauge<'component' | 'role'> {
  const existing = registry.getSingleMetric(EXPIRY_METRIC_NAME);
  if (existing instanceof Gauge) return existing;
  return new Gauge({
    name: EXPIRY_METRIC_NAME,
    help: 'Expiry (notAfter) of the certificates a process serves, presents or trusts, as a Unix timestamp; the earliest per role',
    labelNames: ['component', 'role'],
    registers: [registry],
  });
}

/**
 * Watches certificates for expiry. Roles name what a certificate is for: `serving`, `serving-ca`,
 * `client-ca` (an mTLS server's trusted issuers), `repo-server-client`, `repo-server-ca`, ...
 */
export class CertificateExpiryObserver {
  private readonly gauge: Gauge<'component' | 'role'>;
  private readonly component: string;
  private readonly logger: TlsLogger;
  private readonly now: () => Date;
  private readonly warnMs: number;
  private readonly observed = new Map<string, Observed>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(options: ExpiryObserverOptions) {
    this.gauge = gaugeFor(options.registry);
    this.component = options.component;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => new Date());
    this.warnMs = (options.warnBeforeDays ?? DEFAULT_EXPIRY_WARNING_DAYS) * DAY_MS;
    const interval = options.checkIntervalMs ?? 12 * 3_600_000;
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.check();
      }, interval);
      this.timer.unref();
    }
  }

  /** Observes a served or presented certificate: role `<role>` (its chain) and `<role>-ca` (its ca.crt). */
  observeCertificate(role: string, source: Reloadable<LoadedCertificate>): void {
    this.observe(role, () => source.current().chain, source);
    this.observe(`${role}-ca`, () => source.current().ca, source);
  }

  /** Observes a trusted CA bundle under `role`. */
  observeCaBundle(role: string, source: Reloadable<LoadedCaBundle>): void {
    this.observe(role, () => source.current().certificates, source);
  }

  /** Observes a client link: `<role>-client` (its client certificate) and `<role>-ca` (the CA it trusts). */
  observeClient(role: string, source: Reloadable<ClientTlsConfig>): void {
    const emitter = source;
    this.observe(
      `${role}-client`,
      () => {
        const c = source.current();
        return c.mode !== 'plaintext' && c.clientCertificate ? [c.clientCertificate.leaf] : [];
      },
      emitter,
    );
    this.observe(
      `${role}-ca`,
      () => {
        const c = source.current();
        return c.mode === 'plaintext' ? [] : c.caCertificates;
      },
      emitter,
    );
  }

  /**
   * Observes any set of certificates under `role`; `emitter` (optional) signals changes. A role with
   * no certificates has no series.
   */
  observe(role: string, certs: () => readonly CertificateInfo[], emitter?: ChangeEmitter): void {
    this.observed.get(role)?.detach();
    const onChange = (): void => {
      this.update(role, certs());
    };
    emitter?.on('change', onChange);
    this.observed.set(role, {
      certs,
      detach: () => {
        emitter?.off('change', onChange);
      },
    });
    this.update(role, certs());
  }

  /** Re-evaluates every role now (the periodic timer calls this). */
  check(): void {
    for (const [role, o] of this.observed) this.update(role, o.certs());
  }

  /** Stops the timer and detaches from the sources (series stay in the registry). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const o of this.observed.values()) o.detach();
    this.observed.clear();
  }

  private update(role: string, certs: readonly CertificateInfo[]): void {
    const labels = { component: this.component, role };
    if (certs.length === 0) {
      this.gauge.remove(labels);
      return;
    }
    let earliest = certs[0];
    for (const c of certs) if (earliest && c.notAfter < earliest.notAfter) earliest = c;
    if (!earliest) return;
    this.gauge.set(labels, Math.floor(earliest.notAfter.getTime() / 1000));
    const left = earliest.notAfter.getTime() - this.now().getTime();
    const fields = {
      component: this.component,
      role,
      subject: earliest.subject,
      serialNumber: earliest.serialNumber,
      notAfter: earliest.notAfter.toISOString(),
      daysLeft: Math.floor(left / DAY_MS),
    };
    if (left <= 0)
      this.logger.error(fields, `tls: the ${role} certificate of ${this.component} has expired`);
    else if (left <= this.warnMs)
      this.logger.warn(
        fields,
        `tls: the ${role} certificate of ${this.component} expires in ${fields.daysLeft} days; renew it`,
      );
  }
}

/**
 * Creates an expiry observer.
 * @example
 * const expiry = observeCertificateExpiry({ registry, component: 'argocd-repo-server', logger });
 * expiry.observeCertificate('serving', serverTls.source);
 * if (serverTls.clientCa) expiry.observeCaBundle('client-ca', serverTls.clientCa);
 */
export function observeCertificateExpiry(
  options: ExpiryObserverOptions,
): CertificateExpiryObserver {
  return new CertificateExpiryObserver(options);
}
