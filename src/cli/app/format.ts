/**
 * Human output of applications, in Argo CD's layout: the `app get` summary, the operation block,
 * the resources table, the `-o tree` view of the resource tree, the `app list` table and the
 * history table.
 */
import { getSources, type Application, type OperationState } from '../../apis/index.js';
import type { ApplicationTree, ResourceNode } from '../../client/index.js';
import { formatTable, type Cell } from '../output/table.js';
import { progressRows, type ProgressRow } from './wait.js';

/** `namespace/name` when the app has a namespace (Argo CD's qualified name), else the name. */
export function qualifiedName(app: Application): string {
  const ns = app.metadata.namespace;
  return ns ? `${ns}/${app.metadata.name ?? ''}` : (app.metadata.name ?? '');
}

function shortRev(rev: string | undefined): string {
  if (!rev) return '';
  return /^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 7) : rev;
}

function syncPolicyText(app: Application): string {
  const a = app.spec.syncPolicy?.automated;
  if (!a || a.enabled === false) return 'Manual';
  const extras = [a.prune ? 'Prune' : '', a.selfHeal ? 'SelfHeal' : ''].filter(Boolean);
  return extras.length > 0 ? `Automated (${extras.join(', ')})` : 'Automated';
}

function syncStatusText(app: Application): string {
  const s = app.status?.sync;
  const status = s?.status ?? 'Unknown';
  const target = app.spec.source?.targetRevision || 'HEAD';
  if (status === 'Synced' || status === 'OutOfSync') {
    const rev = shortRev(s?.revision);
    return `${status} ${status === 'Synced' ? 'to' : 'from'} ${target}${rev ? ` (${rev})` : ''}`;
  }
  return status;
}

function durationText(start: string | undefined, end: string | undefined, now: Date): string {
  if (!start) return '';
  const s = Date.parse(start);
  const e = end ? Date.parse(end) : now.getTime();
  if (Number.isNaN(s) || Number.isNaN(e)) return '';
  const secs = Math.max(0, Math.round((e - s) / 1000));
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const sec = secs % 60;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${sec}s`;
}

const field = (k: string, v: Cell): string => `${`${k}:`.padEnd(20)}${String(v ?? '')}`.trimEnd();

/** The `app get` summary block. `serverUrl` makes the URL line (the UI's link). */
export function formatAppSummary(app: Application, serverUrl: string | undefined): string {
  const name = app.metadata.name ?? '';
  const lines = [
    field('Name', qualifiedName(app)),
    field('Project', app.spec.project),
    field('Server', app.spec.destination.server ?? app.spec.destination.name ?? ''),
    field('Namespace', app.spec.destination.namespace ?? ''),
  ];
  if (serverUrl) lines.push(field('URL', `${serverUrl.replace(/\/+$/, '')}/applications/${name}`));
  const sources = getSources(app.spec);
  if (sources.length > 0) lines.push('Source:');
  for (const s of sources) {
    lines.push(field('- Repo', s.repoURL), field('  Target', s.targetRevision ?? ''));
    if (s.path !== undefined) lines.push(field('  Path', s.path));
    if (s.chart !== undefined) lines.push(field('  Chart', s.chart));
  }
  lines.push(
    field('Sync Policy', syncPolicyText(app)),
    field('Sync Status', syncStatusText(app)),
    field('Health Status', app.status?.health?.status ?? 'Unknown'),
  );
  return `${lines.join('\n')}\n`;
}

/** The conditions of an app as a table (empty when it has none). */
export function formatConditions(app: Application): string {
  const conds = app.status?.conditions ?? [];
  if (conds.length === 0) return '';
  return `\nCONDITION MESSAGE:\n${formatTable(
    ['CONDITION', 'MESSAGE', 'LAST TRANSITION'],
    conds.map((c) => [c.type, c.message, c.lastTransitionTime]),
  )}`;
}

/** The operation block (after a sync or rollback, or `--show-operation`). */
export function formatOperation(op: OperationState, now: Date): string {
  const fields: [string, Cell][] = [
    ['Operation', op.operation.sync ? 'Sync' : 'Unknown'],
    ['Sync Revision', op.syncResult?.revision ?? ''],
    ['Phase', op.phase],
    ['Start', op.startedAt],
    ['Finished', op.finishedAt ?? ''],
    ['Duration', durationText(op.startedAt, op.finishedAt, now)],
    ['Message', op.message ?? ''],
  ];
  return (
    fields.map(([k, v]) => `${`${k}:`.padEnd(20)}${String(v ?? '')}`.trimEnd()).join('\n') + '\n'
  );
}

/** The resources table of `app get` / after a sync. `wide` adds the sync wave column. */
export function formatResources(app: Application, wide = false): string {
  const rows = progressRows(app);
  if (rows.length === 0) return '';
  const waves = new Map<string, number | undefined>();
  for (const r of app.status?.resources ?? [])
    waves.set(`${r.group ?? ''}/${r.kind ?? ''}/${r.namespace ?? ''}/${r.name ?? ''}`, r.syncWave);
  const headers = ['GROUP', 'KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'HOOK', 'MESSAGE'];
  if (wide) headers.splice(4, 0, 'WAVE');
  return formatTable(
    headers,
    rows.map((r) => {
      const row: Cell[] = [
        r.group,
        r.kind,
        r.namespace,
        r.name,
        r.status,
        r.health,
        r.hook,
        r.message,
      ];
      if (wide) row.splice(4, 0, waves.get(`${r.group}/${r.kind}/${r.namespace}/${r.name}`));
      return row;
    }),
  );
}

/** Columns of the live progress of `app sync` / `app wait`. */
export const PROGRESS_HEADERS = [
  'TIMESTAMP',
  'GROUP',
  'KIND',
  'NAMESPACE',
  'NAME',
  'STATUS',
  'HEALTH',
  'HOOK',
  'MESSAGE',
];

/** Progress cells: one row per changed resource, with a timestamp (printed as they happen). */
export function progressCells(rows: readonly ProgressRow[], now: Date): Cell[][] {
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return rows.map((r) => [
    ts,
    r.group,
    r.kind,
    r.namespace,
    r.name,
    r.status,
    r.health,
    r.hook,
    r.message,
  ]);
}

/** The `app list` table; `wide` adds the source columns. */
export function formatAppList(apps: readonly Application[], wide: boolean): string {
  const headers = [
    'NAME',
    'CLUSTER',
    'NAMESPACE',
    'PROJECT',
    'STATUS',
    'HEALTH',
    'SYNCPOLICY',
    'CONDITIONS',
  ];
  if (wide) headers.push('REPO', 'PATH', 'TARGET');
  return formatTable(
    headers,
    apps.map((a) => {
      const src = getSources(a.spec)[0];
      const conds = (a.status?.conditions ?? []).map((c) => c.type).join(',');
      const auto = a.spec.syncPolicy?.automated;
      const row: Cell[] = [
        qualifiedName(a),
        a.spec.destination.server ?? a.spec.destination.name ?? '',
        a.spec.destination.namespace ?? '',
        a.spec.project,
        a.status?.sync?.status ?? 'Unknown',
        a.status?.health?.status ?? 'Unknown',
        auto && auto.enabled !== false ? 'Auto' + (auto.prune ? '-Prune' : '') : 'Manual',
        conds === '' ? '<none>' : conds,
      ];
      if (wide)
        row.push(src?.repoURL ?? '', src?.path ?? src?.chart ?? '', src?.targetRevision ?? '');
      return row;
    }),
  );
}

/** The `app history` table (ID, DATE, REVISION). */
export function formatHistory(app: Application): string {
  const h = app.status?.history ?? [];
  return formatTable(
    ['ID', 'DATE', 'REVISION'],
    h.map((e) => {
      const src = e.source ?? e.sources?.[0];
      const rev = e.revision ?? e.revisions?.join(',') ?? '';
      return [e.id, e.deployedAt, `${src?.targetRevision ?? ''} (${shortRev(rev)})`.trim()];
    }),
  );
}

/**
 * The `-o tree` view: each managed resource, then its children from the resource tree (by
 * parentRefs uid), drawn with tree branches. Columns: KIND/NAME, STATUS, HEALTH, MESSAGE.
 */
export function formatTree(app: Application, tree: ApplicationTree): string {
  const nodes = tree.nodes ?? [];
  const children = new Map<string, ResourceNode[]>();
  for (const n of nodes)
    for (const p of n.parentRefs ?? []) {
      if (!p.uid) continue;
      const list = children.get(p.uid) ?? [];
      list.push(n);
      children.set(p.uid, list);
    }
  const findNode = (g: string, k: string, ns: string, name: string): ResourceNode | undefined =>
    nodes.find(
      (n) => (n.group ?? '') === g && n.kind === k && (n.namespace ?? '') === ns && n.name === name,
    );
  const rows: Cell[][] = [];
  const seen = new Set<string>();
  const walk = (node: ResourceNode, prefix: string, childPrefix: string): void => {
    for (const [i, c] of (children.get(node.uid ?? '') ?? []).entries()) {
      if (c.uid && seen.has(c.uid)) continue;
      if (c.uid) seen.add(c.uid);
      const last = i === (children.get(node.uid ?? '') ?? []).length - 1;
      rows.push([
        `${childPrefix}${last ? '└─' : '├─'}${c.kind ?? ''}/${c.name ?? ''}`,
        '',
        c.health?.status ?? '',
        c.health?.message ?? '',
      ]);
      walk(c, prefix, `${childPrefix}${last ? '  ' : '│ '}`);
    }
  };
  for (const r of app.status?.resources ?? []) {
    rows.push([
      `${r.kind ?? ''}/${r.name ?? ''}`,
      r.status ?? '',
      r.health?.status ?? '',
      r.health?.message ?? '',
    ]);
    const node = findNode(r.group ?? '', r.kind ?? '', r.namespace ?? '', r.name ?? '');
    if (node?.uid) {
      seen.add(node.uid);
      walk(node, '', '');
    }
  }
  return formatTable(['KIND/NAME', 'STATUS', 'HEALTH', 'MESSAGE'], rows);
}
