/**
 * Local accounts as Argo CD stores them: enabled flag and capabilities in `argocd-cm`
 * (`admin.enabled`, `accounts.<name>`, `accounts.<name>.enabled`), secrets in `argocd-secret`
 * (`admin.password`, `admin.passwordMtime`, `admin.tokens`, `accounts.<name>.password`, ...).
 * These pure functions read and write those formats, so the API server's AccountStore adapter does
 * only Kubernetes I/O. `MemoryAccountStore` is the in-process AccountStore (tests, benchmarks,
 * single-process tools).
 */
import type { ArgoCdSettings, SettingsProblem } from '../apis/index.js';
import { AuthError } from './errors.js';
import type { Account, AccountStore, AccountTokenRecord } from './ports.js';

/** The built-in administrator. Its only capability is `login`. */
export const ADMIN_USERNAME = 'admin';

/** `argocd-secret` keys of one account. */
export interface AccountSecretKeys {
  readonly password: string;
  readonly passwordMtime: string;
  readonly tokens: string;
}

/**
 * The `argocd-secret` keys holding an account's secrets.
 * @example
 * accountSecretKeys('admin').password // 'admin.password'
 * accountSecretKeys('ci').tokens      // 'accounts.ci.tokens'
 */
export function accountSecretKeys(name: string): AccountSecretKeys {
  const prefix = name === ADMIN_USERNAME ? ADMIN_USERNAME : `accounts.${name}`;
  return {
    password: `${prefix}.password`,
    passwordMtime: `${prefix}.passwordMtime`,
    tokens: `${prefix}.tokens`,
  };
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/** Formats a password change time as Argo CD does (RFC 3339, UTC, whole seconds). */
export function formatPasswordMtime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses an RFC 3339 time; undefined when it is not one. */
export function parsePasswordMtime(text: string): number | undefined {
  const t = text.trim();
  if (!RFC3339.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Parses `accounts.<name>.tokens` (JSON `[{"id","iat","exp"}]`, `exp` 0 or absent = never). Throws
 * ERR_AUTH_INVALID_ARGUMENT naming the first bad entry.
 */
export function parseAccountTokens(json: string): AccountTokenRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new AuthError('ERR_AUTH_INVALID_ARGUMENT', 'failed to read tokens: not valid JSON', {
      cause: err,
    });
  }
  if (value === null) return [];
  if (!Array.isArray(value))
    throw new AuthError('ERR_AUTH_INVALID_ARGUMENT', 'failed to read tokens: not a JSON list');
  return value.map((item: unknown, i): AccountTokenRecord => {
    const bad = (what: string): AuthError =>
      new AuthError('ERR_AUTH_INVALID_ARGUMENT', `failed to read tokens: entry ${i} ${what}`);
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw bad('is not an object');
    const { id, iat, exp } = item as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') throw bad('has no "id"');
    if (typeof iat !== 'number' || !Number.isInteger(iat)) throw bad('has no whole-number "iat"');
    if (exp !== undefined && exp !== null && (typeof exp !== 'number' || !Number.isInteger(exp)))
      throw bad('has a non-numeric "exp"');
    return typeof exp === 'number' && exp > 0 ? { id, iat, exp } : { id, iat };
  });
}

/** Formats token records as Argo CD writes them (`exp` omitted when the token never expires). */
export function formatAccountTokens(records: readonly AccountTokenRecord[]): string {
  return JSON.stringify(
    records.map((r) =>
      r.exp !== undefined ? { id: r.id, iat: r.iat, exp: r.exp } : { id: r.id, iat: r.iat },
    ),
  );
}

/**
 * Builds the accounts from parsed `argocd-cm` settings and the decoded `argocd-secret` data. Never
 * throws: a malformed secret value is reported in `problems` and read the safe way (unreadable
 * tokens: none are valid; unreadable password change time: every token of the account is refused).
 * @example
 * const { settings } = parseArgoCdConfigMap(cm.data);
 * const { accounts, problems } = accountsFromSettings(settings, decodeSecretData(secret));
 */
export function accountsFromSettings(
  settings: Pick<ArgoCdSettings, 'adminEnabled' | 'accounts'>,
  secretData: Readonly<Record<string, string>>,
): { accounts: Account[]; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const build = (
    name: string,
    enabled: boolean,
    capabilities: Account['capabilities'],
  ): Account => {
    const keys = accountSecretKeys(name);
    const hash = secretData[keys.password];
    const mtimeText = secretData[keys.passwordMtime];
    const tokensText = secretData[keys.tokens];
    let passwordMtimeMs: number | undefined;
    if (mtimeText !== undefined && mtimeText.trim() !== '') {
      passwordMtimeMs = parsePasswordMtime(mtimeText);
      if (passwordMtimeMs === undefined) {
        passwordMtimeMs = Number.POSITIVE_INFINITY;
        problems.push({
          key: keys.passwordMtime,
          message: `is not an RFC 3339 time (e.g. 2024-01-31T12:00:00Z); every token of ${name} is refused until it is fixed`,
        });
      }
    }
    let tokens: AccountTokenRecord[] = [];
    if (tokensText !== undefined && tokensText.trim() !== '') {
      try {
        tokens = parseAccountTokens(tokensText);
      } catch (err) {
        problems.push({
          key: keys.tokens,
          message: `${err instanceof Error ? err.message : 'unreadable'}; every API token of ${name} is refused until it is fixed`,
        });
      }
    }
    return {
      name,
      enabled,
      capabilities,
      ...(hash !== undefined && hash.trim() !== '' ? { passwordHash: hash.trim() } : {}),
      ...(passwordMtimeMs !== undefined ? { passwordMtimeMs } : {}),
      tokens,
    };
  };
  const accounts = [build(ADMIN_USERNAME, settings.adminEnabled, ['login'])];
  for (const a of settings.accounts) {
    if (a.name === ADMIN_USERNAME) continue;
    accounts.push(build(a.name, a.enabled, a.capabilities));
  }
  return { accounts, problems };
}

/**
 * An AccountStore held in memory. Reads are synchronous (no promise on the verify path).
 * @example
 * const store = new MemoryAccountStore([{ name: 'admin', enabled: true, capabilities: ['login'],
 *   passwordHash: await hashPassword('s3cret-pass'), tokens: [] }]);
 */
export class MemoryAccountStore implements AccountStore {
  readonly #accounts = new Map<string, Account>();

  constructor(accounts: Iterable<Account> = []) {
    for (const a of accounts) this.#accounts.set(a.name, a);
  }

  getAccount(name: string): Account | undefined {
    return this.#accounts.get(name);
  }

  /** Adds or replaces an account. */
  put(account: Account): void {
    this.#accounts.set(account.name, account);
  }

  list(): Account[] {
    return [...this.#accounts.values()];
  }

  #require(name: string): Account {
    const a = this.#accounts.get(name);
    if (!a)
      throw new AuthError(
        'ERR_AUTH_ACCOUNT_NOT_FOUND',
        `failed to update account: "${name}" does not exist`,
      );
    return a;
  }

  setPassword(name: string, passwordHash: string, passwordMtimeMs: number): Promise<void> {
    return settle(() => {
      const a = this.#require(name);
      this.#accounts.set(name, { ...a, passwordHash, passwordMtimeMs });
    });
  }

  addToken(name: string, record: AccountTokenRecord): Promise<void> {
    return settle(() => {
      const a = this.#require(name);
      if (a.tokens.some((t) => t.id === record.id))
        throw new AuthError(
          'ERR_AUTH_TOKEN_EXISTS',
          `failed to create token: account "${name}" already has a token with id "${record.id}"`,
        );
      this.#accounts.set(name, { ...a, tokens: [...a.tokens, record] });
    });
  }

  removeToken(name: string, id: string): Promise<boolean> {
    return settle(() => {
      const a = this.#require(name);
      const tokens = a.tokens.filter((t) => t.id !== id);
      this.#accounts.set(name, { ...a, tokens });
      return tokens.length !== a.tokens.length;
    });
  }
}

/** Runs `fn` and reports its outcome as a promise (a throw becomes a rejection, never a sync throw). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
