// The RuntimeManager owns one pod actor per pod (independent root actors, so a
// pod's children never make another pod's sends slower), feeds them runtime
// state from the PLEG, and turns what they do into Kubernetes-shaped streams:
// Events (counted as the kubelet's recorder does), PodStatus changes, and
// chart transitions.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { createActor, type Actor, type InspectionEvent, type Snapshot } from 'xstate';
import { podMachine, type PodConfig } from '../machines/pod.js';
import { containerMachine, type ContainerConfig } from '../machines/container.js';
import { probeMachine } from '../machines/probe.js';
import type { BackOffPolicy } from '../machines/backoff.js';
import { createRuntimeActors, type RuntimeActors } from './actors/index.js';
import { CriClient } from './cri/client.js';
import { realClock, type Clock } from './clock.js';
import { EventRecorder, podReference } from './k8s/events.js';
import type { Event, Pod, PodStatus } from './k8s/types.js';
import { Pleg, type PlegEvent } from './pleg.js';
import { podStatusFrom, topState } from './status.js';

export interface TransitionRecord {
  kind: 'Transition';
  /** `<namespace>/<pod>` for a pod actor, `<namespace>/<pod>/<container>` for a container actor. */
  actor: string;
  from: string;
  to: string;
  event: string;
  timestamp: string;
}

export interface ProbeResultRecord {
  pod: Pod;
  container: string;
  probe: 'liveness' | 'readiness' | 'startup';
  result: 'success' | 'failure';
  output?: string;
  at: number;
}

export interface PodStatusUpdate {
  pod: Pod;
  status: PodStatus;
}

export interface RuntimeManagerOptions {
  /** A CRI client, or an endpoint to connect to. */
  client?: CriClient;
  endpoint?: string;
  clock?: Clock;
  /** Root of pod log directories (the kubelet's /var/log/pods). */
  podLogsDir?: string;
  /** PLEG relist period (default 1000 ms). 0 disables the PLEG (tests drive RUNTIME events). */
  relistPeriodMs?: number;
  /** Crash-loop back-off knobs (KEP-4603): initial and maximum restart delay. */
  backOff?: Partial<Pick<BackOffPolicy, 'initialMs' | 'maxMs'>>;
  /** Container-level configuration (image back-off, hook timeout, pod-worker retry). */
  container?: Partial<ContainerConfig>;
  /** Pod-worker retry base (10 s); the manager adds up to 50 % jitter per pod, as the kubelet does. */
  podWorkerRetryMs?: number;
  /** Replace any of the CRI-backed actors (an embedder's .provide()). */
  actors?: Partial<RuntimeActors>;
  /** XState inspection callback for every pod and container actor (off by default: it doubles send cost). */
  inspect?: (ev: InspectionEvent) => void;
  /** Emit chart transitions on transitions$ (uses inspection internally). */
  transitions?: boolean;
  /** Runtime name for containerID prefixes (`containerd://...`); read from Version when omitted. */
  runtimeName?: string;
  random?: () => number;
  log?: (msg: string) => void;
}

interface PodEntry {
  uid: string;
  label: string;
  actor: Actor<typeof podMachine>;
  pod: Pod;
  startTime: number;
  lastStatus?: PodStatus;
  lastStatusJson?: string;
  dirty: boolean;
  /** Container actors whose snapshots are watched. */
  watched: Set<string>;
  removed: Promise<PodStatus>;
  subscription: { unsubscribe(): void };
}

export class RuntimeManager {
  readonly client: CriClient;
  readonly clock: Clock;
  readonly events$ = new Subject<Event>();
  readonly status$ = new Subject<PodStatusUpdate>();
  readonly transitions$ = new Subject<TransitionRecord>();
  /** Every change of a probe's thresholded result (liveness, readiness, startup). */
  readonly probes$ = new Subject<ProbeResultRecord>();
  readonly recorder: EventRecorder;
  private readonly pods = new Map<string, PodEntry>();
  private readonly pleg?: Pleg;
  private readonly plegSub?: Subscription;
  private readonly machine: typeof podMachine;
  private readonly ownsClient: boolean;
  private runtimeName: string;
  private readonly inspect?: (ev: InspectionEvent) => void;
  private readonly lastValues = new Map<string, string>();
  private readonly rootLabels = new Map<string, string>();
  private dirty: PodEntry[] = [];

  constructor(private readonly opts: RuntimeManagerOptions) {
    if (!opts.client && !opts.endpoint) throw new Error('RuntimeManager: give a CRI client or an endpoint');
    this.client = opts.client ?? new CriClient({ endpoint: opts.endpoint! });
    this.ownsClient = !opts.client;
    this.clock = opts.clock ?? realClock;
    this.recorder = new EventRecorder({ now: () => this.clock.now() });
    this.runtimeName = opts.runtimeName ?? 'cri';
    const actors = {
      ...createRuntimeActors({ client: this.client, clock: this.clock, podLogsDir: opts.podLogsDir ?? join(tmpdir(), 'statelet', 'pods') }),
      ...opts.actors,
    };
    const container = containerMachine.provide({
      actors: {
        probe: probeMachine.provide({ actors: { runProbe: actors.runProbe } }),
        inspectImage: actors.inspectImage,
        pullImage: actors.pullImage,
        createContainer: actors.createContainer,
        startContainer: actors.startContainer,
        runHandler: actors.runHandler,
        stopContainer: actors.stopContainer,
        removeContainer: actors.removeContainer,
      },
    });
    this.machine = podMachine.provide({
      actors: {
        container,
        runPodSandbox: actors.runPodSandbox,
        stopPodSandbox: actors.stopPodSandbox,
        removePodSandbox: actors.removePodSandbox,
        removeContainers: actors.removeContainers,
      },
    });
    if (opts.transitions || opts.inspect) {
      const user = opts.inspect;
      this.inspect = (ev) => {
        if (opts.transitions) this.onInspection(ev);
        user?.(ev);
      };
    }
    if ((opts.relistPeriodMs ?? 1000) > 0) {
      this.pleg = new Pleg({ client: this.client, clock: this.clock, periodMs: opts.relistPeriodMs ?? 1000, log: opts.log });
      this.plegSub = this.pleg.events$.subscribe((ev) => this.onPleg(ev));
    }
  }

  /** Checks the runtime answers (Version), learns its name, and starts the PLEG. */
  async start(): Promise<void> {
    const v = await this.client.version();
    if (!this.opts.runtimeName) this.runtimeName = v.runtimeName === 'statelet-embedded' ? 'statelet' : v.runtimeName;
    this.pleg?.start();
  }

  /** Starts a pod; resolves its uid. The pod must be defaulted and valid (see loadPod). */
  addPod(pod: Pod): string {
    const uid = pod.metadata.uid;
    if (!uid) throw new Error('addPod: metadata.uid is required (loadPod/applyDefaults sets one)');
    if (this.pods.has(uid)) throw new Error(`addPod: pod ${uid} already exists`);
    const now = this.clock.now();
    const random = this.opts.random ?? Math.random;
    // The kubelet's pod worker requeues errors after 10 s plus up to 50 % jitter.
    const retryBase = this.opts.podWorkerRetryMs ?? this.opts.container?.podWorkerRetryMs ?? 10_000;
    const podWorkerRetryMs = Math.round(retryBase * (1 + 0.5 * random()));
    const config: Partial<PodConfig> = {
      podWorkerRetryMs,
      container: {
        ...this.opts.container,
        podWorkerRetryMs,
        ...(this.opts.backOff ? { backOff: backOffPolicy(this.opts.backOff) } : {}),
      },
    };
    const label = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    const actor = createActor(this.machine, {
      id: label,
      input: { pod, now, config },
      clock: this.clock as never,
      inspect: this.inspect,
    });
    let resolveRemoved!: (s: PodStatus) => void;
    const removed = new Promise<PodStatus>((r) => (resolveRemoved = r));
    const entry: PodEntry = {
      uid,
      label,
      actor,
      pod,
      startTime: now,
      dirty: false,
      watched: new Set(),
      removed,
      subscription: { unsubscribe() {} },
    };
    this.pods.set(uid, entry);
    this.rootLabels.set(actor.sessionId, label);
    actor.on('k8s.event', (e) => {
      const ref = podReference(entry.pod);
      if (e.event.fieldPath) ref.fieldPath = e.event.fieldPath;
      this.events$.next(this.recorder.recordRef(ref, e.event.type, e.event.reason, e.event.message));
    });
    actor.on('probe.result', (e) => this.probes$.next({ pod: entry.pod, container: e.container, probe: e.probe, result: e.result, output: e.output, at: e.at }));
    entry.subscription = actor.subscribe({
      next: (snap) => {
        // Container actors change without the pod hearing of it: watch them for status.
        for (const [name, ref] of Object.entries(snap.context.refs)) {
          if (entry.watched.has(name)) continue;
          entry.watched.add(name);
          ref.subscribe({ next: () => this.markDirty(entry), error: () => {} });
        }
        this.markDirty(entry);
      },
      error: (err) => this.opts.log?.(`pod ${label}: actor error: ${(err as Error).message}`),
      complete: () => {
        this.flushStatus(entry);
        resolveRemoved(entry.lastStatus ?? {});
      },
    });
    // The first status (phase Pending) goes out before the charts make their first move.
    this.flushStatus(entry);
    actor.start();
    return uid;
  }

  /** Applies a new spec (a static manifest edit): image changes restart that container. */
  updatePod(pod: Pod): void {
    const entry = this.mustGet(pod.metadata.uid);
    entry.pod = pod;
    entry.actor.send({ type: 'UPDATE', pod, at: this.clock.now() });
  }

  /**
   * Deletes a pod gracefully (kubectl delete pod): grace = gracePeriodSeconds when
   * given, else terminationGracePeriodSeconds; force = the force-delete semantics.
   */
  deletePod(uid: string, opts: { gracePeriodSeconds?: number; force?: boolean } = {}): Promise<PodStatus> {
    const entry = this.mustGet(uid);
    entry.actor.send({ type: 'DELETE', gracePeriodSeconds: opts.gracePeriodSeconds, force: opts.force, at: this.clock.now() });
    return entry.removed;
  }

  /** Resolves with the last status once the pod actor is done (after deletion). */
  whenRemoved(uid: string): Promise<PodStatus> {
    return this.mustGet(uid).removed;
  }

  getStatus(uid: string): PodStatus | undefined {
    const entry = this.pods.get(uid);
    if (!entry) return undefined;
    this.flushStatus(entry);
    return entry.lastStatus;
  }

  getActor(uid: string): Actor<typeof podMachine> | undefined {
    return this.pods.get(uid)?.actor;
  }

  listPods(): Pod[] {
    return [...this.pods.values()].map((e) => e.pod);
  }

  events(uid?: string): Event[] {
    return this.recorder.list(uid ? { uid } : {});
  }

  /** Stops the PLEG and every pod actor (does not touch runtime state: use deletePod for that). */
  async close(): Promise<void> {
    this.pleg?.stop();
    this.plegSub?.unsubscribe();
    for (const e of this.pods.values()) {
      e.subscription.unsubscribe();
      e.actor.stop();
    }
    this.pods.clear();
    if (this.ownsClient) this.client.close();
  }

  // ---------------------------------------------------------------- internals

  private mustGet(uid: string | undefined): PodEntry {
    const entry = uid ? this.pods.get(uid) : undefined;
    if (!entry) throw new Error(`no pod with uid ${uid}`);
    return entry;
  }

  private onPleg(ev: PlegEvent): void {
    const entry = this.pods.get(ev.podUid);
    if (!entry) return;
    if (ev.kind === 'container') {
      entry.actor.send({ type: 'RUNTIME.CONTAINER', name: ev.containerName, status: ev.status, at: ev.at });
    } else {
      entry.actor.send({ type: 'RUNTIME.SANDBOX', sandboxId: ev.sandboxId, ready: ev.ready, at: ev.at });
    }
  }

  /**
   * Status is derived lazily: every pod changed since the last turn of the event
   * loop is recomputed once, however many events it processed meanwhile.
   */
  private markDirty(entry: PodEntry): void {
    if (entry.dirty) return;
    entry.dirty = true;
    this.dirty.push(entry);
    if (this.dirty.length === 1) {
      setImmediate(() => {
        const batch = this.dirty;
        this.dirty = [];
        for (const e of batch) if (e.dirty) this.flushStatus(e);
      });
    }
  }

  private flushStatus(entry: PodEntry): void {
    entry.dirty = false;
    const snap = entry.actor.getSnapshot();
    const status = podStatusFrom(snap, {
      runtimeName: this.runtimeName,
      now: this.clock.now(),
      startTime: entry.startTime,
      previous: entry.lastStatus,
    });
    const json = JSON.stringify(status);
    if (json === entry.lastStatusJson) return;
    entry.lastStatusJson = json;
    entry.lastStatus = status;
    this.status$.next({ pod: entry.pod, status });
  }

  private onInspection(ev: InspectionEvent): void {
    if (ev.type !== '@xstate.snapshot') return;
    const snap = ev.snapshot as Snapshot<unknown> & { value?: unknown };
    if (snap.status !== 'active' && snap.status !== 'done') return;
    if (snap.value === undefined) return;
    const ref = ev.actorRef as unknown as { id: string; sessionId: string };
    const podLabel = this.rootLabels.get(ev.rootId) ?? ref.id;
    const label = ref.sessionId === ev.rootId ? podLabel : `${podLabel}/${ref.id.replace(/^container:/, '')}`;
    const to = stateString(snap.value);
    const from = this.lastValues.get(ref.sessionId);
    if (from === to) return;
    this.lastValues.set(ref.sessionId, to);
    if (snap.status === 'done') this.lastValues.delete(ref.sessionId);
    this.transitions$.next({
      kind: 'Transition',
      actor: label,
      from: from ?? '',
      to,
      event: ev.event.type,
      timestamp: new Date(this.clock.now()).toISOString(),
    });
  }
}

function backOffPolicy(b: Partial<Pick<BackOffPolicy, 'initialMs' | 'maxMs'>>): BackOffPolicy {
  const maxMs = b.maxMs ?? 300_000;
  let initialMs = b.initialMs ?? 10_000;
  if (maxMs < initialMs) initialMs = maxMs;
  return { initialMs, maxMs, resetAfterMs: 600_000 };
}

/** `Terminating.PreStop` for nested values. */
export function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return String(value);
  const [k, v] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  const rest = stateString(v);
  return rest ? `${k}.${rest}` : k;
}

export { topState };
