/**
 * The provider's own HTML: login form, connector chooser, logout confirmation and error pages.
 * Plain, accessible markup (a language, a title, one `h1`, labelled inputs in document order,
 * errors announced with `role="alert"` and tied to the inputs with `aria-describedby`), no script
 * at all, one stylesheet served from our own origin, and every value that did not come from this
 * file passes through `escapeHtml`: user names, connector names, error messages, URLs.
 */

/** Content-Security-Policy of every page: nothing but our stylesheet, and no framing. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The stylesheet, served at `<issuer>/static/style.css`. */
export const STYLESHEET = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; padding: 2rem 1rem; }
main { max-width: 24rem; margin: 0 auto; }
h1 { font-size: 1.5rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input[type="text"], input[type="email"], input[type="password"] { display: block; width: 100%; box-sizing: border-box; padding: 0.5rem; margin-top: 0.25rem; font: inherit; }
input[aria-invalid="true"] { outline: 2px solid #b00020; }
button, .button { display: inline-block; margin-top: 1.5rem; padding: 0.6rem 1.2rem; font: inherit; cursor: pointer; }
.error { color: #b00020; margin-top: 1rem; }
ul.connectors { list-style: none; padding: 0; }
ul.connectors li { margin: 0.75rem 0; }
:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
`;

function layout(stylesheetUrl: string, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} - Argo CD</title>
<link rel="stylesheet" href="${escapeHtml(stylesheetUrl)}">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageInput {
  readonly stylesheetUrl: string;
  /** where the form posts */
  readonly action: string;
  readonly csrfToken: string;
  /** shown in the heading, e.g. "Email" for the password database */
  readonly connectorName: string;
  /** what the user typed before, kept after an error */
  readonly login?: string;
  readonly error?: string;
  /** link back to the connector chooser when there are several */
  readonly chooserUrl?: string;
}

/** The password form. */
export function loginPage(input: LoginPageInput): string {
  const err = input.error;
  const invalid = err === undefined ? '' : ' aria-invalid="true" aria-describedby="login-error"';
  const errorBlock =
    err === undefined
      ? ''
      : `<p id="login-error" class="error" role="alert">${escapeHtml(err)}</p>\n`;
  const back =
    input.chooserUrl === undefined
      ? ''
      : `<p><a href="${escapeHtml(input.chooserUrl)}">Choose another login method</a></p>\n`;
  return layout(
    input.stylesheetUrl,
    'Log in',
    `<h1>Log in with ${escapeHtml(input.connectorName)}</h1>
${errorBlock}<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
<label for="login">Email address</label>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${escapeHtml(input.login ?? '')}"${invalid}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
<button type="submit">Log in</button>
</form>
${back}`,
  );
}

export interface ChooserPageInput {
  readonly stylesheetUrl: string;
  readonly connectors: readonly { readonly name: string; readonly href: string }[];
}

/** Lists the login methods when there is more than one. */
export function chooserPage(input: ChooserPageInput): string {
  const items = input.connectors
    .map(
      (c) =>
        `<li><a class="button" href="${escapeHtml(c.href)}">Log in with ${escapeHtml(c.name)}</a></li>`,
    )
    .join('\n');
  return layout(
    input.stylesheetUrl,
    'Log in',
    `<h1>Log in to Argo CD</h1>
<nav aria-label="Login methods">
<ul class="connectors">
${items}
</ul>
</nav>`,
  );
}

export interface MessagePageInput {
  readonly stylesheetUrl: string;
  readonly title: string;
  readonly message: string;
  /** an optional way forward */
  readonly link?: { readonly href: string; readonly text: string };
}

/** An error or notice page. */
export function messagePage(input: MessagePageInput): string {
  const link =
    input.link === undefined
      ? ''
      : `<p><a href="${escapeHtml(input.link.href)}">${escapeHtml(input.link.text)}</a></p>\n`;
  return layout(
    input.stylesheetUrl,
    input.title,
    `<h1>${escapeHtml(input.title)}</h1>
<p role="alert">${escapeHtml(input.message)}</p>
${link}`,
  );
}

/**
 * The logout confirmation. `formHtml` is the hidden form oidc-provider generates (its action and
 * anti-forgery value are produced by the library, not by the requester).
 */
export function logoutPage(stylesheetUrl: string, formHtml: string): string {
  return layout(
    stylesheetUrl,
    'Log out',
    `<h1>Log out of Argo CD?</h1>
${formHtml}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Log out</button>
<button type="submit" form="op.logoutForm">Stay logged in</button>`,
  );
}
