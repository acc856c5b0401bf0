/**
 * Loads oidc-provider once. Its entry module warns "Unsupported runtime" through console.warn on
 * every Node release older than 22 (Node 20 is this project's runtime, see stack.md §0); the library
 * has no option or environment variable to silence that, and it works correctly on Node 20 (the
 * test suite proves it). So exactly that one line is filtered while the module evaluates, and only
 * then; every other warning (development-only adapter, keys, interactions) still reaches the log,
 * and our configuration is written so none of them fires.
 */
import type * as OidcProviderModule from 'oidc-provider';

export type OidcProviderLibrary = typeof OidcProviderModule;

const RUNTIME_WARNING = 'oidc-provider WARNING: Unsupported runtime';

let loaded: Promise<OidcProviderLibrary> | undefined;

/** The oidc-provider module, imported on first use without its Node 20 runtime warning. */
export function loadOidcProvider(): Promise<OidcProviderLibrary> {
  loaded ??= (async () => {
    const original = console.warn;
    console.warn = (...args: unknown[]): void => {
      const first = args[0];
      // the message may carry terminal colour codes when stderr is a TTY
      if (typeof first === 'string' && first.includes(RUNTIME_WARNING)) return;
      original(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = original;
    }
  })();
  return loaded;
}
