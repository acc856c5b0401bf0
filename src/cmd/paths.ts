/** Where the local main job keeps its state (gitignored): certificates, etcd data, logs. */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const LOCAL_DIR = join(REPO_ROOT, '.argocd-ts');
export const LOCAL_KUBE_DIR = join(LOCAL_DIR, 'kube');
