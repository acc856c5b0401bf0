/**
 * What an Application must satisfy before the API server writes it (Argo CD's
 * `validateAndNormalizeApp`), in order: the schema of src/apis (every bad field named), a name, the
 * control-plane namespace, an existing project (`default` when empty), at least one source, a
 * destination that names a known cluster, the project's rules (sourceRepos, destinations: the
 * same pure rules the controller applies, src/engine `checkApplicationSpec`), and, unless
 * `validate=false`, that every source renders on the repo server.
 */
import {
  ApplicationSchema,
  ApplicationSpecSchema,
  DEFAULT_PROJECT,
  getSources,
  validate,
  type AppProject,
  type Application,
  type ApplicationSpec,
} from '../../apis/index.js';
import { checkApplicationSpec } from '../../engine/index.js';
import { errorMessage } from '../../lib/index.js';
import { RepoServerClientError } from '../../reposerver/client.js';
import { ApiError } from '../errors.js';
import { validateSource } from './repo.js';
import type { ResolvedCluster } from './live.js';
import type { AppState, StoredApplication } from './state.js';

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function invalid(what: string, why: string): ApiError {
  return new ApiError('ERR_API_INVALID_ARGUMENT', `failed to ${what}: ${why}`);
}

/** Parses an untrusted Application body (schema only). */
export function parseApplication(body: unknown, what: string): Application {
  if (body === undefined || body === null)
    throw invalid(what, 'the request has no application in its body');
  return validate(ApplicationSchema, body, 'application');
}

/** Parses an untrusted ApplicationSpec body. */
export function parseSpec(body: unknown, what: string): ApplicationSpec {
  if (body === undefined || body === null)
    throw invalid(what, 'the request has no application spec in its body');
  return validate(ApplicationSpecSchema, body, 'application spec');
}

/** Checks the name and namespace and fills defaults (namespace, project, apiVersion, kind). */
export function normalizeApplication(
  state: AppState,
  app: Application,
  what: string,
): StoredApplication {
  const name = app.metadata.name ?? '';
  if (name === '') throw invalid(what, 'metadata.name is required');
  if (name.length > 253 || !NAME.test(name))
    throw invalid(
      what,
      `metadata.name "${name.slice(0, 60)}" must be lower-case letters, digits, "-" and "." (at most 253)`,
    );
  const ns = app.metadata.namespace ?? '';
  if (ns !== '' && ns !== state.namespace)
    throw new ApiError(
      'ERR_API_PERMISSION_DENIED',
      `failed to ${what}: application namespace "${ns.slice(0, 63)}" is not permitted: this server manages applications in "${state.namespace}" only`,
    );
  return {
    ...app,
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { ...app.metadata, namespace: state.namespace },
    spec: { ...app.spec, project: app.spec.project === '' ? DEFAULT_PROJECT : app.spec.project },
  };
}

/** The AppProject an app names, or a 400 saying it does not exist. */
export function projectFor(
  state: AppState,
  app: Pick<Application, 'spec'>,
  what: string,
): AppProject {
  const project = state.deps.store.project(app.spec.project);
  if (!project)
    throw invalid(
      what,
      `application references project ${app.spec.project} which does not exist (create the AppProject first)`,
    );
  return project;
}

/**
 * Validates an app against its project and destination; with `validateSources`, asks the repo
 * server whether every source renders. Returns the resolved destination.
 */
export async function validateApplication(
  state: AppState,
  app: StoredApplication,
  opts: { what: string; validateSources: boolean },
): Promise<{ project: AppProject; destination: ResolvedCluster }> {
  const { what } = opts;
  const project = projectFor(state, app, what);
  const sources = getSources(app.spec);
  if (sources.length === 0 && app.spec.sourceHydrator === undefined)
    throw invalid(what, 'spec.source or spec.sources must be set');
  for (const [i, s] of sources.entries())
    if (s.repoURL.trim() === '')
      throw invalid(what, `spec.sources[${i}].repoURL must not be empty`);
  const destination = state.live.resolveDestination(app.spec.destination, 'application');
  const violations = checkApplicationSpec(project, sources, {
    server: destination.server,
    namespace: destination.namespace,
    ...(destination.name !== undefined ? { name: destination.name } : {}),
  });
  if (violations.length > 0) throw invalid(what, violations.map((v) => v.message).join('; '));
  const repoServer = state.deps.repoServer;
  if (opts.validateSources && repoServer) {
    for (const s of sources) {
      if (s.ref !== undefined && s.ref !== '' && (s.path ?? '') === '' && !s.chart) continue;
      try {
        await validateSource(repoServer, state.deps.store, s, app.metadata.name ?? '');
      } catch (err) {
        if (err instanceof RepoServerClientError && err.code === 'ERR_UNAVAILABLE') throw err;
        throw invalid(
          what,
          `source ${s.repoURL} (path "${s.path ?? ''}", revision "${s.targetRevision ?? 'HEAD'}") does not render: ${errorMessage(err)} (pass validate=false to skip this check)`,
        );
      }
    }
  }
  return { project, destination };
}
