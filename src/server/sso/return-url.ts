/**
 * Where a login may send the browser back to, and which of Argo CD's URLs it runs on. The open
 * redirect guard: a `return_url` must be on the origin of `url` or one of `additionalUrls` and under
 * its path; anything else (another host, another scheme, `//host`, backslashes, credentials in the
 * URL, control characters) is refused.
 */

/** The Argo CD base URLs (`url` first), without trailing slashes. */
export interface ArgoUrls {
  readonly url: string;
  readonly additionalUrls: readonly string[];
}

function bases(u: ArgoUrls): URL[] {
  const out: URL[] = [];
  for (const raw of [u.url, ...u.additionalUrls]) {
    try {
      out.push(new URL(raw));
    } catch {
      // a malformed additional URL allows nothing
    }
  }
  return out;
}

function underBase(target: URL, base: URL): boolean {
  if (target.origin !== base.origin) return false;
  const prefix = base.pathname.replace(/\/+$/, '');
  return prefix === '' || target.pathname === prefix || target.pathname.startsWith(`${prefix}/`);
}

/**
 * The return URL to use: `undefined` or empty gives `url` itself (with `basehref`); otherwise the
 * URL when it is within `url`/`additionalUrls`, else `undefined` (refuse the login).
 * @example
 * checkReturnUrl('https://cd.example.com/applications', { url: 'https://cd.example.com', additionalUrls: [] })
 * // 'https://cd.example.com/applications'
 * checkReturnUrl('https://evil.example/', { url: 'https://cd.example.com', additionalUrls: [] }) // undefined
 */
export function checkReturnUrl(
  returnUrl: string | undefined,
  urls: ArgoUrls,
  basehref = '/',
): string | undefined {
  if (returnUrl === undefined || returnUrl === '') return `${urls.url}${basehref}`;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (returnUrl.length > 2048 || /[\\\u0000-\u001f\u007f]/.test(returnUrl)) return undefined;
  if (!/^https?:\/\//i.test(returnUrl)) return undefined;
  let target: URL;
  try {
    target = new URL(returnUrl);
  } catch {
    return undefined;
  }
  if (target.username !== '' || target.password !== '') return undefined;
  return bases(urls).some((b) => underBase(target, b)) ? target.href : undefined;
}

/**
 * The Argo CD base a login runs on: the one whose host the request came to, else the one the
 * return URL is on, else `url`. The redirect URI is `<base>/auth/callback`.
 */
export function loginBase(
  urls: ArgoUrls,
  requestHost: string | undefined,
  returnUrl: string,
): string {
  const all = [urls.url, ...urls.additionalUrls];
  if (requestHost !== undefined) {
    const h = requestHost.toLowerCase();
    const byHost = all.find((b) => {
      try {
        return new URL(b).host.toLowerCase() === h;
      } catch {
        return false;
      }
    });
    if (byHost !== undefined) return byHost;
  }
  try {
    const r = new URL(returnUrl);
    const byReturn = all.find((b) => {
      try {
        return underBase(r, new URL(b));
      } catch {
        return false;
      }
    });
    if (byReturn !== undefined) return byReturn;
  } catch {
    // fall through to url
  }
  return urls.url;
}
