/**
 * Writes of Applications with optimistic concurrency: `updateApp` reads the app (the watch cache
 * first, the API server after a conflict), lets the caller compute the next object, and replaces
 * it with the resourceVersion it was computed from, retrying a few times when someone else (the
 * controller writing status) changed it meanwhile. Every successful write is applied to the watch
 * cache at once, so the caller's next read sees it.
 */
import { isConflict, isNotFound } from '../../kube/index.js';
import { ApiError } from '../errors.js';
import { APPLICATIONS, type AppState, type StoredApplication } from './state.js';

const MAX_ATTEMPTS = 8;

/** The app as the API server has it now (bypassing the cache). */
export async function fetchApp(state: AppState, name: string): Promise<StoredApplication> {
  try {
    const app = await state.deps.kube.get<StoredApplication>({
      ...APPLICATIONS,
      namespace: state.namespace,
      name,
    });
    state.apps.observe(app);
    return app;
  } catch (err) {
    if (isNotFound(err))
      throw new ApiError(
        'ERR_API_NOT_FOUND',
        `failed to update application: applications.argoproj.io "${name}" not found`,
      );
    throw err;
  }
}

/**
 * Replaces the app with `mutate(current)`; `mutate` returns undefined to leave it unchanged (the
 * current app is returned) and may throw to refuse (e.g. an operation already running): a refusal
 * based on the watch cache is confirmed against the API server's copy first.
 */
export async function updateApp(
  state: AppState,
  name: string,
  mutate: (current: StoredApplication) => StoredApplication | undefined,
): Promise<StoredApplication> {
  const cached = state.app(name);
  let current = cached ?? (await fetchApp(state, name));
  const seen = { fresh: cached === undefined };
  for (let attempt = 1; ; attempt++) {
    let next: StoredApplication | undefined;
    try {
      next = mutate(structuredClone(current));
    } catch (err) {
      // a refusal decided on the watch cache is checked again on the API server's copy
      if (seen.fresh) throw err;
      current = await fetchApp(state, name);
      seen.fresh = true;
      next = mutate(structuredClone(current));
    }
    if (next === undefined) return current;
    const rv = current.metadata.resourceVersion;
    next.metadata = { ...next.metadata, ...(rv !== undefined ? { resourceVersion: rv } : {}) };
    try {
      const saved = await state.deps.kube.replace<StoredApplication>(
        { ...APPLICATIONS, namespace: state.namespace, name },
        next,
      );
      state.apps.observe(saved);
      return saved;
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
      current = await fetchApp(state, name);
      seen.fresh = true;
    }
  }
}

/** Creates an app; the result is applied to the cache. */
export async function createApp(
  state: AppState,
  app: StoredApplication,
): Promise<StoredApplication> {
  const created = await state.deps.kube.create<StoredApplication>(
    { ...APPLICATIONS, namespace: state.namespace },
    app,
  );
  state.apps.observe(created);
  return created;
}
