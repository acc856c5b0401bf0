/**
 * Audit trail as Kubernetes Events (Argo CD's `util/argo/audit_logger.go`): who did what to which
 * Application or AppProject, visible with `kubectl get events`. An Event is named
 * `<object name>.<hex unix nanoseconds>`, carries the source component (`argocd-server`,
 * `argocd-application-controller`) and the annotations `user`, `dest-server`, `dest-namespace`.
 * Messages pass the sanitiser (no credentials) and are capped at 1 KiB.
 */
import type { KubeObject } from '../apis/index.js';
import { errorMessage, sanitizeText } from '../lib/index.js';
import type { KubeClient } from './client.js';
import { silentLog, type KubeLog } from './log.js';

/** Reasons Argo CD records (values byte for byte). */
export const EventReasons = {
  StatusRefreshed: 'StatusRefreshed',
  ResourceCreated: 'ResourceCreated',
  ResourceUpdated: 'ResourceUpdated',
  ResourceDeleted: 'ResourceDeleted',
  ResourceActionRan: 'ResourceActionRan',
  OperationStarted: 'OperationStarted',
  OperationCompleted: 'OperationCompleted',
} as const;
export type EventReason = (typeof EventReasons)[keyof typeof EventReasons];

export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export interface AuditEvent {
  /** the Application, AppProject, ... the event is about (an object or its reference) */
  readonly involvedObject: InvolvedObject | KubeObject;
  readonly reason: string;
  readonly message: string;
  readonly type?: 'Normal' | 'Warning';
  /** `argocd-server` or `argocd-application-controller` */
  readonly component: string;
  readonly user?: string;
  readonly destServer?: string;
  readonly destNamespace?: string;
  /** where the Event is stored (default: the involved object's namespace, else `default`) */
  readonly namespace?: string;
}

export interface EventClock {
  /** wall clock, Unix epoch nanoseconds */
  nowNs(): bigint;
}

const MAX_MESSAGE = 1024;

/** The system clock with sub-millisecond digits from the monotonic clock (unique names). */
export const systemEventClock: EventClock = {
  nowNs: () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n),
};

function toRef(o: InvolvedObject | KubeObject): InvolvedObject {
  if ('metadata' in o) {
    const m = o.metadata;
    return {
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: m.name ?? '',
      ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
      ...(m.uid !== undefined ? { uid: m.uid } : {}),
      ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    };
  }
  return o;
}

/** The Event object for an audit record (not yet sent). */
export function buildEvent(ev: AuditEvent, clock: EventClock = systemEventClock): KubeObject {
  const ref = toRef(ev.involvedObject);
  if (ref.name === '') throw new TypeError('the involved object of an event needs a name');
  const ns = ev.namespace ?? ref.namespace ?? 'default';
  const ns_ = clock.nowNs();
  const time = new Date(Number(ns_ / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let message = sanitizeText(ev.message);
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 3)}...`;
  const annotations: Record<string, string> = {};
  if (ev.user !== undefined) annotations.user = sanitizeText(ev.user);
  if (ev.destServer !== undefined) annotations['dest-server'] = sanitizeText(ev.destServer);
  if (ev.destNamespace !== undefined) annotations['dest-namespace'] = ev.destNamespace;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${ref.name}.${ns_.toString(16)}`,
      namespace: ns,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    involvedObject: {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      name: ref.name,
      ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
      ...(ref.uid !== undefined ? { uid: ref.uid } : {}),
      ...(ref.resourceVersion !== undefined ? { resourceVersion: ref.resourceVersion } : {}),
    },
    reason: ev.reason,
    message,
    type: ev.type ?? 'Normal',
    source: { component: ev.component },
    reportingComponent: ev.component,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

/** Creates one audit Event; throws KubeApiError when the API server refuses it. */
export async function recordEvent(
  client: KubeClient,
  ev: AuditEvent,
  clock: EventClock = systemEventClock,
): Promise<KubeObject> {
  const event = buildEvent(ev, clock);
  return client.create(
    {
      group: '',
      version: 'v1',
      resource: 'events',
      namespace: event.metadata.namespace ?? 'default',
    },
    event,
  );
}

export interface EventRecorderOptions {
  readonly component: string;
  /** `--enable-k8s-event`: `all` (default), `none`, or the reasons to record */
  readonly enabled?: 'all' | 'none' | readonly string[];
  readonly clock?: EventClock;
  readonly log?: KubeLog;
}

/** Records audit events for one component; filtered by reason; failures are logged, not thrown. */
export class EventRecorder {
  private readonly client: KubeClient;
  private readonly o: EventRecorderOptions;
  private readonly log: KubeLog;

  constructor(client: KubeClient, options: EventRecorderOptions) {
    this.client = client;
    this.o = options;
    this.log = options.log ?? silentLog;
  }

  isEnabled(reason: string): boolean {
    const e = this.o.enabled ?? 'all';
    if (e === 'all') return true;
    if (e === 'none') return false;
    return e.includes(reason);
  }

  /** Records the event when its reason is enabled; resolves with it, or undefined. */
  async record(ev: Omit<AuditEvent, 'component'>): Promise<KubeObject | undefined> {
    if (!this.isEnabled(ev.reason)) return undefined;
    try {
      return await recordEvent(this.client, { ...ev, component: this.o.component }, this.o.clock);
    } catch (err) {
      this.log('warn', 'failed to record an audit event', {
        reason: ev.reason,
        error: this.client.sanitize(errorMessage(err)),
      });
      return undefined;
    }
  }
}
