// Kubernetes Event recording as the kubelet's client-go recorder does it: events are
// addressed to the pod (fieldPath names the container), and identical events
// (same type, reason, message, involved object and source) are folded into one object
// whose count and lastTimestamp grow (the EventCorrelator's aggregation by key).
// No I/O: the clock is injected and events are returned so a stream can emit them.
import type { ContainerKind, Event, EventSource, EventType, ObjectReference, Pod } from './types.js';
import { humanDuration, rfc3339 } from './format.js';

export const KUBELET_SOURCE: EventSource = Object.freeze({ component: 'kubelet' });

/** fieldPath of a container reference: `spec.containers{c}` / `spec.initContainers{c}` / `spec.ephemeralContainers{c}`. */
export function containerFieldPath(kind: ContainerKind, name: string): string {
  const list = kind === 'init' ? 'initContainers' : kind === 'ephemeral' ? 'ephemeralContainers' : 'containers';
  return `spec.${list}{${name}}`;
}

/** Finds which list of the spec a container is in (containers first, as the kubelet's ref lookup does). */
export function containerKindOf(pod: Pick<Pod, 'spec'>, name: string): ContainerKind | undefined {
  if (pod.spec.containers.some((c) => c.name === name)) return 'container';
  if (pod.spec.initContainers?.some((c) => c.name === name)) return 'init';
  if (pod.spec.ephemeralContainers?.some((c) => c.name === name)) return 'ephemeral';
  return undefined;
}

/** Object reference for a pod, or for one of its containers. */
export function podReference(pod: Pick<Pod, 'metadata' | 'spec'>, container?: string): ObjectReference {
  const ref: ObjectReference = {
    kind: 'Pod',
    apiVersion: 'v1',
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    uid: pod.metadata.uid ?? '',
  };
  if (container !== undefined) {
    const kind = containerKindOf(pod, container) ?? 'container';
    ref.fieldPath = containerFieldPath(kind, container);
  }
  return ref;
}

function aggregateKey(type: EventType, reason: string, message: string, ref: ObjectReference, source: EventSource): string {
  return JSON.stringify([
    source.component,
    source.host ?? '',
    ref.kind,
    ref.namespace,
    ref.name,
    ref.uid,
    ref.fieldPath ?? '',
    type,
    reason,
    message,
  ]);
}

export interface EventRecorderOptions {
  now?: () => number;
  source?: EventSource;
  /** Oldest events are dropped beyond this many distinct events (all pods). */
  maxEvents?: number;
}

/** Events are flat but for two small objects: copying those is enough (and much cheaper than structuredClone). */
function copyEvent(ev: Event): Event {
  return { ...ev, metadata: { ...ev.metadata }, involvedObject: { ...ev.involvedObject }, source: ev.source ? { ...ev.source } : undefined };
}

export class EventRecorder {
  private readonly now: () => number;
  private readonly source: EventSource;
  private readonly maxEvents: number;
  /** Insertion-ordered by key; re-inserted on update so the map stays in lastTimestamp order. */
  private readonly events = new Map<string, Event>();
  private lastNameNs = 0n;

  constructor(opts: EventRecorderOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.source = opts.source ?? KUBELET_SOURCE;
    this.maxEvents = opts.maxEvents ?? 5000;
  }

  /**
   * Records an event about `pod` (pod-level) or about one of its containers (`container` name),
   * returning a copy of the stored Event with its current count.
   */
  record(
    pod: Pick<Pod, 'metadata' | 'spec'>,
    type: EventType,
    reason: string,
    message: string,
    container?: string,
  ): Event {
    return this.recordRef(podReference(pod, container), type, reason, message);
  }

  /** Same as record() for an already-built reference (e.g. a pod restored from runtime labels). */
  recordRef(ref: ObjectReference, type: EventType, reason: string, message: string): Event {
    const nowMs = this.now();
    const ts = rfc3339(nowMs);
    const key = aggregateKey(type, reason, message, ref, this.source);
    const existing = this.events.get(key);
    let ev: Event;
    if (existing) {
      ev = { ...existing, count: existing.count + 1, lastTimestamp: ts };
      this.events.delete(key);
    } else {
      ev = {
        kind: 'Event',
        apiVersion: 'v1',
        metadata: { name: this.eventName(ref.name, nowMs), namespace: ref.namespace },
        type,
        reason,
        message,
        involvedObject: { ...ref },
        count: 1,
        firstTimestamp: ts,
        lastTimestamp: ts,
        source: { ...this.source },
      };
    }
    this.events.set(key, ev);
    while (this.events.size > this.maxEvents) {
      const oldest = this.events.keys().next().value as string;
      this.events.delete(oldest);
    }
    return copyEvent(ev);
  }

  /** client-go names events `<object>.<hex unix nanos>`; kept unique within this recorder. */
  private eventName(objectName: string, nowMs: number): string {
    let ns = BigInt(Math.floor(nowMs)) * 1_000_000n;
    if (ns <= this.lastNameNs) ns = this.lastNameNs + 1n;
    this.lastNameNs = ns;
    return `${objectName}.${ns.toString(16)}`;
  }

  /** All events (optionally of one pod uid), oldest lastTimestamp first, as kubectl describe sorts them. */
  list(filter: { uid?: string; namespace?: string; name?: string } = {}): Event[] {
    const out: Event[] = [];
    for (const ev of this.events.values()) {
      const o = ev.involvedObject;
      if (filter.uid !== undefined && o.uid !== filter.uid) continue;
      if (filter.namespace !== undefined && o.namespace !== filter.namespace) continue;
      if (filter.name !== undefined && o.name !== filter.name) continue;
      out.push(copyEvent(ev));
    }
    // Map order is update order; stable sort keeps it for equal (second-precision) timestamps.
    return out.sort((a, b) => Date.parse(a.lastTimestamp) - Date.parse(b.lastTimestamp));
  }

  /** Drops every event of a pod (after the pod is removed). */
  forget(uid: string): void {
    for (const [k, ev] of this.events) if (ev.involvedObject.uid === uid) this.events.delete(k);
  }

  get size(): number {
    return this.events.size;
  }
}

/** Age cell of kubectl describe: `45s`, or `5s (x3 over 40s)` for aggregated events. */
export function describeAge(ev: Event, nowMs: number): string {
  const last = humanDuration(nowMs - Date.parse(ev.lastTimestamp));
  if (ev.count > 1) return `${last} (x${ev.count} over ${humanDuration(nowMs - Date.parse(ev.firstTimestamp))})`;
  return humanDuration(nowMs - Date.parse(ev.firstTimestamp));
}

/** The `Events:` section of `kubectl describe pod` (tabwriter padding 2, two-space indent). */
export function describeEvents(events: readonly Event[], nowMs: number): string {
  if (events.length === 0) return 'Events:  <none>';
  const rows: string[][] = [
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    ['----', '------', '----', '----', '-------'],
  ];
  for (const ev of events) {
    rows.push([ev.type, ev.reason, describeAge(ev, nowMs), ev.source?.component ?? '', ev.message.trim()]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)) + 2);
  const lines = rows.map((r) => '  ' + r.slice(0, 4).map((cell, i) => cell.padEnd(widths[i]!)).join('') + r[4]);
  return ['Events:', ...lines].join('\n');
}
