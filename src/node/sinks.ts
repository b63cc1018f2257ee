// Where a node agent's pod statuses and events go. The kubelet's status manager
// and event recorder write to the API server; statelet's agent writes to sinks:
// NDJSON on stdout (the same objects `statelet run --output json` prints), plain
// text lines, or, later, an API-server sink implementing the same interface.
import type { TransitionRecord } from '../manager.js';
import type { Event, Pod, PodStatus } from '../k8s/types.js';

export interface StatusSink {
  /** A pod's status changed (also once when it is admitted or rejected, and at its end). */
  podStatus(pod: Pod, status: PodStatus): void;
  /** The pod is gone from the node (its removal completed). */
  podRemoved?(pod: Pod, status: PodStatus): void;
}

export interface EventSink {
  event(ev: Event): void;
}

export interface TransitionSink {
  transition(t: TransitionRecord): void;
}

export type NodeSink = StatusSink & EventSink & Partial<TransitionSink>;

/** The NDJSON Event object of `statelet run --output json`. */
export function eventLine(ev: Event) {
  const o = ev.involvedObject;
  // Since 1.35 the kubelet's recorder fills involvedObject.apiVersion (v1 for a Pod).
  const involvedObject: Record<string, string> = { kind: o.kind, apiVersion: o.apiVersion ?? 'v1', name: o.name, namespace: o.namespace, uid: o.uid };
  if (o.fieldPath) involvedObject['fieldPath'] = o.fieldPath;
  return {
    kind: 'Event',
    apiVersion: 'v1',
    type: ev.type,
    reason: ev.reason,
    message: ev.message,
    involvedObject,
    count: ev.count,
    firstTimestamp: ev.firstTimestamp,
    lastTimestamp: ev.lastTimestamp,
  };
}

/** The NDJSON Pod object of `statelet run --output json`. */
export function podLine(pod: Pod, status: PodStatus) {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
    status,
  };
}

/** NDJSON on a stream: one object per line, and nothing else on that stream. */
export class NdjsonSink implements NodeSink {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l)) {}
  podStatus(pod: Pod, status: PodStatus): void {
    this.write(JSON.stringify(podLine(pod, status)) + '\n');
  }
  event(ev: Event): void {
    this.write(JSON.stringify(eventLine(ev)) + '\n');
  }
  transition(t: TransitionRecord): void {
    this.write(JSON.stringify(t) + '\n');
  }
}

const time = () => new Date().toISOString().slice(11, 19);

/** One line per container whose state line changed, and one per event. */
export class TextSink implements NodeSink {
  private readonly last = new Map<string, string>();
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l)) {}

  podStatus(pod: Pod, status: PodStatus): void {
    const name = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])];
    const parts = all.map((c) => {
      const st = c.state.running ? 'Running' : c.state.terminated ? `Terminated(${c.state.terminated.reason ?? c.state.terminated.exitCode})` : c.state.waiting?.reason || 'Waiting';
      return `${c.name}=${st} restarts=${c.restartCount} ready=${c.ready ? 'yes' : 'no'}`;
    });
    const reason = status.reason ? ` reason=${status.reason}` : '';
    const line = `pod ${name} ${status.phase ?? 'Pending'}${reason}${parts.length ? ' ' + parts.join(' ') : ''}`;
    const key = pod.metadata.uid ?? name;
    if (this.last.get(key) === line) return;
    this.last.set(key, line);
    this.write(`${time()} ${line}\n`);
  }

  podRemoved(pod: Pod): void {
    this.last.delete(pod.metadata.uid ?? '');
    this.write(`${time()} pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} removed\n`);
  }

  event(ev: Event): void {
    const o = ev.involvedObject;
    const where = o.fieldPath ? ` ${o.fieldPath}` : '';
    this.write(`${time()} event ${o.namespace}/${o.name}${where} ${ev.type} ${ev.reason}: ${ev.message}\n`);
  }
}
