/**
 * The logging port of src/kube: a plain function, so the composition root can adapt pino (or
 * anything else) without kube depending on a logger. Messages and fields never carry credentials.
 */
export type KubeLogLevel = 'debug' | 'info' | 'warn' | 'error';

export type KubeLog = (
  level: KubeLogLevel,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

/** Discards everything. */
export const silentLog: KubeLog = () => undefined;
