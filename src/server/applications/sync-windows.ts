/**
 * Sync windows of an AppProject as they apply to one application (Argo CD's `SyncWindows.Matches`,
 * `Active` and `CanSync`):
 * - a window is assigned to an app when its `applications` globs match the app name, or its
 *   `clusters` match the destination server or name, or its `namespaces` match the destination
 *   namespace (with `andOperator`, every list that is set must match);
 * - a window is active when its schedule fired within the last `duration` (evaluated in the
 *   window's `timeZone`, UTC by default or when the zone is unknown);
 * - a manual sync may run unless an active deny window forbids it (all active deny windows must
 *   have `manualSync` to let it through), or allow windows are assigned, none is active and none
 *   has `manualSync`. An automated sync additionally needs no active deny and, with allow windows
 *   assigned, an active one.
 * A window whose schedule or duration does not parse fails closed: an invalid deny window counts as
 * active, an invalid allow window as inactive.
 */
import type { Application, SyncWindow } from '../../apis/index.js';
import { globMatch, parseDuration } from '../../lib/index.js';
import { parseCron } from './cron.js';

/** `applicationApplicationSyncWindow`: what the API returns per window. */
export interface SyncWindowView {
  kind: string;
  schedule: string;
  duration: string;
  manualSync: boolean;
}

/** `applicationApplicationSyncWindowsResponse`. */
export interface SyncWindowsView {
  assignedWindows: SyncWindowView[];
  activeWindows: SyncWindowView[];
  canSync: boolean;
}

function anyGlob(patterns: readonly string[] | undefined, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  return (patterns ?? []).some((p) => globMatch(p, value));
}

/** Whether a window applies to the app. */
export function windowMatches(w: SyncWindow, app: Pick<Application, 'metadata' | 'spec'>): boolean {
  const name = app.metadata.name;
  const dest = app.spec.destination;
  const apps = w.applications ?? [];
  const clusters = w.clusters ?? [];
  const nss = w.namespaces ?? [];
  const clusterOk = (): boolean => anyGlob(clusters, dest.server) || anyGlob(clusters, dest.name);
  if (w.andOperator === true) {
    if (apps.length === 0 && clusters.length === 0 && nss.length === 0) return false;
    if (apps.length > 0 && !anyGlob(apps, name)) return false;
    if (clusters.length > 0 && !clusterOk()) return false;
    if (nss.length > 0 && !anyGlob(nss, dest.namespace)) return false;
    return true;
  }
  return (
    (apps.length > 0 && anyGlob(apps, name)) ||
    (clusters.length > 0 && clusterOk()) ||
    (nss.length > 0 && anyGlob(nss, dest.namespace))
  );
}

/** Offset of `timeZone` from UTC at `ms`, in ms (0 for UTC or an unknown zone). */
export function zoneOffsetMs(timeZone: string | undefined, ms: number): number {
  if (timeZone === undefined || timeZone === '' || timeZone === 'UTC') return 0;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return 0;
  }
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(ms))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  const local = Date.UTC(
    p.year ?? 1970,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  );
  return local - Math.floor(ms / 1000) * 1000;
}

/** Whether a window is active at `nowMs`; undefined when its schedule or duration is invalid. */
export function windowActive(w: SyncWindow, nowMs: number): boolean | undefined {
  let durationMs: number;
  try {
    durationMs = parseDuration(w.duration ?? '');
    const shifted = nowMs + zoneOffsetMs(w.timeZone, nowMs);
    const next = parseCron(w.schedule ?? '').next(shifted - durationMs);
    return next !== undefined && next < shifted;
  } catch {
    return undefined;
  }
}

function isActive(w: SyncWindow, nowMs: number): boolean {
  const a = windowActive(w, nowMs);
  if (a === undefined) return w.kind === 'deny';
  return a;
}

/** Whether a sync may start now, manual or automated. */
export function canSync(windows: readonly SyncWindow[], nowMs: number, manual: boolean): boolean {
  if (windows.length === 0) return true;
  const active = windows.filter((w) => isActive(w, nowMs));
  const activeDeny = active.filter((w) => w.kind === 'deny');
  if (activeDeny.length > 0) return manual && activeDeny.every((w) => w.manualSync === true);
  if (active.some((w) => w.kind === 'allow')) return true;
  const inactiveAllows = windows.filter((w) => w.kind === 'allow' && !active.includes(w));
  if (inactiveAllows.length > 0) return manual && inactiveAllows.some((w) => w.manualSync === true);
  return true;
}

function view(w: SyncWindow): SyncWindowView {
  return {
    kind: w.kind ?? '',
    schedule: w.schedule ?? '',
    duration: w.duration ?? '',
    manualSync: w.manualSync ?? false,
  };
}

/**
 * The answer of `GET /api/v1/applications/{name}/syncwindows` (canSync for a manual sync).
 * @example
 * syncWindowsOf(project.spec.syncWindows ?? [], app, Date.now()).canSync
 */
export function syncWindowsOf(
  windows: readonly SyncWindow[],
  app: Pick<Application, 'metadata' | 'spec'>,
  nowMs: number,
): SyncWindowsView {
  const assigned = windows.filter((w) => windowMatches(w, app));
  const active = assigned.filter((w) => isActive(w, nowMs));
  return {
    assignedWindows: assigned.map(view),
    activeWindows: active.map(view),
    canSync: canSync(assigned, nowMs, true),
  };
}
