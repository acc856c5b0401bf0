/**
 * Reading Kubernetes manifests from files the user names (`app create -f`, `proj create -f`,
 * `--local <dir>`): YAML (several documents) or JSON, `-` for stdin, bounded in size, with errors
 * that name the file. Directories hold plain manifests only: a kustomization or a Helm chart needs
 * the repository server and is refused with a message saying so.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { errorMessage } from '../lib/index.js';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

const MAX_BYTES = 10 * 1024 * 1024;

/** Parses YAML or JSON text with one or more documents; empty documents are skipped. */
export function parseManifests(text: string, source: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(trimmed);
      return Array.isArray(v) ? v : [v];
    } catch {
      // not JSON after all: YAML is a superset, fall through
    }
  }
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const [i, d] of docs.entries()) {
    if (d.errors.length > 0)
      throw new CliError(
        'ERR_CLI_INPUT',
        `failed to parse ${source} (document ${i + 1}): ${d.errors[0]?.message ?? 'invalid YAML'}`,
      );
    const v: unknown = d.toJS({ maxAliasCount: 100 });
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/** Reads a manifest file, or stdin for `-`. */
export async function readManifestFile(io: CliIo, path: string): Promise<unknown[]> {
  let text: string;
  if (path === '-') text = await io.readAll();
  else {
    try {
      const st = await stat(path);
      if (st.size > MAX_BYTES)
        throw new CliError(
          'ERR_CLI_INPUT',
          `failed to read ${path}: larger than ${MAX_BYTES} bytes`,
        );
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError('ERR_CLI_INPUT', `failed to read ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  return parseManifests(text, path === '-' ? 'stdin' : path);
}

/** Every manifest in the YAML/JSON files under `dir` (recursively, sorted by path). */
export async function readManifestDir(dir: string): Promise<unknown[]> {
  const files: string[] = [];
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(d)).sort();
    } catch (err) {
      throw new CliError(
        'ERR_CLI_INPUT',
        `failed to read the directory ${d}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const p = join(d, n);
      const st = await stat(p);
      if (st.isDirectory()) await walk(p);
      else if (/^(kustomization\.ya?ml|Kustomization|Chart\.yaml)$/.test(n))
        throw new CliError(
          'ERR_CLI_INPUT',
          `${relative(dir, p)} is a ${n.startsWith('Chart') ? 'Helm chart' : 'Kustomize'} file: --local reads plain YAML/JSON manifests only (render them first, e.g. 'kubectl kustomize ${dir} > out/all.yaml')`,
        );
      else if (/\.(ya?ml|json)$/i.test(n)) {
        total += st.size;
        if (total > MAX_BYTES)
          throw new CliError(
            'ERR_CLI_INPUT',
            `failed to read ${dir}: the manifests are larger than ${MAX_BYTES} bytes`,
          );
        files.push(p);
      }
    }
  };
  await walk(dir);
  if (files.length === 0)
    throw new CliError('ERR_CLI_INPUT', `no YAML or JSON manifests found in ${dir}`);
  const out: unknown[] = [];
  for (const f of files) out.push(...parseManifests(await readFile(f, 'utf8'), f));
  return out;
}
