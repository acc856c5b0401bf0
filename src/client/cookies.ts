/**
 * Reads the `argocd.token` cookie from `Set-Cookie` response headers, joined from Argo CD's split
 * form (`argocd.token=<n>:<part0>`, `argocd.token-1=<part1>`, ...), so the client can pick up a
 * renewed session token. A cookie that is being deleted (empty value, `Max-Age=0` or an
 * `Expires` in the past) is not a token.
 */
export const TOKEN_COOKIE = 'argocd.token';
const MAX_CHUNKS = 20;

interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly deleted: boolean;
}

function parseSetCookie(header: string, now: number): SetCookie | undefined {
  const [pair = '', ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const name = pair.slice(0, eq).trim();
  let value = pair.slice(eq + 1).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  let deleted = value === '';
  for (const a of attrs) {
    const [k = '', v = ''] = a.split('=', 2).map((s) => s.trim());
    const key = k.toLowerCase();
    if (key === 'max-age' && Number(v) <= 0) deleted = true;
    if (key === 'expires') {
      const t = Date.parse(v);
      if (!Number.isNaN(t) && t <= now) deleted = true;
    }
  }
  return { name, value, deleted };
}

/**
 * The session token a response sets, or undefined when it sets none (or only deletes it).
 * A malformed split (missing chunk, bad count) is ignored: the old token stays in use.
 * @example
 * tokenFromSetCookie(['argocd.token=eyJ...; Path=/; HttpOnly']) // 'eyJ...'
 */
export function tokenFromSetCookie(
  headers: readonly string[] | string | undefined,
  now: number = Date.now(),
): string | undefined {
  if (headers === undefined) return undefined;
  const list = typeof headers === 'string' ? [headers] : headers;
  const cookies = new Map<string, SetCookie>();
  for (const h of list) {
    const c = parseSetCookie(h, now);
    if (c && (c.name === TOKEN_COOKIE || c.name.startsWith(`${TOKEN_COOKIE}-`)))
      cookies.set(c.name, c);
  }
  const first = cookies.get(TOKEN_COOKIE);
  if (!first || first.deleted) return undefined;
  const m = /^(\d{1,2}):(.*)$/.exec(first.value);
  if (!m) return first.value.includes(':') ? undefined : first.value;
  const count = Number(m[1]);
  if (count < 1 || count > MAX_CHUNKS) return undefined;
  let token = m[2] ?? '';
  for (let i = 1; i < count; i++) {
    const chunk = cookies.get(`${TOKEN_COOKIE}-${i}`);
    if (!chunk || chunk.deleted) return undefined;
    token += chunk.value;
  }
  return token === '' ? undefined : token;
}
