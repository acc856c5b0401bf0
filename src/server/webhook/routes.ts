/**
 * `POST /api/webhook`: git push notifications from GitHub, GitLab, Bitbucket Cloud, Bitbucket
 * Server and Gogs. Unauthenticated (the provider's signature or token is the credential) and
 * outside the CSRF content-type guard. In order:
 *
 * 1. at most `webhookParallelism` (50) requests are read at once; more get 503;
 * 2. the body is capped at `webhook.maxPayloadSizeMB` of argocd-cm (50) while it is read, before
 *    anything parses it: a larger `Content-Length` is refused at once, a body that grows past the
 *    cap is cut off; 413 and a `security: 3` log;
 * 3. the provider comes from the headers (no known header: 400); its secret from `argocd-secret`
 *    (`webhook.github.secret`, `webhook.gitlab.secret`, `webhook.bitbucket.uuid`,
 *    `webhook.bitbucketserver.secret`, `webhook.gogs.secret`) must match in constant time
 *    (401 and a `security: 3` log otherwise). Beyond Argo CD, a provider with no secret configured
 *    is refused with 401 unless argocd-cm sets `webhook.<provider>.allowUnsigned: "true"`;
 * 4. the payload is parsed (400 for malformed JSON, a payload missing what its event needs, or an
 *    unknown event); pings answer 200;
 * 5. the affected apps (matching.ts) are queued for a normal refresh (the refresh annotation, set
 *    by `webhookRefreshWorkers` workers); the reply (200) does not wait for them. A full queue is
 *    a 503. Nothing else happens: no sync, no write beyond the annotation.
 *
 * Replies are plain text, as Argo CD's handler writes them. Other methods get 405.
 */
import { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Annotations, RefreshTypes } from '../../apis/index.js';
import { isNotFound } from '../../kube/index.js';
import { errorMessage } from '../../lib/index.js';
import { requestRefresh } from '../applications/crud-routes.js';
import { appStateFor, type AppState } from '../applications/state.js';
import { logSecurityEvent, Security } from '../logging.js';
import type { ApiService, ServiceDeps } from '../service.js';
import { affectedApps } from './matching.js';
import {
  PROVIDER_NAMES,
  SECRET_KEYS,
  WebhookError,
  allowUnsignedKey,
  detectProvider,
  parseBody,
  parseEvent,
  verifySignature,
} from './providers.js';

const WEBHOOK_PATH = '/api/webhook';
/** CWE-345 insufficient verification of data authenticity; CWE-400 resource consumption */
const CWE_AUTHENTICITY = 345;
const CWE_RESOURCES = 400;

/** The refresh queue: app names, deduplicated, worked off by a fixed number of workers. */
class RefreshQueue {
  readonly #pending = new Set<string>();
  readonly #state: AppState;
  #running = 0;
  /** refreshes done (for tests and metrics) */
  done = 0;

  constructor(state: AppState) {
    this.#state = state;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Queues names; false (nothing queued) when they do not fit. */
  offer(names: readonly string[]): boolean {
    const fresh = names.filter((n) => !this.#pending.has(n));
    if (this.#pending.size + fresh.length > this.#state.options.webhookQueueSize) return false;
    for (const n of fresh) this.#pending.add(n);
    this.#pump();
    return true;
  }

  #pump(): void {
    while (this.#running < this.#state.options.webhookRefreshWorkers && this.#pending.size > 0) {
      const next = this.#pending.values().next();
      if (next.done === true) return;
      const name = next.value;
      this.#pending.delete(name);
      this.#running++;
      void this.#refresh(name).finally(() => {
        this.#running--;
        this.done++;
        this.#pump();
      });
    }
  }

  async #refresh(name: string): Promise<void> {
    const state = this.#state;
    if (state.deps.shutdownSignal.aborted) return;
    const app = state.app(name);
    // already asked for (the controller removes the annotation when it has refreshed)
    if (app?.metadata.annotations?.[Annotations.refresh] !== undefined) return;
    try {
      await requestRefresh(state, name, RefreshTypes.normal);
    } catch (err) {
      if (isNotFound(err)) return;
      state.deps.log.warn(
        { app: name, err: errorMessage(err) },
        'failed to refresh an application after a webhook',
      );
    }
  }
}

const queues = new WeakMap<AppState, RefreshQueue>();

function text(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`);
}

class TooLarge extends Error {}

/** Reads the body, refusing more than `limit` bytes without buffering them. */
async function readBody(raw: FastifyRequest['raw'], limit: number): Promise<Buffer> {
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new TooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > limit) throw new TooLarge();
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

interface Outcome {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

function webhookHandler(
  deps: ServiceDeps,
  state: AppState,
): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  let reading = 0;
  let queue = queues.get(state);
  if (!queue) {
    queue = new RefreshQueue(state);
    queues.set(state, queue);
  }
  const q = queue;

  const read = async (
    request: FastifyRequest,
    clientAddress: string,
  ): Promise<Buffer | Outcome> => {
    if (reading >= state.options.webhookParallelism)
      return {
        status: 503,
        message: 'failed to accept the webhook: too many webhook requests in flight; retry later',
        headers: { 'retry-after': '1' },
      };
    reading++;
    const maxMb = deps.store.settings().webhookMaxPayloadSizeMB;
    try {
      return await readBody(request.raw, maxMb * 1024 * 1024);
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      logSecurityEvent(deps.log, {
        security: Security.HIGH,
        CWE: CWE_RESOURCES,
        msg: `webhook refused: payload too large (over ${maxMb} MB)`,
        fields: { clientAddress, contentLength: request.headers['content-length'] },
      });
      return {
        status: 413,
        message: `failed to read the webhook: payload must be valid JSON under ${maxMb} MB`,
        // an HTTP/1.1 client still sending the rest is cut off after the answer
        ...(request.raw instanceof IncomingMessage ? { headers: { connection: 'close' } } : {}),
      };
    } finally {
      reading--;
    }
  };

  const handle = async (
    request: FastifyRequest,
    body: Buffer,
    clientAddress: string,
  ): Promise<Outcome> => {
    const detected = detectProvider(request.headers);
    if (!detected)
      return {
        status: 400,
        message:
          'failed to handle the webhook: unknown webhook event (no X-GitHub-Event, X-Gitlab-Event, X-Gogs-Event, X-Hook-UUID or X-Event-Key header)',
      };
    const { provider, event } = detected;
    const secret = deps.store.secretData()[SECRET_KEYS[provider]] ?? '';
    try {
      if (secret !== '') verifySignature(provider, request.headers, body, secret);
      else {
        const optIn = deps.store.argocdCm()?.data?.[allowUnsignedKey(provider)];
        if (optIn?.trim().toLowerCase() !== 'true')
          throw new WebhookError(
            'ERR_WEBHOOK_UNSIGNED',
            `failed to verify the ${PROVIDER_NAMES[provider]} webhook: no secret is configured; set ${SECRET_KEYS[provider]} in argocd-secret (or ${allowUnsignedKey(provider)}: "true" in argocd-cm to accept unsigned payloads)`,
          );
      }
      const parsed = parseEvent(
        provider,
        event,
        parseBody(provider, body, request.headers['content-type']),
      );
      if (parsed.kind === 'ping') return { status: 200, message: 'ping' };
      await state.appsReady();
      const names = affectedApps(state.apps.list(), parsed);
      if (!q.offer(names))
        return {
          status: 503,
          message: 'failed to queue the webhook: the refresh queue is full; retry later',
          headers: { 'retry-after': '5' },
        };
      deps.log.info(
        { provider, event, revisions: parsed.revisions, apps: names.length },
        'webhook received: refreshing the affected applications',
      );
      return { status: 200, message: `refreshing ${names.length} application(s)` };
    } catch (err) {
      if (!(err instanceof WebhookError)) throw err;
      if (err.code === 'ERR_WEBHOOK_SIGNATURE' || err.code === 'ERR_WEBHOOK_UNSIGNED') {
        logSecurityEvent(deps.log, {
          security: Security.HIGH,
          CWE: CWE_AUTHENTICITY,
          msg: err.message,
          fields: { provider, event, clientAddress },
        });
        return { status: 401, message: err.message };
      }
      return { status: 400, message: err.message };
    }
  };

  return async (request, reply) => {
    // read before the body: a client cut off later may have no socket any more
    const clientAddress = request.argo?.clientAddress ?? 'unknown';
    const body = await read(request, clientAddress);
    const out = Buffer.isBuffer(body) ? await handle(request, body, clientAddress) : body;
    for (const [k, v] of Object.entries(out.headers ?? {})) void reply.header(k, v);
    return text(reply, out.status, out.message);
  };
}

export const webhookService: ApiService = {
  name: 'webhook',
  register(routes, deps) {
    const state = appStateFor(deps, routes);
    const handler = webhookHandler(deps, state);
    void routes.fastify.register((instance, _opts, done) => {
      // the body is read (and capped) by the handler itself: no parser may buffer it first
      instance.removeAllContentTypeParsers();
      instance.addContentTypeParser('*', (_req, _payload, next) => {
        next(null, undefined);
      });
      const config = { auth: 'none' as const, csrf: false };
      instance.route({ method: 'POST', url: WEBHOOK_PATH, config, handler });
      instance.route({
        method: ['GET', 'PUT', 'PATCH', 'DELETE'],
        url: WEBHOOK_PATH,
        config,
        handler: (_req, reply) => {
          void reply.header('allow', 'POST');
          return text(reply, 405, 'failed to handle the webhook: only POST is allowed');
        },
      });
      done();
    });
  },
};
