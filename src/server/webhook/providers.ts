/**
 * Git webhook payloads of GitHub, GitLab, Bitbucket Cloud, Bitbucket Server and Gogs (Argo CD's
 * `util/webhook`): which provider sent a request (by header, in Argo CD's order: Gogs before
 * GitHub, Bitbucket Cloud's `X-Hook-UUID` before Bitbucket Server's `X-Event-Key`), whether its
 * signature or token matches the `webhook.*` secret of `argocd-secret` (compared in constant time),
 * and what it says: repository URLs, the pushed revision, whether the default branch moved, and the
 * changed files. Nothing else of a payload is used.
 *
 * Parsing treats the payload as untrusted `unknown` and checks every field it reads; a payload
 * that is not what the event promises is a `WebhookError` (400), never an exception of another
 * kind (CVE-2025-59531/59537/59538 crashed on nil fields).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CodedError, isRecord } from '../../lib/index.js';

export type Provider = 'github' | 'gitlab' | 'bitbucket' | 'bitbucketserver' | 'gogs';

/** Display names for messages. */
export const PROVIDER_NAMES: Readonly<Record<Provider, string>> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  bitbucket: 'Bitbucket',
  bitbucketserver: 'Bitbucket Server',
  gogs: 'Gogs',
};

/** The `argocd-secret` key holding each provider's secret (Argo CD's names). */
export const SECRET_KEYS: Readonly<Record<Provider, string>> = {
  github: 'webhook.github.secret',
  gitlab: 'webhook.gitlab.secret',
  bitbucket: 'webhook.bitbucket.uuid',
  bitbucketserver: 'webhook.bitbucketserver.secret',
  gogs: 'webhook.gogs.secret',
};

/** The `argocd-cm` key that lets a provider without a secret through (argocd-ts only). */
export function allowUnsignedKey(p: Provider): string {
  return `webhook.${p}.allowUnsigned`;
}

export type WebhookErrorCode =
  /** no provider header, or an event the provider does not send for pushes */
  | 'ERR_WEBHOOK_UNKNOWN_EVENT'
  /** the payload is not JSON or lacks what the event needs */
  | 'ERR_WEBHOOK_MALFORMED'
  /** signature or token missing or wrong */
  | 'ERR_WEBHOOK_SIGNATURE'
  /** no secret configured and no opt-in */
  | 'ERR_WEBHOOK_UNSIGNED';

export class WebhookError extends CodedError<WebhookErrorCode> {
  readonly code: WebhookErrorCode;

  constructor(code: WebhookErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The provider and event of a request, or undefined when no provider header is present. */
export function detectProvider(
  h: IncomingHttpHeaders,
): { provider: Provider; event: string } | undefined {
  const gogs = header(h, 'x-gogs-event');
  if (gogs !== undefined) return { provider: 'gogs', event: gogs };
  const github = header(h, 'x-github-event');
  if (github !== undefined) return { provider: 'github', event: github };
  const gitlab = header(h, 'x-gitlab-event');
  if (gitlab !== undefined) return { provider: 'gitlab', event: gitlab };
  if (header(h, 'x-hook-uuid') !== undefined)
    return { provider: 'bitbucket', event: header(h, 'x-event-key') ?? '' };
  const key = header(h, 'x-event-key');
  if (key !== undefined) return { provider: 'bitbucketserver', event: key };
  return undefined;
}

/** Constant-time equality of two strings of any lengths (both are hashed first). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

function hmacHex(alg: 'sha256' | 'sha1', secret: string, body: Buffer): string {
  return createHmac(alg, secret).update(body).digest('hex');
}

/**
 * Checks the request's signature or token against `secret`. Throws `ERR_WEBHOOK_SIGNATURE` (the
 * message names the header, never a value).
 */
export function verifySignature(
  provider: Provider,
  h: IncomingHttpHeaders,
  body: Buffer,
  secret: string,
): void {
  const fail = (what: string): never => {
    throw new WebhookError(
      'ERR_WEBHOOK_SIGNATURE',
      `failed to verify the ${PROVIDER_NAMES[provider]} webhook: ${what}`,
    );
  };
  switch (provider) {
    case 'github': {
      const s256 = header(h, 'x-hub-signature-256');
      if (s256 !== undefined) {
        if (!safeEqual(s256.trim().toLowerCase(), `sha256=${hmacHex('sha256', secret, body)}`))
          fail('X-Hub-Signature-256 does not match the payload (HMAC verification failed)');
        return;
      }
      const s1 = header(h, 'x-hub-signature');
      if (s1 === undefined) fail('the request has no X-Hub-Signature-256 header');
      if (!safeEqual((s1 ?? '').trim().toLowerCase(), `sha1=${hmacHex('sha1', secret, body)}`))
        fail('X-Hub-Signature does not match the payload (HMAC verification failed)');
      return;
    }
    case 'gitlab': {
      const token = header(h, 'x-gitlab-token');
      if (token === undefined) fail('the request has no X-Gitlab-Token header');
      if (!safeEqual(token ?? '', secret)) fail('X-Gitlab-Token does not match');
      return;
    }
    case 'bitbucket': {
      const uuid = header(h, 'x-hook-uuid') ?? '';
      if (!safeEqual(uuid, secret)) fail('X-Hook-UUID does not match');
      return;
    }
    case 'bitbucketserver': {
      const sig = header(h, 'x-hub-signature');
      if (sig === undefined) fail('the request has no X-Hub-Signature header');
      if (!safeEqual((sig ?? '').trim().toLowerCase(), `sha256=${hmacHex('sha256', secret, body)}`))
        fail('X-Hub-Signature does not match the payload (HMAC verification failed)');
      return;
    }
    case 'gogs': {
      const sig = header(h, 'x-gogs-signature');
      if (sig === undefined) fail('the request has no X-Gogs-Signature header');
      if (!safeEqual((sig ?? '').trim().toLowerCase(), hmacHex('sha256', secret, body)))
        fail('X-Gogs-Signature does not match the payload (HMAC verification failed)');
      return;
    }
  }
}

/** What a push tells: the repository (several URL forms), the revision, and what changed. */
export interface PushEvent {
  readonly kind: 'push';
  readonly provider: Provider;
  /** URLs of the pushed repository (web, https clone, ssh clone) */
  readonly repoUrls: readonly string[];
  /** pushed revisions with `refs/heads/` and `refs/tags/` removed */
  readonly revisions: readonly string[];
  /** the push moved the repository's default branch (apps tracking HEAD are affected) */
  readonly touchedHead: boolean;
  /** changed paths, repository-relative; empty when the payload does not list them */
  readonly changedFiles: readonly string[];
}

export type WebhookEvent = PushEvent | { readonly kind: 'ping'; readonly provider: Provider };

/** `refs/heads/main` → `main`, `refs/tags/v1` → `v1`. */
export function parseRevision(ref: string): string {
  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  if (ref.startsWith('refs/tags/')) return ref.slice('refs/tags/'.length);
  return ref;
}

function malformed(provider: Provider, why: string): WebhookError {
  return new WebhookError(
    'ERR_WEBHOOK_MALFORMED',
    `failed to read the ${PROVIDER_NAMES[provider]} webhook: ${why}`,
  );
}

function str(o: unknown, key: string): string | undefined {
  if (!isRecord(o)) return undefined;
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rec(o: unknown, key: string): Record<string, unknown> | undefined {
  if (!isRecord(o)) return undefined;
  const v = o[key];
  return isRecord(v) ? v : undefined;
}

function arr(o: unknown, key: string): unknown[] {
  if (!isRecord(o)) return [];
  const v = o[key];
  return Array.isArray(v) ? v : [];
}

const MAX_FILES = 10_000;

function changedFilesOf(commits: unknown[]): string[] {
  const out = new Set<string>();
  for (const c of commits) {
    for (const k of ['added', 'modified', 'removed'])
      for (const f of arr(c, k)) if (typeof f === 'string' && out.size < MAX_FILES) out.add(f);
  }
  return [...out];
}

function defined(...xs: (string | undefined)[]): string[] {
  return xs.filter((x): x is string => x !== undefined);
}

/** GitHub and Gogs send the same push shape. */
function githubLikePush(provider: Provider, p: Record<string, unknown>): PushEvent {
  const ref = str(p, 'ref');
  const repo = rec(p, 'repository');
  if (ref === undefined || repo === undefined)
    throw malformed(provider, 'a push needs "ref" and "repository"');
  const urls = defined(str(repo, 'html_url'), str(repo, 'clone_url'), str(repo, 'ssh_url'));
  if (urls.length === 0)
    throw malformed(provider, 'the repository has no html_url, clone_url or ssh_url');
  const revision = parseRevision(ref);
  return {
    kind: 'push',
    provider,
    repoUrls: urls,
    revisions: [revision],
    touchedHead: str(repo, 'default_branch') === revision,
    changedFiles: changedFilesOf(arr(p, 'commits')),
  };
}

function gitlabPush(p: Record<string, unknown>): PushEvent {
  const ref = str(p, 'ref');
  const project = rec(p, 'project');
  if (ref === undefined || project === undefined)
    throw malformed('gitlab', 'a push needs "ref" and "project"');
  const urls = defined(
    str(project, 'web_url'),
    str(project, 'git_http_url'),
    str(project, 'git_ssh_url'),
  );
  if (urls.length === 0) throw malformed('gitlab', 'the project has no web_url or git URLs');
  const revision = parseRevision(ref);
  return {
    kind: 'push',
    provider: 'gitlab',
    repoUrls: urls,
    revisions: [revision],
    touchedHead: str(project, 'default_branch') === revision,
    changedFiles: changedFilesOf(arr(p, 'commits')),
  };
}

function bitbucketPush(p: Record<string, unknown>): PushEvent {
  const repo = rec(p, 'repository');
  const html = str(rec(rec(repo, 'links'), 'html'), 'href');
  const full = str(repo, 'full_name');
  const urls = defined(
    html,
    full !== undefined ? `https://bitbucket.org/${full}` : undefined,
    full !== undefined ? `git@bitbucket.org:${full}.git` : undefined,
  );
  if (urls.length === 0)
    throw malformed('bitbucket', 'the repository has no links.html.href or full_name');
  const revisions: string[] = [];
  for (const change of arr(rec(p, 'push'), 'changes')) {
    const name = str(rec(change, 'new'), 'name');
    if (name !== undefined) revisions.push(parseRevision(name));
  }
  if (revisions.length === 0)
    throw malformed('bitbucket', 'push.changes names no new branch or tag');
  const main = str(rec(repo, 'mainbranch'), 'name');
  return {
    kind: 'push',
    provider: 'bitbucket',
    repoUrls: urls,
    revisions,
    touchedHead: main !== undefined && revisions.includes(main),
    changedFiles: [],
  };
}

function bitbucketServerPush(p: Record<string, unknown>): PushEvent {
  const repo = rec(p, 'repository');
  const urls: string[] = [];
  for (const l of arr(rec(repo, 'links'), 'clone')) {
    const href = str(l, 'href');
    if (href !== undefined) urls.push(href);
  }
  for (const l of arr(rec(repo, 'links'), 'self')) {
    const href = str(l, 'href');
    if (href !== undefined) urls.push(href.replace(/\/browse\/?$/, ''));
  }
  if (urls.length === 0) throw malformed('bitbucketserver', 'repository.links.clone has no href');
  const revisions: string[] = [];
  for (const change of arr(p, 'changes')) {
    const id = str(rec(change, 'ref'), 'id');
    if (id !== undefined) revisions.push(parseRevision(id));
  }
  if (revisions.length === 0) throw malformed('bitbucketserver', 'changes[].ref.id is missing');
  return {
    kind: 'push',
    provider: 'bitbucketserver',
    repoUrls: urls,
    revisions,
    touchedHead: false,
    changedFiles: [],
  };
}

/** Parses a JSON (or GitHub/Gogs form-encoded `payload=`) body. */
export function parseBody(
  provider: Provider,
  body: Buffer,
  contentType: string | undefined,
): unknown {
  let text = body.toString('utf8');
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw malformed(provider, 'the form has no "payload" field');
    text = payload;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(provider, 'the payload is not valid JSON');
  }
}

/** What an event of a provider says (ping, push), or the error for an unknown event. */
export function parseEvent(provider: Provider, event: string, payload: unknown): WebhookEvent {
  const unknownEvent = (): WebhookError =>
    new WebhookError(
      'ERR_WEBHOOK_UNKNOWN_EVENT',
      `failed to handle the ${PROVIDER_NAMES[provider]} webhook: event "${event.slice(0, 60)}" is not handled (send push events)`,
    );
  const isPing =
    (provider === 'github' && event === 'ping') ||
    (provider === 'bitbucketserver' && event === 'diagnostics:ping');
  if (isPing) return { kind: 'ping', provider };
  if (!isRecord(payload)) throw malformed(provider, 'the payload is not a JSON object');
  switch (provider) {
    case 'github':
    case 'gogs':
      if (event !== 'push') throw unknownEvent();
      return githubLikePush(provider, payload);
    case 'gitlab': {
      const kind = str(payload, 'object_kind');
      const ok =
        event === 'Push Hook' ||
        event === 'Tag Push Hook' ||
        (event === 'System Hook' && (kind === 'push' || kind === 'tag_push'));
      if (!ok) throw unknownEvent();
      return gitlabPush(payload);
    }
    case 'bitbucket':
      if (event !== 'repo:push') throw unknownEvent();
      return bitbucketPush(payload);
    case 'bitbucketserver':
      if (event !== 'repo:refs_changed') throw unknownEvent();
      return bitbucketServerPush(payload);
  }
}
