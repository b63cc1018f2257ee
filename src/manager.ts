// The RuntimeManager owns one pod actor per pod (independent root actors, so a
// pod's children never make another pod's sends slower), feeds them runtime
// state from the PLEG, and turns what they do into Kubernetes-shaped streams:
// Events (counted as the kubelet's recorder does), PodStatus changes, and
// chart transitions.
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Subscription } from './rx.js';
import { createActor, type Actor, type InspectionEvent, type Snapshot } from 'xstate';
import { podMachine, type PodConfig } from '../machines/pod/index.js';
import { containerMachine, POD_WORKER_RETRY_MS, type ContainerConfig } from '../machines/container/index.js';
import { probeMachine } from '../machines/probe.js';
import { restartCountFromLogFiles } from '../machines/restart-policy.js';
import type { BackOffPolicy } from '../machines/backoff.js';
import { DEFAULT_FEATURE_GATES } from '../machines/features.js';
import { crashLoopBackOffPolicy, needsCrashLoopPolicy } from './kubelet-config.js';
import { createRuntimeActors, type RuntimeActors } from './actors/index.js';
import { CriClient } from './cri/client.js';
import type { CriRuntime } from './cri/services.js';
import { realClock, type Clock } from './clock.js';
import { EventRecorder, podReference } from './k8s/events.js';
import type { Container, Event, Pod, PodStatus } from './k8s/types.js';
import { Pleg, type PlegEvent } from './pleg.js';
import { podStatusFrom, topState } from './status.js';
import type { EventRecord } from '../machines/types.js';
import { DEFAULT_ROOT_DIR, podLogDirectory } from './kuberuntime/config.js';
import { hostNodeInfo } from './kuberuntime/node.js';
import { isTerminalPhase } from '../machines/phase.js';
import { podRequests, podWithResources, type NodeUsage } from '../machines/resize.js';
import { criRuntimeIgnores, embeddedRuntimeIgnores, UNSUPPORTED_FIELDS_REASON, unsupportedFieldsMessage } from './kuberuntime/limits.js';
import { tearDownPodVolumes } from './volumes/index.js';
import { ContainerLogManager, DEFAULT_CONTAINER_LOG_MAX_FILES, DEFAULT_CONTAINER_LOG_MAX_SIZE } from './node/container-logs.js';

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
  /** statelet's view beyond the v1 status: the pod chart's state and each pending back-off's deadline. */
  details: PodDetails;
}

export interface PodDetails {
  /** The pod chart's state value, dotted (`Running`, `Terminating.KillingContainers`). */
  chartState: string;
  /** Absolute deadline (epoch ms) of each container's pending CrashLoopBackOff / ImagePullBackOff wait. */
  backOffUntil: Record<string, number>;
}

export interface RuntimeManagerOptions {
  /** The runtime (a CriClient or any RuntimeService + ImageService), or an endpoint to connect to. */
  client?: CriRuntime;
  endpoint?: string;
  clock?: Clock;
  /** Root of pod log directories (the kubelet's /var/log/pods). */
  podLogsDir?: string;
  /** The kubelet's --root-dir: `pods/<uid>` holds a pod's volumes, removed with the pod (default: <tmp>/statelet/kubelet). */
  rootDir?: string;
  /** PLEG relist period (default 1000 ms). 0 disables the PLEG (tests drive RUNTIME events). */
  relistPeriodMs?: number;
  /**
   * Crash-loop back-off knobs: the initial delay (statelet's) and the maximum (the kubelet's
   * maxContainerRestartPeriod, KEP-5593), over the curve the feature gates in
   * `container.featureGates` pick (see src/kubelet-config.ts crashLoopBackOffPolicy).
   */
  backOff?: Partial<Pick<BackOffPolicy, 'initialMs' | 'maxMs'>>;
  /** Container-level configuration (image back-off, hook timeout, pod-worker retry). */
  container?: Partial<ContainerConfig>;
  /** Pod-worker retry base (10 s); the manager adds up to 50 % jitter per pod, as the kubelet does. */
  podWorkerRetryMs?: number;
  /** Replace any of the CRI-backed actors (an embedder's .provide()). */
  actors?: Partial<RuntimeActors>;
  /**
   * Wraps actors after defaults and `actors` are merged (each wrapper gets the actor it
   * replaces), e.g. a node agent's adoption: no postStart again for an instance it found running.
   */
  wrapActors?: (actors: RuntimeActors) => Partial<RuntimeActors>;
  /** XState inspection callback for every pod and container actor (off by default: it doubles send cost). */
  inspect?: (ev: InspectionEvent) => void;
  /** Emit chart transitions on transitions$ (uses inspection internally). */
  transitions?: boolean;
  /** Runtime name for containerID prefixes (`containerd://...`); read from Version when omitted. */
  runtimeName?: string;
  random?: () => number;
  log?: (msg: string) => void;
  /**
   * Container log rotation (the kubelet's containerLogMaxSize / containerLogMaxFiles): a running
   * container's log is rotated once it reaches this many bytes (default 10 MiB; <= 0 disables).
   */
  containerLogMaxSize?: number;
  /** At most this many log files per container, the live one included (default 5, >= 2). */
  containerLogMaxFiles?: number;
  /** How often logs are checked for rotation (the kubelet's containerLogMonitorInterval, 10 s). */
  containerLogMonitorMs?: number;
  /** Remove a pod's log directory once the pod is removed (default true, as the kubelet's pod GC). */
  removePodLogs?: boolean;
}

/** How addPod starts a pod: fresh from its spec (the default), or restored from a snapshot. */
export interface AddPodOptions {
  /**
   * A persisted pod-actor snapshot (getPersistedSnapshot(), possibly reconciled with the
   * runtime). The actor is restored from it, then sent RESUME so absolute deadlines re-arm.
   */
  snapshot?: Snapshot<unknown>;
  /** status.startTime, when the pod started earlier than now (a restored pod). */
  startTime?: number;
  /** The last status published before a restart (phase stickiness, condition times). */
  previousStatus?: PodStatus;
  /** Drops chart events that would only repeat what already happened (an adopted instance's replayed start). */
  filterEvent?: (ev: EventRecord) => boolean;
  /** Runs once the restored actor has started, before RESUME (to send it runtime facts). */
  afterStart?: (actor: Actor<typeof podMachine>) => void;
}

export interface PodRemovedRecord {
  pod: Pod;
  status: PodStatus;
}

interface PodEntry {
  uid: string;
  label: string;
  actor: Actor<typeof podMachine>;
  pod: Pod;
  startTime: number;
  lastStatus?: PodStatus;
  /**
   * The snapshots the last status was derived from (the pod's, then each container's):
   * when none changed since, the status cannot have changed either, and is not derived again.
   */
  derivedFrom?: unknown[];
  /** The status last published on status$ (lastStatus may come from a restart before any). */
  published?: PodStatus;
  dirty: boolean;
  /** Container actors whose snapshots are watched. */
  watched: Set<string>;
  removed: Promise<PodStatus>;
  subscription: { unsubscribe(): void };
}

/** The pod as allocated: each container's requests as its status reports them allocated (a held resize keeps the old ones). */
function allocatedPod(pod: Pod, status: PodStatus | undefined): Pod {
  const resources: Record<string, Container['resources']> = {};
  const specOf = new Map([...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => [c.name, c]));
  for (const s of (status?.containerStatuses ?? []).concat(status?.initContainerStatuses ?? [])) {
    const c = specOf.get(s.name);
    if (c && s.allocatedResources) resources[s.name] = { ...c.resources, requests: s.allocatedResources };
  }
  return podWithResources(pod, resources);
}

/** What a status says the pod holds, comparable between two statuses. */
function allocationKey(status: PodStatus | undefined): string {
  return JSON.stringify((status?.containerStatuses ?? []).concat(status?.initContainerStatuses ?? []).map((s) => s.allocatedResources ?? null));
}

export class RuntimeManager {
  readonly client: CriRuntime;
  readonly clock: Clock;
  readonly events$ = new Subject<Event>();
  readonly status$ = new Subject<PodStatusUpdate>();
  /** Pods whose last status has a Deferred resize (PodResizePending), retried when room is made. */
  private readonly deferredResizes = new Set<string>();
  readonly transitions$ = new Subject<TransitionRecord>();
  /** Every change of a probe's thresholded result (liveness, readiness, startup). */
  readonly probes$ = new Subject<ProbeResultRecord>();
  /** A pod's actor (or one of its containers) changed: uid, at most once per turn of the event loop. */
  readonly changes$ = new Subject<string>();
  /**
   * A pod's removal completed; emitted synchronously before its actor and state are released
   * and its log directory removed (read what you need from the logs here).
   */
  readonly removed$ = new Subject<PodRemovedRecord>();
  readonly recorder: EventRecorder;
  private readonly pods = new Map<string, PodEntry>();
  /** The PLEG (undefined when relistPeriodMs is 0); read-only use: its relists$ and lastRelistAt feed metrics and /healthz. */
  readonly pleg?: Pleg;
  private readonly plegSub?: Subscription;
  private readonly machine: typeof podMachine;
  /** The client made from opts.endpoint, closed with the manager (a given client is the caller's). */
  private readonly ownedClient?: CriClient;
  private runtimeName: string;
  private readonly inspect?: (ev: InspectionEvent) => void;
  private readonly lastValues = new Map<string, string>();
  private readonly rootLabels = new Map<string, string>();
  private dirty: PodEntry[] = [];
  /** Final statuses of pods removed lately, so deletePod/whenRemoved still answer for them (bounded). */
  private readonly finished = new Map<string, PodStatus>();
  private readonly logManager?: ContainerLogManager;
  private readonly podLogsDir: string;
  private readonly rootDir: string;
  /** Volume teardowns still running (close() waits for them). */
  private readonly cleanups = new Set<Promise<void>>();
  private embedded = false;

  constructor(private readonly opts: RuntimeManagerOptions) {
    if (!opts.client && !opts.endpoint) throw new Error('RuntimeManager: give a CRI client or an endpoint');
    if (opts.client) this.client = opts.client;
    else this.client = this.ownedClient = new CriClient({ endpoint: opts.endpoint! });
    this.clock = opts.clock ?? realClock;
    this.recorder = new EventRecorder({ now: () => this.clock.now() });
    this.runtimeName = opts.runtimeName ?? 'cri';
    this.podLogsDir = opts.podLogsDir ?? join(tmpdir(), 'statelet', 'pods');
    this.rootDir = opts.rootDir ?? DEFAULT_ROOT_DIR;
    const merged: RuntimeActors = {
      ...createRuntimeActors({ client: this.client, clock: this.clock, podLogsDir: this.podLogsDir, rootDir: this.rootDir }),
      ...opts.actors,
    };
    const actors: RuntimeActors = opts.wrapActors ? { ...merged, ...opts.wrapActors(merged) } : merged;
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
        updateContainerResources: actors.updateContainerResources,
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
    const maxSize = opts.containerLogMaxSize ?? DEFAULT_CONTAINER_LOG_MAX_SIZE;
    if (maxSize > 0) {
      this.logManager = new ContainerLogManager({
        client: this.client,
        maxSize,
        maxFiles: opts.containerLogMaxFiles ?? DEFAULT_CONTAINER_LOG_MAX_FILES,
        periodMs: opts.containerLogMonitorMs,
        // Only this manager's pods: another manager (or tool) on the same runtime rotates its own.
        owns: (uid) => this.pods.has(uid),
        log: opts.log,
      });
    }
  }

  /** Checks the runtime answers (Version), learns its name, and starts the PLEG. */
  async start(): Promise<void> {
    await this.connect();
    this.pleg?.start();
    this.logManager?.start();
  }

  /**
   * Checks the runtime answers (Version) and learns its name, without starting the PLEG:
   * a node agent adopts its pods between the two, so that the PLEG's first relist
   * reports whatever changed meanwhile to pods that are already there.
   */
  async connect(): Promise<void> {
    const v = await this.client.version();
    if (!this.opts.runtimeName) this.runtimeName = v.runtimeName === 'statelet-embedded' ? 'statelet' : v.runtimeName;
    this.embedded = v.runtimeName === 'statelet-embedded';
  }

  /** One PLEG relist now (after adopting pods, so their instances' news arrives at once). */
  relist(): Promise<void> {
    return this.pleg?.relist() ?? Promise.resolve();
  }

  /**
   * The input a pod actor starts from (its spec, the time, the configuration with this
   * pod's jitter), for building a snapshot to restore (see AddPodOptions.snapshot).
   */
  podInput(pod: Pod): { pod: Pod; now: number; config: Partial<PodConfig> } {
    const now = this.clock.now();
    const random = this.opts.random ?? Math.random;
    // The kubelet's pod worker requeues errors after 10 s plus up to 50 % jitter.
    const retryBase = this.opts.podWorkerRetryMs ?? this.opts.container?.podWorkerRetryMs ?? POD_WORKER_RETRY_MS;
    const podWorkerRetryMs = Math.round(retryBase * (1 + 0.5 * random()));
    const config: Partial<PodConfig> = {
      podWorkerRetryMs,
      // KEP-1287: a resize beyond the node's capacity is Infeasible.
      node: { cpuMillis: hostNodeInfo().cpuMillis, memoryBytes: hostNodeInfo().memoryCapacityBytes },
      container: {
        ...this.opts.container,
        podWorkerRetryMs,
        ...(needsCrashLoopPolicy(this.opts.backOff, this.gates) ? { backOff: crashLoopBackOffPolicy(this.opts.backOff, this.gates) } : {}),
      },
    };
    return { pod, now, config };
  }

  /** The feature gates the charts and the back-off follow (`container.featureGates`, else the 1.36 defaults). */
  get gates() {
    return { ...DEFAULT_FEATURE_GATES, ...this.opts.container?.featureGates };
  }

  /** Starts a pod; resolves its uid. The pod must be defaulted and valid (see loadPod). */
  addPod(pod: Pod, add: AddPodOptions = {}): string {
    const uid = pod.metadata.uid;
    if (!uid) throw new Error('addPod: metadata.uid is required (loadPod/applyDefaults sets one)');
    if (this.pods.has(uid)) throw new Error(`addPod: pod ${uid} already exists`);
    this.finished.delete(uid);
    const { now, config } = this.podInput(pod);
    const label = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    const actor = createActor(this.machine, {
      id: label,
      input: { pod, now, config, restartCounts: add.snapshot ? undefined : this.restartCountsFromLogs(pod) },
      clock: this.clock as never,
      inspect: this.inspect,
      ...(add.snapshot ? { snapshot: add.snapshot as never } : {}),
    });
    let resolveRemoved!: (s: PodStatus) => void;
    const removed = new Promise<PodStatus>((r) => (resolveRemoved = r));
    const entry: PodEntry = {
      uid,
      label,
      actor,
      pod,
      startTime: add.startTime ?? now,
      lastStatus: add.previousStatus,
      dirty: false,
      watched: new Set(),
      removed,
      subscription: { unsubscribe() {} },
    };
    this.pods.set(uid, entry);
    this.rootLabels.set(actor.sessionId, label);
    actor.on('k8s.event', (e) => {
      if (add.filterEvent && !add.filterEvent(e.event)) return;
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
        this.release(entry);
        resolveRemoved(entry.lastStatus ?? {});
      },
    });
    // The first status (phase Pending) goes out before the charts make their first move. A
    // restored pod's first status waits for its replay (an adopted instance passes through
    // Created on its way back to Running), so it does not flicker back to Pending.
    if (!add.snapshot) this.flushStatus(entry);
    actor.start();
    if (!add.snapshot) this.reportUnsupportedFields(pod);
    if (add.snapshot) {
      add.afterStart?.(actor);
      // XState drops pending `after` timers on restore: the charts re-arm them from their deadlines.
      actor.send({ type: 'RESUME', at: this.clock.now() });
      this.markDirty(entry);
    }
    return uid;
  }

  /**
   * A removed pod lets go of everything it held: its actor, its status, and (unless
   * removePodLogs is false) its log directory, as the kubelet's pod GC removes
   * /var/log/pods/<ns>_<name>_<uid>.
   */
  private release(entry: PodEntry): void {
    if (this.pods.get(entry.uid) !== entry) return;
    const status = entry.lastStatus ?? {};
    this.removed$.next({ pod: entry.pod, status });
    entry.subscription.unsubscribe();
    this.pods.delete(entry.uid);
    this.noteAllocation(entry, entry.lastStatus, undefined);
    this.rootLabels.delete(entry.actor.sessionId);
    this.finished.set(entry.uid, status);
    if (this.finished.size > 1000) this.finished.delete(this.finished.keys().next().value!);
    if (this.opts.removePodLogs !== false) {
      const dir = podLogDirectory(this.podLogsDir, entry.pod);
      void rm(dir, { recursive: true, force: true }).catch((err) => this.opts.log?.(`removing ${dir} failed: ${(err as Error).message}`));
    }
    // The pod's directory (emptyDir volumes, /etc/hosts, termination-message files) goes with the pod.
    const cleanup = tearDownPodVolumes(this.rootDir, entry.uid)
      .catch((err) => this.opts.log?.(`removing the volumes of pod ${entry.label} failed: ${(err as Error).message}`))
      .finally(() => this.cleanups.delete(cleanup));
    this.cleanups.add(cleanup);
    this.changes$.next(entry.uid);
  }

  /** Applies a new spec (a static manifest edit): image changes restart that container. */
  updatePod(pod: Pod): void {
    const entry = this.mustGet(pod.metadata.uid);
    entry.pod = pod;
    entry.actor.send({ type: 'UPDATE', pod, nodeUsed: this.nodeUsedBesides(entry.uid), at: this.clock.now() });
  }

  // ---- KEP-1287: what the node's pods hold, for a resize's Deferred check ----

  /** The allocated requests of every other pod that still holds them (not terminal): nodeInfo.Requested. */
  private nodeUsedBesides(uid: string): NodeUsage {
    const used: NodeUsage = { cpuMillis: 0, memoryBytes: 0 };
    for (const e of this.pods.values()) {
      if (e.uid === uid || isTerminalPhase(e.lastStatus?.phase)) continue;
      const r = podRequests(allocatedPod(e.pod, e.lastStatus));
      used.cpuMillis += r.cpuMillis;
      used.memoryBytes += r.memoryBytes;
    }
    return used;
  }

  /**
   * retryPendingResizes' triggers (allocation_manager.go: pods_removed, pod_terminated,
   * pod_resized): when a pod stops holding what it held, each Deferred resize is judged again.
   */
  private noteAllocation(entry: PodEntry, previous: PodStatus | undefined, status: PodStatus | undefined): void {
    if (status?.conditions?.some((c) => c.type === 'PodResizePending' && c.reason === 'Deferred')) this.deferredResizes.add(entry.uid);
    else this.deferredResizes.delete(entry.uid);
    if (this.deferredResizes.size === 0 || (this.deferredResizes.has(entry.uid) && this.deferredResizes.size === 1)) return;
    const freed = !status || (isTerminalPhase(status.phase) && !isTerminalPhase(previous?.phase)) || allocationKey(previous) !== allocationKey(status);
    if (!freed) return;
    for (const uid of this.deferredResizes) {
      const other = this.pods.get(uid);
      if (uid !== entry.uid && other) other.actor.send({ type: 'RESIZE.RETRY', nodeUsed: this.nodeUsedBesides(uid), at: this.clock.now() });
    }
  }

  /**
   * Deletes a pod gracefully (kubectl delete pod): grace = gracePeriodSeconds when
   * given, else terminationGracePeriodSeconds; force = the force-delete semantics.
   */
  deletePod(uid: string, opts: { gracePeriodSeconds?: number; force?: boolean } = {}): Promise<PodStatus> {
    const done = this.finished.get(uid);
    if (done && !this.pods.has(uid)) return Promise.resolve(done);
    const entry = this.mustGet(uid);
    entry.actor.send({ type: 'DELETE', gracePeriodSeconds: opts.gracePeriodSeconds, force: opts.force, at: this.clock.now() });
    return entry.removed;
  }

  /** Resolves with the last status once the pod actor is done (after deletion). */
  whenRemoved(uid: string): Promise<PodStatus> {
    const done = this.finished.get(uid);
    if (done && !this.pods.has(uid)) return Promise.resolve(done);
    return this.mustGet(uid).removed;
  }

  /** Whether the manager holds this pod (it is released once its removal completes). */
  hasPod(uid: string): boolean {
    return this.pods.has(uid);
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
    this.logManager?.stop();
    for (const e of this.pods.values()) {
      e.subscription.unsubscribe();
      e.actor.stop();
    }
    this.pods.clear();
    await Promise.allSettled([...this.cleanups]);
    this.ownedClient?.close();
  }

  /** One Warning event per pod for the fields its runtime cannot honour (never dropped silently). */
  private reportUnsupportedFields(pod: Pod): void {
    const fields = this.embedded ? embeddedRuntimeIgnores(pod) : criRuntimeIgnores(pod);
    if (!fields.length) return;
    const runtime = this.embedded ? 'The embedded runtime' : 'statelet';
    this.events$.next(this.recorder.record(pod, 'Warning', UNSUPPORTED_FIELDS_REASON, unsupportedFieldsMessage(runtime, fields)));
  }

  // ---------------------------------------------------------------- internals

  private mustGet(uid: string | undefined): PodEntry {
    const entry = uid ? this.pods.get(uid) : undefined;
    if (!entry) throw new Error(`no pod with uid ${uid}`);
    return entry;
  }

  /** calcRestartCountByLogDir for each container: what a pod that is new to the runtime starts counting from. */
  private restartCountsFromLogs(pod: Pod): Record<string, number> {
    const dir = podLogDirectory(this.podLogsDir, pod);
    const out: Record<string, number> = {};
    // A new pod has no log directory at all: one check (no exception thrown) instead of a
    // failed read per container.
    if (!existsSync(dir)) return out;
    let names: Set<string>;
    try {
      names = new Set(readdirSync(dir));
    } catch {
      return out;
    }
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      if (!names.has(c.name)) continue;
      let files: string[] = [];
      try {
        files = readdirSync(join(dir, c.name));
      } catch {
        continue; // no directory: no earlier instance
      }
      const n = restartCountFromLogFiles(files);
      if (n > 0) out[c.name] = n;
    }
    return out;
  }

  private onPleg(ev: PlegEvent): void {
    const entry = this.pods.get(ev.podUid);
    if (!entry) return;
    if (ev.kind === 'container') {
      entry.actor.send({ type: 'RUNTIME.CONTAINER', name: ev.containerName, status: ev.status, at: ev.at });
    } else if (ev.kind === 'sandbox') {
      entry.actor.send({ type: 'RUNTIME.SANDBOX', sandboxId: ev.sandboxId, ready: ev.ready, at: ev.at });
    } else {
      entry.actor.send({ type: 'RUNTIME.SYNC', at: ev.at });
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
        for (const e of batch) {
          if (!e.dirty) continue;
          this.flushStatus(e);
          this.changes$.next(e.uid);
        }
      });
    }
  }

  private flushStatus(entry: PodEntry): void {
    entry.dirty = false;
    const snap = entry.actor.getSnapshot();
    // Most snapshots a pod goes through change nothing its status shows (an invoked CRI call
    // starting, a probe tick): compare what the status is made of before deriving it.
    const sources: unknown[] = [snap];
    for (const ref of Object.values(snap.context.refs)) sources.push(ref.getSnapshot());
    if (entry.derivedFrom && sameItems(entry.derivedFrom, sources)) return;
    entry.derivedFrom = sources;
    const status = podStatusFrom(snap, {
      runtimeName: this.runtimeName,
      now: this.clock.now(),
      startTime: entry.startTime,
      previous: entry.lastStatus,
    });
    const backOffUntil: Record<string, number> = {};
    for (const [name, ref] of Object.entries(snap.context.refs)) {
      const until = ref.getSnapshot().context.backOffUntil;
      if (until !== undefined) backOffUntil[name] = until;
    }
    // Published with each status change (a back-off starting changes the waiting reason).
    const details: PodDetails = { chartState: stateString(snap.value), backOffUntil };
    if (entry.published && sameJson(status, entry.published)) return;
    const previous = entry.lastStatus;
    entry.lastStatus = entry.published = status;
    this.noteAllocation(entry, previous, status);
    this.status$.next({ pod: entry.pod, status, details });
  }

  private onInspection(ev: InspectionEvent): void {
    if (ev.type !== '@xstate.snapshot') return;
    const snap = ev.snapshot as Snapshot<unknown> & { value?: unknown };
    if (snap.status !== 'active' && snap.status !== 'done') return;
    if (snap.value === undefined) return;
    const ref = ev.actorRef;
    const id = 'id' in ref && typeof ref.id === 'string' ? ref.id : ref.sessionId;
    const podLabel = this.rootLabels.get(ev.rootId) ?? id;
    const label = ref.sessionId === ev.rootId ? podLabel : `${podLabel}/${id.replace(/^container:/, '')}`;
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


/** Same length and the same items, by identity. */
function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether two JSON-shaped values would serialize alike (JSON.stringify(a) === JSON.stringify(b),
 * undefined members counting as absent), without building the strings: a status is compared
 * on every change of its pod, and most comparisons differ early or not at all.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      // JSON.stringify writes an undefined array item as null.
      const x = a[i] === undefined ? null : a[i];
      const y = b[i] === undefined ? null : b[i];
      if (!sameJson(x, y)) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  // Key order matters to JSON.stringify; statuses are built in one order, so compare in order.
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    if (!sameJson(ra[ka[i]!], rb[ka[i]!])) return false;
  }
  return true;
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
