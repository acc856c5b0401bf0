/**
 * Structured security events, as Argo CD logs them: a `security` field with the level of the
 * security architecture document (1 low ... 5 emergency) and a `CWE` field naming the weakness the
 * refusal stopped. Every refusal of untrusted input (paths, symlinks, sizes, URLs, credentials)
 * goes through `securityEvent`, so tests can assert the event and operators can alert on it.
 */
import type { Logger } from 'pino';

export const SecurityLevel = {
  /** unexceptional, e.g. successful access */
  Low: 1,
  /** potentially malicious, e.g. access denied */
  Medium: 2,
  /** likely malicious and blocked, e.g. an out-of-bounds symlink */
  High: 3,
  /** exploitable with side effects, e.g. secrets left on disk */
  Critical: 4,
  /** an active attack, e.g. brute forcing */
  Emergency: 5,
} as const;
export type SecurityLevel = (typeof SecurityLevel)[keyof typeof SecurityLevel];

/** The CWE numbers this server reports. */
export const Cwe = {
  /** path traversal (`..`, absolute paths) */
  PathTraversal: 22,
  /** link following out of the repository */
  LinkFollowing: 59,
  /** argument injection (option-like URLs or refs) */
  ArgumentInjection: 88,
  /** uncontrolled resource consumption (alias bombs, deep nesting) */
  ResourceConsumption: 400,
  /** allocation without limits (sizes over the configured caps) */
  AllocationWithoutLimits: 770,
  /** sensitive information in logs or errors */
  CredentialsInLogs: 532,
  /** server-side request forgery (value-file URLs, disallowed schemes) */
  Ssrf: 918,
  /** incomplete cleanup of sensitive temp files */
  IncompleteCleanup: 459,
} as const;
export type Cwe = (typeof Cwe)[keyof typeof Cwe];

export interface SecurityEvent {
  readonly level: SecurityLevel;
  readonly cwe: Cwe;
  /** what was refused, already free of credentials */
  readonly message: string;
  /** extra context (repo URL without credentials, revision, path, file, limit) */
  readonly fields?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** Logs one security event: `{security, CWE, ...fields, msg}` at warn (level >= 3: error). */
export function securityEvent(logger: Logger, event: SecurityEvent): void {
  const record = { security: event.level, CWE: event.cwe, ...event.fields };
  if (event.level >= SecurityLevel.High) logger.error(record, event.message);
  else logger.warn(record, event.message);
}

/** The classifications used by refusals (see `RepoServerError.security`). */
export const Refusal = {
  /** `..` or absolute paths that leave the repository */
  pathTraversal: { level: SecurityLevel.High, cwe: Cwe.PathTraversal },
  /** a symlink that leaves the repository */
  oobSymlink: { level: SecurityLevel.High, cwe: Cwe.LinkFollowing },
  /** option-like URLs or refs, git remote helpers */
  argumentInjection: { level: SecurityLevel.High, cwe: Cwe.ArgumentInjection },
  /** a URL scheme or remote that is not allowed */
  ssrf: { level: SecurityLevel.High, cwe: Cwe.Ssrf },
  /** a transport that is not allowed by policy (plain http, file) */
  disallowedTransport: { level: SecurityLevel.Medium, cwe: Cwe.Ssrf },
  /** a remote base or dependency the offline repo server will not fetch */
  remoteReference: { level: SecurityLevel.Medium, cwe: Cwe.Ssrf },
  /** a size over a configured limit */
  sizeLimit: { level: SecurityLevel.Medium, cwe: Cwe.AllocationWithoutLimits },
  /** alias bombs and absurd nesting */
  resourceExhaustion: { level: SecurityLevel.Medium, cwe: Cwe.ResourceConsumption },
} as const;
