/** Desired objects prepared once per revision: namespace defaulted, tracked, normalised. */
import type { KubeObject } from '../../apis/index.js';
import { notImplemented } from '../todo.js';
import type { DesiredState, PrepareDesiredOptions } from './types.js';

/**
 * Prepares rendered objects for compare and sync: defaults namespaces (destination namespace for
 * namespaced kinds, none for cluster-scoped), writes the app's tracking, classifies hooks and
 * waves, and normalises each object for comparison. Duplicate keys keep the last object and add a
 * `RepeatedResourceWarning` condition.
 * @example
 * const desired = prepareDesired(parseManifests(res.manifests), {
 *   appInstanceName: 'guestbook', destinationNamespace: 'default', resourceInfo: cache,
 * });
 */
export function prepareDesired(
  _objects: readonly KubeObject[],
  _options: PrepareDesiredOptions,
): DesiredState {
  return notImplemented('prepareDesired');
}
