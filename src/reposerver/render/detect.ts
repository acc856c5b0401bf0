/**
 * Source type detection as Argo CD does it: an explicit `helm`, `kustomize` or `directory` block
 * in the source wins (two of them is an error); otherwise `Chart.yaml` means Helm and
 * `kustomization.yaml`/`kustomization.yml`/`Kustomization` means Kustomize (Kustomize wins when
 * both are present, as in Argo CD's discovery walk), each only while enabled (`helm.enable`,
 * `kustomize.enable`); everything else is a plain directory.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RepoServerError } from '../errors.js';

export type SourceType = 'Helm' | 'Kustomize' | 'Directory';

export const KUSTOMIZATION_FILES = [
  'kustomization.yaml',
  'kustomization.yml',
  'Kustomization',
] as const;

export interface ExplicitSourceBlocks {
  readonly helm: boolean;
  readonly kustomize: boolean;
  readonly directory: boolean;
}

/** Which source types are enabled (a type absent from the map is enabled). */
export type EnabledSourceTypes = Readonly<Record<string, boolean>>;

export function isEnabled(enabled: EnabledSourceTypes, type: SourceType): boolean {
  return enabled[type] ?? enabled[type.toLowerCase()] ?? true;
}

/** The type a directory holds by its files alone, or undefined for a plain directory. */
export function typeFromFiles(
  names: ReadonlySet<string>,
  enabled: EnabledSourceTypes,
): SourceType | undefined {
  if (isEnabled(enabled, 'Kustomize') && KUSTOMIZATION_FILES.some((f) => names.has(f)))
    return 'Kustomize';
  if (isEnabled(enabled, 'Helm') && names.has('Chart.yaml')) return 'Helm';
  return undefined;
}

/** Detects the source type of an application directory. */
export async function detectSourceType(
  appDir: string,
  explicit: ExplicitSourceBlocks,
  enabled: EnabledSourceTypes,
): Promise<SourceType> {
  const chosen = (['helm', 'kustomize', 'directory'] as const).filter((k) => explicit[k]);
  if (chosen.length > 1)
    throw new RepoServerError(
      'ERR_INVALID_REQUEST',
      `multiple application source types are set (${chosen.join(', ')}): keep only one of helm, kustomize, directory`,
    );
  if (chosen[0] === 'helm') return 'Helm';
  if (chosen[0] === 'kustomize') return 'Kustomize';
  if (chosen[0] === 'directory') return 'Directory';
  const names = new Set(await readdir(appDir));
  return typeFromFiles(names, enabled) ?? 'Directory';
}

/**
 * Lists the directories under `root` (relative, `.` for the root) that hold Helm charts or
 * Kustomizations; hidden directories and `.git` are skipped.
 */
export async function discoverApps(
  root: string,
  enabled: EnabledSourceTypes,
): Promise<Map<string, SourceType>> {
  const apps = new Map<string, SourceType>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const type = typeFromFiles(new Set(entries.map((e) => e.name)), enabled);
    if (type) apps.set(rel, type);
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      await walk(join(dir, e.name), rel === '.' ? e.name : `${rel}/${e.name}`);
    }
  };
  await walk(root, '.');
  return new Map([...apps.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
