// The node agent (`statelet serve`): one RuntimeManager (one PLEG) for every pod of
// the node, fed by pod sources (the static-pod directory; later an API server),
// reporting to status/event sinks, and owning its state across its own failures:
//
// - admission: beyond maxPods a pod is rejected (OutOfpods, admission.ts);
// - every pod's actor snapshot is checkpointed under <root-dir>/checkpoints;
// - on start, each pod a source holds is adopted from the runtime (by its
//   io.kubernetes.* labels) and its checkpoint, reconciled (reconcile.ts), so a
//   restart after SIGKILL creates nothing twice and keeps restart counts, back-off
//   deadlines and finished hooks;
// - runtime pods of this node that no source holds are killed and removed (the
//   kubelet's orphan cleanup), never anything this node did not create;
// - stop() leaves the pods running (a kubelet restart); stop({ killPods }) deletes
//   them first.
import { mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { RuntimeManager, type RuntimeManagerOptions } from '../manager.js';
import { podReference } from '../k8s/events.js';
import { formatFieldError } from '../k8s/manifest.js';
import { isTerminalPhase } from '../../machines/phase.js';
import type { Pod, PodStatus } from '../k8s/types.js';
import { admitPodCount, DEFAULT_MAX_PODS, rejectedStatus } from './admission.js';
import { AdoptionRegistry, adoptionActors, type AdoptingCriClient } from './adoption.js';
import { CheckpointStore, CHECKPOINT_VERSION, type PodCheckpoint } from './checkpoint.js';
import { podFromRuntime } from './orphans.js';
import type { PodSource, SourcedPod, SourceProblem } from './pod-source.js';
import type { AdoptionPlan, Discard } from './reconcile.js';
import { addPlanned, discardRuntime, reconcileEnv, safePlan } from './adopt.js';
import { listRuntimePods, NODE_NAME_LABEL, type RuntimePod } from './runtime-view.js';
import type { NodeSink } from './sinks.js';

export interface NodeAgentOptions {
  nodeName: string;
  rootDir: string;
  client: AdoptingCriClient;
  sources: PodSource[];
  sink: NodeSink;
  maxPods?: number;
  /** Root of the pod log directories (default <rootDir>/pod-logs). */
  podLogsDir?: string;
  /** RuntimeManager options passed through (back-off, hook timeout, retry, log rotation, inspection). */
  manager?: Omit<RuntimeManagerOptions, 'client' | 'endpoint' | 'podLogsDir' | 'wrapActors' | 'log'>;
  /** The adoption registry the client records into (the same object). */
  registry?: AdoptionRegistry;
  log?: (msg: string) => void;
}

interface Held {
  pod: Pod;
  source: string;
  origin?: string;
  /** Deleted (its source dropped it, or orphan cleanup): not to be admitted again until removed. */
  deleting: boolean;
  orphan: boolean;
}

/** The pod a removed pod's removal makes room for, when its source wants it again (same UID). */
interface Pending {
  sp: SourcedPod;
  source: string;
}

export class NodeAgent {
  readonly manager: RuntimeManager;
  readonly registry: AdoptionRegistry;
  private readonly store: CheckpointStore;
  private readonly held = new Map<string, Held>();
  private readonly rejected = new Map<string, Pod>();
  private readonly desired = new Map<string, Map<string, SourcedPod>>();
  private readonly readd = new Map<string, Pending>();
  private readonly subs: Subscription[] = [];
  private readonly log: (m: string) => void;
  private readonly maxPods: number;
  private readonly podLogsDir: string;
  private started = false;
  private stopping = false;
  private syncing: Promise<void> = Promise.resolve();
  private lockFile: string;
  /** Last adoption summary (for tools and the bench). */
  adoption = { pods: 0, fromCheckpoint: 0, fromRuntime: 0, fresh: 0, orphans: 0, ms: 0 };

  constructor(private readonly opts: NodeAgentOptions) {
    this.log = opts.log ?? (() => {});
    this.maxPods = opts.maxPods ?? DEFAULT_MAX_PODS;
    this.podLogsDir = opts.podLogsDir ?? join(opts.rootDir, 'pod-logs');
    this.registry = opts.registry ?? new AdoptionRegistry();
    this.store = new CheckpointStore(opts.rootDir, this.log);
    this.lockFile = join(opts.rootDir, 'agent.pid');
    this.manager = new RuntimeManager({
      ...opts.manager,
      client: opts.client,
      podLogsDir: this.podLogsDir,
      wrapActors: adoptionActors(this.registry),
      log: this.log,
    });
  }

  /** Takes the root dir, adopts what the runtime runs, starts the sources and the PLEG. */
  async start(): Promise<void> {
    const t0 = Date.now();
    this.lock();
    await this.store.init();
    this.subscribe();
    const checkpoints = await this.store.loadAll();
    // The first complete set of every source (the kubelet waits for all sources before cleanup).
    await Promise.all(
      this.opts.sources.map((src) =>
        src.start({
          set: (pods) => this.onSourceSet(src.name, pods),
          problem: (p) => this.onProblem(p),
        }),
      ),
    );
    await this.manager.connect();
    const runtime = await listRuntimePods(this.opts.client, { [NODE_NAME_LABEL]: this.opts.nodeName });
    // Source updates that arrive meanwhile queue behind the adoption (a pod is added once).
    this.started = true;
    this.syncing = this.adoptAll(runtime, checkpoints);
    await this.syncing;
    // The PLEG starts after adoption, so its first relist reports whatever exited meanwhile.
    await this.manager.start();
    this.enqueueSync();
    this.adoption.ms = Date.now() - t0;
    this.log(
      `adopted ${this.adoption.pods} pod(s) in ${this.adoption.ms} ms (${this.adoption.fromCheckpoint} from checkpoints, ${this.adoption.fromRuntime} rebuilt from the runtime, ${this.adoption.fresh} new), ${this.adoption.orphans} orphan(s) to clean up`,
    );
  }

  /**
   * Stops the agent. Pods keep running (a kubelet restart) unless killPods: then every
   * pod is deleted gracefully first. `force` cuts a deletion in progress short.
   */
  async stop(opts: { killPods?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const s of this.opts.sources) s.stop();
    await this.syncing.catch(() => {});
    if (opts.killPods) {
      const uids = [...this.held.keys()];
      await Promise.all(uids.map((uid) => this.manager.deletePod(uid).catch(() => {})));
    }
    // The newest state of every pod still held, for the next agent.
    for (const uid of this.held.keys()) this.checkpoint(uid);
    await this.store.flush();
    for (const s of this.subs) s.unsubscribe();
    await this.manager.close();
    this.unlock();
  }

  /** Force deletion of every pod being deleted (a second signal during stop({ killPods })). */
  forceDeletions(): void {
    for (const uid of this.held.keys()) void this.manager.deletePod(uid, { force: true, gracePeriodSeconds: 0 }).catch(() => {});
  }

  /** Pods this agent runs, and those it rejected. */
  pods(): { running: Pod[]; rejected: Pod[] } {
    return { running: [...this.held.values()].map((h) => h.pod), rejected: [...this.rejected.values()] };
  }

  // ---------------------------------------------------------------- internals

  /** One agent per root dir: a second one would fight the first over every pod. */
  private lock(): void {
    mkdirSync(this.opts.rootDir, { recursive: true, mode: 0o700 });
    chmodSync(this.opts.rootDir, 0o700);
    let pid = 0;
    try {
      pid = Number(readFileSync(this.lockFile, 'utf8').trim()) || 0;
    } catch {
      /* no agent before this one */
    }
    if (pid && pid !== process.pid) {
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('statelet');
      } catch {
        /* gone: an agent that was killed */
      }
      if (alive) throw new Error(`another statelet agent (pid ${pid}) owns ${this.opts.rootDir}`);
    }
    writeFileSync(this.lockFile, `${process.pid}\n`, { mode: 0o600 });
  }

  private unlock(): void {
    try {
      if (Number(readFileSync(this.lockFile, 'utf8').trim()) === process.pid) rmSync(this.lockFile, { force: true });
    } catch {
      /* gone */
    }
  }

  private subscribe(): void {
    const { manager, opts } = this;
    this.subs.push(
      manager.status$.subscribe(({ pod, status }) => {
        this.statuses.set(pod.metadata.uid!, status);
        opts.sink.podStatus(pod, status);
      }),
      manager.events$.subscribe((ev) => opts.sink.event(ev)),
      manager.changes$.subscribe((uid) => this.checkpoint(uid)),
      manager.removed$.subscribe(({ pod, status }) => this.onRemoved(pod, status)),
    );
    if (opts.sink.transition) this.subs.push(manager.transitions$.subscribe((t) => opts.sink.transition!(t)));
  }

  private checkpoint(uid: string): void {
    const h = this.held.get(uid);
    if (!h || !this.manager.hasPod(uid)) return;
    this.store.put(uid, () => {
      const actor = this.manager.getActor(uid);
      if (!actor || !this.manager.hasPod(uid)) return null;
      const cp: PodCheckpoint = {
        version: CHECKPOINT_VERSION,
        uid,
        pod: h.pod,
        source: h.source,
        origin: h.origin,
        nodeName: this.opts.nodeName,
        snapshot: actor.getPersistedSnapshot(),
        startTime: this.startTimes.get(uid) ?? Date.now(),
        lastStatus: this.statuses.get(uid),
        savedAt: Date.now(),
      };
      return cp;
    });
  }

  private readonly startTimes = new Map<string, number>();
  /** The last status each pod published (admission counts from it; the checkpoint keeps it). */
  private readonly statuses = new Map<string, PodStatus>();

  private onRemoved(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata.uid!;
    this.held.delete(uid);
    this.startTimes.delete(uid);
    this.statuses.delete(uid);
    this.store.delete(uid);
    this.opts.sink.podRemoved?.(pod, status);
    const again = this.readd.get(uid);
    this.readd.delete(uid);
    if (again && !this.stopping) this.enqueueSync();
  }

  private onProblem(p: SourceProblem): void {
    const detail = p.errors.map(formatFieldError).join('; ');
    this.log(`${p.origin}: invalid manifest, ignored${p.lastGood ? ' (the pod it held keeps running)' : ''}: ${detail}`);
    const ref = p.lastGood
      ? podReference(p.lastGood)
      : { kind: 'Pod' as const, apiVersion: 'v1' as const, name: p.origin.split('/').pop() ?? p.origin, namespace: 'default', uid: '' };
    this.manager.events$.next(this.manager.recorder.recordRef(ref, 'Warning', 'InvalidManifest', `Ignoring invalid manifest ${p.origin}: ${detail}`));
  }

  private onSourceSet(source: string, pods: SourcedPod[]): void {
    this.desired.set(source, new Map(pods.map((sp) => [sp.pod.metadata.uid!, sp])));
    if (this.started) this.enqueueSync();
  }

  private enqueueSync(): void {
    this.syncing = this.syncing.then(() => this.sync()).catch((err) => this.log(`pod sync failed: ${(err as Error).stack ?? err}`));
  }

  private allDesired(): Map<string, { sp: SourcedPod; source: string }> {
    const out = new Map<string, { sp: SourcedPod; source: string }>();
    for (const [source, pods] of this.desired) for (const [uid, sp] of pods) if (!out.has(uid)) out.set(uid, { sp, source });
    return out;
  }

  /** Active pods for admission: held, not being deleted, not in a terminal phase. */
  private activeCount(): number {
    let n = 0;
    for (const [uid, h] of this.held) {
      if (h.deleting) continue;
      // From the published status: computing every pod's status per admission would be quadratic.
      const phase = this.statuses.get(uid)?.phase;
      if (phase && isTerminalPhase(phase)) continue;
      n++;
    }
    return n;
  }

  /** Applies the sources' current sets: new pods added (after admission), dropped ones deleted, changed ones updated. */
  private async sync(): Promise<void> {
    if (this.stopping) return;
    const want = this.allDesired();
    for (const [uid, h] of this.held) {
      if (h.orphan || h.deleting) continue;
      const d = want.get(uid);
      if (!d) {
        h.deleting = true;
        this.log(`pod ${h.pod.metadata.namespace}/${h.pod.metadata.name} is gone from ${h.origin ?? h.source}: deleting it`);
        void this.manager.deletePod(uid).catch(() => {});
      } else if (JSON.stringify(d.sp.pod.spec) !== JSON.stringify(h.pod.spec)) {
        // Only a manifest with its own metadata.uid keeps its UID across an edit: an update.
        h.pod = d.sp.pod;
        h.origin = d.sp.origin;
        this.manager.updatePod(d.sp.pod);
      }
    }
    for (const uid of [...this.rejected.keys()]) {
      if (!want.has(uid)) {
        const pod = this.rejected.get(uid)!;
        this.rejected.delete(uid);
        this.opts.sink.podRemoved?.(pod, rejectedStatus(pod, '', ''));
      }
    }
    for (const [uid, d] of want) {
      if (this.rejected.has(uid)) continue;
      const h = this.held.get(uid);
      if (h) {
        // Deleted but wanted again (the same file back): started again once the removal completes.
        if (h.deleting) this.readd.set(uid, d);
        continue;
      }
      this.admitAndAdd(d.sp, d.source, undefined);
    }
  }

  private admitAndAdd(sp: SourcedPod, source: string, plan: AdoptionPlan | undefined): boolean {
    const pod = sp.pod;
    const uid = pod.metadata.uid!;
    // Pods adopted from the runtime were admitted before the restart.
    if (!plan || plan.kind === 'fresh') {
      const verdict = admitPodCount(this.activeCount(), this.maxPods);
      if (!verdict.admit) {
        this.rejected.set(uid, pod);
        this.log(`pod ${pod.metadata.namespace}/${pod.metadata.name} rejected: ${verdict.reason}: ${verdict.message}`);
        this.manager.events$.next(this.manager.recorder.record(pod, 'Warning', verdict.reason!, verdict.message!));
        this.opts.sink.podStatus(pod, rejectedStatus(pod, verdict.reason!, verdict.message!));
        return false;
      }
    }
    this.held.set(uid, { pod, source, origin: sp.origin, deleting: false, orphan: false });
    this.add(pod, plan, false);
    return true;
  }

  /** Adds a pod to the manager: fresh, or restored as the plan says. */
  private add(pod: Pod, plan: AdoptionPlan | undefined, orphan: boolean): void {
    this.startTimes.set(pod.metadata.uid!, plan?.startTime ?? Date.now());
    addPlanned(this.manager, this.registry, pod, plan, orphan);
  }

  /** Start-up: adopt the sources' pods, clean up orphans. */
  private async adoptAll(runtime: Map<string, RuntimePod>, checkpoints: Map<string, PodCheckpoint>): Promise<void> {
    const want = this.allDesired();
    const env = reconcileEnv(this.manager, this.podLogsDir, { [NODE_NAME_LABEL]: this.opts.nodeName });
    const plans = new Map<string, AdoptionPlan>();
    const planFor = (pod: Pod, uid: string) => safePlan(pod, runtime.get(uid), checkpoints.get(uid), env, this.log);
    for (const [uid, d] of want) plans.set(uid, await planFor(d.sp.pod, uid));
    // Adopted pods first: they were admitted before the restart.
    const order = [...want].sort(([a], [b]) => Number(plans.get(b)!.kind === 'restore') - Number(plans.get(a)!.kind === 'restore'));
    for (const [uid, d] of order) {
      const plan = plans.get(uid)!;
      await this.discard(d.sp.pod, plan.discard);
      for (const n of plan.notes) this.log(`pod ${d.sp.pod.metadata.namespace}/${d.sp.pod.metadata.name}: ${n}`);
      this.adoption.pods++;
      if (plan.kind === 'restore') this.adoption[plan.from === 'checkpoint' ? 'fromCheckpoint' : 'fromRuntime']++;
      else this.adoption.fresh++;
      const cp = checkpoints.get(uid);
      const added = this.admitAndAdd(d.sp, d.source, plan);
      // A manifest with a fixed UID edited while the agent was down: the edit applies now.
      if (added && plan.kind === 'restore' && cp && JSON.stringify(cp.pod.spec) !== JSON.stringify(d.sp.pod.spec)) this.manager.updatePod(d.sp.pod);
    }
    // Orphans: this node's runtime pods, and checkpoints, that no source holds.
    const orphanUids = new Set([...runtime.keys(), ...checkpoints.keys()].filter((uid) => !want.has(uid)));
    for (const uid of orphanUids) {
      const rp = runtime.get(uid);
      const cp = checkpoints.get(uid);
      if (!rp || rp.sandboxes.length === 0) {
        this.store.delete(uid);
        continue;
      }
      const pod = cp?.pod ?? podFromRuntime(rp);
      const plan = await planFor(pod, uid);
      await this.discard(pod, plan.discard);
      this.adoption.orphans++;
      this.log(`pod ${pod.metadata.namespace}/${pod.metadata.name} (${uid}) is in the runtime but no source holds it: killing and removing it`);
      this.held.set(uid, { pod, source: cp?.source ?? 'runtime', origin: cp?.origin, deleting: true, orphan: true });
      if (plan.kind === 'restore') this.add(pod, plan, true);
      else {
        // Nothing worth adopting was left (the plan discarded it): done.
        this.held.delete(uid);
        this.store.delete(uid);
      }
    }
  }

  private discard(pod: Pod, items: Discard[]): Promise<void> {
    return discardRuntime(this.opts.client, this.manager, pod, items, this.log);
  }
}
