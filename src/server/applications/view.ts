/**
 * How Applications leave the server, and the list filters shared by the list endpoint and the
 * watch stream:
 * - `appView`: the stored object without `metadata.managedFields` and the last-applied annotation
 *   (CVE-2023-40029), with free-text status messages (conditions, operation state, sync results)
 *   passed through `redactText`. Views are computed once per object version (memoised), so a
 *   10,000-app list does not redo the work.
 * - `appFilter`: `name`, `projects` (also the singular `project`), `selector`, `repo`.
 */
import { getSources, type ApplicationStatus } from '../../apis/index.js';
import { normalizeRepoUrl } from '../../engine/index.js';
import { redactText, stripLastApplied } from '../redact.js';
import type { QueryParams } from '../service.js';
import { projectOf } from './access.js';
import type { FieldSelection } from './fields.js';
import { parseLabelSelector } from './selector.js';
import type { StoredApplication } from './state.js';

const views = new WeakMap<StoredApplication, StoredApplication>();

function redactStatus(status: ApplicationStatus): ApplicationStatus {
  let out = status;
  if (status.conditions?.some((c) => c.message !== '')) {
    out = {
      ...out,
      conditions: status.conditions.map((c) => ({ ...c, message: redactText(c.message) })),
    };
  }
  const op = status.operationState;
  if (op) {
    const resources = op.syncResult?.resources;
    out = {
      ...out,
      operationState: {
        ...op,
        ...(op.message !== undefined ? { message: redactText(op.message) } : {}),
        ...(op.syncResult && resources
          ? {
              syncResult: {
                ...op.syncResult,
                resources: resources.map((r) =>
                  r.message !== undefined ? { ...r, message: redactText(r.message) } : r,
                ),
              },
            }
          : {}),
      },
    };
  }
  return out;
}

/** The API form of a stored app (see the module comment). */
export function appView(app: StoredApplication): StoredApplication {
  const hit = views.get(app);
  if (hit) return hit;
  const { managedFields: _mf, ...meta } = app.metadata;
  const view: StoredApplication = { ...app, metadata: stripLastApplied(meta) };
  if (app.status) view.status = redactStatus(app.status);
  views.set(app, view);
  return view;
}

/** A compiled list/watch filter. */
export interface AppFilter {
  readonly name: string | undefined;
  readonly projects: ReadonlySet<string>;
  matches(app: StoredApplication): boolean;
}

/** Reads `name`, `projects`/`project`, `selector` and `repo` from the query (400 on a bad selector). */
export function appFilter(query: QueryParams): AppFilter {
  const name = query.get('name');
  const projects = new Set([...query.all('projects', true), ...query.all('project', true)]);
  const selector = parseLabelSelector(query.get('selector'));
  const repoRaw = query.get('repo');
  const repo = repoRaw === undefined ? undefined : normalizeRepoUrl(repoRaw);
  return {
    name,
    projects,
    matches(app) {
      if (name !== undefined && app.metadata.name !== name) return false;
      if (projects.size > 0 && !projects.has(projectOf(app))) return false;
      if (!selector.matches(app.metadata.labels)) return false;
      if (
        repo !== undefined &&
        !getSources(app.spec).some((s) => normalizeRepoUrl(s.repoURL) === repo)
      )
        return false;
      return true;
    },
  };
}

/** Serialised views (UTF-8) per object version and `fields` selection (a few selections per app). */
const fragments = new WeakMap<StoredApplication, Map<string, Buffer>>();
const MAX_SELECTIONS_PER_APP = 4;
const COMMA = Buffer.from(',');

/** The JSON of an app's view, projected by `select`, as UTF-8 (memoised per object and `key`). */
export function appJson(
  app: StoredApplication,
  key: string,
  select: ((view: StoredApplication) => unknown) | undefined,
): Buffer {
  let m = fragments.get(app);
  if (!m) {
    m = new Map();
    fragments.set(app, m);
  }
  let bytes = m.get(key);
  if (bytes === undefined) {
    const view = appView(app);
    bytes = Buffer.from(JSON.stringify(select ? select(view) : view), 'utf8');
    if (m.size >= MAX_SELECTIONS_PER_APP) m.clear();
    m.set(key, bytes);
  }
  return bytes;
}

/**
 * The list response `{metadata, items}` as UTF-8 JSON, assembled from memoised per-app fragments
 * (a 10,000-app list is one memory copy, not a fresh serialisation and encoding), with `fields`
 * applied: to the list metadata, and to every item for `items.*` paths.
 */
export function listJson(
  metadata: Readonly<Record<string, unknown>>,
  items: readonly StoredApplication[],
  fields: FieldSelection,
): Buffer {
  const meta = fields.empty ? { metadata } : fields.apply({ metadata });
  const head = 'metadata' in meta ? `"metadata":${JSON.stringify(meta.metadata)}` : '';
  const withItems =
    fields.include.length === 0 ||
    fields.include.some((f) => f === 'items' || f.startsWith('items.'));
  if (!withItems) return Buffer.from(`{${head}}`, 'utf8');
  const sel = fields.under('items');
  const key = sel.empty ? '' : JSON.stringify([sel.include, sel.exclude]);
  const select = sel.empty ? undefined : (v: StoredApplication): unknown => sel.apply(v);
  const parts: Buffer[] = [Buffer.from(`{${head}${head === '' ? '' : ','}"items":[`, 'utf8')];
  items.forEach((a, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(appJson(a, key, select));
  });
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}
