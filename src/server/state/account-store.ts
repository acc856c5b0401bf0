/**
 * `AccountStore` (src/auth's port) over `argocd-cm` (which accounts exist, enabled, capabilities)
 * and `argocd-secret` (password hashes, change times, API token records), exactly in Argo CD's
 * formats. Reads come from the watch cache (synchronous, on every authenticated request); writes
 * go to the API server with optimistic concurrency (resourceVersion) and are applied to the cache
 * at once.
 */
import {
  AuthError,
  accountSecretKeys,
  accountsFromSettings,
  formatAccountTokens,
  formatPasswordMtime,
  parseAccountTokens,
  type Account,
  type AccountStore,
  type AccountTokenRecord,
} from '../../auth/index.js';
import {
  ConfigNames,
  decodeSecretData,
  type Secret,
  type SettingsProblem,
} from '../../apis/index.js';
import { isConflict, type KubeClient } from '../../kube/index.js';
import { errorMessage } from '../../lib/index.js';
import type { SettingsStore } from './settings-store.js';

const MAX_ATTEMPTS = 5;

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Read-modify-write of `argocd-secret` with the resourceVersion as precondition, retried on
 * conflicts. `change` gets the decoded data and returns the keys to set (or null to delete), or
 * undefined to write nothing. Returns what `change` returned last.
 */
export async function updateArgoCdSecret<R>(
  store: SettingsStore,
  change: (
    data: Readonly<Record<string, string>>,
  ) => { set: Record<string, string | null>; result: R } | { result: R; set?: undefined },
): Promise<R> {
  const client: KubeClient = store.client;
  const ref = { ...store.ref('secrets', ConfigNames.secret), name: ConfigNames.secret };
  for (let attempt = 1; ; attempt++) {
    const current = await client.get<Secret>(ref);
    const { set, result } = change(decodeSecretData(current));
    if (set === undefined) return result;
    const data = new Map(Object.entries(current.data ?? {}));
    for (const [k, v] of Object.entries(set)) {
      if (v === null) data.delete(k);
      else data.set(k, b64(v));
    }
    const { stringData: _s, ...rest } = current;
    try {
      const written = await client.replace<Secret>(ref, {
        ...rest,
        data: Object.fromEntries(data),
      });
      store.secrets.observe(written);
      return result;
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

function storeError(verb: string, err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  return new AuthError(
    'ERR_AUTH_STORE',
    `failed to ${verb}: ${ConfigNames.secret} could not be updated (${errorMessage(err)})`,
    {
      cause: err,
    },
  );
}

/** Local accounts backed by the watch cache and `argocd-secret`. */
export class KubeAccountStore implements AccountStore {
  readonly #store: SettingsStore;
  #memo: { key: string; accounts: Map<string, Account>; problems: SettingsProblem[] } | undefined;

  constructor(store: SettingsStore) {
    this.#store = store;
  }

  #current(): { accounts: Map<string, Account>; problems: SettingsProblem[] } {
    const cm = this.#store.argocdCm();
    const secret = this.#store.argocdSecret();
    const key = `${cm?.metadata.resourceVersion ?? '-'}/${secret?.metadata.resourceVersion ?? '-'}`;
    if (this.#memo?.key !== key) {
      const { accounts, problems } = accountsFromSettings(
        this.#store.settings(),
        this.#store.secretData(),
      );
      this.#memo = { key, accounts: new Map(accounts.map((a) => [a.name, a])), problems };
    }
    return this.#memo;
  }

  getAccount(name: string): Account | undefined {
    return this.#current().accounts.get(name);
  }

  /** Every account (admin first, then `accounts.<name>` in name order). */
  list(): Account[] {
    return [...this.#current().accounts.values()];
  }

  /** Problems reading the accounts' secret keys (logged by the server). */
  problems(): readonly SettingsProblem[] {
    return this.#current().problems;
  }

  async setPassword(name: string, passwordHash: string, passwordMtimeMs: number): Promise<void> {
    const keys = accountSecretKeys(name);
    try {
      await updateArgoCdSecret(this.#store, () => ({
        set: {
          [keys.password]: passwordHash,
          [keys.passwordMtime]: formatPasswordMtime(passwordMtimeMs),
        },
        result: undefined,
      }));
    } catch (err) {
      throw storeError('store the new password', err);
    }
  }

  async addToken(name: string, record: AccountTokenRecord): Promise<void> {
    const keys = accountSecretKeys(name);
    try {
      await updateArgoCdSecret(this.#store, (data) => {
        const current = tokensIn(data, keys.tokens);
        if (current.some((t) => t.id === record.id))
          throw new AuthError(
            'ERR_AUTH_TOKEN_EXISTS',
            `failed to create token: account "${name}" already has a token with id "${record.id}"`,
          );
        return {
          set: { [keys.tokens]: formatAccountTokens([...current, record]) },
          result: undefined,
        };
      });
    } catch (err) {
      throw storeError('record the API token', err);
    }
  }

  async removeToken(name: string, id: string): Promise<boolean> {
    const keys = accountSecretKeys(name);
    try {
      return await updateArgoCdSecret(this.#store, (data) => {
        const current = tokensIn(data, keys.tokens);
        const next = current.filter((t) => t.id !== id);
        if (next.length === current.length) return { result: false };
        return { set: { [keys.tokens]: formatAccountTokens(next) }, result: true };
      });
    } catch (err) {
      throw storeError('delete the API token', err);
    }
  }
}

/** The token records under `key` of freshly read secret data (none when absent). */
function tokensIn(data: Readonly<Record<string, string>>, key: string): AccountTokenRecord[] {
  const text = data[key];
  return text === undefined || text.trim() === '' ? [] : parseAccountTokens(text);
}
