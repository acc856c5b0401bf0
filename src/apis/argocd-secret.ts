/**
 * Typed reading of `argocd-secret`, the Secret that holds the admin password hash, the JWT signing
 * key, local accounts' passwords and API token records, webhook secrets and the deprecated server
 * certificate. Parsing never throws: a malformed token list is reported in `problems` and treated as
 * empty, so one bad key cannot lock everyone out, and the operator is told which key to fix.
 */
import { Type, type Static } from 'typebox';
import { errorMessage } from '../lib/index.js';
import type { SettingsProblem } from './settings.js';
import { checkSchema } from './validate.js';

/** One API token record of a local account (`accounts.<name>.tokens` / `admin.tokens`). */
export const AccountTokenSchema = Type.Object({
  id: Type.String(),
  iat: Type.Integer(),
  exp: Type.Optional(Type.Integer()),
});
export type AccountToken = Static<typeof AccountTokenSchema>;
const AccountTokenListSchema = Type.Array(AccountTokenSchema);

export interface AccountSecret {
  /** bcrypt hash */
  readonly passwordHash?: string;
  /** RFC 3339; tokens issued before it are revoked */
  readonly passwordMtime?: string;
  readonly tokens: readonly AccountToken[];
}

export interface ArgoCdSecret {
  /** raw `server.secretkey` (base64 text as stored) */
  readonly serverSecretKey?: string;
  /** `admin` plus every `accounts.<name>.*` found */
  readonly accounts: ReadonlyMap<string, AccountSecret>;
  readonly tlsCrt?: string;
  readonly tlsKey?: string;
  /** `webhook.*` keys as stored (github.secret, gitlab.secret, bitbucket.uuid, ...) */
  readonly webhook: Readonly<Record<string, string>>;
}

function parseTokens(
  raw: string | undefined,
  key: string,
  problems: SettingsProblem[],
): AccountToken[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    problems.push({
      key,
      message: `is not valid JSON (${errorMessage(err)}); expected [{"id","iat","exp"}]`,
    });
    return [];
  }
  const errors = checkSchema(AccountTokenListSchema, value);
  if (errors.length > 0) {
    problems.push({
      key,
      message: `expected [{"id","iat","exp"}]: ${errors.map((e) => `${e.field || '(root)'} ${e.message}`).join('; ')}`,
    });
    return [];
  }
  return value as AccountToken[];
}

const ACCOUNT_KEY = /^accounts\.([^.]+)\.(password|passwordMtime|tokens)$/;

/** Reads decoded `argocd-secret` data (see `decodeSecretData`). */
export function parseArgoCdSecret(data: Readonly<Record<string, string>> | undefined): {
  secret: ArgoCdSecret;
  problems: SettingsProblem[];
} {
  const d = data ?? {};
  const problems: SettingsProblem[] = [];
  const fields = new Map<
    string,
    { password?: string; passwordMtime?: string; tokens?: string; tokensKey: string }
  >();
  const get = (
    name: string,
  ): { password?: string; passwordMtime?: string; tokens?: string; tokensKey: string } => {
    let f = fields.get(name);
    if (!f) {
      f = { tokensKey: name === 'admin' ? 'admin.tokens' : `accounts.${name}.tokens` };
      fields.set(name, f);
    }
    return f;
  };
  if (d['admin.password'] !== undefined) get('admin').password = d['admin.password'];
  if (d['admin.passwordMtime'] !== undefined) get('admin').passwordMtime = d['admin.passwordMtime'];
  if (d['admin.tokens'] !== undefined) get('admin').tokens = d['admin.tokens'];
  const webhook: Record<string, string> = {};
  for (const [key, value] of Object.entries(d)) {
    const m = ACCOUNT_KEY.exec(key);
    if (m?.[1] && m[2]) {
      const f = get(m[1]);
      if (m[2] === 'password') f.password = value;
      else if (m[2] === 'passwordMtime') f.passwordMtime = value;
      else f.tokens = value;
    } else if (key.startsWith('webhook.')) {
      webhook[key.slice('webhook.'.length)] = value;
    }
  }
  const accounts = new Map<string, AccountSecret>();
  for (const [name, f] of fields) {
    const acct: { passwordHash?: string; passwordMtime?: string; tokens: AccountToken[] } = {
      tokens: parseTokens(f.tokens, f.tokensKey, problems),
    };
    if (f.password) acct.passwordHash = f.password;
    if (f.passwordMtime) {
      if (Number.isNaN(Date.parse(f.passwordMtime))) {
        problems.push({
          key: name === 'admin' ? 'admin.passwordMtime' : `accounts.${name}.passwordMtime`,
          message: 'is not an RFC 3339 time',
        });
      }
      acct.passwordMtime = f.passwordMtime;
    }
    accounts.set(name, acct);
  }
  const secret: { -readonly [K in keyof ArgoCdSecret]: ArgoCdSecret[K] } = { accounts, webhook };
  if (d['server.secretkey']) secret.serverSecretKey = d['server.secretkey'];
  if (d['tls.crt']) secret.tlsCrt = d['tls.crt'];
  if (d['tls.key']) secret.tlsKey = d['tls.key'];
  return { secret, problems };
}
