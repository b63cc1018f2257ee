// The pod lifecycle event generator. Like the kubelet's generic PLEG it relists
// sandboxes and containers every second (some changes, such as a container
// going UNKNOWN, produce no runtime event), and like the evented PLEG it also
// follows GetContainerEvents when the runtime has it, relisting at once on
// each event. containerd 1.6 answers UNIMPLEMENTED: then only the relist runs.
import { Subject, type Subscription } from './rx.js';
import type { RuntimeService } from './cri/services.js';
import type { ContainerEventResponse } from './cri/types.js';
import { CriUnimplementedError } from './cri/errors.js';
import type { Clock } from './clock.js';
import { toInstanceStatus } from './actors/index.js';
import type { InstanceStatus } from '../machines/types.js';
import { CONTAINER_NAME_LABEL, MANAGED_BY_LABEL, POD_UID_LABEL } from './kuberuntime/labels.js';

export type PlegEvent =
  | { kind: 'container'; podUid: string; containerName: string; status: InstanceStatus; at: number }
  | { kind: 'sandbox'; podUid: string; sandboxId: string; ready: boolean; at: number }
  /** Another change (a container created or started): the kubelet's pod worker syncs the pod on it. */
  | { kind: 'sync'; podUid: string; at: number };

/** One relist, for metrics and the health check (kubelet_pleg_relist_duration_seconds, Healthy()). */
export interface PlegRelist {
  /** When it started (clock ms). */
  startedAt: number;
  /** Wall time it took (ms). */
  durationMs: number;
  /** Whether the runtime answered the lists (the kubelet updates its relist time only then). */
  ok: boolean;
}

export interface PlegOptions {
  client: RuntimeService;
  clock: Clock;
  /** Relist period; the kubelet's generic PLEG uses 1 s. */
  periodMs?: number;
  log?: (msg: string) => void;
}

export class Pleg {
  readonly events$ = new Subject<PlegEvent>();
  /** Every relist as it ends (observers: metrics, /healthz). */
  readonly relists$ = new Subject<PlegRelist>();
  /** Start of the last relist that listed the runtime (the kubelet's relistTime); undefined before the first. */
  lastRelistAt: number | undefined;
  private readonly containerStates = new Map<string, string>();
  private readonly sandboxStates = new Map<string, { uid: string; state: string }>();
  private timer: unknown;
  private running = false;
  private relisting: Promise<void> | undefined;
  private again = false;
  private eventsSub?: Subscription;
  /** 'unknown' until the first GetContainerEvents answer. */
  eventedMode: 'unknown' | 'on' | 'unsupported' = 'unknown';

  constructor(private readonly opts: PlegOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
    this.subscribeEvents();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.eventsSub?.unsubscribe();
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.opts.clock.setTimeout(() => {
      void this.relist().finally(() => this.schedule());
    }, this.opts.periodMs ?? 1000);
  }

  private subscribeEvents(): void {
    this.eventsSub = this.opts.client.getContainerEvents().subscribe({
      next: (ev) => {
        this.eventedMode = 'on';
        void this.onRuntimeEvent(ev);
      },
      error: (err) => {
        if (err instanceof CriUnimplementedError) {
          this.eventedMode = 'unsupported';
          this.opts.log?.(`pleg: runtime has no GetContainerEvents (${err.details}); relisting every ${this.opts.periodMs ?? 1000} ms`);
          return;
        }
        if (!this.running) return;
        this.opts.log?.(`pleg: container event stream failed: ${(err as Error).message}; retrying in 5 s`);
        this.opts.clock.setTimeout(() => this.running && this.subscribeEvents(), 5000);
      },
    });
  }

  /**
   * Evented PLEG: an event is applied on its own, from the statuses it carries (or one
   * ContainerStatus call), instead of a full relist per event, which under a burst of
   * starts would relist back to back. The 1 s relist still catches what has no event.
   */
  private async onRuntimeEvent(ev: ContainerEventResponse): Promise<void> {
    const { client, clock } = this.opts;
    const sandbox = ev.podSandboxStatus;
    // Sandbox events (containerd 1.7+, the embedded runtime) name the sandbox as the container.
    if (sandbox && sandbox.id === ev.containerId) {
      const uid = sandbox.labels[POD_UID_LABEL] ?? sandbox.metadata?.uid ?? '';
      const prev = this.sandboxStates.get(sandbox.id);
      this.sandboxStates.set(sandbox.id, { uid, state: sandbox.state });
      if (prev && prev.state !== sandbox.state) {
        this.events$.next({ kind: 'sandbox', podUid: uid, sandboxId: sandbox.id, ready: sandbox.state === 'SANDBOX_READY', at: clock.now() });
      }
      return;
    }
    if (ev.containerEventType === 'CONTAINER_STARTED_EVENT') {
      // The charts know their own starts; the pod is still synced on it (its other containers retry).
      const uid = sandbox?.labels[POD_UID_LABEL] ?? sandbox?.metadata?.uid ?? '';
      if (uid) this.events$.next({ kind: 'sync', podUid: uid, at: clock.now() });
      return;
    }
    if (ev.containerEventType !== 'CONTAINER_STOPPED_EVENT') return; // created/deleted: the charts know
    let status = ev.containersStatuses.find((c) => c.id === ev.containerId);
    if (!status) {
      try {
        status = (await client.containerStatus({ containerId: ev.containerId })).status ?? undefined;
      } catch (err) {
        this.opts.log?.(`pleg: ContainerStatus ${ev.containerId}: ${(err as Error).message}`);
        return;
      }
    }
    if (!status || status.labels[MANAGED_BY_LABEL] !== 'true') return;
    if (this.containerStates.get(status.id) === status.state) return;
    this.containerStates.set(status.id, status.state);
    this.events$.next({
      kind: 'container',
      podUid: status.labels[POD_UID_LABEL] ?? '',
      containerName: status.labels[CONTAINER_NAME_LABEL] ?? status.metadata?.name ?? '',
      status: toInstanceStatus(status),
      at: clock.now(),
    });
  }

  /** One relist; concurrent callers share it, and a call during a relist queues one more. */
  relist(): Promise<void> {
    if (this.relisting) {
      this.again = true;
      return this.relisting;
    }
    const startedAt = this.opts.clock.now();
    const t0 = performance.now();
    let ok = false;
    this.relisting = this.doRelist()
      .then(() => {
        ok = true;
        this.lastRelistAt = startedAt;
      })
      .catch((err) => {
        if (this.running) this.opts.log?.(`pleg: relist failed: ${(err as Error).message}`);
      })
      .finally(() => {
        this.relisting = undefined;
        this.relists$.next({ startedAt, durationMs: performance.now() - t0, ok });
        if (this.again && this.running) {
          this.again = false;
          void this.relist();
        }
      });
    return this.relisting;
  }

  private async doRelist(): Promise<void> {
    const { client, clock } = this.opts;
    const selector = { [MANAGED_BY_LABEL]: 'true' };
    const [sandboxes, containers] = await Promise.all([
      client.listPodSandbox({ filter: { labelSelector: selector } }),
      client.listContainers({ filter: { labelSelector: selector } }),
    ]);
    const at = clock.now();
    const seenSandboxes = new Set<string>();
    for (const s of sandboxes.items) {
      seenSandboxes.add(s.id);
      const uid = s.labels[POD_UID_LABEL] ?? s.metadata?.uid ?? '';
      const prev = this.sandboxStates.get(s.id);
      this.sandboxStates.set(s.id, { uid, state: s.state });
      if (prev && prev.state !== s.state) {
        this.events$.next({ kind: 'sandbox', podUid: uid, sandboxId: s.id, ready: s.state === 'SANDBOX_READY', at });
      }
    }
    for (const [id, prev] of this.sandboxStates) {
      if (seenSandboxes.has(id)) continue;
      this.sandboxStates.delete(id);
      if (prev.state === 'SANDBOX_READY') this.events$.next({ kind: 'sandbox', podUid: prev.uid, sandboxId: id, ready: false, at });
    }
    const seen = new Set<string>();
    const changed: { id: string; uid: string; name: string }[] = [];
    const syncs = new Set<string>();
    for (const c of containers.containers) {
      seen.add(c.id);
      const prev = this.containerStates.get(c.id);
      if (prev === c.state) continue;
      this.containerStates.set(c.id, c.state);
      // The charts learn of CREATED and RUNNING from their own CRI calls; only an exit or
      // an UNKNOWN state is news, and only ContainerStatus carries the exit code and times.
      if (c.state !== 'CONTAINER_EXITED' && c.state !== 'CONTAINER_UNKNOWN') {
        if (prev !== undefined || c.state === 'CONTAINER_RUNNING') syncs.add(c.labels[POD_UID_LABEL] ?? '');
        continue;
      }
      changed.push({ id: c.id, uid: c.labels[POD_UID_LABEL] ?? '', name: c.labels[CONTAINER_NAME_LABEL] ?? c.metadata?.name ?? '' });
    }
    for (const id of this.containerStates.keys()) if (!seen.has(id)) this.containerStates.delete(id);
    for (const podUid of syncs) if (podUid) this.events$.next({ kind: 'sync', podUid, at });
    // Exit codes and times are only in ContainerStatus.
    await Promise.all(
      changed.map(async ({ id, uid, name }) => {
        try {
          const st = await client.containerStatus({ containerId: id });
          if (st.status) this.events$.next({ kind: 'container', podUid: uid, containerName: name, status: toInstanceStatus(st.status), at: clock.now() });
        } catch (err) {
          this.containerStates.delete(id);
          this.opts.log?.(`pleg: ContainerStatus ${id}: ${(err as Error).message}`);
        }
      }),
    );
  }
}
