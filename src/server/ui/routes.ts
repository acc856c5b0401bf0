/**
 * The non-API paths: `/healthz`, `/extensions.js` (the UI's extension bundle: an empty script until
 * extensions exist) and the web UI's static files from `--staticassets`, with the SPA fallback
 * (any unknown non-API path gets `index.html`, whose `<base href>` follows `--basehref`). When the
 * directory has no `index.html`, a plain built-in page is served instead.
 *
 * Paths are resolved inside the directory only: percent-decoding first, then `..`, NUL, dotfiles
 * and symlinks leading outside are refused (404).
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { VERSION } from '../../config/index.js';
import type { ApiService } from '../service.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page served while no web UI is installed. */
export function builtinIndexHtml(basehref: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="${basehref}">
<title>Argo CD</title>
</head>
<body>
<h1>argocd-ts API server</h1>
<p>Version ${VERSION}. The web UI is not installed in this server's static assets directory.</p>
<p>The REST API is under <code>api/v1/</code>; use the <code>argocd</code> command-line client.</p>
</body>
</html>
`;
}

/** Rewrites `<base href="...">` of index.html to `basehref` (Argo CD does the same). */
export function withBaseHref(html: string, basehref: string): string {
  return html.replace(/<base href="[^"]*"\s*\/?>/i, `<base href="${basehref.replace(/"/g, '')}">`);
}

/** Resolves a URL path inside `root`; undefined when it would leave it or names a dotfile. */
export async function resolveStaticPath(
  root: string,
  urlPath: string,
): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const parts = decoded.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return undefined;
  const base = resolve(root);
  const candidate = resolve(join(base, ...parts));
  if (candidate !== base && !candidate.startsWith(base + sep)) return undefined;
  try {
    const [real, realBase] = await Promise.all([realpath(candidate), realpath(base)]);
    if (real !== realBase && !real.startsWith(realBase + sep)) return undefined;
    const st = await stat(real);
    return st.isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Paths that are never the UI: unknown ones get a 404, not index.html. */
function isReserved(path: string): boolean {
  return (
    path === '/api' ||
    path.startsWith('/api/') ||
    path.startsWith('/auth/') ||
    path === '/swagger.json' ||
    path.startsWith('/terminal') ||
    /^\/[a-z0-9_.]+\.[A-Za-z0-9_]+\/[A-Za-z0-9_]+$/.test(path)
  );
}

export const uiService: ApiService = {
  name: 'ui',
  register(routes, deps) {
    const root = deps.options.staticAssetsDir;
    const basehref = deps.options.basehref;

    routes.route({
      method: 'GET',
      path: '/healthz',
      auth: 'none',
      handler: (_ctx, req) => req.reply.type('text/plain; charset=utf-8').send('ok'),
    });
    routes.route({
      method: 'GET',
      path: '/extensions.js',
      auth: 'none',
      handler: (_ctx, req) => req.reply.type('application/javascript; charset=utf-8').send(''),
    });

    const index = async (): Promise<string> => {
      try {
        return withBaseHref(await readFile(join(root, 'index.html'), 'utf8'), basehref);
      } catch {
        return builtinIndexHtml(basehref);
      }
    };

    routes.route({
      method: 'GET',
      path: '/*',
      auth: 'none',
      handler: async (_ctx, req) => {
        const path = req.rawPath;
        if (isReserved(path)) {
          const message = `failed to route GET ${path}: Not Found`;
          return req.reply
            .code(404)
            .type('application/json; charset=utf-8')
            .send({ error: message, code: 5, message });
        }
        const file =
          path === '/' || path === '/index.html' ? undefined : await resolveStaticPath(root, path);
        if (file === undefined) {
          // SPA fallback: the UI routes by history API
          return req.reply
            .header('cache-control', 'no-cache')
            .type('text/html; charset=utf-8')
            .send(await index());
        }
        const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
        return req.reply.type(type).send(createReadStream(file));
      },
    });
  },
};
