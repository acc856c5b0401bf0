/**
 * When `argocd app wait` / `app sync` may stop waiting (pure): the selected conditions (sync,
 * health, suspended, degraded, operation) on the whole app or on selected resources; and the
 * resource rows whose state changed since the last event (live progress).
 */
import type { Application, ResourceStatus } from '../../apis/index.js';
import { globMatch } from '../../lib/index.js';
import { usageError } from '../errors.js';

export interface WaitSelection {
  readonly sync: boolean;
  readonly health: boolean;
  readonly operation: boolean;
  readonly suspended: boolean;
  readonly degraded: boolean;
}

/** Nothing selected means: synced, healthy and no operation running (Argo CD's default). */
export function normalizeSelection(s: Partial<WaitSelection>): WaitSelection {
  const any = s.sync || s.health || s.operation || s.suspended || s.degraded;
  if (!any) return { sync: true, health: true, operation: true, suspended: false, degraded: false };
  return {
    sync: s.sync ?? false,
    health: s.health ?? false,
    operation: s.operation ?? false,
    suspended: s.suspended ?? false,
    degraded: s.degraded ?? false,
  };
}

/** A `--resource GROUP:KIND:NAME` selector (`NAMESPACE/NAME`, `*` globs, `!` to exclude). */
export interface ResourceSelector {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly exclude: boolean;
}

/** Parses `[!]GROUP:KIND:[NAMESPACE/]NAME` (the core group is empty: `:Service:web`). */
export function parseResourceSelector(text: string): ResourceSelector {
  const exclude = text.startsWith('!');
  const body = exclude ? text.slice(1) : text;
  const parts = body.split(':');
  if (parts.length !== 3 || (parts[1] ?? '') === '' || (parts[2] ?? '') === '')
    throw usageError(
      `invalid --resource "${text}": use GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME (empty group for core kinds, e.g. :Service:web)`,
    );
  const [group = '', kind = '', rest = ''] = parts;
  const slash = rest.indexOf('/');
  return {
    group,
    kind,
    namespace: slash === -1 ? undefined : rest.slice(0, slash),
    name: slash === -1 ? rest : rest.slice(slash + 1),
    exclude,
  };
}

const m = (pattern: string, value: string): boolean =>
  pattern === '*' || pattern === value || (pattern.includes('*') && globMatch(pattern, value));

function matches(sel: ResourceSelector, r: ResourceStatus): boolean {
  return (
    m(sel.group, r.group ?? '') &&
    m(sel.kind, r.kind ?? '') &&
    m(sel.name, r.name ?? '') &&
    (sel.namespace === undefined || m(sel.namespace, r.namespace ?? ''))
  );
}

/** The resources the selectors pick (all when there are none; excludes win). */
export function selectResources(
  resources: readonly ResourceStatus[],
  selectors: readonly ResourceSelector[],
): ResourceStatus[] {
  if (selectors.length === 0) return [...resources];
  const includes = selectors.filter((s) => !s.exclude);
  const excludes = selectors.filter((s) => s.exclude);
  return resources.filter(
    (r) =>
      (includes.length === 0 || includes.some((s) => matches(s, r))) &&
      !excludes.some((s) => matches(s, r)),
  );
}

/** An operation is running: requested and not picked up yet, or started and not finished. */
export function operationInProgress(app: Application): boolean {
  // the server may send `operation: null`
  const requested: unknown = app.operation;
  if (requested !== undefined && requested !== null) return true;
  const op = app.status?.operationState;
  if (!op) return false;
  return !op.finishedAt && (op.phase === 'Running' || op.phase === 'Terminating');
}

export interface ReadyResult {
  readonly ready: boolean;
  /** what is still missing, for the timeout message */
  readonly waitingFor: readonly string[];
}

function healthOk(status: string | undefined, sel: WaitSelection): boolean {
  if (!sel.health && !sel.suspended && !sel.degraded) return true;
  return (
    (sel.health && status === 'Healthy') ||
    (sel.suspended && status === 'Suspended') ||
    (sel.degraded && status === 'Degraded')
  );
}

function wantedHealth(sel: WaitSelection): string {
  return [
    sel.health ? 'Healthy' : '',
    sel.suspended ? 'Suspended' : '',
    sel.degraded ? 'Degraded' : '',
  ]
    .filter(Boolean)
    .join(' or ');
}

/** Whether the app (or the selected resources) meets the selection. */
export function checkReady(
  app: Application,
  sel: WaitSelection,
  selectors: readonly ResourceSelector[] = [],
): ReadyResult {
  const waitingFor: string[] = [];
  if (sel.operation && operationInProgress(app)) waitingFor.push('the operation to finish');
  if (selectors.length === 0) {
    const sync = app.status?.sync?.status;
    if (sel.sync && sync !== 'Synced')
      waitingFor.push(`sync status Synced (now ${sync ?? 'Unknown'})`);
    const health = app.status?.health?.status;
    if (!healthOk(health, sel))
      waitingFor.push(`health ${wantedHealth(sel)} (now ${health ?? 'Unknown'})`);
  } else {
    const picked = selectResources(app.status?.resources ?? [], selectors);
    for (const r of picked) {
      const id = `${r.kind ?? ''}/${r.name ?? ''}`;
      if (sel.sync && r.status !== 'Synced')
        waitingFor.push(`${id} to be Synced (now ${r.status ?? 'Unknown'})`);
      // resources without health (ConfigMaps, ...) count as healthy, as in Argo CD
      const h = r.health?.status;
      if (h !== undefined && !healthOk(h, sel))
        waitingFor.push(`${id} to be ${wantedHealth(sel)} (now ${h})`);
    }
  }
  return { ready: waitingFor.length === 0, waitingFor };
}

/** One row of live progress (a resource of the app and what the last sync did to it). */
export interface ProgressRow {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: string;
  readonly health: string;
  readonly hook: string;
  readonly message: string;
}

/** The rows of an app: live status per resource, merged with the last sync's results. */
export function progressRows(app: Application): ProgressRow[] {
  const rows = new Map<string, ProgressRow>();
  const key = (g?: string, k?: string, ns?: string, n?: string): string =>
    `${g ?? ''}/${k ?? ''}/${ns ?? ''}/${n ?? ''}`;
  for (const r of app.status?.resources ?? []) {
    rows.set(key(r.group, r.kind, r.namespace, r.name), {
      group: r.group ?? '',
      kind: r.kind ?? '',
      namespace: r.namespace ?? '',
      name: r.name ?? '',
      status: r.status ?? '',
      health: r.health?.status ?? '',
      hook: '',
      message: r.health?.message ?? '',
    });
  }
  for (const r of app.status?.operationState?.syncResult?.resources ?? []) {
    const k = key(r.group, r.kind, r.namespace, r.name);
    const prev = rows.get(k);
    rows.set(k, {
      group: r.group,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      status: prev?.status || (r.hookPhase ?? r.status ?? ''),
      health: prev?.health ?? '',
      hook: r.hookType ?? '',
      message: r.message ?? prev?.message ?? '',
    });
  }
  return [...rows.values()];
}

/**
 * Tracks rows between events: `changed(app)` returns the rows that are new or differ from the
 * last time they were seen.
 */
export class ProgressTracker {
  readonly #seen = new Map<string, string>();

  changed(app: Application): ProgressRow[] {
    const out: ProgressRow[] = [];
    for (const row of progressRows(app)) {
      const k = `${row.group}/${row.kind}/${row.namespace}/${row.name}`;
      const v = `${row.status}|${row.health}|${row.hook}|${row.message}`;
      if (this.#seen.get(k) !== v) {
        this.#seen.set(k, v);
        out.push(row);
      }
    }
    return out;
  }
}
