/**
 * Desired against live for one resource (server-side-apply aware; see docs/engine.md "Diff").
 */
import type { KubeObject } from '../../apis/index.js';
import { notImplemented } from '../todo.js';
import type { DiffOptions, ResourceDiff } from './types.js';

/**
 * Diffs one desired object against its live object. Either may be undefined (not desired:
 * extraneous; not live: missing). Secrets are masked in every output field.
 *
 * This is the full form for read paths (API server, CLI); `compareAppState` uses a faster path
 * that computes only `modified` and `differences`.
 * @example
 * const d = diffResource(desired, live, { ignoreDifferences: compileIgnoreDifferences(app.spec.ignoreDifferences ?? []) });
 * if (d.modified) console.log(formatDiffText([d]));
 */
export function diffResource(
  _desired: KubeObject | undefined,
  _live: KubeObject | undefined,
  _options: DiffOptions = {},
): ResourceDiff {
  return notImplemented('diffResource');
}
