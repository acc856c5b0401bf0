import { CodedError } from '../lib/index.js';

export type KubeEnvErrorCode = 'ERR_KUBEENV_PREREQ' | 'ERR_KUBEENV_START' | 'ERR_KUBEENV_STATE';

/** The local Kubernetes environment could not be prepared or started. */
export class KubeEnvError extends CodedError<KubeEnvErrorCode> {
  readonly code: KubeEnvErrorCode;
  constructor(code: KubeEnvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
