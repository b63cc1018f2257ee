// The pod chart's vocabulary, in one setup(): the actors it invokes (the container
// chart, and the sandbox CRI calls provided from src/actors/), its delay, guards and
// actions. The states live in sync.ts (SyncPod) and kill-pod.ts (killPod); index.ts
// assembles them.
import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import type { Container, Pod } from '../../src/k8s/types.js';
import * as msg from '../../src/k8s/messages.js';
import { effectiveTerminationGraceSeconds } from '../grace.js';
import { containerMachine } from '../container/index.js';
import { DEFAULT_FEATURE_GATES } from '../features.js';
import { notProvided } from '../not-provided.js';
import { containerRole, initFailureFailsPod, isSidecar, podRestartPolicy, type ContainerRole } from '../restart-policy.js';
import {
  errorInfo,
  type EventRecord,
  type RemoveContainersInput,
  type RemoveSandboxesInput,
  type RunPodSandboxInput,
  type RunPodSandboxOutput,
  type SandboxIdInput,
} from '../types.js';
import { allSpecContainers, allocationEvents, resizeAllocation, resizeCompletedEvent } from './allocation.js';
import type { ContainerRef, PodContext, PodEmitted, PodEvent, PodInput, PodStateMeta } from './types.js';

export { allSpecContainers } from './allocation.js';

/** The container's place in the spec; a name the spec lost (an edit) is treated as ephemeral. */
export function roleOf(pod: Pod, name: string): ContainerRole {
  return containerRole(pod, name) ?? 'ephemeral';
}


/** kuberuntime_termination_order.go: a sidecar waits for every regular container and every sidecar declared after it. */
export function turnPrerequisites(pod: Pod, sidecar: string): string[] {
  const init = pod.spec.initContainers ?? [];
  const idx = init.findIndex((c) => c.name === sidecar);
  return [...pod.spec.containers.map((c) => c.name), ...init.slice(idx + 1).filter((c) => isSidecar(c)).map((c) => c.name)];
}

/** A container with no instance that could still be running (as it last reported; not spawned = down). */
export function isDown(context: PodContext, name: string): boolean {
  return context.containers[name]?.down ?? true;
}

/** setTimeout holds at most 2^31-1 ms (about 24.8 days); a longer deadline is re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const podSetup = setup({
  types: {
    context: {} as PodContext,
    events: {} as PodEvent,
    input: {} as PodInput,
    emitted: {} as PodEmitted,
    meta: {} as PodStateMeta,
  },
  actors: {
    container: containerMachine,
    runPodSandbox: notProvided<RunPodSandboxOutput, RunPodSandboxInput>('runPodSandbox'),
    stopPodSandbox: notProvided<void, SandboxIdInput>('stopPodSandbox'),
    removePodSandbox: notProvided<void, RemoveSandboxesInput>('removePodSandbox'),
    removeContainers: notProvided<void, RemoveContainersInput>('removeContainers'),
  },
  delays: {
    podWorkerRetry: ({ context }) => Math.max(0, (context.retryAt ?? context.now) - context.now),
    /**
     * Until startTime + activeDeadlineSeconds (clamped to what a timer can hold; the guard
     * re-checks). A pod without one waits the longest a timer holds, instead of a 0 ms timer
     * that fires in every state the pod enters for a guard that is always false.
     */
    activeDeadline: ({ context }) =>
      context.activeDeadlineAt === undefined ? MAX_TIMER_MS : Math.min(MAX_TIMER_MS, Math.max(0, context.activeDeadlineAt - context.now)),
  },
  guards: {
    hasInitContainers: ({ context }) => (context.pod.spec.initContainers?.length ?? 0) > 0,
    initDone: ({ context }) => context.initIndex >= (context.pod.spec.initContainers?.length ?? 0),
    appsStarted: ({ context }) => context.appIndex >= context.pod.spec.containers.length,
    isCurrentSandbox: ({ context, event }) => event.type === 'RUNTIME.SANDBOX' && event.sandboxId === context.sandbox?.id && !event.ready,
    /** Every regular container ended and none will restart: the pod reached a terminal phase. */
    podCompleted: ({ context }) => context.pod.spec.containers.every((c) => context.containers[c.name]?.exited === true),
    /**
     * computePodActions: a regular init container failed (non-zero, UNKNOWN or OOMKilled) under
     * restartPolicy Never: KillPod, the pod fails.
     */
    initFailedForGood: ({ context, event }) =>
      event.type === 'CONTAINER.EXITED' &&
      roleOf(context.pod, event.name) === 'init' &&
      initFailureFailsPod(
        { state: 'exited', exitCode: event.exitCode, reason: event.reason },
        podRestartPolicy(context.pod),
        context.pod.spec.initContainers?.find((c) => c.name === event.name),
        { ...DEFAULT_FEATURE_GATES, ...context.config.container.featureGates },
      ),
    /** Every kill of this killPod returned: the container is down, or its kill failed. */
    everyKillReturned: ({ context }) =>
      allSpecContainers(context.pod).every((c) => isDown(context, c.name) || context.killFailures.some((f) => f.container === c.name)),
    someKillFailed: ({ context }) => context.killFailures.length > 0,
    /** The current sandbox died and restartPolicy Never forbids re-creating it (computePodActions). */
    sandboxDiedForGood: ({ context, event }) =>
      event.type === 'RUNTIME.SANDBOX' &&
      event.sandboxId === context.sandbox?.id &&
      !event.ready &&
      podRestartPolicy(context.pod) === 'Never' &&
      Object.values(context.containers).some((f) => f.ranBefore),
    /** active_deadline.go pastActiveDeadline: the pod ran at least activeDeadlineSeconds. */
    activeDeadlinePassed: ({ context }) => context.activeDeadlineAt !== undefined && context.now + MAX_TIMER_MS > context.activeDeadlineAt,
    /** KEP-5532: a container's exit matched a RestartAllContainers rule. */
    restartsAllContainers: ({ event }) => event.type === 'CONTAINER.EXITED' && event.restartAll === true,
    /** Every init, sidecar and regular container is down (ephemeral containers are kept). */
    allButEphemeralDown: ({ context }) =>
      [...(context.pod.spec.initContainers ?? []), ...context.pod.spec.containers].every((c) => isDown(context, c.name)),
    /** The PLEG saw one of this pod's sandboxes change. */
    isOwnSandbox: ({ context, event }) =>
      event.type === 'RUNTIME.SANDBOX' && (event.sandboxId === context.sandbox?.id || context.oldSandboxIds.includes(event.sandboxId)),
    allContainersDown: ({ context }) => allSpecContainers(context.pod).every((c) => isDown(context, c.name)),
    isDeleting: ({ context }) => !!context.deletion,
    /** The init container being run exited 0 and will not run again. */
    currentInitCompleted: ({ context, event }) => {
      const cur = context.pod.spec.initContainers?.[context.initIndex];
      return event.type === 'CONTAINER.EXITED' && !!cur && cur.name === event.name && !isSidecar(cur) && event.exitCode === 0 && !event.willRestart;
    },
    /** The sidecar being started runs and its startup probe (if any) passed. */
    currentSidecarStarted: ({ context, event }) => {
      const cur = context.pod.spec.initContainers?.[context.initIndex];
      if (!cur || !isSidecar(cur) || !('name' in event) || event.name !== cur.name) return false;
      if (event.type === 'CONTAINER.READY') return event.started;
      return context.containers[cur.name]?.started === true;
    },
    isCurrentApp: ({ context, event }) => 'name' in event && event.name === context.pod.spec.containers[context.appIndex]?.name,
    /** restartPolicy Never: a dead sandbox is not re-created once containers have run (computePodActions). */
    noSandboxRecreate: ({ context }) =>
      podRestartPolicy(context.pod) === 'Never' && Object.values(context.containers).some((f) => f.ranBefore),
  },
  actions: {
    observe: assign({ now: ({ context, event }) => Math.max(context.now, 'at' in event ? event.at : context.now) }),
    advanceApp: assign({ appIndex: ({ context }) => context.appIndex + 1 }),
    /** A deletion's grace: min(terminationGracePeriodSeconds, requested), >= 1; force = grace 0. */
    noteDeletion: assign({
      deletion: ({ context, event }) => {
        const e = event as { gracePeriodSeconds?: number; force?: boolean };
        const force = !!e.force || context.deletion?.force === true || e.gracePeriodSeconds === 0;
        const requested = e.gracePeriodSeconds ?? context.deletion?.gracePeriodOverride;
        return { force, gracePeriodOverride: requested === undefined ? undefined : effectiveTerminationGraceSeconds(context.pod, requested) };
      },
    }),
    retireSandbox: assign({
      oldSandboxIds: ({ context }) => (context.sandbox ? [...context.oldSandboxIds, context.sandbox.id] : context.oldSandboxIds),
      sandbox: undefined,
    }),
    recordPodEvent: emit((_, ev: EventRecord) => ({ type: 'k8s.event' as const, event: ev })),
    spawnContainers: assign({
      refs: ({ context, spawn }) => {
        const refs = { ...context.refs };
        for (const c of allSpecContainers(context.pod)) {
          if (refs[c.name]) continue;
          refs[c.name] = spawn('container', {
            id: `container:${c.name}`,
            input: {
              pod: context.pod,
              container: c,
              role: roleOf(context.pod, c.name),
              now: context.now,
              config: context.config.container,
              reportsToPod: true,
              restartCount: context.restartCounts?.[c.name],
            },
          }) as ContainerRef;
        }
        return refs;
      },
    }),
    startNextInit: enqueueActions(({ context, enqueue }) => {
      const init = context.pod.spec.initContainers ?? [];
      const c = init[context.initIndex];
      if (c) enqueue.sendTo(context.refs[c.name]!, { type: 'START', sandbox: context.sandbox!, at: context.now });
    }),
    startNextApp: enqueueActions(({ context, enqueue }) => {
      const policy = podRestartPolicy(context.pod);
      let i = context.appIndex;
      // After a sandbox re-creation, a container that completed (OnFailure, exit 0) or ended
      // under Never is not started again (computePodActions' containersToStart).
      for (; i < context.pod.spec.containers.length; i++) {
        const facts = context.containers[context.pod.spec.containers[i]!.name];
        if (!facts?.exited || policy === 'Always') break;
        if (policy === 'OnFailure' && (facts.lastExit?.exitCode ?? 0) !== 0) break;
      }
      if (i !== context.appIndex) enqueue.assign({ appIndex: i });
      const c = context.pod.spec.containers[i];
      if (c) enqueue.sendTo(context.refs[c.name]!, { type: 'START', sandbox: context.sandbox!, at: context.now });
    }),
    startEphemerals: enqueueActions(({ context, enqueue }) => {
      for (const c of context.pod.spec.ephemeralContainers ?? []) {
        if (context.startedOnce.includes(c.name)) continue;
        enqueue.sendTo(context.refs[c.name]!, { type: 'START', sandbox: context.sandbox!, at: context.now });
        enqueue.assign({ startedOnce: ({ context: cx }) => [...cx.startedOnce, c.name] });
      }
    }),
    forwardToContainer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'RUNTIME.CONTAINER') {
        const ref = context.refs[event.name];
        if (ref) enqueue.sendTo(ref, { type: 'RUNTIME.STATUS', status: event.status, at: event.at });
        // A PLEG event syncs the whole pod (pod_workers.go UpdatePod): the other containers'
        // failed steps are retried in that sync, not only at their own 10–15 s requeue.
        for (const [name, other] of Object.entries(context.refs)) if (name !== event.name) enqueue.sendTo(other, { type: 'SYNC', at: event.at });
      } else if (event.type === 'PROBE.RESULT') {
        const ref = context.refs[event.name];
        if (ref) enqueue.sendTo(ref, { type: 'PROBE.RESULT', probe: event.probe, result: event.result, output: event.output, at: event.at });
      }
    }),
    /** pod_workers.go: a PLEG event syncs the pod, and every container's failed step is retried. */
    syncContainers: enqueueActions(({ context, enqueue }) => {
      for (const ref of Object.values(context.refs)) enqueue.sendTo(ref, { type: 'SYNC', at: context.now });
    }),
    forwardContainerEvent: emit(({ event }) => {
      assertEvent(event, 'CONTAINER.EVENT');
      return { type: 'k8s.event' as const, event: event.event };
    }),
    /**
     * killContainersWithSyncResult: one killContainer per running container, all at once.
     * A sidecar whose prerequisites still run is told to wait for its turn before StopContainer.
     */
    killAllContainers: enqueueActions(({ context, enqueue }) => {
      const d = context.deletion;
      for (const c of allSpecContainers(context.pod)) {
        const ref = context.refs[c.name];
        if (!ref || isDown(context, c.name)) continue;
        const awaitTurn = roleOf(context.pod, c.name) === 'sidecar' && turnPrerequisites(context.pod, c.name).some((n) => !isDown(context, n));
        enqueue.sendTo(ref, { type: 'DELETE', gracePeriodOverride: d?.gracePeriodOverride, force: d?.force, awaitTurn, at: context.now });
      }
    }),
    /** Sidecars stop in reverse spec order, each once the containers it waits for are down (KEP-753). */
    grantTurns: enqueueActions(({ context, enqueue }) => {
      for (const c of context.pod.spec.initContainers ?? []) {
        if (!isSidecar(c)) continue;
        const ref = context.refs[c.name];
        if (!ref || isDown(context, c.name)) continue;
        if (turnPrerequisites(context.pod, c.name).every((n) => isDown(context, n))) enqueue.sendTo(ref, { type: 'TURN', at: context.now });
      }
    }),
    scheduleRetry: assign({
      retryAt: ({ context, event }) => (event.type === 'RESUME' && context.retryAt !== undefined ? context.retryAt : context.now + context.config.podWorkerRetryMs),
    }),
    emitProbeResult: emit(({ event }) => {
      assertEvent(event, 'CONTAINER.PROBE');
      return { type: 'probe.result' as const, container: event.name, probe: event.probe, result: event.result, output: event.output, at: event.at };
    }),
    rememberInstance: assign({
      instanceIds: ({ context, event }) => {
        assertEvent(event, 'CONTAINER.CREATED');
        return { ...context.instanceIds, [event.name]: [...(context.instanceIds[event.name] ?? []), event.containerId] };
      },
    }),
    forgetKillFailure: assign({
      killFailures: ({ context, event }) => (event.type === 'CONTAINER.STOPPED' ? context.killFailures.filter((f) => f.container !== event.name) : context.killFailures),
    }),
    rememberKillFailure: assign({
      killFailures: ({ context, event }) => {
        assertEvent(event, 'CONTAINER.KILL_FAILED');
        return [...context.killFailures.filter((f) => f.container !== event.name), { container: event.name, error: event.error }];
      },
    }),
    /** A second deletion (force) reaches every container still up. */
    forwardDeletion: enqueueActions(({ context, enqueue }) => {
      for (const [name, ref] of Object.entries(context.refs)) {
        if (!isDown(context, name)) enqueue.sendTo(ref, { type: 'DELETE', gracePeriodOverride: context.deletion?.gracePeriodOverride, force: context.deletion?.force, at: context.now });
      }
    }),
    /** A restored snapshot: every container re-arms its own waits. */
    resumeContainers: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'RESUME');
      for (const ref of Object.values(context.refs)) enqueue.sendTo(ref, { type: 'RESUME', at: event.at });
    }),
    /** KEP-1287: which containers have a resize under way (or failed), for PodResizeInProgress. */
    rememberResize: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'CONTAINER.RESIZE');
      const { [event.name]: _gone, ...rest } = context.resizes ?? {};
      if (event.phase !== 'done') {
        enqueue.assign({ resizes: { ...rest, [event.name]: event.phase === 'failed' ? { error: event.error } : {} } });
        return;
      }
      const left = Object.keys(rest).length ? rest : undefined;
      enqueue.assign({ resizes: left });
      // SyncPod: allocated == actual again, PodResizeInProgress cleared: ResizeCompleted.
      if (!left && context.resizes) enqueue.emit({ type: 'k8s.event', event: resizeCompletedEvent(context) });
    }),
    rememberFacts: assign({
      containers: ({ context, event }) => (event.type === 'CONTAINER.FACTS' ? { ...context.containers, [event.name]: event.facts } : context.containers),
    }),
    /**
     * KEP-5532: kill every init, sidecar and regular container at once, without ordering and
     * without preStop; each then waits for the pod's START.
     */
    killAllForRestart: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ allContainersRestarting: true });
      for (const c of [...(context.pod.spec.initContainers ?? []), ...context.pod.spec.containers]) {
        const ref = context.refs[c.name];
        if (ref && !isDown(context, c.name)) enqueue.sendTo(ref, { type: 'KILL', request: { cause: 'Other', then: 'pending', skipPreStop: true }, at: context.now });
      }
    }),
    /** The removed containers have no status for the next sync: each starts again from its first step. */
    forgetRemovedContainers: enqueueActions(({ context, enqueue }) => {
      const names = [...(context.pod.spec.initContainers ?? []), ...context.pod.spec.containers].map((c) => c.name);
      const containers = { ...context.containers };
      const instanceIds = { ...context.instanceIds };
      for (const name of names) {
        const f = containers[name];
        if (f) containers[name] = { ...f, down: true, exited: false, lastExit: undefined };
        delete instanceIds[name];
        const ref = context.refs[name];
        if (ref) enqueue.sendTo(ref, { type: 'PURGED', at: context.now });
      }
      enqueue.assign({ containers, instanceIds, initIndex: 0, appIndex: 0 });
    }),
    endRestartAll: assign({ allContainersRestarting: ({ context }) => (context.allContainersRestarting === undefined ? undefined : false) }),
    /** The active-deadline handler evicts the pod: Normal DeadlineExceeded, then the pod is killed and fails. */
    evictForActiveDeadline: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({
        now: Math.max(context.now, context.activeDeadlineAt ?? context.now),
        evicted: { reason: msg.EvictionReason.DeadlineExceeded, message: msg.MSG_ACTIVE_DEADLINE_EXCEEDED },
      });
      enqueue.emit({ type: 'k8s.event', event: { type: 'Normal', reason: msg.EvictionReason.DeadlineExceeded, message: msg.MSG_ACTIVE_DEADLINE_EXCEEDED } });
    }),
    clearKillFailures: assign({ killFailures: () => [], sandboxKillFailure: undefined }),
    noteSandboxKillFailure: assign({
      sandboxKillFailure: ({ context }, params: { error: unknown }) => ({
        podUid: context.pod.metadata.uid ?? '',
        error: errorInfo(params.error).grpc ?? errorInfo(params.error).message,
      }),
    }),
    reachRetryDeadline: assign({ now: ({ context }) => Math.max(context.now, context.retryAt ?? context.now) }),
    /** purgeInitContainers done: the init containers forget what was removed. */
    notifyPurged: enqueueActions(({ context, enqueue }) => {
      for (const c of context.pod.spec.initContainers ?? []) {
        const ref = context.refs[c.name];
        if (ref) enqueue.sendTo(ref, { type: 'PURGED', at: context.now });
      }
      const instanceIds = { ...context.instanceIds };
      for (const c of context.pod.spec.initContainers ?? []) delete instanceIds[c.name];
      enqueue.assign({ instanceIds });
    }),
    /** Sandbox died: kill every container and wait for the pod's next START. */
    killForSandboxChange: enqueueActions(({ context, enqueue }) => {
      for (const c of allSpecContainers(context.pod)) {
        const ref = context.refs[c.name];
        if (ref && !isDown(context, c.name)) enqueue.sendTo(ref, { type: 'KILL', request: { cause: 'Other', then: 'pending' }, at: context.now });
      }
    }),
    /**
     * retryPendingResizes (allocation_manager.go): room may have been made on the node (a pod
     * went away or was resized), so a Deferred resize is judged again against the spec. Once it
     * fits, the containers get their edited resources; while it does not, the message follows
     * what the other pods now hold.
     */
    retryPendingResize: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'RESIZE.RETRY');
      if (context.resizePending?.reason !== 'Deferred') return;
      const { pending, allocated, resized } = resizeAllocation(context, context.pod, event.nodeUsed);
      enqueue.assign({ resizePending: pending, heldResources: pending ? allocated : undefined });
      for (const ev of allocationEvents(context.resizePending, { pending, resized }, context.pod)) enqueue.emit({ type: 'k8s.event', event: ev });
      if (pending) return;
      for (const c of allSpecContainers(context.pod)) {
        const ref = context.refs[c.name];
        if (ref) enqueue.sendTo(ref, { type: 'SPEC_UPDATE', container: c, at: event.at });
      }
    }),
    applyUpdate: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'UPDATE') return;
      const next = event.pod;
      // Identity and deletion state stay; the spec is replaced.
      const pod: Pod = { ...next, metadata: { ...next.metadata, uid: context.pod.metadata.uid, namespace: context.pod.metadata.namespace, name: context.pod.metadata.name } };
      // KEP-1287: a resize the node can never fit is not allocated (PodResizePending
      // Infeasible): the containers keep their allocated resources until an edit fits.
      const { pending, allocated, resized } = resizeAllocation(context, pod, event.nodeUsed);
      enqueue.assign({ pod, resizePending: pending, heldResources: pending ? allocated : undefined });
      for (const ev of allocationEvents(context.resizePending, { pending, resized }, pod)) enqueue.emit({ type: 'k8s.event', event: ev });
      for (const c of allSpecContainers(pod)) {
        const ref = context.refs[c.name];
        const held = pending ? allocated[c.name] : undefined;
        if (ref) enqueue.sendTo(ref, { type: 'SPEC_UPDATE', container: held ? { ...c, resources: held } : c, at: event.at });
      }
    }),
  },
});
