/**
 * drift-detect (performance anchors §7 row 4): apps synced with `selfHeal`; one live object edited
 * out of band at a time. Measured from just before the edit is sent:
 * - `out-of-sync`: until a watch on the Applications sees the app OutOfSync (target p50 ≤ 250 ms);
 * - `self-heal-start`: until the self-heal operation has started (the app shows a new Running
 *   operation or already a newer finished one; target ≤ 2 s at p50);
 * and, as the floor, until a bare watcher (raw watch on the ConfigMaps) sees the edit.
 * The apps are synced by the controller first (automated sync), so this also runs a cold sync.
 */
import type { Application, KubeObject } from '../../src/apis/index.js';
import { API_GROUP, API_VERSION } from '../../src/apis/index.js';
import { startControllerBench, toYaml, waitUntil } from '../controller-lib.js';
import { median, percentile, round, type BenchResult, type Scenario } from '../lib.js';

const SIZES = {
  S: { apps: 20, samples: 10 },
  M: { apps: 100, samples: 30 },
  L: { apps: 300, samples: 60 },
} as const;

function appObjects(app: string): KubeObject[] {
  return Array.from({ length: 10 }, (_, i): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${app}-cm${i}` },
    data: { color: 'blue', index: String(i) },
  }));
}

export const scenario: Scenario = {
  name: 'drift-detect',
  description:
    'out-of-band edit of a live object: time to OutOfSync and to the self-heal operation, vs a bare watcher',
  async run(ctx): Promise<BenchResult[]> {
    const size = SIZES[ctx.size];
    const names = Array.from({ length: size.apps }, (_, i) => `drift${i}`);
    const files: Record<string, string> = {};
    for (const a of names) files[`${a}/all.yaml`] = toYaml(appObjects(a));
    const bench = await startControllerBench('drift', files);
    const abort = new AbortController();
    try {
      const ctl = await bench.startController();
      const c = ctl.controller;
      await bench.createApps(names, () => ({
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      }));
      await waitUntil(
        'every app is synced',
        () =>
          c
            .listApps()
            .filter(
              (a) =>
                a.status?.sync?.status === 'Synced' &&
                a.status.operationState?.phase === 'Succeeded',
            ).length === size.apps,
        600_000,
        100,
      );
      ctx.log(`${size.apps} apps synced`);
      // observers: the Applications (as a user sees them) and a bare ConfigMap watcher
      const seenApp = new Map<string, Application>();
      const appEvents: { name: string; at: number; app: Application }[] = [];
      const cmEvents: { name: string; at: number; color: string | undefined }[] = [];
      const { admin, argo, dest } = bench;
      const watchApps = admin.watch<Application>(
        { group: API_GROUP, version: API_VERSION, resource: 'applications', namespace: argo.name },
        { signal: abort.signal, allowBookmarks: false },
        (ev) => {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
            appEvents.push({
              name: ev.object.metadata.name ?? '',
              at: performance.now(),
              app: ev.object,
            });
            seenApp.set(ev.object.metadata.name ?? '', ev.object);
          }
        },
      );
      const watchCms = admin.watch<KubeObject & { data?: Record<string, string> }>(
        { group: '', version: 'v1', resource: 'configmaps', namespace: dest },
        { signal: abort.signal, allowBookmarks: false },
        (ev) => {
          if (ev.type === 'MODIFIED')
            cmEvents.push({
              name: ev.object.metadata.name ?? '',
              at: performance.now(),
              color: ev.object.data?.color,
            });
        },
      );
      void watchApps.catch(() => undefined);
      void watchCms.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1_000));
      const detect: number[] = [];
      const heal: number[] = [];
      const floor: number[] = [];
      const restored: number[] = [];
      for (let s = 0; s < size.samples; s++) {
        const app = names[s % names.length] ?? '';
        const cm = `${app}-cm${s % 10}`;
        const before = seenApp.get(app)?.status?.operationState?.startedAt ?? '';
        const t0 = performance.now();
        await admin.patch(
          { group: '', version: 'v1', resource: 'configmaps', namespace: dest, name: cm },
          { data: { color: `red-${s}` } },
        );
        await waitUntil(
          'the app is healed',
          () => cmEvents.some((e) => e.name === cm && e.at > t0 && e.color === 'blue'),
          30_000,
          5,
        );
        const tEdit = cmEvents.find(
          (e) => e.name === cm && e.at > t0 && e.color === `red-${s}`,
        )?.at;
        const tOut = appEvents.find(
          (e) => e.name === app && e.at > t0 && e.app.status?.sync?.status === 'OutOfSync',
        )?.at;
        const tHeal = appEvents.find((e) => {
          if (e.name !== app || e.at <= t0) return false;
          const st = e.app.status?.operationState?.startedAt ?? '';
          return e.app.operation !== undefined || (st !== '' && st !== before);
        })?.at;
        const tRestored = cmEvents.find(
          (e) => e.name === cm && e.at > t0 && e.color === 'blue',
        )?.at;
        if (tEdit !== undefined) floor.push(tEdit - t0);
        if (tOut !== undefined) detect.push(tOut - t0);
        if (tHeal !== undefined) heal.push(tHeal - t0);
        if (tRestored !== undefined) restored.push(tRestored - t0);
        await waitUntil(
          'the app is Synced again',
          () => seenApp.get(app)?.status?.sync?.status === 'Synced',
          30_000,
          5,
        );
      }
      const p50 = median(detect);
      const refP50 = median(floor);
      const healP50 = median(heal);
      return [
        {
          scenario: 'drift-detect',
          metric: 'out-of-sync',
          value: p50,
          unit: 'ms (p50)',
          reference: refP50,
          ratio: p50 / refP50,
          target: 'p50 <= 250 ms (p99 <= 1 s)',
          pass: p50 <= 250 && detect.length === size.samples,
          details: {
            samples: detect.length,
            p99: round(percentile(detect, 99), 1),
            floorP99: round(percentile(floor, 99), 1),
            apps: size.apps,
          },
        },
        {
          scenario: 'drift-detect',
          metric: 'self-heal-start',
          value: healP50,
          unit: 'ms (p50)',
          reference: refP50,
          ratio: healP50 / refP50,
          target: 'self-heal operation started <= 2000 ms',
          pass: healP50 <= 2000 && heal.length === size.samples,
          details: {
            samples: heal.length,
            p99: round(percentile(heal, 99), 1),
            restoredP50: round(median(restored), 1),
            restoredP99: round(percentile(restored, 99), 1),
          },
        },
      ];
    } finally {
      abort.abort();
      await bench.close();
    }
  },
};
