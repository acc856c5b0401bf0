/**
 * A tiny scripted browser for login flows in tests: a cookie jar (path-scoped, per origin), manual
 * redirects (each hop is visible to the test), form posting, and TLS trust for a test CA. No
 * JavaScript, exactly like the pages it drives need none.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface BrowserResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** absolute Location for redirects */
  readonly location: string | undefined;
}

interface Cookie {
  value: string;
  path: string;
}

export class Browser {
  private readonly jar = new Map<string, Map<string, Cookie>>();
  private readonly ca: string | undefined;
  /** every URL requested, in order */
  readonly visited: string[] = [];

  constructor(options: { ca?: string } = {}) {
    this.ca = options.ca;
  }

  /** Cookies that would be sent to `url`. */
  cookiesFor(url: string): Record<string, string> {
    const u = new URL(url);
    const out: Record<string, string> = {};
    for (const [name, c] of this.jar.get(u.origin) ?? []) {
      if (
        u.pathname === c.path ||
        u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)
      )
        out[name] = c.value;
    }
    return out;
  }

  private store(url: string, setCookie: string | string[] | undefined): void {
    if (setCookie === undefined) return;
    const u = new URL(url);
    let jar = this.jar.get(u.origin);
    if (jar === undefined) {
      jar = new Map();
      this.jar.set(u.origin, jar);
    }
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const a of attrs) {
        const [k = '', v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      if (expired) jar.delete(name);
      else jar.set(name, { value, path });
    }
  }

  /** One request, no redirect following. */
  request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<BrowserResponse> {
    this.visited.push(url);
    const u = new URL(url);
    const body = init.form === undefined ? undefined : new URLSearchParams(init.form).toString();
    const cookies = Object.entries(this.cookiesFor(url))
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const headers: Record<string, string> = { ...init.headers };
    if (cookies !== '') headers.cookie = cookies;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        u,
        {
          method: init.method ?? (body === undefined ? 'GET' : 'POST'),
          headers,
          ...(this.ca === undefined ? {} : { ca: this.ca }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            this.store(url, res.headers['set-cookie']);
            const loc = res.headers.location;
            resolve({
              url,
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              location: loc === undefined ? undefined : new URL(loc, url).href,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Follows redirects from `url` until a response is not a redirect, or until the Location starts
   * with `stopAt` (an RP's redirect URI, which nothing listens on); returns the last response.
   */
  async follow(
    url: string,
    options: { stopAt?: string; method?: string; form?: Record<string, string> } = {},
  ): Promise<BrowserResponse> {
    let res = await this.request(url, {
      ...(options.method === undefined ? {} : { method: options.method }),
      ...(options.form === undefined ? {} : { form: options.form }),
    });
    for (let hops = 0; hops < 20; hops++) {
      if (res.status < 300 || res.status >= 400 || res.location === undefined) return res;
      if (options.stopAt !== undefined && res.location.startsWith(options.stopAt)) return res;
      res = await this.request(res.location);
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

/** Reads a form's action and hidden inputs from HTML (enough for the pages under test). */
export function parseForm(html: string): { action: string; hidden: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no form in page:\n${html}`);
  const hidden: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    hidden[m[1] ?? ''] = unescapeHtml(m[2] ?? '');
  return { action: unescapeHtml(action), hidden };
}

export function unescapeHtml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
