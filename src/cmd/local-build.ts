/**
 * The bundle `npm start` runs the components from (docs/adr/0005-local-bundle.md): esbuild bundles
 * `src/cmd/local-launch.ts` (which dispatches to `main.ts` like the bin/ shims do) with code
 * splitting, npm packages left external. Loading it costs a third of the CPU of loading the sources
 * through tsx's loader, which is most of a component's start-up time.
 *
 * The bundle lives in `<repository>/.argocd-ts/build-<hash>/`, where `<hash>` covers every source
 * file it is built from, so a changed source gives a new build and an unchanged tree reuses the last
 * one. It sits two directories below the repository root exactly like `src/<folder>/x.ts`, so the
 * modules that find files relative to themselves (`package.json`, `scripts/`) find the same files.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

export interface LocalBundle {
  /** the file to run with node: `node <entry> <program> [args...]` */
  readonly entry: string;
  readonly dir: string;
  /** false when an identical earlier build was reused */
  readonly built: boolean;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** SHA-256 over the names and contents of src/**.ts (tests excluded), tsconfig and package.json. */
export async function sourceHash(repoRoot: string): Promise<string> {
  const files = [
    ...(await sourceFiles(join(repoRoot, 'src'))),
    join(repoRoot, 'tsconfig.json'),
    join(repoRoot, 'tsconfig.base.json'),
    join(repoRoot, 'package.json'),
  ].sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(repoRoot, f)).update('\0');
    h.update(await readFile(f).catch(() => Buffer.alloc(0))).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

const STALE_MS = 60 * 60_000;

/**
 * Builds the bundle (or reuses the one for the current sources) and returns its entry. Concurrent
 * callers are safe: each builds into its own directory and the first rename wins.
 */
export async function ensureLocalBundle(repoRoot: string): Promise<LocalBundle> {
  const base = join(repoRoot, '.argocd-ts');
  const hash = await sourceHash(repoRoot);
  const dir = join(base, `build-${hash}`);
  const entry = join(dir, 'local-launch.js');
  if (existsSync(entry)) return { entry, dir, built: false };
  await mkdir(base, { recursive: true });
  const tmp = join(base, `build-tmp-${String(process.pid)}-${Date.now().toString(36)}`);
  try {
    await build({
      entryPoints: [join(repoRoot, 'src', 'cmd', 'local-launch.ts')],
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      tsconfig: join(repoRoot, 'tsconfig.json'),
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    await writeFile(join(tmp, 'SOURCE'), `built from the sources with hash ${hash}\n`);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // another npm start finished the same build first: use it
      if (!existsSync(entry)) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  // builds of other source trees that nobody touched for an hour
  for (const name of await readdir(base)) {
    if (!name.startsWith('build-') || name === `build-${hash}`) continue;
    const p = join(base, name);
    const s = await stat(p).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs > STALE_MS) await rm(p, { recursive: true, force: true });
  }
  return { entry, dir, built: true };
}
