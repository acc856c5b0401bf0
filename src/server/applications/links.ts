/**
 * Deep links of applications and their resources (`application.links` and `resource.links` in
 * argocd-cm, Argo CD's format): `{title, url, description, icon.class, if}` entries whose `url` may
 * hold `{{.app.metadata.name}}`-style references into the context (`app`, `resource`, `project`,
 * `cluster`). Values are URL-encoded when filled in; a link whose result is not an `http(s)` URL is
 * dropped (CVE-2022-31035: no `javascript:`), and so is one with an `if` condition (this server has
 * no expression engine) or a reference it cannot fill.
 */
import { parse as parseYaml } from 'yaml';
import { isRecord } from '../../lib/index.js';

/** `applicationLinkInfo`. */
export interface LinkInfo {
  title: string;
  url: string;
  description?: string;
  iconClass?: string;
}

const REF = /\{\{\s*\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

function lookup(ctx: Readonly<Record<string, unknown>>, path: string): string | undefined {
  let cur: unknown = ctx;
  for (const part of path.split('.')) {
    if (!isRecord(cur) || !Object.hasOwn(cur, part)) return undefined;
    cur = cur[part];
  }
  return typeof cur === 'string' || typeof cur === 'number' ? String(cur) : undefined;
}

/**
 * The links of argocd-cm key `raw` (YAML list) filled from `ctx`.
 * @example
 * deepLinks('- title: Logs\n  url: https://logs.example/{{.app.metadata.name}}', { app }) // [{ title: 'Logs', url: 'https://logs.example/web' }]
 */
export function deepLinks(
  raw: string | undefined,
  ctx: Readonly<Record<string, unknown>>,
): LinkInfo[] {
  if (raw === undefined || raw.trim() === '') return [];
  let list: unknown;
  try {
    list = parseYaml(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: LinkInfo[] = [];
  for (const l of list) {
    if (!isRecord(l) || typeof l.url !== 'string' || typeof l.title !== 'string') continue;
    if (l.if !== undefined) continue;
    let missing = false as boolean;
    const url = l.url.replace(REF, (_m, path: string) => {
      const v = lookup(ctx, path);
      if (v === undefined) missing = true;
      return encodeURIComponent(v ?? '');
    });
    if (missing || !/^https?:\/\/[^\s]+$/i.test(url)) continue;
    const item: LinkInfo = { title: l.title, url };
    if (typeof l.description === 'string') item.description = l.description;
    if (typeof l['icon.class'] === 'string') item.iconClass = l['icon.class'];
    out.push(item);
  }
  return out;
}
