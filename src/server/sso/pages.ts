/**
 * The plain page `/auth/*` shows when a login cannot go on. Everything in it is escaped, and nothing
 * from the request is shown except an OAuth error code that matches `^[a-z_]{1,64}$`: Argo CD's
 * callback reflected the provider's `error_description` (XSS, CVE-2022-31102) and a message in the
 * URL could be spoofed onto its login page (GHSA-xmg8-99r8-jc2j). Descriptions go to the log.
 */

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An OAuth error code fit to show (RFC 6749 codes are lower-case with underscores), else undefined. */
export function displayableErrorCode(code: string | undefined): string | undefined {
  return code !== undefined && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
}

/** Headers of the page: no script, no framing, no caching, no referrer. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
});

/**
 * The page: a title, a fixed message chosen by the server, and a link to start again (`retryHref`
 * is a server-built path, escaped anyway).
 */
export function errorPage(input: {
  readonly title: string;
  readonly message: string;
  readonly code?: string | undefined;
  readonly retryHref?: string | undefined;
}): string {
  const code = displayableErrorCode(input.code);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)} - Argo CD</title>
<style>body{font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em;line-height:1.5}</style>
</head>
<body>
<main>
<h1>${escapeHtml(input.title)}</h1>
<p role="alert">${escapeHtml(input.message)}</p>
${code !== undefined ? `<p>Error code: <code>${escapeHtml(code)}</code></p>\n` : ''}${input.retryHref !== undefined ? `<p><a href="${escapeHtml(input.retryHref)}">Log in again</a></p>\n` : ''}</main>
</body>
</html>
`;
}
