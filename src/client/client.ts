/**
 * `ArgoCdClient`: a typed client of Argo CD's REST API (the paths and JSON of
 * `argocd-swagger.json`), over `HttpTransport`. It sends the session token as
 * `Authorization: Bearer`, picks up a renewed token from `Set-Cookie: argocd.token=...` (and tells
 * `onTokenRenewed`), maps error answers to `ClientError` (HTTP status + gRPC code + message), and
 * reads Server-Sent Events streams (`/api/v1/stream/...`).
 */
import { errorMessage, isRecord } from '../lib/index.js';
import { tokenFromSetCookie } from './cookies.js';
import { ClientError } from './errors.js';
import { grpcCodeFromHttpStatus, isGrpcCode } from './grpc-codes.js';
import { collectAll } from './pagination.js';
import { NdjsonSplitter, SseParser } from './sse.js';
import {
  HttpTransport,
  type HttpRequest,
  type QueryValue,
  type TransportOptions,
} from './transport.js';
import type {
  Account,
  ApplicationDeleteOptions,
  ApplicationQuery,
  ApplicationRollbackRequest,
  ApplicationSyncRequest,
  ApplicationTree,
  ApplicationWatchEvent,
  AppRef,
  ClusterIdType,
  ClusterInfo,
  CreateTokenOptions,
  ItemList,
  KubeEvent,
  ManifestResponse,
  RepoCredsInfo,
  RepositoryInfo,
  ResourceAction,
  ResourceDiff,
  ResourceKeyQuery,
  Settings,
  TokenResponse,
  UpdatePasswordRequest,
  UserInfo,
  VersionMessage,
} from './types.js';
import type { Application, ApplicationSpec, AppProject } from '../apis/index.js';

export interface ArgoCdClientOptions extends TransportOptions {
  /** the session or API token; requests go anonymous without one */
  readonly authToken?: string;
  /** called when the server renews the token (a `Set-Cookie: argocd.token=...` answer) */
  readonly onTokenRenewed?: (token: string) => void;
  /**
   * Read lists in pages of this many items (`?limit=&continue=`, argocd-ts servers); undefined:
   * one request for the whole list, as Argo CD answers it.
   */
  readonly listPageSize?: number;
}

const enc = encodeURIComponent;

/** Escapes each `/`-separated segment (for `{subresource=**}` paths). */
function encPath(value: string): string {
  return value.split('/').map(enc).join('/');
}

function appQuery(ref: AppRef): Record<string, QueryValue> {
  return { appNamespace: ref.appNamespace, project: ref.project };
}

/** Reads grpc-gateway's error body `{error, code, message}` (or any text) into a ClientError. */
export function errorFromResponse(what: string, status: number, body: Buffer): ClientError {
  let serverMessage: string | undefined;
  let grpcCode = grpcCodeFromHttpStatus(status);
  const text = body.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) {
      const m = parsed.message ?? parsed.error;
      if (typeof m === 'string' && m !== '') serverMessage = m;
      else if (isRecord(parsed.error) && typeof parsed.error.message === 'string')
        serverMessage = parsed.error.message;
      if (isGrpcCode(parsed.code)) grpcCode = parsed.code;
    }
  } catch {
    // not JSON: keep a short piece of the text as the message
    const t = text.trim();
    if (t !== '') serverMessage = t.length > 300 ? `${t.slice(0, 300)}...` : t;
  }
  const detail = serverMessage ?? `HTTP ${status}`;
  return new ClientError('ERR_CLIENT_API', `failed to ${what}: ${detail}`, {
    httpStatus: status,
    grpcCode,
    ...(serverMessage !== undefined ? { serverMessage } : {}),
  });
}

function asRecord(what: string, value: unknown): Record<string, unknown> {
  if (!isRecord(value))
    throw new ClientError('ERR_CLIENT_RESPONSE', `failed to ${what}: the answer is not an object`);
  return value;
}

function asList<T>(what: string, value: unknown): ItemList<T> {
  const r = asRecord(what, value);
  const items = r.items ?? [];
  if (!Array.isArray(items))
    throw new ClientError('ERR_CLIENT_RESPONSE', `failed to ${what}: items is not a list`);
  return { items: items as T[], ...(isRecord(r.metadata) ? { metadata: r.metadata } : {}) };
}

export class ArgoCdClient {
  readonly transport: HttpTransport;
  #token: string | undefined;
  readonly #onTokenRenewed: ((token: string) => void) | undefined;
  readonly #pageSize: number | undefined;

  constructor(options: ArgoCdClientOptions) {
    this.transport = new HttpTransport(options);
    this.#token = options.authToken === '' ? undefined : options.authToken;
    this.#onTokenRenewed = options.onTokenRenewed;
    if (
      options.listPageSize !== undefined &&
      (!Number.isInteger(options.listPageSize) || options.listPageSize < 1)
    )
      throw new TypeError('listPageSize must be a whole number >= 1');
    this.#pageSize = options.listPageSize;
  }

  /** GET of a list: one request, or pages of `listPageSize` joined. */
  async #list<T>(
    what: string,
    path: string,
    query: Readonly<Record<string, QueryValue>> = {},
  ): Promise<ItemList<T>> {
    const size = this.#pageSize;
    if (size === undefined)
      return asList<T>(what, await this.call(what, { method: 'GET', path, query }));
    let metadata: ItemList<T>['metadata'];
    const items = await collectAll<T>(async (cont) => {
      const page = asList<T>(
        what,
        await this.call(what, {
          method: 'GET',
          path,
          query: { ...query, limit: size, continue: cont },
        }),
      );
      metadata = page.metadata;
      return page;
    });
    const rv = metadata?.resourceVersion;
    return { items, ...(rv !== undefined ? { metadata: { resourceVersion: rv } } : {}) };
  }

  /** The token in use (updated when the server renews it). */
  get authToken(): string | undefined {
    return this.#token;
  }

  set authToken(token: string | undefined) {
    this.#token = token === '' ? undefined : token;
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.transport.close();
  }

  /** One request; JSON answer as `unknown` (callers narrow it). */
  async call(what: string, req: HttpRequest): Promise<unknown> {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const res = await this.transport.request({ ...req, headers });
    this.#renew(res.headers['set-cookie']);
    if (res.status === 307 || res.status === 308 || res.status === 301 || res.status === 302) {
      const loc = res.headers.location ?? '';
      throw new ClientError(
        'ERR_CLIENT_API',
        `failed to ${what}: the server redirects to ${loc || 'another address'}${loc.startsWith('https:') ? ' (it wants TLS: drop --plaintext)' : ''}`,
        { httpStatus: res.status },
      );
    }
    if (res.status < 200 || res.status >= 300) throw errorFromResponse(what, res.status, res.body);
    if (res.body.length === 0) return {};
    try {
      return JSON.parse(res.body.toString('utf8')) as unknown;
    } catch (err) {
      throw new ClientError(
        'ERR_CLIENT_RESPONSE',
        `failed to ${what}: the answer is not JSON (${errorMessage(err)}); is ${this.transport.origin} an Argo CD server?`,
        { httpStatus: res.status, cause: err },
      );
    }
  }

  /**
   * Reads a stream of `{"result": T}` messages (SSE, or newline-delimited JSON when the server
   * does not answer with `text/event-stream`). `{"error": ...}` messages throw. Ends when the
   * server closes the stream or `signal` aborts.
   */
  async *stream<T>(what: string, req: HttpRequest): AsyncGenerator<T> {
    const headers: Record<string, string> = { ...(req.headers ?? {}), accept: 'text/event-stream' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const s = await this.transport.stream({ ...req, headers });
    try {
      this.#renew(s.headers['set-cookie']);
      if (s.status < 200 || s.status >= 300) {
        const parts: string[] = [];
        let size = 0;
        for await (const c of s.chunks) {
          parts.push(c);
          size += c.length;
          if (size > 64 * 1024) break;
        }
        throw errorFromResponse(what, s.status, Buffer.from(parts.join('')));
      }
      const sse = (s.headers['content-type'] ?? '').startsWith('text/event-stream');
      const parser = new SseParser();
      const ndjson = new NdjsonSplitter();
      const decode = (data: string): T | undefined => {
        let msg: unknown;
        try {
          msg = JSON.parse(data);
        } catch (err) {
          throw new ClientError(
            'ERR_CLIENT_RESPONSE',
            `failed to ${what}: a stream message is not JSON (${errorMessage(err)})`,
            { cause: err },
          );
        }
        if (!isRecord(msg)) return undefined;
        if (msg.error !== undefined && msg.error !== null) {
          const e = isRecord(msg.error) ? msg.error : { message: errorMessage(msg.error) };
          const status = typeof e.http_code === 'number' ? e.http_code : 500;
          throw errorFromResponse(what, status, Buffer.from(JSON.stringify(e)));
        }
        return msg.result as T | undefined;
      };
      for await (const chunk of s.chunks) {
        const messages = sse ? parser.push(chunk).map((e) => e.data) : ndjson.push(chunk);
        for (const m of messages) {
          const r = decode(m);
          if (r !== undefined) yield r;
        }
      }
      if (!sse)
        for (const m of ndjson.end()) {
          const r = decode(m);
          if (r !== undefined) yield r;
        }
    } catch (err) {
      if (req.signal?.aborted) return;
      if (err instanceof ClientError) throw err;
      throw new ClientError(
        'ERR_CLIENT_CONNECTION',
        `failed to ${what}: the stream broke (${errorMessage(err)})`,
        { cause: err },
      );
    } finally {
      s.close();
    }
  }

  #renew(setCookie: string[] | undefined): void {
    const token = tokenFromSetCookie(setCookie);
    if (token !== undefined && token !== this.#token) {
      this.#token = token;
      this.#onTokenRenewed?.(token);
    }
  }

  // --- session -------------------------------------------------------------------------------

  /** `POST /api/v1/session`: logs in; returns the session token (also kept for later calls). */
  async createSession(username: string, password: string): Promise<string> {
    const r = asRecord(
      'log in',
      await this.call('log in', {
        method: 'POST',
        path: '/api/v1/session',
        body: { username, password },
      }),
    );
    if (typeof r.token !== 'string' || r.token === '')
      throw new ClientError('ERR_CLIENT_RESPONSE', 'failed to log in: the answer has no token');
    this.#token = r.token;
    return r.token;
  }

  /** `DELETE /api/v1/session`: ends (and on argocd-ts revokes) the current session. */
  async deleteSession(): Promise<void> {
    await this.call('log out', { method: 'DELETE', path: '/api/v1/session' });
  }

  /**
   * `GET /auth/logout` with the token: ends an SSO session on the server. argocd-ts revokes the
   * identity provider's ID token there (`DELETE /api/v1/session` revokes only tokens the server
   * issued itself). The server answers with a redirect (to the UI, or to the provider's logout
   * page), which counts as success; the redirect is not followed.
   */
  async endSsoSession(): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const res = await this.transport.request({ method: 'GET', path: '/auth/logout', headers });
    if (res.status >= 400) throw errorFromResponse('log out', res.status, res.body);
  }

  /** `GET /api/v1/session/userinfo` */
  async getUserInfo(): Promise<UserInfo> {
    const what = 'get user info';
    return asRecord(
      what,
      await this.call(what, { method: 'GET', path: '/api/v1/session/userinfo' }),
    );
  }

  // --- version and settings ------------------------------------------------------------------

  /** `GET /api/version` (anonymous callers get only `Version`). */
  async getVersion(): Promise<VersionMessage> {
    const what = 'get the server version';
    return asRecord(what, await this.call(what, { method: 'GET', path: '/api/version' }));
  }

  /** `GET /api/v1/settings` */
  async getSettings(): Promise<Settings> {
    const what = 'get the server settings';
    return asRecord(what, await this.call(what, { method: 'GET', path: '/api/v1/settings' }));
  }

  // --- accounts ------------------------------------------------------------------------------

  async listAccounts(): Promise<Account[]> {
    const what = 'list accounts';
    return (await this.#list<Account>(what, '/api/v1/account')).items;
  }

  async getAccount(name: string): Promise<Account> {
    const what = `get account "${name}"`;
    return asRecord(
      what,
      await this.call(what, { method: 'GET', path: `/api/v1/account/${enc(name)}` }),
    ) as unknown as Account;
  }

  /** `PUT /api/v1/account/password`; old sessions of that account stop working. */
  async updatePassword(req: UpdatePasswordRequest): Promise<void> {
    await this.call(`update the password${req.name ? ` of account "${req.name}"` : ''}`, {
      method: 'PUT',
      path: '/api/v1/account/password',
      body: req,
    });
  }

  /** `POST /api/v1/account/{name}/token`: a new API token for the account. */
  async createAccountToken(name: string, options: CreateTokenOptions = {}): Promise<string> {
    const what = `generate a token for account "${name}"`;
    const r = asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: `/api/v1/account/${enc(name)}/token`,
        body: {
          name,
          ...(options.expiresIn !== undefined ? { expiresIn: options.expiresIn } : {}),
          ...(options.id !== undefined ? { id: options.id } : {}),
        },
      }),
    );
    if (typeof r.token !== 'string')
      throw new ClientError('ERR_CLIENT_RESPONSE', `failed to ${what}: the answer has no token`);
    return r.token;
  }

  /** `DELETE /api/v1/account/{name}/token/{id}` */
  async deleteAccountToken(name: string, id: string): Promise<void> {
    await this.call(`delete token "${id}" of account "${name}"`, {
      method: 'DELETE',
      path: `/api/v1/account/${enc(name)}/token/${enc(id)}`,
    });
  }

  /** `GET /api/v1/account/can-i/{resource}/{action}/{subresource=**}`: true for `yes`. */
  async canI(resource: string, action: string, subresource: string): Promise<boolean> {
    const what = `check whether you can ${action} ${resource} ${subresource}`;
    const r = asRecord(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/account/can-i/${enc(resource)}/${enc(action)}/${encPath(subresource)}`,
      }),
    );
    return r.value === 'yes';
  }

  // --- projects ------------------------------------------------------------------------------

  async listProjects(): Promise<AppProject[]> {
    const what = 'list projects';
    return (await this.#list<AppProject>(what, '/api/v1/projects')).items;
  }

  async getProject(name: string): Promise<AppProject> {
    const what = `get project "${name}"`;
    return asRecord(
      what,
      await this.call(what, { method: 'GET', path: `/api/v1/projects/${enc(name)}` }),
    ) as unknown as AppProject;
  }

  /** `POST /api/v1/projects {project, upsert}` */
  async createProject(project: AppProject, upsert = false): Promise<AppProject> {
    const what = `create project "${project.metadata.name ?? ''}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: '/api/v1/projects',
        body: { project, upsert },
      }),
    ) as unknown as AppProject;
  }

  /** `PUT /api/v1/projects/{name} {project}` (send the resourceVersion you read). */
  async updateProject(project: AppProject): Promise<AppProject> {
    const name = project.metadata.name ?? '';
    const what = `update project "${name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'PUT',
        path: `/api/v1/projects/${enc(name)}`,
        body: { project },
      }),
    ) as unknown as AppProject;
  }

  async deleteProject(name: string): Promise<void> {
    await this.call(`delete project "${name}"`, {
      method: 'DELETE',
      path: `/api/v1/projects/${enc(name)}`,
    });
  }

  /** `POST /api/v1/projects/{project}/roles/{role}/token` */
  async createProjectToken(
    project: string,
    role: string,
    options: CreateTokenOptions = {},
  ): Promise<string> {
    const what = `create a token for role "${role}" of project "${project}"`;
    const r = asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: `/api/v1/projects/${enc(project)}/roles/${enc(role)}/token`,
        body: {
          project,
          role,
          ...(options.expiresIn !== undefined ? { expiresIn: options.expiresIn } : {}),
          ...(options.id !== undefined ? { id: options.id } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
        },
      }),
    ) as unknown as TokenResponse;
    if (typeof r.token !== 'string')
      throw new ClientError('ERR_CLIENT_RESPONSE', `failed to ${what}: the answer has no token`);
    return r.token;
  }

  /** `DELETE /api/v1/projects/{project}/roles/{role}/token/{iat}?id=<jti>` */
  async deleteProjectToken(project: string, role: string, iat: number, id?: string): Promise<void> {
    await this.call(`delete token ${iat} of role "${role}" in project "${project}"`, {
      method: 'DELETE',
      path: `/api/v1/projects/${enc(project)}/roles/${enc(role)}/token/${iat}`,
      query: { id },
    });
  }

  // --- repositories and credential templates -------------------------------------------------

  async listRepositories(options: { forceRefresh?: boolean } = {}): Promise<RepositoryInfo[]> {
    const what = 'list repositories';
    return (
      await this.#list<RepositoryInfo>(what, '/api/v1/repositories', {
        forceRefresh: options.forceRefresh ? true : undefined,
      })
    ).items;
  }

  async getRepository(
    url: string,
    options: { forceRefresh?: boolean; appProject?: string } = {},
  ): Promise<RepositoryInfo> {
    const what = `get repository ${url}`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/repositories/${enc(url)}`,
        query: {
          forceRefresh: options.forceRefresh ? true : undefined,
          appProject: options.appProject,
        },
      }),
    ) as unknown as RepositoryInfo;
  }

  /** `POST /api/v1/repositories?upsert=` (the server checks access before it saves). */
  async createRepository(
    repo: RepositoryInfo,
    options: { upsert?: boolean; credsOnly?: boolean } = {},
  ): Promise<RepositoryInfo> {
    const what = `add repository ${repo.repo}`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: '/api/v1/repositories',
        query: {
          upsert: options.upsert ? true : undefined,
          credsOnly: options.credsOnly ? true : undefined,
        },
        body: repo,
      }),
    ) as unknown as RepositoryInfo;
  }

  async deleteRepository(url: string, options: { appProject?: string } = {}): Promise<void> {
    await this.call(`remove repository ${url}`, {
      method: 'DELETE',
      path: `/api/v1/repositories/${enc(url)}`,
      query: { appProject: options.appProject },
    });
  }

  async listRepoCreds(): Promise<RepoCredsInfo[]> {
    const what = 'list repository credentials';
    return (await this.#list<RepoCredsInfo>(what, '/api/v1/repocreds')).items;
  }

  async createRepoCreds(
    creds: RepoCredsInfo,
    options: { upsert?: boolean } = {},
  ): Promise<RepoCredsInfo> {
    const what = `add credentials for ${creds.url}`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: '/api/v1/repocreds',
        query: { upsert: options.upsert ? true : undefined },
        body: creds,
      }),
    ) as unknown as RepoCredsInfo;
  }

  async deleteRepoCreds(url: string): Promise<void> {
    await this.call(`remove credentials for ${url}`, {
      method: 'DELETE',
      path: `/api/v1/repocreds/${enc(url)}`,
    });
  }

  // --- clusters ------------------------------------------------------------------------------

  async listClusters(): Promise<ClusterInfo[]> {
    const what = 'list clusters';
    return (await this.#list<ClusterInfo>(what, '/api/v1/clusters')).items;
  }

  /** `GET /api/v1/clusters/{id}?id.type=url|name` */
  async getCluster(id: string, type: ClusterIdType = 'url'): Promise<ClusterInfo> {
    const what = `get cluster ${id}`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/clusters/${enc(id)}`,
        query: { 'id.type': type },
      }),
    ) as unknown as ClusterInfo;
  }

  async createCluster(
    cluster: ClusterInfo,
    options: { upsert?: boolean } = {},
  ): Promise<ClusterInfo> {
    const what = `add cluster ${cluster.server}`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: '/api/v1/clusters',
        query: { upsert: options.upsert ? true : undefined },
        body: cluster,
      }),
    ) as unknown as ClusterInfo;
  }

  async deleteCluster(id: string, type: ClusterIdType = 'url'): Promise<void> {
    await this.call(`remove cluster ${id}`, {
      method: 'DELETE',
      path: `/api/v1/clusters/${enc(id)}`,
      query: { 'id.type': type },
    });
  }

  // --- applications --------------------------------------------------------------------------

  async listApplications(query: ApplicationQuery = {}): Promise<ItemList<Application>> {
    const what = 'list applications';
    return this.#list<Application>(what, '/api/v1/applications', { ...query });
  }

  /** `GET /api/v1/applications/{name}[?refresh=normal|hard]` */
  async getApplication(
    ref: AppRef,
    options: { refresh?: 'normal' | 'hard' } = {},
  ): Promise<Application> {
    const what = `get application "${ref.name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/applications/${enc(ref.name)}`,
        query: { ...appQuery(ref), refresh: options.refresh },
      }),
    ) as unknown as Application;
  }

  /** `POST /api/v1/applications?upsert=&validate=` */
  async createApplication(
    app: Application,
    options: { upsert?: boolean; validate?: boolean } = {},
  ): Promise<Application> {
    const what = `create application "${app.metadata.name ?? ''}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: '/api/v1/applications',
        query: {
          upsert: options.upsert ? true : undefined,
          validate: options.validate === false ? false : undefined,
        },
        body: app,
      }),
    ) as unknown as Application;
  }

  /** `PUT /api/v1/applications/{name}` */
  async updateApplication(
    app: Application,
    options: { validate?: boolean } = {},
  ): Promise<Application> {
    const name = app.metadata.name ?? '';
    const what = `update application "${name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'PUT',
        path: `/api/v1/applications/${enc(name)}`,
        query: { validate: options.validate === false ? false : undefined },
        body: app,
      }),
    ) as unknown as Application;
  }

  /** `PUT /api/v1/applications/{name}/spec` */
  async updateApplicationSpec(
    ref: AppRef,
    spec: ApplicationSpec,
    options: { validate?: boolean } = {},
  ): Promise<ApplicationSpec> {
    const what = `update the spec of application "${ref.name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'PUT',
        path: `/api/v1/applications/${enc(ref.name)}/spec`,
        query: { ...appQuery(ref), validate: options.validate === false ? false : undefined },
        body: spec,
      }),
    ) as unknown as ApplicationSpec;
  }

  /** `DELETE /api/v1/applications/{name}?cascade=&propagationPolicy=` */
  async deleteApplication(ref: AppRef, options: ApplicationDeleteOptions = {}): Promise<void> {
    await this.call(`delete application "${ref.name}"`, {
      method: 'DELETE',
      path: `/api/v1/applications/${enc(ref.name)}`,
      query: {
        ...appQuery(ref),
        cascade: options.cascade,
        propagationPolicy: options.propagationPolicy,
      },
    });
  }

  /** `POST /api/v1/applications/{name}/sync`: starts a sync operation; returns the app. */
  async syncApplication(ref: AppRef, req: ApplicationSyncRequest = {}): Promise<Application> {
    const what = `sync application "${ref.name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: `/api/v1/applications/${enc(ref.name)}/sync`,
        body: {
          name: ref.name,
          ...(ref.appNamespace !== undefined ? { appNamespace: ref.appNamespace } : {}),
          ...(ref.project !== undefined ? { project: ref.project } : {}),
          ...req,
        },
      }),
    ) as unknown as Application;
  }

  /** `POST /api/v1/applications/{name}/rollback` */
  async rollbackApplication(ref: AppRef, req: ApplicationRollbackRequest): Promise<Application> {
    const what = `roll back application "${ref.name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'POST',
        path: `/api/v1/applications/${enc(ref.name)}/rollback`,
        body: {
          name: ref.name,
          ...(ref.appNamespace !== undefined ? { appNamespace: ref.appNamespace } : {}),
          ...(ref.project !== undefined ? { project: ref.project } : {}),
          ...req,
        },
      }),
    ) as unknown as Application;
  }

  /** `DELETE /api/v1/applications/{name}/operation` */
  async terminateOperation(ref: AppRef): Promise<void> {
    await this.call(`terminate the operation of application "${ref.name}"`, {
      method: 'DELETE',
      path: `/api/v1/applications/${enc(ref.name)}/operation`,
      query: appQuery(ref),
    });
  }

  /** `GET /api/v1/applications/{name}/resource/actions`: the actions one live resource offers. */
  async listResourceActions(ref: AppRef, res: ResourceKeyQuery): Promise<ResourceAction[]> {
    const what = `list the actions of ${res.kind} ${res.name} in application "${ref.name}"`;
    const body = asRecord(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/applications/${enc(ref.name)}/resource/actions`,
        query: {
          ...appQuery(ref),
          group: res.group,
          kind: res.kind,
          namespace: res.namespace,
          resourceName: res.name,
          version: res.version,
        },
      }),
    );
    return Array.isArray(body.actions) ? (body.actions as ResourceAction[]) : [];
  }

  /** `POST /api/v1/applications/{name}/resource/actions/v2`: runs `action` on one resource. */
  async runResourceAction(ref: AppRef, res: ResourceKeyQuery, action: string): Promise<void> {
    await this.call(
      `run action "${action}" on ${res.kind} ${res.name} of application "${ref.name}"`,
      {
        method: 'POST',
        path: `/api/v1/applications/${enc(ref.name)}/resource/actions/v2`,
        body: {
          name: ref.name,
          ...(ref.appNamespace !== undefined ? { appNamespace: ref.appNamespace } : {}),
          ...(ref.project !== undefined ? { project: ref.project } : {}),
          group: res.group,
          kind: res.kind,
          namespace: res.namespace,
          resourceName: res.name,
          ...(res.version !== undefined ? { version: res.version } : {}),
          action,
        },
      },
    );
  }

  /** `GET /api/v1/applications/{name}/resource-tree` */
  async getResourceTree(ref: AppRef): Promise<ApplicationTree> {
    const what = `get the resource tree of application "${ref.name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/applications/${enc(ref.name)}/resource-tree`,
        query: appQuery(ref),
      }),
    );
  }

  /** `GET /api/v1/applications/{name}/managed-resources`: per-resource diff states. */
  async getManagedResources(ref: AppRef): Promise<ResourceDiff[]> {
    const what = `get the managed resources of application "${ref.name}"`;
    return asList<ResourceDiff>(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/applications/${enc(ref.name)}/managed-resources`,
        query: appQuery(ref),
      }),
    ).items;
  }

  /** `GET /api/v1/applications/{name}/manifests[?revision=]` */
  async getManifests(ref: AppRef, options: { revision?: string } = {}): Promise<ManifestResponse> {
    const what = `get the manifests of application "${ref.name}"`;
    return asRecord(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/applications/${enc(ref.name)}/manifests`,
        query: { ...appQuery(ref), revision: options.revision },
      }),
    );
  }

  /** `GET /api/v1/applications/{name}/events` */
  async listApplicationEvents(ref: AppRef): Promise<KubeEvent[]> {
    const what = `list the events of application "${ref.name}"`;
    return asList<KubeEvent>(
      what,
      await this.call(what, {
        method: 'GET',
        path: `/api/v1/applications/${enc(ref.name)}/events`,
        query: appQuery(ref),
      }),
    ).items;
  }

  /** `GET /api/v1/stream/applications` (SSE): watch events until the stream ends. */
  watchApplications(
    query: ApplicationQuery = {},
    signal?: AbortSignal,
  ): AsyncGenerator<ApplicationWatchEvent> {
    return this.stream<ApplicationWatchEvent>(
      query.name ? `watch application "${query.name}"` : 'watch applications',
      {
        method: 'GET',
        path: '/api/v1/stream/applications',
        query: { ...query },
        ...(signal ? { signal } : {}),
      },
    );
  }

  /** `GET /api/v1/stream/applications/{name}/resource-tree` (SSE) */
  watchResourceTree(ref: AppRef, signal?: AbortSignal): AsyncGenerator<ApplicationTree> {
    return this.stream<ApplicationTree>(`watch the resource tree of "${ref.name}"`, {
      method: 'GET',
      path: `/api/v1/stream/applications/${enc(ref.name)}/resource-tree`,
      query: appQuery(ref),
      ...(signal ? { signal } : {}),
    });
  }
}
