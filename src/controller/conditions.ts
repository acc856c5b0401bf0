/**
 * Status helpers: conditions with stable `lastTransitionTime`s (a condition that was already there
 * with the same type and message keeps its time), and the bounded revision history.
 */
import type { ApplicationCondition, ApplicationStatus, RevisionHistory } from '../apis/index.js';

/** Argo CD's default `spec.revisionHistoryLimit`. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/**
 * The new condition list: `next` (type + message), keeping the transition time of conditions that
 * did not change; sorted by type then message so equal sets compare equal.
 */
export function mergeConditions(
  previous: readonly ApplicationCondition[] | undefined,
  next: readonly { type: string; message: string }[],
  nowIso: string,
): ApplicationCondition[] | undefined {
  const seen = new Set<string>();
  const out: ApplicationCondition[] = [];
  for (const c of next) {
    const id = `${c.type}\n${c.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const old = previous?.find((p) => p.type === c.type && p.message === c.message);
    out.push({
      type: c.type,
      message: c.message,
      lastTransitionTime: old?.lastTransitionTime ?? nowIso,
    });
  }
  out.sort((a, b) =>
    a.type === b.type ? a.message.localeCompare(b.message) : a.type < b.type ? -1 : 1,
  );
  return out.length > 0 ? out : undefined;
}

/** Appends a history entry (ids increase by one) and keeps the newest `limit`. */
export function appendHistory(
  status: Pick<ApplicationStatus, 'history'> | undefined,
  entry: Omit<RevisionHistory, 'id'>,
  limit: number | undefined,
): RevisionHistory[] {
  const history = [...(status?.history ?? [])];
  const nextId = history.reduce((m, h) => Math.max(m, h.id), -1) + 1;
  history.push({ ...entry, id: nextId });
  const keep = Math.max(1, limit ?? DEFAULT_REVISION_HISTORY_LIMIT);
  return history.slice(-keep);
}

/** RFC 3339 without milliseconds, as Kubernetes writes `metav1.Time`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
