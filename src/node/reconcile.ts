// Reconciliation: a restarted agent's pod actors, rebuilt from what it persisted and
// from what the runtime says, the runtime winning where they disagree.
//
// ========================================================================== NOTE
// EVERY piece of knowledge about the charts' state names and context fields that
// adoption needs lives in this file, so that a chart change means updating it here
// (test/node/reconcile.test.ts drives the result through the real charts and fails
// when it stops fitting). What is read or written:
//
//   pod chart    states   CreatingSandbox, Initializing, StartingContainers, Running
//                         (top-level value only; any other value is left as persisted)
//                context  sandbox, sandboxAttempt, oldSandboxIds, initIndex, appIndex,
//                         startedOnce, instanceIds, containers (ContainerFacts by name),
//                         deletion, refs (serialized), now
//                events   RUNTIME.SANDBOX, RUNTIME.CONTAINER, CONTAINER.FACTS, DELETE
//   container    states   Pending, Created (and its invoke `startContainer`, input
//                         { containerId }), Running; a value naming PreStop or
//                         AwaitingTurn (read only)
//                context  container.name, instance, lastTermination,
//                         previousTermination, restartCount, lastAttempt, imageRef,
//                         hash, sandbox, started, ready, backOff, imageBackOff, kill
//   children     a container actor is the pod's child whose context has `container`
//
// How it uses them:
//   - A checkpoint that knows the runtime's current sandbox is restored as persisted
//     (the charts made it, so it fits them); invoked actors restart on restore and the
//     adoption layer (adoption.ts) makes those calls idempotent. Afterwards the charts
//     are told what changed while nobody watched: a sandbox that is no longer ready, an
//     instance that exited or vanished.
//   - Otherwise (no checkpoint: `statelet run`, a lost root dir; or one the runtime
//     contradicts) the state is rebuilt from the runtime with machine.resolveState:
//     a dry run of the pod chart gives contexts exactly as the chart makes them, and
//     each container is placed where its newest instance says:
//       running   -> Created, with that instance; StartContainer answers at once with
//                    its real start time and postStart is not run again (adoption.ts),
//                    so the chart passes Started -> Running with its own entry actions
//                    (probes, notifications);
//       created   -> Created (it is started for real);
//       exited    -> Running with that instance, then RUNTIME.CONTAINER with its exit,
//                    so the chart itself decides (restart now, back off, stay exited);
//       none      -> Pending.
//     The pod is placed just behind the first container that never ran, so that the
//     container before it, replaying, moves the pod on (CONTAINER.STARTED/EXITED).
//   Chart support that would remove the surgery: see the report of issue 11 (an
//   ADOPT event or a `restore` input on the container chart).
// ==============================================================================
import { createActor, fromPromise } from 'xstate';
import { podMachine } from '../../machines/pod/index.js';
import { containerMachine } from '../../machines/container/index.js';
import type { InstanceStatus, SandboxInfo } from '../../machines/types.js';
import type { PodSandboxConfig } from '../cri/types.js';
import type { Container, Pod, PodStatus } from '../k8s/types.js';
import type { PodCheckpoint } from './checkpoint.js';
import { instancesOf, type RuntimeInstance, type RuntimePod, type RuntimeSandbox } from './runtime-view.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export interface ReconcileEnv {
  /** The input a fresh pod actor would get (RuntimeManager.podInput). */
  podInput(pod: Pod): { pod: Pod; now: number; config: unknown };
  /** The sandbox config the pod's RunPodSandbox sent (for CreateContainer's sandbox_config). */
  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig;
  now: number;
}

/** Runtime objects of the pod that cannot be adopted: to be stopped and removed. */
export interface Discard {
  sandboxes: RuntimeSandbox[];
  instances: RuntimeInstance[];
  why: string;
}

export interface AdoptionPlan {
  /** fresh: start from the spec; restore: from `snapshot`. */
  kind: 'fresh' | 'restore';
  snapshot?: unknown;
  startTime?: number;
  previousStatus?: PodStatus;
  /** Sent to the pod actor once restored (before RESUME). */
  facts: Json[];
  /** Instances found running: container id -> start time (no second start, no second postStart). */
  running: Map<string, number>;
  /** Instances whose preStop the restart interrupted: not run again. */
  skipPreStop: Set<string>;
  /** Containers whose replayed start must not repeat its Started event. */
  suppressStarted: Set<string>;
  discard: Discard[];
  /** The persisted pod was being deleted: its deletion goes on (grace override, force). */
  deletion?: { gracePeriodOverride?: number; force: boolean };
  /** What was done, for the agent's log. */
  notes: string[];
  /** Where the state came from. */
  from: 'none' | 'checkpoint' | 'runtime';
}

const emptyPlan = (): AdoptionPlan => ({ kind: 'fresh', facts: [], running: new Map(), skipPreStop: new Set(), suppressStarted: new Set(), discard: [], notes: [], from: 'none' });

const topOf = (value: unknown): string => (typeof value === 'string' ? value : value && typeof value === 'object' ? Object.keys(value)[0] ?? '' : '');
const valueNames = (value: unknown): string => JSON.stringify(value ?? '');

/** The container children of a persisted pod snapshot, by container name. */
function containerChildren(snap: Json): Map<string, { id: string; entry: Json }> {
  const out = new Map<string, { id: string; entry: Json }>();
  for (const [id, entry] of Object.entries((snap.children ?? {}) as Json)) {
    const name = (entry as Json)?.snapshot?.context?.container?.name;
    if (typeof name === 'string') out.set(name, { id, entry: entry as Json });
  }
  return out;
}

function specContainers(pod: Pod): { c: Container; kind: 'init' | 'regular' | 'ephemeral' }[] {
  return [
    ...(pod.spec.initContainers ?? []).map((c) => ({ c, kind: 'init' as const })),
    ...pod.spec.containers.map((c) => ({ c, kind: 'regular' as const })),
    ...(pod.spec.ephemeralContainers ?? []).map((c) => ({ c: c as Container, kind: 'ephemeral' as const })),
  ];
}

/**
 * The sandbox the pod runs in: the checkpoint's if the runtime still has it ready; else
 * the ready one its containers run in (a stray duplicate is usually empty), the newest
 * on a tie; else the newest.
 */
function currentSandbox(rp: RuntimePod, preferred?: string): RuntimeSandbox | undefined {
  const ready = rp.sandboxes.filter((s) => s.ready);
  const weight = (s: RuntimeSandbox) => {
    const mine = rp.instances.filter((i) => i.sandboxId === s.id);
    return mine.filter((i) => i.status.state === 'running').length * 1000 + mine.length;
  };
  const ranked = [...ready].sort((a, b) => weight(b) - weight(a) || b.attempt - a.attempt || b.createdAt - a.createdAt);
  return ready.find((s) => s.id === preferred) ?? ranked[0] ?? rp.sandboxes.find((s) => s.id === preferred) ?? rp.sandboxes[0];
}

/**
 * Decides how a pod held by a source (or an orphan being cleaned up) comes back:
 * fresh, restored from its checkpoint, or rebuilt from the runtime.
 */
export async function planAdoption(pod: Pod, rp: RuntimePod | undefined, checkpoint: PodCheckpoint | undefined, env: ReconcileEnv): Promise<AdoptionPlan> {
  const plan = emptyPlan();
  const cpSnap = checkpoint?.snapshot as Json | undefined;
  const cpCx = cpSnap?.context as Json | undefined;
  if (cpSnap && cpCx?.deletion) plan.deletion = { ...cpCx.deletion };
  if (!rp || rp.sandboxes.length === 0) {
    if (checkpoint) plan.notes.push('the runtime holds nothing of this pod any more: starting afresh');
    return plan;
  }
  const current = currentSandbox(rp, cpCx?.sandbox?.id)!;
  const names = new Set(specContainers(pod).map((s) => s.c.name));
  // More than one ready sandbox for one pod (a crash mid-creation, or the duplicate a
  // killed `statelet run` used to leave): only one is this pod's.
  const extra = rp.sandboxes.filter((s) => s.ready && s.id !== current.id);
  if (extra.length) {
    plan.discard.push({ sandboxes: extra, instances: rp.instances.filter((i) => extra.some((s) => s.id === i.sandboxId)), why: `pod already runs in sandbox ${current.id}` });
  }
  const unknown = rp.instances.filter((i) => !names.has(i.name) && !extra.some((s) => s.id === i.sandboxId));
  if (unknown.length) plan.discard.push({ sandboxes: [], instances: unknown, why: 'not in the pod spec' });
  const live = (i: RuntimeInstance) => !extra.some((s) => s.id === i.sandboxId) && names.has(i.name);
  const view: RuntimePod = { ...rp, sandboxes: rp.sandboxes.filter((s) => !extra.includes(s)), instances: rp.instances.filter(live) };
  for (const i of view.instances) if (i.status.state === 'running') plan.running.set(i.id, i.status.startedAt ?? env.now);

  if (cpSnap && cpCx && checkpointFits(cpSnap, current, view)) {
    restoreCheckpoint(plan, checkpoint!, view, current);
    return plan;
  }
  if (checkpoint) plan.notes.push('the checkpoint does not match the runtime (the runtime wins): rebuilt from the runtime');
  await rebuildFromRuntime(plan, pod, view, current, env, cpSnap);
  if (checkpoint) {
    plan.startTime = checkpoint.startTime;
    plan.previousStatus = checkpoint.lastStatus;
  }
  return plan;
}

/**
 * The checkpoint knows the sandbox the runtime runs the pod in (or was creating it), and
 * every container instance the runtime has: a checkpoint written before an instance was
 * created or started (it lags by a batch) is contradicted by the runtime, which wins.
 */
function checkpointFits(snap: Json, current: RuntimeSandbox, rp: RuntimePod): boolean {
  const cx = snap.context as Json;
  if (snap.status !== 'active') return false;
  const known: string[] = [cx.sandbox?.id, ...((cx.oldSandboxIds as string[] | undefined) ?? [])].filter(Boolean);
  const sandboxKnown = known.includes(current.id);
  // Killed inside RunPodSandbox: the runtime made the sandbox; re-invoked, it is adopted ("reserved for").
  const sandboxBeingMade = !cx.sandbox && topOf(snap.value) === 'CreatingSandbox' && cx.sandboxAttempt === current.attempt;
  if (!sandboxKnown && !sandboxBeingMade) return false;
  const instances = new Set<string>(Object.values((cx.instanceIds ?? {}) as Record<string, string[]>).flat());
  for (const { entry } of containerChildren(snap).values()) {
    const ccx = entry.snapshot?.context as Json | undefined;
    for (const k of ['instance', 'lastTermination', 'previousTermination']) if (ccx?.[k]?.id) instances.add(ccx[k].id);
  }
  return rp.instances.every((i) => instances.has(i.id));
}

function restoreCheckpoint(plan: AdoptionPlan, cp: PodCheckpoint, rp: RuntimePod, current: RuntimeSandbox): void {
  const snap = structuredClone(cp.snapshot) as Json;
  const cx = snap.context as Json;
  plan.kind = 'restore';
  plan.from = 'checkpoint';
  plan.snapshot = snap;
  plan.startTime = cp.startTime;
  plan.previousStatus = cp.lastStatus;
  const at = Date.now();
  const byId = new Map(rp.instances.map((i) => [i.id, i]));
  for (const [name, { entry }] of containerChildren(snap)) {
    const ccx = entry.snapshot?.context as Json;
    const value = valueNames(entry.snapshot?.value);
    const inst = ccx?.instance as InstanceStatus | undefined;
    // A preStop the restart cut short is not run again: the kill goes on with the grace left.
    if (inst?.id && value.includes('PreStop')) plan.skipPreStop.add(inst.id);
    if (!inst?.id || inst.state === 'exited') continue;
    const truth = byId.get(inst.id);
    if (!truth) {
      // The instance is gone: the kubelet treats a container it cannot find as unknown.
      plan.facts.push({ type: 'RUNTIME.CONTAINER', name, status: { id: inst.id, state: 'unknown' }, at });
      plan.notes.push(`container ${name}: instance ${inst.id.slice(0, 12)} is gone from the runtime`);
    } else if (truth.status.state === 'exited' || truth.status.state === 'unknown') {
      plan.facts.push({ type: 'RUNTIME.CONTAINER', name, status: truth.status, at });
    }
  }
  const sb = cx.sandbox as SandboxInfo | undefined;
  if (sb) {
    const truth = rp.sandboxes.find((s) => s.id === sb.id);
    if (!truth?.ready) plan.facts.push({ type: 'RUNTIME.SANDBOX', sandboxId: sb.id, ready: false, at });
  } else if (current.ready) {
    plan.notes.push(`sandbox ${current.id.slice(0, 12)} was being created: adopted when RunPodSandbox is asked again`);
  }
  // A sidecar waiting for its turn to stop, whose turn came while nobody listened.
  if ([...containerChildren(snap).values()].some(({ entry }) => valueNames(entry.snapshot?.value).includes('AwaitingTurn'))) {
    for (const [name, facts] of Object.entries((cx.containers ?? {}) as Json)) plan.facts.push({ type: 'CONTAINER.FACTS', name, facts });
  }
}

/** A fromPromise actor that never settles: the dry run stops where a CRI call would start. */
const never = fromPromise<never>(() => new Promise<never>(() => {}));

/** The pod chart's own contexts for this pod, with its sandbox made and its containers spawned. */
async function dryRun(pod: Pod, sandbox: SandboxInfo, env: ReconcileEnv): Promise<Json> {
  const container = containerMachine.provide({
    actors: { inspectImage: never, pullImage: never, createContainer: never, startContainer: never, runHandler: never, stopContainer: never, removeContainer: never } as never,
  });
  const machine = podMachine.provide({
    actors: { container, runPodSandbox: fromPromise(async () => sandbox), stopPodSandbox: never, removePodSandbox: never, removeContainers: never } as never,
  });
  const actor = createActor(machine, { input: env.podInput(pod) as never });
  actor.start();
  for (let i = 0; i < 20 && topOf(actor.getSnapshot().value) === 'CreatingSandbox'; i++) await new Promise((r) => setImmediate(r));
  const persisted = actor.getPersistedSnapshot() as Json;
  actor.stop();
  if (topOf(persisted.value) === 'CreatingSandbox') throw new Error('adoption: the pod chart did not leave CreatingSandbox in its dry run');
  return persisted;
}

function facts(down: boolean, exited: boolean, started: boolean, ranBefore: boolean, last?: InstanceStatus): Json {
  return { down, exited, started, ranBefore, ...(last ? { lastExit: { exitCode: last.exitCode ?? 0, reason: last.reason } } : {}) };
}

async function rebuildFromRuntime(plan: AdoptionPlan, pod: Pod, rp: RuntimePod, current: RuntimeSandbox, env: ReconcileEnv, cpSnap: Json | undefined): Promise<void> {
  const all = specContainers(pod);
  const init = pod.spec.initContainers ?? [];
  const regular = pod.spec.containers;
  const has = (name: string) => instancesOf(rp, name).length > 0;
  if (!all.some(({ c }) => has(c.name))) {
    // A sandbox with nothing started in it: nothing to adopt. It goes, and the pod starts afresh.
    plan.discard.push({ sandboxes: rp.sandboxes, instances: rp.instances, why: 'no container was started in it' });
    plan.notes.push('the runtime holds an empty sandbox for this pod: removed, starting afresh');
    return;
  }
  const sandbox: SandboxInfo = { id: current.id, ip: current.ip, attempt: current.attempt, config: env.sandboxConfig(pod, current.attempt) } as SandboxInfo;
  const dry = await dryRun(pod, sandbox, env);
  const dryChildren = containerChildren(dry);
  const cpChildren = cpSnap ? containerChildren(cpSnap) : new Map<string, { id: string; entry: Json }>();
  const at = Date.now();
  const podFacts: Json = { ...((dry.context as Json).containers ?? {}) };
  const exitFacts: Json[] = [];
  const children: Json = {};
  const startedOnce: string[] = [];
  const instanceIds: Record<string, string[]> = {};

  for (const { c, kind } of all) {
    const dc = dryChildren.get(c.name);
    if (!dc) throw new Error(`adoption: the pod chart's dry run has no actor for container ${c.name}`);
    const base = { ...(dc.entry.snapshot.context as Json) };
    const insts = instancesOf(rp, c.name);
    instanceIds[c.name] = insts.map((i) => i.id).reverse();
    // What the runtime cannot tell: the back-off entries, kept when the container is the same.
    const carry = cpChildren.get(c.name)?.entry.snapshot?.context as Json | undefined;
    if (carry && carry.hash === base.hash) {
      if (carry.backOff) base.backOff = carry.backOff;
      if (carry.imageBackOff) base.imageBackOff = carry.imageBackOff;
    }
    const latest = insts[0];
    let value = 'Pending';
    let context: Json = { ...base, sandbox: undefined, instance: undefined };
    if (!latest) {
      podFacts[c.name] = facts(true, false, false, false);
    } else {
      const older = insts.slice(1).filter((i) => i.status.state === 'exited');
      const common = {
        ...base,
        sandbox,
        restartCount: latest.attempt,
        lastAttempt: latest.attempt,
        imageRef: latest.status.imageRef ?? base.imageRef,
        // The hash the instance was made with: a spec that changed since restarts it.
        hash: latest.hash ?? base.hash,
        restarting: false,
        started: false,
        ready: false,
      };
      if (kind === 'ephemeral') startedOnce.push(c.name);
      if (latest.status.state === 'running' || latest.status.state === 'created') {
        value = 'Created';
        context = {
          ...common,
          instance: { id: latest.id, state: latest.status.state, createdAt: latest.status.createdAt, startedAt: latest.status.startedAt },
          lastTermination: older[0] ? { ...older[0].status, state: 'exited' } : undefined,
          previousTermination: older[1] ? { ...older[1].status, state: 'exited' } : undefined,
        };
        if (latest.status.state === 'running') plan.suppressStarted.add(c.name);
        podFacts[c.name] = facts(false, false, false, true, context.lastTermination);
      } else {
        // Exited (or unknown) while nobody watched: placed as running, then told of its end.
        value = 'Running';
        context = {
          ...common,
          started: !c.startupProbe,
          instance: { id: latest.id, state: 'running', createdAt: latest.status.createdAt, startedAt: latest.status.startedAt, imageRef: latest.status.imageRef },
          lastTermination: older[0] ? { ...older[0].status, state: 'exited' } : undefined,
          previousTermination: older[1] ? { ...older[1].status, state: 'exited' } : undefined,
        };
        podFacts[c.name] = facts(false, false, !c.startupProbe, true, context.lastTermination);
        exitFacts.push({ type: 'RUNTIME.CONTAINER', name: c.name, status: latest.status, at });
      }
    }
    const resolved = containerMachine.resolveState({ value, context } as never);
    const persisted = containerMachine.getPersistedSnapshot(resolved as never) as Json;
    // A restored state's invoked actors come from the persisted children: Created's
    // StartContainer call (answered at once for an instance that already runs).
    if (value === 'Created') persisted.children = { startContainer: { snapshot: { status: 'active', input: { containerId: latest!.id } }, src: 'startContainer', syncSnapshot: false } };
    children[dc.id] = { ...dc.entry, snapshot: persisted };
  }

  // Where the pod stands: just behind the first container that never ran.
  const initDone = (c: Container) => {
    const latest = instancesOf(rp, c.name)[0];
    if (!latest) return false;
    if (c.restartPolicy === 'Always') return true; // a sidecar only has to have started
    return latest.status.state === 'exited' && latest.status.exitCode === 0;
  };
  let value: string;
  let initIndex = init.length;
  let appIndex = regular.length;
  const k = init.findIndex((c) => !initDone(c));
  if (k >= 0) {
    value = 'Initializing';
    initIndex = has(init[k]!.name) ? k : k - 1;
    appIndex = 0;
  } else {
    const j = regular.findIndex((c) => !has(c.name));
    if (j < 0) value = 'Running';
    else if (j > 0) {
      value = 'StartingContainers';
      appIndex = j - 1;
    } else {
      // No regular container ran yet: the last init container's replay starts them.
      value = 'Initializing';
      initIndex = init.length - 1;
      appIndex = 0;
    }
  }
  if (initIndex < 0) throw new Error('adoption: no container to resume the pod from'); // excluded above

  const cx: Json = {
    ...(dry.context as Json),
    now: env.now,
    sandbox,
    sandboxAttempt: current.attempt + 1,
    oldSandboxIds: rp.sandboxes.filter((s) => s.id !== current.id).map((s) => s.id),
    initIndex,
    appIndex,
    startedOnce,
    instanceIds,
    containers: podFacts,
  };
  // Validates the value against the chart (resolveState throws on a state it does not have).
  podMachine.resolveState({ value, context: { ...cx, refs: {} } } as never);
  plan.kind = 'restore';
  plan.from = 'runtime';
  plan.snapshot = { ...dry, value, context: cx, children, historyValue: {} };
  plan.facts.push(...exitFacts);
  if (!current.ready) plan.facts.push({ type: 'RUNTIME.SANDBOX', sandboxId: current.id, ready: false, at });
  plan.notes.push(`rebuilt from the runtime: sandbox ${current.id.slice(0, 12)}, ${rp.instances.length} container instance(s)`);
}

/**
 * The probers of restored containers: their period timers are XState `after` delays,
 * dropped on restore, and the container chart does not pass RESUME on to them. A
 * container's machine children are its probers.
 */
export function resumeProbes(actor: { getSnapshot(): { children: Record<string, unknown> } }, at: number): void {
  for (const c of Object.values(actor.getSnapshot().children)) {
    const ref = c as { getSnapshot?: () => Json; send?: (e: Json) => void };
    const snap = ref.getSnapshot?.();
    if (!snap?.context?.container) continue;
    for (const p of Object.values((snap.children ?? {}) as Json)) {
      const probe = p as { getSnapshot?: () => Json; send?: (e: Json) => void };
      const ps = probe.getSnapshot?.();
      if (ps && 'value' in ps && ps.status === 'active' && ['liveness', 'readiness', 'startup'].includes(ps.context?.type)) probe.send?.({ type: 'RESUME', at });
    }
  }
}
