/**
 * Removes credentials from text before it reaches a log line, an error message or an API response
 * (after Flux's sanitized.go and Argo CD's gRPC sanitiser): userinfo in URLs, query strings of URLs,
 * `Authorization`/bearer values, and any secret the caller names explicitly.
 */
const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s@:]+(?::[^/\s@]*)?@)/gi;
const URL_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"']+)\?[^\s#"']*/gi;
const BEARER = /\b(bearer|basic|token)(\s+|=|:\s*)[A-Za-z0-9._~+/=-]{8,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const PRIVATE_KEY =
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

export const REDACTED = '******';

/**
 * Sanitises free text. `secrets` are exact values (passwords, tokens) to replace wherever they occur.
 * @example
 * sanitizeText('fatal: https://bob:hunter2@git.example/x.git', ['hunter2'])
 * // 'fatal: https://******@git.example/x.git'
 */
export function sanitizeText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join(REDACTED);
    if (secret.length >= 3) {
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join(REDACTED);
    }
  }
  return out
    .replace(PRIVATE_KEY, `-----BEGIN PRIVATE KEY-----${REDACTED}`)
    .replace(URL_WITH_USERINFO, `$1${REDACTED}@`)
    .replace(URL_QUERY, '$1')
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1$2${REDACTED}`);
}

/** Returns a URL string without userinfo, query and fragment; unparsable input is sanitised as text. */
export function sanitizeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return sanitizeText(url);
  }
}
