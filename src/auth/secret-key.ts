/**
 * `server.secretkey` of `argocd-secret`: the HMAC key of every token the API server issues.
 *
 * Argo CD generates 32 random bytes, base64-encodes them "so the key can be typed into validation
 * utilities", stores that text as the Secret value and signs with the bytes of the text. We do the
 * same, so a Secret shared with Argo CD yields interchangeable tokens.
 */
import { AuthError } from './errors.js';
import { cryptoRandom, type Random } from './ports.js';

/** The key of `argocd-secret` holding the signing key. */
export const SERVER_SECRET_KEY = 'server.secretkey';

/** Minimum key length in bytes: HS256 needs 256 bits of key (RFC 7518 §3.2). */
export const MIN_SECRET_KEY_BYTES = 32;

const RANDOM_BYTES = 32;

/**
 * Returns a new `server.secretkey` value: the base64 text of 32 CSPRNG bytes (44 ASCII bytes), as
 * Argo CD generates it. Store it as the Secret value; sign with exactly these bytes.
 * @example
 * const key = generateServerSecretKey(); // Buffer of 'q0lZ...=' text
 * secretData['server.secretkey'] = key.toString('utf8');
 */
export function generateServerSecretKey(random: Random = cryptoRandom): Buffer {
  const bytes = random.bytes(RANDOM_BYTES);
  if (bytes.length !== RANDOM_BYTES) throw new TypeError('random source returned too few bytes');
  return Buffer.from(Buffer.from(bytes).toString('base64'), 'utf8');
}

/**
 * Validates the `server.secretkey` value read from `argocd-secret` (the decoded Secret data, as
 * bytes or text) and returns the signing key bytes. Refuses a missing or short key with a message
 * saying how to fix it; never echoes the key.
 * @example
 * const key = parseServerSecretKey(decodeSecretData(secret)['server.secretkey']);
 */
export function parseServerSecretKey(value: Uint8Array | string | undefined): Uint8Array {
  if (value === undefined || value.length === 0) {
    throw new AuthError(
      'ERR_AUTH_INVALID_SECRET_KEY',
      `failed to read the token signing key: argocd-secret has no ${SERVER_SECRET_KEY}; let the server generate one, or set it to the output of "openssl rand -base64 32"`,
    );
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  if (bytes.length < MIN_SECRET_KEY_BYTES) {
    throw new AuthError(
      'ERR_AUTH_INVALID_SECRET_KEY',
      `failed to read the token signing key: ${SERVER_SECRET_KEY} in argocd-secret is ${bytes.length} bytes long, HS256 needs at least ${MIN_SECRET_KEY_BYTES}; delete it to have one generated, or set it to the output of "openssl rand -base64 32"`,
    );
  }
  return new Uint8Array(bytes);
}
