// The node agent's Prometheus metrics, under the kubelet's names, types, labels
// and buckets (pkg/kubelet/metrics/metrics.go, prober_manager.go, 1.34), plus
// statelet's own. Nothing here edits the charts or the manager's internals; the
// figures come from where the kubelet takes them, seen from outside:
//
// - CRI calls: instrumentRuntime() wraps the runtime client as the kubelet's
//   instrumented_services.go wraps its RuntimeService (operation_type names
//   included), and the container event stream for the evented-PLEG figures;
// - probes: instrumentProbe() wraps the runProbe actor, so each attempt is
//   counted with its result as worker.go doProbe counts it;
// - the PLEG: its relists$ stream (duration, interval, last seen);
// - pods and containers: the pod, container and probe actors' snapshots, the
//   manager's status$ and events$ streams (Pulling/Pulled), and at scrape time
//   the runtime (running pods and containers, as the PLEG's relist counts them)
//   and the manager's pod list (desired pods, live actors).
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { promClient } from '../lazy-deps.js';
import { Observable, type Subscription } from '../rx.js';
import { fromPromise, type AnyActorRef, type PromiseActorLogic } from 'xstate';
import { delegate } from '../actors/delegate.js';
import type { RunProbeInput, RunProbeOutput } from '../../machines/probe.js';
import type { RuntimeManager } from '../manager.js';
import { stateString } from '../manager.js';
import { containerKindOf } from '../k8s/events.js';
import type { Event, Pod } from '../k8s/types.js';
import type { RuntimeService } from '../cri/services.js';
import { MANAGED_BY_LABEL } from '../kuberuntime/labels.js';

const ALPHA = '[ALPHA] ';
const BETA = '[BETA] ';

/** prometheus.DefBuckets. */
export const DEF_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** metrics.go podStartupDurationBuckets. */
export const POD_STARTUP_BUCKETS = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
/** metrics.go imagePullDurationBuckets. */
export const IMAGE_PULL_BUCKETS = [1, 5, 10, 20, 30, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
/** ExponentialBuckets(.005, 2.5, 14), runtime_operations_duration_seconds. */
export const RUNTIME_OP_BUCKETS = Array.from({ length: 14 }, (_, i) => Number((0.005 * 2.5 ** i).toPrecision(12)));
/** statelet_backoff_restart_lateness_seconds: kubelets up to 1.34 restart up to ~15 s late (kubernetes#123602). */
export const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30];

/** instrumented_services.go: the operation_type of each CRI call. */
export const RUNTIME_OPERATIONS: Record<string, string> = {
  version: 'version',
  status: 'status',
  runPodSandbox: 'run_podsandbox',
  stopPodSandbox: 'stop_podsandbox',
  removePodSandbox: 'remove_podsandbox',
  podSandboxStatus: 'podsandbox_status',
  listPodSandbox: 'list_podsandbox',
  createContainer: 'create_container',
  startContainer: 'start_container',
  stopContainer: 'stop_container',
  removeContainer: 'remove_container',
  listContainers: 'list_containers',
  containerStatus: 'container_status',
  updateContainerResources: 'update_container',
  reopenContainerLog: 'reopen_container_log',
  execSync: 'exec_sync',
  containerStats: 'container_stats',
  listContainerStats: 'list_container_stats',
  podSandboxStats: 'podsandbox_stats',
  listPodSandboxStats: 'list_podsandbox_stats',
  listImages: 'list_images',
  imageStatus: 'image_status',
  pullImage: 'pull_image',
  removeImage: 'remove_image',
  imageFsInfo: 'image_fs_info',
};

/** metrics.go GetImageSizeBucket. */
export function imageSizeBucket(bytes: number): string {
  if (!bytes) return 'N/A';
  const MB = 1024 * 1024;
  const GB = 1024 * MB;
  const bounds: [number, string][] = [
    [100 * GB, 'GT100GB'],
    [60 * GB, '60GB-100GB'],
    [40 * GB, '40GB-60GB'],
    [30 * GB, '30GB-40GB'],
    [20 * GB, '20GB-30GB'],
    [10 * GB, '10GB-20GB'],
    [5 * GB, '5GB-10GB'],
    [1 * GB, '1GB-5GB'],
    [500 * MB, '500MB-1GB'],
    [100 * MB, '100MB-500MB'],
    [10 * MB, '10MB-100MB'],
    [0, '0-10MB'],
  ];
  for (const [lower, label] of bounds) if (bytes > lower) return label;
  return '';
}

/** Parses Go's time.Duration.String() (`1.5s`, `2m3.004s`, `500ms`, `12µs`) to seconds. */
export function parseGoDuration(s: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, μs: 1e-6, ns: 1e-9 };
  let total = 0;
  let matched = false;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|μs|ns|h|m|s)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = true;
  }
  return matched ? total : Number.NaN;
}

/** kubetypes.IsStaticPod: the pod came from a source other than the API server. */
export function isStaticPod(pod: Pod): boolean {
  const src = pod.metadata.annotations?.['kubernetes.io/config.source'];
  return src !== undefined && src !== 'api';
}

/** The container_type label: container, init_container or ephemeral_container. */
function containerType(pod: Pod, name: string): string {
  const kind = containerKindOf(pod, name);
  return kind === 'init' ? 'init_container' : kind === 'ephemeral' ? 'ephemeral_container' : 'container';
}

const PROBE_TYPE: Record<string, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };
const PROBE_RESULT: Record<string, string> = { success: 'successful', failure: 'failed', warning: 'unknown' };

export interface NodeMetricsOptions {
  /** The node name (kubelet_node_name). */
  nodeName?: string;
  /** Clock for the PLEG's last-seen gauge and start-latency figures (default Date.now). */
  now?: () => number;
}

export interface ObserveOptions {
  /** Lists the runtime's pods and containers at scrape time (kubelet_running_pods, kubelet_running_containers); uninstrumented. */
  runtime?: Pick<RuntimeService, 'listPodSandbox' | 'listContainers'>;
  /** Only sandboxes with these labels are this node's (statelet serve: io.statelet.node). */
  sandboxSelector?: Record<string, string>;
}

interface PodTrack {
  firstSeen: number;
  fresh: boolean;
  top?: string;
  createOpen: boolean;
  killStart?: number;
  removingStart?: number;
  startObserved: boolean;
  sliObserved: boolean;
  firstPull?: number;
  lastPull?: number;
  sub?: Subscription | { unsubscribe(): void };
  watched: Map<string, { unsubscribe(): void }>;
}

type Unsub = { unsubscribe(): void };

export class NodeMetrics {
  /** Served on /metrics. */
  readonly registry: Registry;
  /** Served on /metrics/probes (the kubelet's prober registry). */
  readonly probeRegistry: Registry;
  private readonly now: () => number;
  private readonly subs: Unsub[] = [];
  private readonly pods = new Map<string, PodTrack>();
  private readonly removedUids = new Set<string>();
  private lastRelistOkAt: number | undefined;

  readonly runningPods: Gauge;
  readonly runningContainers: Gauge<'container_state'>;
  readonly desiredPods: Gauge<'static'>;
  readonly startedPods: Counter;
  readonly startedPodsErrors: Counter;
  readonly startedContainers: Counter<'container_type'>;
  readonly startedContainersErrors: Counter<'container_type' | 'code'>;
  readonly restartedPods: Counter<'static'>;
  readonly podStartDuration: Histogram;
  readonly podStartSliDuration: Histogram;
  readonly podStartTotalDuration: Histogram;
  readonly podWorkerDuration: Histogram<'operation_type'>;
  readonly plegRelistDuration: Histogram;
  readonly plegRelistInterval: Histogram;
  readonly plegLastSeen: Gauge;
  readonly eventedPlegConn: Counter;
  readonly eventedPlegConnErr: Counter;
  readonly eventedPlegConnLatency: Histogram;
  readonly runtimeOps: Counter<'operation_type'>;
  readonly runtimeOpsDuration: Histogram<'operation_type'>;
  readonly runtimeOpsErrors: Counter<'operation_type'>;
  readonly runPodSandboxDuration: Histogram<'runtime_handler'>;
  readonly runPodSandboxErrors: Counter<'runtime_handler'>;
  readonly imagePullDuration: Histogram<'image_size_in_bytes'>;
  readonly transitions: Counter<'machine' | 'from' | 'to'>;
  readonly actors: Gauge<'machine'>;
  readonly backoffLateness: Histogram;
  readonly probeTotal: Counter<'probe_type' | 'result' | 'container' | 'pod' | 'namespace' | 'pod_uid'>;
  readonly probeDuration: Histogram<'probe_type' | 'container' | 'pod' | 'namespace'>;

  private manager?: RuntimeManager;
  private observeOpts: ObserveOptions = {};

  constructor(opts: NodeMetricsOptions = {}) {
    // prom-client (and the @opentelemetry/api it pulls in) loads with the first
    // NodeMetrics, not with the package entry (issue 15).
    const { Counter, Gauge, Histogram, Registry } = promClient();
    this.registry = new Registry();
    this.probeRegistry = new Registry();
    this.now = opts.now ?? Date.now;
    const r = [this.registry];
    const self = this;
    if (opts.nodeName) {
      const g = new Gauge({ name: 'kubelet_node_name', help: `${ALPHA}The node's name. The count is always 1.`, labelNames: ['node'], registers: r });
      g.set({ node: opts.nodeName }, 1);
    }
    this.runningPods = new Gauge({
      name: 'kubelet_running_pods',
      help: `${ALPHA}Number of pods that have a running pod sandbox`,
      registers: r,
      async collect() {
        await self.collectRuntime();
      },
    });
    this.runningContainers = new Gauge({
      name: 'kubelet_running_containers',
      help: `${ALPHA}Number of containers currently running`,
      labelNames: ['container_state'],
      registers: r,
      async collect() {
        await self.collectRuntime();
      },
    });
    this.desiredPods = new Gauge({
      name: 'kubelet_desired_pods',
      help: `${ALPHA}The number of pods the kubelet is being instructed to run. static is true if the pod is not from the apiserver.`,
      labelNames: ['static'],
      registers: r,
      collect() {
        const pods = self.manager?.listPods() ?? [];
        const statics = pods.filter(isStaticPod).length;
        this.set({ static: 'true' }, statics);
        this.set({ static: 'false' }, pods.length - statics);
      },
    });
    this.startedPods = new Counter({ name: 'kubelet_started_pods_total', help: `${ALPHA}Cumulative number of pods started`, registers: r });
    this.startedPodsErrors = new Counter({ name: 'kubelet_started_pods_errors_total', help: `${ALPHA}Cumulative number of errors when starting pods`, registers: r });
    this.startedContainers = new Counter({ name: 'kubelet_started_containers_total', help: `${ALPHA}Cumulative number of containers started`, labelNames: ['container_type'], registers: r });
    this.startedContainersErrors = new Counter({
      name: 'kubelet_started_containers_errors_total',
      help: `${ALPHA}Cumulative number of errors when starting containers`,
      labelNames: ['container_type', 'code'],
      registers: r,
    });
    this.restartedPods = new Counter({
      name: 'kubelet_restarted_pods_total',
      help: `${ALPHA}Number of pods that have been restarted because they were deleted and recreated with the same UID while the kubelet was watching them (common for static pods, extremely uncommon for API pods)`,
      labelNames: ['static'],
      registers: r,
    });
    this.podStartDuration = new Histogram({
      name: 'kubelet_pod_start_duration_seconds',
      help: `${ALPHA}Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run`,
      buckets: POD_STARTUP_BUCKETS,
      registers: r,
    });
    this.podStartSliDuration = new Histogram({
      name: 'kubelet_pod_start_sli_duration_seconds',
      help: `${ALPHA}Duration in seconds to start a pod, excluding time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch`,
      buckets: POD_STARTUP_BUCKETS,
      registers: r,
    });
    this.podStartTotalDuration = new Histogram({
      name: 'kubelet_pod_start_total_duration_seconds',
      help: `${ALPHA}Duration in seconds to start a pod since creation, including time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch`,
      buckets: POD_STARTUP_BUCKETS,
      registers: r,
    });
    this.podWorkerDuration = new Histogram({
      name: 'kubelet_pod_worker_duration_seconds',
      help: `${ALPHA}Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync`,
      labelNames: ['operation_type'],
      buckets: DEF_BUCKETS,
      registers: r,
    });
    this.plegRelistDuration = new Histogram({ name: 'kubelet_pleg_relist_duration_seconds', help: `${ALPHA}Duration in seconds for relisting pods in PLEG.`, buckets: DEF_BUCKETS, registers: r });
    this.plegRelistInterval = new Histogram({ name: 'kubelet_pleg_relist_interval_seconds', help: `${ALPHA}Interval in seconds between relisting in PLEG.`, buckets: DEF_BUCKETS, registers: r });
    this.plegLastSeen = new Gauge({ name: 'kubelet_pleg_last_seen_seconds', help: `${ALPHA}Timestamp in seconds when PLEG was last seen active.`, registers: r });
    this.eventedPlegConnErr = new Counter({
      name: 'kubelet_evented_pleg_connection_error_count',
      help: `${ALPHA}The number of errors encountered during the establishment of streaming connection with the CRI runtime.`,
      registers: r,
    });
    this.eventedPlegConn = new Counter({
      name: 'kubelet_evented_pleg_connection_success_count',
      help: `${ALPHA}The number of times a streaming client was obtained to receive CRI Events.`,
      registers: r,
    });
    this.eventedPlegConnLatency = new Histogram({
      name: 'kubelet_evented_pleg_connection_latency_seconds',
      help: `${ALPHA}The latency of streaming connection with the CRI runtime, measured in seconds.`,
      buckets: DEF_BUCKETS,
      registers: r,
    });
    this.runtimeOps = new Counter({ name: 'kubelet_runtime_operations_total', help: `${ALPHA}Cumulative number of runtime operations by operation type.`, labelNames: ['operation_type'], registers: r });
    this.runtimeOpsDuration = new Histogram({
      name: 'kubelet_runtime_operations_duration_seconds',
      help: `${ALPHA}Duration in seconds of runtime operations. Broken down by operation type.`,
      labelNames: ['operation_type'],
      buckets: RUNTIME_OP_BUCKETS,
      registers: r,
    });
    this.runtimeOpsErrors = new Counter({
      name: 'kubelet_runtime_operations_errors_total',
      help: `${ALPHA}Cumulative number of runtime operation errors by operation type.`,
      labelNames: ['operation_type'],
      registers: r,
    });
    this.runPodSandboxDuration = new Histogram({
      name: 'kubelet_run_podsandbox_duration_seconds',
      help: `${ALPHA}Duration in seconds of the run_podsandbox operations. Broken down by RuntimeClass.Handler.`,
      labelNames: ['runtime_handler'],
      buckets: DEF_BUCKETS,
      registers: r,
    });
    this.runPodSandboxErrors = new Counter({
      name: 'kubelet_run_podsandbox_errors_total',
      help: `${ALPHA}Cumulative number of the run_podsandbox operation errors by RuntimeClass.Handler.`,
      labelNames: ['runtime_handler'],
      registers: r,
    });
    this.imagePullDuration = new Histogram({
      name: 'kubelet_image_pull_duration_seconds',
      help: `${ALPHA}Duration in seconds to pull an image.`,
      labelNames: ['image_size_in_bytes'],
      buckets: IMAGE_PULL_BUCKETS,
      registers: r,
    });
    this.transitions = new Counter({
      name: 'statelet_transitions_total',
      help: 'State changes of pod, container and probe actors, by machine and state (dotted state values, bounded by the charts).',
      labelNames: ['machine', 'from', 'to'],
      registers: r,
    });
    this.actors = new Gauge({
      name: 'statelet_actors',
      help: 'Live pod, container and probe actors.',
      labelNames: ['machine'],
      registers: r,
      collect() {
        const counts: Record<string, number> = { pod: 0, container: 0, probe: 0 };
        const walk = (ref: AnyActorRef): void => {
          const snap = ref.getSnapshot() as { machine?: { id: string }; children?: Record<string, AnyActorRef>; status?: string };
          if (!snap?.machine) return;
          if (snap.status !== 'active') return;
          counts[snap.machine.id] = (counts[snap.machine.id] ?? 0) + 1;
          for (const child of Object.values(snap.children ?? {})) if (child) walk(child);
        };
        const m = self.manager;
        for (const pod of m?.listPods() ?? []) {
          const a = m!.getActor(pod.metadata.uid ?? '');
          if (a) walk(a);
        }
        for (const [machine, n] of Object.entries(counts)) this.set({ machine }, n);
      },
    });
    this.backoffLateness = new Histogram({
      name: 'statelet_backoff_restart_lateness_seconds',
      help: 'How late each back-off restart (CrashLoopBackOff, ImagePullBackOff) came against its deadline (kubernetes#123602).',
      buckets: LATENESS_BUCKETS,
      registers: r,
    });
    const p = [this.probeRegistry];
    const start = new Gauge({ name: 'process_start_time_seconds', help: `${ALPHA}Start time of the process since unix epoch in seconds.`, registers: p });
    start.set(Math.floor((Date.now() - performance.now()) / 1000));
    this.probeTotal = new Counter({
      name: 'prober_probe_total',
      help: `${BETA}Cumulative number of a liveness, readiness or startup probe for a container by result.`,
      labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace', 'pod_uid'],
      registers: p,
    });
    this.probeDuration = new Histogram({
      name: 'prober_probe_duration_seconds',
      help: `${ALPHA}Duration in seconds for a probe response.`,
      labelNames: ['probe_type', 'container', 'pod', 'namespace'],
      buckets: DEF_BUCKETS,
      registers: p,
    });
  }

  // ------------------------------------------------------------ CRI wrapper

  /**
   * The runtime client, instrumented (instrumented_services.go): every CRI call counts
   * in kubelet_runtime_operations_total/_duration_seconds/_errors_total. The object keeps
   * its type (a Proxy); the wrapped client's own internal calls are not counted twice.
   */
  instrumentRuntime<T extends object>(client: T): T {
    const cache = new Map<PropertyKey, unknown>();
    const metrics = this;
    return new Proxy(client, {
      get(target, prop, _receiver) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        const hit = cache.get(prop);
        if (hit) return hit;
        const fn = value as (...args: unknown[]) => unknown;
        let wrapped: unknown;
        const op = typeof prop === 'string' ? RUNTIME_OPERATIONS[prop] : undefined;
        if (op) {
          wrapped = (...args: unknown[]) => {
            const t0 = performance.now();
            const done = (err: unknown) => {
              const secs = (performance.now() - t0) / 1000;
              metrics.runtimeOps.inc({ operation_type: op });
              metrics.runtimeOpsDuration.observe({ operation_type: op }, secs);
              if (err) metrics.runtimeOpsErrors.inc({ operation_type: op });
              if (op === 'run_podsandbox') {
                const handler = String((args[0] as { runtimeHandler?: string } | undefined)?.runtimeHandler ?? '');
                metrics.runPodSandboxDuration.observe({ runtime_handler: handler }, secs);
                if (err) metrics.runPodSandboxErrors.inc({ runtime_handler: handler });
              }
            };
            let res: unknown;
            try {
              res = fn.apply(target, args);
            } catch (err) {
              done(err);
              throw err;
            }
            if (res && typeof (res as Promise<unknown>).then === 'function') {
              return (res as Promise<unknown>).then(
                (v) => (done(undefined), v),
                (err) => {
                  done(err ?? true);
                  throw err;
                },
              );
            }
            done(undefined);
            return res;
          };
        } else if (prop === 'getContainerEvents') {
          wrapped = (...args: unknown[]) => metrics.instrumentEvents(fn.apply(target, args) as Observable<{ createdAt?: string | number }>);
        } else {
          wrapped = fn.bind(target);
        }
        cache.set(prop, wrapped);
        return wrapped;
      },
    });
  }

  /**
   * The evented PLEG's stream (evented.go): a stream obtained counts a success, a stream
   * that fails an error, and each event the latency from its creation.
   */
  private instrumentEvents<E extends { createdAt?: string | number }>(source: Observable<E>): Observable<E> {
    return new Observable<E>((sub) => {
      const t0 = performance.now();
      this.eventedPlegConn.inc();
      const record = (err: unknown) => {
        this.runtimeOps.inc({ operation_type: 'get_container_events' });
        this.runtimeOpsDuration.observe({ operation_type: 'get_container_events' }, (performance.now() - t0) / 1000);
        if (err) this.runtimeOpsErrors.inc({ operation_type: 'get_container_events' });
      };
      const inner = source.subscribe({
        next: (ev) => {
          const created = Number(ev.createdAt ?? 0);
          if (created > 0) this.eventedPlegConnLatency.observe(Math.max(0, (this.now() * 1e6 - created) / 1e9));
          sub.next(ev);
        },
        error: (err) => {
          this.eventedPlegConnErr.inc();
          record(err);
          sub.error(err);
        },
        complete: () => {
          record(undefined);
          sub.complete();
        },
      });
      return () => inner.unsubscribe();
    });
  }

  // ------------------------------------------------------------ probes

  /**
   * One concluded probe attempt (worker.go doProbe): counted in prober_probe_total by result
   * (successful, failed, unknown for a warning); successful and unknown ones are timed in
   * prober_probe_duration_seconds. A probe error (retried within the tick) never gets here,
   * as the kubelet throws it away. Pass as createProbeActor's `onAttempt`.
   */
  readonly observeProbe = (input: RunProbeInput, out: RunProbeOutput, durationMs: number): void => {
    const base = {
      probe_type: PROBE_TYPE[input.type] ?? input.type,
      container: input.container.name,
      pod: input.pod.metadata.name,
      namespace: input.pod.metadata.namespace ?? 'default',
    };
    const result = PROBE_RESULT[out.result] ?? 'unknown';
    this.probeTotal.inc({ ...base, result, pod_uid: input.pod.metadata.uid ?? '' });
    if (result !== 'failed') this.probeDuration.observe(base, durationMs / 1000);
  };

  /**
   * Any runProbe logic, instrumented as observeProbe counts: it runs as a child of the
   * returned actor (createActor + toPromise), so the logic stays opaque. For the built-in
   * probe actor, `createProbeActor({ client, onAttempt: metrics.observeProbe })` is cheaper.
   */
  instrumentProbe(logic: PromiseActorLogic<RunProbeOutput, RunProbeInput>): PromiseActorLogic<RunProbeOutput, RunProbeInput> {
    return fromPromise<RunProbeOutput, RunProbeInput>(async ({ input, signal }) => {
      const t0 = performance.now();
      const out = await delegate(logic, input, signal);
      this.observeProbe(input, out, performance.now() - t0);
      return out;
    });
  }

  // ------------------------------------------------------------ the manager

  /** Follows a manager's pods, PLEG and events. Call once, before pods are added. */
  observe(manager: RuntimeManager, opts: ObserveOptions = {}): void {
    this.manager = manager;
    this.observeOpts = opts;
    this.subs.push(
      manager.status$.subscribe(({ pod, status }) => this.onStatus(pod, status.phase, status.containerStatuses ?? [])),
      manager.events$.subscribe((ev) => this.onEvent(ev)),
      manager.removed$.subscribe(({ pod }) => this.onRemoved(pod)),
    );
    const pleg = manager.pleg;
    if (pleg) {
      this.subs.push(
        pleg.relists$.subscribe((r) => {
          this.plegRelistDuration.observe(r.durationMs / 1000);
          if (!r.ok) return;
          if (this.lastRelistOkAt !== undefined) this.plegRelistInterval.observe(Math.max(0, (r.startedAt - this.lastRelistOkAt) / 1000));
          this.lastRelistOkAt = r.startedAt;
          // Healthy() sets it on every health check; statelet sets it at each relist.
          this.plegLastSeen.set(Math.floor(r.startedAt / 1000));
        }),
      );
    }
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    for (const t of this.pods.values()) {
      t.sub?.unsubscribe();
      for (const w of t.watched.values()) w.unsubscribe();
    }
    this.pods.clear();
  }

  private collecting?: Promise<void>;

  /** One runtime listing per scrape, shared by the two gauges it sets. */
  private collectRuntime(): Promise<void> {
    this.collecting ??= this.listRuntime().finally(() => setTimeout(() => (this.collecting = undefined), 50).unref());
    return this.collecting;
  }

  private async listRuntime(): Promise<void> {
    const rt = this.observeOpts.runtime;
    if (!rt) {
      // Without a runtime view: the manager's own statuses.
      let pods = 0;
      const states: Record<string, number> = { created: 0, running: 0, exited: 0, unknown: 0 };
      for (const pod of this.manager?.listPods() ?? []) {
        const st = this.manager!.getStatus(pod.metadata.uid ?? '');
        if (st?.conditions?.some((c) => c.type === 'PodReadyToStartContainers' && c.status === 'True')) pods++;
        for (const c of [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? []), ...(st?.ephemeralContainerStatuses ?? [])]) {
          if (c.state.running) states['running']!++;
          else if (c.state.terminated) states['exited']!++;
        }
      }
      this.runningPods.set(pods);
      for (const [k, v] of Object.entries(states)) this.runningContainers.set({ container_state: k }, v);
      return;
    }
    try {
      const sel = { [MANAGED_BY_LABEL]: 'true', ...this.observeOpts.sandboxSelector };
      const [{ items }, { containers }] = await Promise.all([
        rt.listPodSandbox({ filter: { labelSelector: sel } }),
        rt.listContainers({ filter: { labelSelector: { [MANAGED_BY_LABEL]: 'true' } } }),
      ]);
      const mine = new Set(items.map((s) => s.id));
      // updateRunningPodAndContainerMetrics: pods with a running sandbox, containers by state.
      const ready = new Set(items.filter((s) => s.state === 'SANDBOX_READY').map((s) => s.labels['io.kubernetes.pod.uid'] ?? s.metadata?.uid ?? s.id));
      this.runningPods.set(ready.size);
      const states: Record<string, number> = { created: 0, running: 0, exited: 0, unknown: 0 };
      for (const c of containers) {
        if (!mine.has(c.podSandboxId)) continue;
        const k = c.state === 'CONTAINER_CREATED' ? 'created' : c.state === 'CONTAINER_RUNNING' ? 'running' : c.state === 'CONTAINER_EXITED' ? 'exited' : 'unknown';
        states[k]!++;
      }
      for (const [k, v] of Object.entries(states)) this.runningContainers.set({ container_state: k }, v);
    } catch {
      /* the runtime is unreachable: the gauges keep their last values (as the kubelet's do between relists) */
    }
  }

  private track(pod: Pod): PodTrack | undefined {
    const uid = pod.metadata.uid ?? '';
    let t = this.pods.get(uid);
    if (t) return t;
    const actor = this.manager?.getActor(uid);
    if (!actor) return undefined;
    const snap = actor.getSnapshot();
    const top = stateString(snap.value).split('.')[0]!;
    const fresh = top === 'CreatingSandbox' && snap.status === 'active';
    t = { firstSeen: this.now(), fresh, createOpen: fresh, startObserved: !fresh, sliObserved: !fresh, watched: new Map() };
    this.pods.set(uid, t);
    if (this.removedUids.delete(uid)) this.restartedPods.inc({ static: String(isStaticPod(pod)) });
    if (fresh) this.startedPods.inc();
    const track = t;
    let last = stateString(snap.value);
    track.top = top;
    this.watchContainers(pod, track, snap.context.refs as Record<string, AnyActorRef>);
    track.sub = actor.subscribe({
      next: (s) => {
        const value = stateString(s.value);
        if (value !== last) {
          this.transitions.inc({ machine: 'pod', from: last, to: value });
          this.onPodState(pod, track, last.split('.')[0]!, value.split('.')[0]!);
          last = value;
        }
        this.watchContainers(pod, track, s.context.refs as Record<string, AnyActorRef>);
      },
      error: () => {},
    });
    return t;
  }

  /** Pod worker durations and sandbox starts, from the pod chart's top-level states. */
  private onPodState(pod: Pod, t: PodTrack, from: string, to: string): void {
    if (from === to) return;
    const now = this.now();
    if (to === 'CreatingSandbox') this.startedPods.inc();
    if (to === 'SandboxCreateFailed') this.startedPodsErrors.inc();
    // The first sync ("create") ends once the sandbox is up and the first containers started (or it failed).
    const firstSyncOver = ['Initializing', 'Running', 'Completing', 'Finished', 'SandboxCreateFailed', 'Terminating', 'Removing', 'Removed'];
    if (t.createOpen && firstSyncOver.includes(to) && !(to === 'Initializing' && !(pod.spec.initContainers ?? []).length)) {
      t.createOpen = false;
      this.podWorkerDuration.observe({ operation_type: 'create' }, (now - t.firstSeen) / 1000);
    }
    if (to === 'Terminating' && t.killStart === undefined) t.killStart = now;
    if (to === 'Removing') {
      if (t.killStart !== undefined) this.podWorkerDuration.observe({ operation_type: 'kill' }, (now - t.killStart) / 1000);
      t.killStart = undefined;
      t.removingStart = now;
    }
    if (to === 'Removed' && t.removingStart !== undefined) {
      this.podWorkerDuration.observe({ operation_type: 'terminated' }, (now - t.removingStart) / 1000);
      t.removingStart = undefined;
    }
  }

  /** Subscribes to container actors (and, through them, probe actors) not yet watched. */
  private watchContainers(pod: Pod, t: PodTrack, refs: Record<string, AnyActorRef>): void {
    for (const [name, ref] of Object.entries(refs)) {
      if (t.watched.has(name) || !ref) continue;
      const snap0 = ref.getSnapshot() as ContainerSnap;
      let last = stateString(snap0.value);
      let lastError = snap0.context.lastStartError;
      let backOffUntil = snap0.context.backOffUntil;
      const probes = new Map<string, Unsub>();
      const type = containerType(pod, name);
      // The pod chart starts a container in the same turn it spawns it: a new pod's container
      // first seen past Pending has begun (or made) its first start attempt.
      if (t.fresh && last !== 'Pending' && last !== 'Exited') {
        this.startedContainers.inc({ container_type: type });
        if (lastError && lastError.reason !== 'CrashLoopBackOff') this.startedContainersErrors.inc({ container_type: type, code: lastError.reason });
      }
      const onSnap = (s: ContainerSnap) => {
        const value = stateString(s.value);
        const cx = s.context;
        if (value !== last) {
          this.transitions.inc({ machine: 'container', from: last, to: value });
          const wasPulling = last.startsWith('Pulling');
          const waiting = last.startsWith('Waiting.CrashLoopBackOff') || last.startsWith('Waiting.ImagePullBackOff');
          // startContainer begins with EnsureImageExists: every attempt passes through Pulling.
          if (value.startsWith('Pulling') && !wasPulling) {
            this.startedContainers.inc({ container_type: type });
            if (waiting && backOffUntil !== undefined) {
              const late = (this.manager!.clock.now() - backOffUntil) / 1000;
              // A restart before the deadline was not the back-off's (a spec update): not counted.
              if (late > -0.05) this.backoffLateness.observe(Math.max(0, late));
            }
          }
          last = value;
        }
        // The reason cache gets a new entry at each failed start (CrashLoopBackOff is doBackOff's, before the start).
        if (cx.lastStartError && cx.lastStartError !== lastError && cx.lastStartError.reason !== 'CrashLoopBackOff') {
          this.startedContainersErrors.inc({ container_type: type, code: cx.lastStartError.reason });
        }
        lastError = cx.lastStartError;
        if (cx.backOffUntil !== undefined) backOffUntil = cx.backOffUntil;
        this.watchProbes(probes, s.children ?? {});
      };
      const sub = ref.subscribe({ next: (s) => onSnap(s as ContainerSnap), error: () => {} });
      this.watchProbes(probes, snap0.children ?? {});
      t.watched.set(name, {
        unsubscribe: () => {
          sub.unsubscribe();
          for (const p of probes.values()) p.unsubscribe();
        },
      });
    }
  }

  private watchProbes(probes: Map<string, Unsub>, children: Record<string, AnyActorRef | undefined>): void {
    for (const [id, child] of Object.entries(children)) {
      if (!child || !id.endsWith('Probe') || probes.has(id)) continue;
      const snap = child.getSnapshot() as { machine?: unknown; value?: unknown };
      if (!snap?.machine) continue;
      let last = stateString(snap.value);
      const sub = child.subscribe({
        next: (s: { value?: unknown }) => {
          const value = stateString(s.value);
          if (value === last) return;
          this.transitions.inc({ machine: 'probe', from: last, to: value });
          last = value;
        },
        error: () => {},
        complete: () => probes.delete(id),
      });
      probes.set(id, sub);
    }
    for (const [id, sub] of probes) {
      if (!children[id]) {
        sub.unsubscribe();
        probes.delete(id);
      }
    }
  }

  private onStatus(pod: Pod, phase: string | undefined, containers: { state: { running?: { startedAt?: string } } }[]): void {
    const t = this.track(pod);
    if (!t) return;
    const now = this.now();
    // SyncPod: Pending -> Running the first time, measured from when the kubelet first saw the pod.
    if (!t.startObserved && phase === 'Running') {
      t.startObserved = true;
      this.podStartDuration.observe((now - t.firstSeen) / 1000);
    }
    // pod_startup_latency_tracker: every container running once; the SLI leaves image pulls out.
    if (!t.sliObserved && containers.length > 0 && containers.every((c) => c.state.running?.startedAt)) {
      t.sliObserved = true;
      const total = (now - t.firstSeen) / 1000;
      const pulling = t.firstPull !== undefined && t.lastPull !== undefined ? Math.max(0, t.lastPull - t.firstPull) / 1000 : 0;
      this.podStartTotalDuration.observe(total);
      this.podStartSliDuration.observe(Math.max(0, total - pulling));
    }
  }

  private onEvent(ev: Event): void {
    const uid = ev.involvedObject.uid;
    const t = uid ? this.pods.get(uid) : undefined;
    if (ev.reason === 'Pulling') {
      if (t && t.firstPull === undefined) t.firstPull = this.now();
    } else if (ev.reason === 'Pulled' && ev.message.startsWith('Successfully pulled')) {
      if (t) t.lastPull = this.now();
      // `... in 1.2s (1.3s including waiting). Image size: N bytes.`: the kubelet observes the waiting-inclusive time.
      const m = /\((\S+) including waiting\)\. Image size: (\d+) bytes/.exec(ev.message) ?? /in (\S+)$/.exec(ev.message);
      if (m) {
        const secs = parseGoDuration(m[1]!);
        if (Number.isFinite(secs)) this.imagePullDuration.observe({ image_size_in_bytes: imageSizeBucket(Number(m[2] ?? 0)) }, secs);
      }
    }
  }

  private onRemoved(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const t = this.pods.get(uid);
    if (t) {
      t.sub?.unsubscribe();
      for (const w of t.watched.values()) w.unsubscribe();
      this.pods.delete(uid);
    }
    // A pod added again with this UID is a restarted pod.
    this.removedUids.add(uid);
    if (this.removedUids.size > 10_000) this.removedUids.delete(this.removedUids.values().next().value!);
  }

  /** /metrics text (Prometheus text format 0.0.4). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  probeMetrics(): Promise<string> {
    return this.probeRegistry.metrics();
  }
}

interface ContainerSnap {
  value: unknown;
  context: { lastStartError?: { reason: string }; backOffUntil?: number };
  children?: Record<string, AnyActorRef | undefined>;
}
