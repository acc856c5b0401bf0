import type { HealthStatusCode, KubeObject } from '../../apis/index.js';

/** The health of one resource (`v1alpha1HealthStatus` without the transition time). */
export interface HealthStatus {
  readonly status: HealthStatusCode;
  readonly message?: string;
}

/**
 * A health check for one object. Returns undefined when it has nothing to say (the object has no
 * health, or a custom check defers to the built-in one).
 */
export type HealthCheck = (obj: KubeObject) => HealthStatus | undefined;

/** Options of `getResourceHealth`. */
export interface HealthOptions {
  /**
   * Consulted first for every object (≈ `resource.customizations.health.*`); when it returns
   * undefined the built-in check runs.
   */
  readonly override?: HealthCheck;
}
