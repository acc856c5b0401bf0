/**
 * `ignoreDifferences` (app `spec.ignoreDifferences` and `resource.customizations.ignoreDifferences`):
 * compiled once, applied to both sides before comparison. A rule matches by `group` and `kind`
 * (exact, or `*`), and optionally `name` and `namespace`; it ignores JSON pointers, jq path
 * expressions (a documented subset, see `jq.ts`) and fields owned by `managedFieldsManagers`.
 */
import type { ResourceIgnoreDifferences } from '../../apis/index.js';
import { EngineError } from '../errors.js';
import type { ResourceKey } from '../resource/key.js';
import { compileJq, evaluateJqPaths, type JqProgram } from './jq.js';
import { deletePaths, parsePointer, resolvePointer, type JsonPath } from './json-pointer.js';

interface CompiledRule {
  readonly group: string | undefined;
  readonly kind: string;
  readonly name: string | undefined;
  readonly namespace: string | undefined;
  readonly pointers: readonly (readonly string[])[];
  readonly jq: readonly JqProgram[];
  readonly managers: readonly string[];
}

function matches(pattern: string | undefined, value: string): boolean {
  return pattern === undefined || pattern === '*' || pattern === value;
}

/**
 * Compiled ignore rules. Build with `compileIgnoreDifferences`; `IgnoreDifferences.none` ignores
 * nothing. Immutable.
 */
export class IgnoreDifferences {
  static readonly none: IgnoreDifferences = new IgnoreDifferences([]);

  private readonly rules: readonly CompiledRule[];

  /** @internal use `compileIgnoreDifferences` */
  private constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
  }

  /** @internal */
  static fromCompiled(rules: readonly CompiledRule[]): IgnoreDifferences {
    return rules.length === 0 ? IgnoreDifferences.none : new IgnoreDifferences(rules);
  }

  /** Whether any rule applies to objects with this key. */
  appliesTo(key: ResourceKey): boolean {
    return this.rulesFor(key).length > 0;
  }

  /** Combines two rule sets (app rules and system rules). */
  concat(other: IgnoreDifferences): IgnoreDifferences {
    if (other.rules.length === 0) return this;
    if (this.rules.length === 0) return other;
    return new IgnoreDifferences([...this.rules, ...other.rules]);
  }

  private rulesFor(key: ResourceKey): CompiledRule[] {
    if (this.rules.length === 0) return [];
    return this.rules.filter(
      (r) =>
        (r.group === undefined ? key.group === '' : matches(r.group, key.group)) &&
        matches(r.kind, key.kind) &&
        (r.name === undefined || r.name === '' || r.name === key.name) &&
        (r.namespace === undefined || r.namespace === '' || r.namespace === key.namespace),
    );
  }

  /** @internal concrete paths ignored in `obj` (pointers and jq), for the object with `key`. */
  pathsIn(key: ResourceKey, obj: unknown): JsonPath[] {
    const out: JsonPath[] = [];
    for (const r of this.rulesFor(key)) {
      for (const segs of r.pointers) {
        const p = resolvePointer(obj, segs);
        if (p !== undefined) out.push(p);
      }
      for (const prog of r.jq) out.push(...evaluateJqPaths(prog, obj));
    }
    return out;
  }

  /** @internal removes ignored paths from `obj` in place; returns whether anything was removed */
  removeFrom(key: ResourceKey, obj: unknown): boolean {
    const paths = this.pathsIn(key, obj);
    if (paths.length === 0) return false;
    deletePaths(obj, paths);
    return true;
  }

  /** @internal managers whose fields are ignored for this key */
  managersFor(key: ResourceKey): readonly string[] {
    const out: string[] = [];
    for (const r of this.rulesFor(key))
      for (const m of r.managers) if (!out.includes(m)) out.push(m);
    return out;
  }
}

/**
 * Compiles `ignoreDifferences` rules: `jsonPointers` (RFC 6901), `managedFieldsManagers`, and
 * `jqPathExpressions` in the supported subset (see docs/engine.md, "jq subset"). A rule without
 * `group` matches the core group only (as in Argo CD); `*` matches any group or kind.
 *
 * @throws EngineError `ERR_ENGINE_UNSUPPORTED_JQ` naming the expression and what is unsupported;
 *   `ERR_ENGINE_INVALID_IGNORE_RULE` for a malformed pointer or a rule without kind.
 * @example
 * const ignore = compileIgnoreDifferences([
 *   { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
 *   { kind: 'Pod', jqPathExpressions: ['.spec.containers[] | select(.name == "istio-proxy")'] },
 * ]);
 */
export function compileIgnoreDifferences(
  rules: readonly ResourceIgnoreDifferences[],
): IgnoreDifferences {
  const compiled = rules.map((r, i): CompiledRule => {
    if (typeof r.kind !== 'string' || r.kind === '') {
      throw new EngineError(
        'ERR_ENGINE_INVALID_IGNORE_RULE',
        `failed to compile ignoreDifferences[${i}]: kind is required (use "*" for every kind)`,
      );
    }
    return {
      group: r.group,
      kind: r.kind,
      name: r.name,
      namespace: r.namespace,
      pointers: (r.jsonPointers ?? []).map((p) => parsePointer(p)),
      jq: (r.jqPathExpressions ?? []).map((e) => compileJq(e)),
      managers: r.managedFieldsManagers ?? [],
    };
  });
  return IgnoreDifferences.fromCompiled(compiled);
}
