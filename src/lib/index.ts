/**
 * lib: leaf helpers with no domain and no dependencies on the rest of src/.
 *
 * - `assertNever`, `isRecord`: exhaustiveness and narrowing.
 * - `CodedError`, `errorMessage`: the base of every boundary's error class (stable `code`s).
 * - `parseDuration`/`formatDuration`: Go-style durations (`24h`, `3m`) as Argo CD writes them.
 * - `parseByteQuantity`: Kubernetes-style sizes (`10M`, `512Ki`).
 * - `globMatch`/`compileGlob`: gobwas glob semantics (RBAC, projects).
 * - `sanitizeText`/`sanitizeUrl`: strip credentials before anything is logged or returned.
 */
export { assertNever, isRecord } from './assert.js';
export { CodedError, errorMessage } from './errors.js';
export { parseDuration, formatDuration } from './duration.js';
export { parseByteQuantity } from './quantity.js';
export { globMatch, compileGlob, type GlobOptions, type GlobMatcher } from './glob.js';
export { sanitizeText, sanitizeUrl, REDACTED } from './sanitize.js';
