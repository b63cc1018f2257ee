// The pod machine: the kubelet's SyncPod / computePodActions / killPod for one
// pod, as a chart. It owns the sandbox and spawns one container actor per
// container (machines/container.ts), and decides *when* each container starts
// or stops; the containers decide *how*.
//
// Order, as in the kubelet: RunPodSandbox; init containers one at a time
// (a sidecar, an init container with restartPolicy Always, only needs to be
// started); then app containers in spec order, each waiting for the previous
// one's start (a running postStart holds back the next container).
// Termination (killPodWithSyncResult): every container's kill starts at once
// (Killing events and preStop hooks together); a sidecar's StopContainer waits
// for the regular containers and the sidecars declared after it
// (kuberuntime_termination_order.go); then StopPodSandbox, even when a kill
// failed (FailedKillPod, retried at the next sync); RemovePodSandbox once the
// pod is deleted.
import { assign, emit, enqueueActions, fromPromise, setup, type ActorRefFrom } from 'xstate';
import type { Container, Pod } from '../src/k8s/types.js';
import { formatPod } from '../src/k8s/format.js';
import * as msg from '../src/k8s/messages.js';
import { effectiveTerminationGraceSeconds } from './grace.js';
import { containerMachine, POD_WORKER_RETRY_MS, type ContainerConfig, type ContainerFacts, type ContainerToPodEvent } from './container/index.js';
import { containerRole, initFailureFailsPod, isSidecar, podRestartPolicy, type ContainerRole } from './restart-policy.js';
import {
  errorInfo,
  type EventRecord,
  type InstanceStatus,
  type RunPodSandboxInput,
  type RunPodSandboxOutput,
  type RemoveSandboxesInput,
  type SandboxIdInput,
  type SandboxInfo,
} from './types.js';
import type { RemoveContainersInput } from './types.js';

export interface PodConfig {
  container: Partial<ContainerConfig>;
  podWorkerRetryMs: number;
}

export interface PodInput {
  pod: Pod;
  now: number;
  config?: Partial<PodConfig>;
}

type ContainerRef = ActorRefFrom<typeof containerMachine>;

export interface PodContext {
  pod: Pod;
  podRef: string;
  config: PodConfig;
  now: number;
  sandbox?: SandboxInfo;
  /** Attempt number of the next RunPodSandbox (metadata.attempt). */
  sandboxAttempt: number;
  /** Sandboxes replaced by a re-creation, stopped and removed with the pod. */
  oldSandboxIds: string[];
  refs: Record<string, ContainerRef>;
  /** Next init container to run (index into spec.initContainers). */
  initIndex: number;
  /** Next app container to start (index into spec.containers). */
  appIndex: number;
  /** Container names already started once (ephemeral containers never restart). */
  startedOnce: string[];
  deletion?: { gracePeriodOverride?: number; force: boolean };
  /** Set once the pod reached a terminal phase without being deleted. */
  finished: boolean;
  retryAt?: number;
  lastError?: string;
  /** Every instance each container reported creating (purgeInitContainers removes the init ones). */
  instanceIds: Record<string, string[]>;
  /** KillContainerError results of the current killPod, in the order they were reported. */
  killFailures: { container: string; error: string }[];
  /** StopPodSandbox's failure in the current killPod (KillPodSandboxError). */
  sandboxKillFailure?: { podUid: string; error: string };
  /** What each container last reported of itself (CONTAINER.FACTS): the pod's guards read this, never a child. */
  containers: Record<string, ContainerFacts>;
}

export type PodEvent =
  | ContainerToPodEvent
  | { type: 'DELETE'; gracePeriodSeconds?: number; force?: boolean; at: number }
  | { type: 'UPDATE'; pod: Pod; at: number }
  | { type: 'RUNTIME.CONTAINER'; name: string; status: InstanceStatus; at: number }
  | { type: 'RUNTIME.SANDBOX'; sandboxId: string; ready: boolean; at: number }
  | { type: 'PROBE.RESULT'; name: string; probe: 'liveness' | 'readiness' | 'startup'; result: 'success' | 'failure'; output?: string; at: number }
  | { type: 'RESUME'; at: number };

/** Emitted for the manager: Kubernetes events, stamped and counted there. */
export type PodEmitted =
  | { type: 'k8s.event'; event: EventRecord }
  /** A probe's thresholded result changed (for embedders' probe streams). */
  | { type: 'probe.result'; container: string; probe: 'liveness' | 'readiness' | 'startup'; result: 'success' | 'failure'; output?: string; at: number };

const notProvided = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`statelet: actor "${name}" is not provided; create the machine with createRuntimeActors() or .provide({ actors })`);
  });

/** The container's place in the spec; a name the spec lost (an edit) is treated as ephemeral. */
function roleOf(pod: Pod, name: string): ContainerRole {
  return containerRole(pod, name) ?? 'ephemeral';
}

function allSpecContainers(pod: Pod): Container[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])];
}

/** kuberuntime_termination_order.go: a sidecar waits for every regular container and every sidecar declared after it. */
function turnPrerequisites(pod: Pod, sidecar: string): string[] {
  const init = pod.spec.initContainers ?? [];
  const idx = init.findIndex((c) => c.name === sidecar);
  return [...pod.spec.containers.map((c) => c.name), ...init.slice(idx + 1).filter((c) => isSidecar(c)).map((c) => c.name)];
}

/** A container with no instance that could still be running (as it last reported; not spawned = down). */
function isDown(context: PodContext, name: string): boolean {
  return context.containers[name]?.down ?? true;
}

/**
 * killPodWithSyncResult as a chart fragment (deletion, and a pod that completed):
 * 1. every running container's killContainer at once; sidecars wait for their turn;
 * 2. StopPodSandbox once every kill returned, failed or not;
 * 3. a failed kill: FailedKillPod, and the whole kill again at the next sync (10–15 s).
 */
function killPodStates(then: '#pod.Finished' | '#pod.Removing') {
  return {
    KillingContainers: {
      entry: ['killAllContainers', 'grantTurns'],
      always: { guard: 'everyKillReturned', target: 'StoppingSandbox' },
      on: {
        'CONTAINER.STOPPED': { actions: 'observe' },
        // A container reported it is down: the sidecars waiting for it may go.
        'CONTAINER.FACTS': { actions: ['rememberFacts', 'grantTurns'] },
      },
    },
    StoppingSandbox: {
      invoke: {
        id: 'stopPodSandbox',
        src: 'stopPodSandbox',
        input: ({ context }: { context: PodContext }) => ({ sandboxId: context.sandbox?.id ?? '' }),
        onDone: [{ guard: 'someKillFailed', target: 'KillFailed' }, { target: then }],
        // KillPodSandboxError joins the container failures in the FailedKillPod aggregate.
        onError: { target: 'KillFailed', actions: 'noteSandboxKillFailure' },
      },
    },
    KillFailed: {
      entry: [
        {
          type: 'recordPodEvent',
          params: ({ context }: { context: PodContext }) => ({
            type: 'Warning' as const,
            reason: msg.EventReason.FailedKillPod,
            message: msg.failedKillPodMessage(msg.killPodErrorText(context.killFailures, context.sandboxKillFailure)),
          }),
        },
        'scheduleRetry',
      ],
      // The failed sync is retried at the pod worker's next sync: the one the PLEG triggers
      // when it sees the sandbox stopped (generic.go relists sandboxes as containers), or
      // the 10–15 s requeue after the error, whichever comes first.
      after: { podWorkerRetry: { target: 'KillingContainers', actions: ['reachRetryDeadline', 'clearKillFailures'] } },
      on: {
        RESUME: { target: 'KillFailed', reenter: true, actions: 'observe' },
        'RUNTIME.SANDBOX': { guard: 'isOwnSandbox', target: 'KillingContainers', actions: ['observe', 'clearKillFailures'] },
      },
    },
  } as const;
}

export const podMachine = setup({
  types: {
    context: {} as PodContext,
    events: {} as PodEvent,
    input: {} as PodInput,
    emitted: {} as PodEmitted,
  },
  actors: {
    container: containerMachine,
    runPodSandbox: notProvided('runPodSandbox') as unknown as ReturnType<typeof fromPromise<RunPodSandboxOutput, RunPodSandboxInput>>,
    stopPodSandbox: notProvided('stopPodSandbox') as unknown as ReturnType<typeof fromPromise<void, SandboxIdInput>>,
    removePodSandbox: notProvided('removePodSandbox') as unknown as ReturnType<typeof fromPromise<void, RemoveSandboxesInput>>,
    removeContainers: notProvided('removeContainers') as unknown as ReturnType<typeof fromPromise<void, RemoveContainersInput>>,
  },
  delays: {
    podWorkerRetry: ({ context }) => Math.max(0, (context.retryAt ?? context.now) - context.now),
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
      initFailureFailsPod({ state: 'exited', exitCode: event.exitCode, reason: event.reason }, podRestartPolicy(context.pod)),
    /** Every kill of this killPod returned: the container is down, or its kill failed. */
    everyKillReturned: ({ context }) =>
      allSpecContainers(context.pod).every((c) => isDown(context, c.name) || context.killFailures.some((f) => f.container === c.name)),
    someKillFailed: ({ context }) => context.killFailures.length > 0,
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
      if (!cur || !isSidecar(cur) || (event as { name?: string }).name !== cur.name) return false;
      if (event.type === 'CONTAINER.READY') return event.started;
      return context.containers[cur.name]?.started === true;
    },
    isCurrentApp: ({ context, event }) => (event as { name?: string }).name === context.pod.spec.containers[context.appIndex]?.name,
    /** restartPolicy Never: a dead sandbox is not re-created once containers have run (computePodActions). */
    noSandboxRecreate: ({ context }) =>
      podRestartPolicy(context.pod) === 'Never' && Object.values(context.containers).some((f) => f.ranBefore),
  },
  actions: {
    observe: assign({ now: ({ context, event }) => Math.max(context.now, (event as { at?: number }).at ?? context.now) }),
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
            input: { pod: context.pod, container: c, role: roleOf(context.pod, c.name), now: context.now, config: context.config.container, reportsToPod: true },
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
      } else if (event.type === 'PROBE.RESULT') {
        const ref = context.refs[event.name];
        if (ref) enqueue.sendTo(ref, { type: 'PROBE.RESULT', probe: event.probe, result: event.result, output: event.output, at: event.at });
      }
    }),
    forwardContainerEvent: emit(({ event }) => ({ type: 'k8s.event' as const, event: (event as { event: EventRecord }).event })),
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
    rememberFacts: assign({
      containers: ({ context, event }) => (event.type === 'CONTAINER.FACTS' ? { ...context.containers, [event.name]: event.facts } : context.containers),
    }),
    clearKillFailures: assign({ killFailures: () => [], sandboxKillFailure: undefined }),
    noteSandboxKillFailure: assign({
      sandboxKillFailure: ({ context, event }) => ({
        podUid: context.pod.metadata.uid ?? '',
        error: errorInfo((event as { error?: unknown }).error).grpc ?? errorInfo((event as { error?: unknown }).error).message,
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
    applyUpdate: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'UPDATE') return;
      const next = event.pod;
      // Identity and deletion state stay; the spec is replaced.
      const pod: Pod = { ...next, metadata: { ...next.metadata, uid: context.pod.metadata.uid, namespace: context.pod.metadata.namespace, name: context.pod.metadata.name } };
      enqueue.assign({ pod });
      for (const c of allSpecContainers(pod)) {
        const ref = context.refs[c.name];
        if (ref) enqueue.sendTo(ref, { type: 'SPEC_UPDATE', container: c, at: event.at });
      }
    }),
  },
}).createMachine({
  id: 'pod',
  context: ({ input }) => ({
    pod: input.pod,
    podRef: formatPod(input.pod),
    config: {
      // Containers share the pod's pod-worker cadence unless told otherwise.
      container: {
        podWorkerRetryMs: input.config?.podWorkerRetryMs ?? POD_WORKER_RETRY_MS,
        ...input.config?.container,
      },
      podWorkerRetryMs: input.config?.podWorkerRetryMs ?? input.config?.container?.podWorkerRetryMs ?? POD_WORKER_RETRY_MS,
    },
    now: input.now,
    sandboxAttempt: 0,
    oldSandboxIds: [],
    refs: {},
    initIndex: 0,
    appIndex: 0,
    startedOnce: [],
    finished: false,
    instanceIds: {},
    killFailures: [],
    containers: {},
  }),
  initial: 'CreatingSandbox',
  on: {
    'CONTAINER.EVENT': { actions: 'forwardContainerEvent' },
    'CONTAINER.PROBE': {
      actions: emit(({ event }) => {
        const e = event as Extract<PodEvent, { type: 'CONTAINER.PROBE' }>;
        return { type: 'probe.result' as const, container: e.name, probe: e.probe, result: e.result, output: e.output, at: e.at };
      }),
    },
    'RUNTIME.CONTAINER': { actions: ['observe', 'forwardToContainer'] },
    // Children report, the pod remembers: their facts, instances created, kills that failed.
    'CONTAINER.FACTS': { actions: 'rememberFacts' },
    'CONTAINER.CREATED': {
      actions: assign({
        instanceIds: ({ context, event }) => ({ ...context.instanceIds, [event.name]: [...(context.instanceIds[event.name] ?? []), event.containerId] }),
      }),
    },
    'CONTAINER.KILL_FAILED': {
      actions: assign({
        killFailures: ({ context, event }) => [...context.killFailures.filter((f) => f.container !== event.name), { container: event.name, error: event.error }],
      }),
    },
    'PROBE.RESULT': { actions: ['observe', 'forwardToContainer'] },
    RESUME: {
      actions: [
        'observe',
        enqueueActions(({ context, event, enqueue }) => {
          for (const ref of Object.values(context.refs)) enqueue.sendTo(ref, { type: 'RESUME', at: (event as { at: number }).at });
        }),
      ],
    },
  },
  states: {
    /** RunPodSandbox (+ PodSandboxStatus for the IP), attempt = previous + 1 on re-creation. */
    CreatingSandbox: {
      meta: { phase: 'Pending' },
      invoke: {
        id: 'runPodSandbox',
        src: 'runPodSandbox',
        input: ({ context }) => ({ pod: context.pod, attempt: context.sandboxAttempt }),
        onDone: [
          {
            // Deleted while the sandbox was being made: stop and remove it, start nothing.
            guard: 'isDeleting',
            target: 'Terminating',
            actions: assign({ sandbox: ({ event }) => event.output, sandboxAttempt: ({ context }) => context.sandboxAttempt + 1 }),
          },
          {
            target: 'Initializing',
            actions: [
              assign({ sandbox: ({ event }) => event.output, sandboxAttempt: ({ context }) => context.sandboxAttempt + 1, initIndex: 0, appIndex: 0 }),
              'spawnContainers',
            ],
          },
        ],
        onError: [
          // Sandboxes of earlier attempts still go: RemovePodSandbox for each.
          { guard: 'isDeleting', target: 'Removing' },
          {
            target: 'SandboxCreateFailed',
            actions: [
              // SyncPod step 4 prints the CRI error with %v (`rpc error: code = … desc = …`); a
              // failed PodSandboxStatus after a created sandbox has its own event.
              assign({ lastError: ({ event }) => errorInfo(event.error).grpc ?? errorInfo(event.error).message }),
              {
                type: 'recordPodEvent',
                params: ({ context, event }) =>
                  errorInfo(event.error).method === 'RuntimeService/PodSandboxStatus'
                    ? { type: 'Warning', reason: msg.EventReason.FailedPodSandBoxStatus, message: msg.failedSandboxStatusMessage(context.lastError ?? '') }
                    : { type: 'Warning', reason: msg.EventReason.FailedCreatePodSandBox, message: msg.failedCreateSandboxMessage(context.lastError ?? '') },
              },
            ],
          },
        ],
      },
      // RunPodSandbox is not interrupted (its sandbox would leak): the deletion waits for it.
      on: { DELETE: { actions: ['observe', 'noteDeletion'] } },
    },

    /** The pod stays ContainerCreating and SyncPod retries on the pod-worker cadence. */
    SandboxCreateFailed: {
      meta: { phase: 'Pending' },
      entry: assign({ retryAt: ({ context }) => context.now + context.config.podWorkerRetryMs }),
      after: { podWorkerRetry: { target: 'CreatingSandbox', actions: assign({ now: ({ context }) => Math.max(context.now, context.retryAt ?? context.now) }) } },
      on: {
        DELETE: { target: 'Removing', actions: ['observe', 'noteDeletion'] },
        RESUME: { target: 'SandboxCreateFailed', reenter: true, actions: 'observe' },
      },
    },

    /** Init containers, one at a time; regular containers wait (computePodActions). */
    Initializing: {
      meta: { phase: 'Pending' },
      entry: ['startEphemerals', 'startNextInit'],
      always: { guard: 'initDone', target: 'StartingContainers' },
      on: {
        'CONTAINER.EXITED': [
          { guard: 'initFailedForGood', target: 'Completing', actions: 'observe' },
          {
            // A regular init container completed: on to the next.
            guard: 'currentInitCompleted',
            target: 'Initializing',
            reenter: true,
            actions: assign({ initIndex: ({ context }) => context.initIndex + 1 }),
          },
        ],
        'CONTAINER.STARTED': {
          // A sidecar is "done" for ordering once it runs (and its startup probe passed).
          guard: 'currentSidecarStarted',
          target: 'Initializing',
          reenter: true,
          actions: assign({ initIndex: ({ context }) => context.initIndex + 1 }),
        },
        'CONTAINER.READY': {
          guard: 'currentSidecarStarted',
          target: 'Initializing',
          reenter: true,
          actions: assign({ initIndex: ({ context }) => context.initIndex + 1 }),
        },
        'RUNTIME.SANDBOX': { guard: 'isCurrentSandbox', target: 'SandboxChanged', actions: 'observe' },
        DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] },
        UPDATE: { actions: ['observe', 'applyUpdate', 'spawnContainers', 'startEphemerals'] },
      },
    },

    /** App containers in spec order; each waits for the previous start (and its postStart). */
    StartingContainers: {
      meta: { phase: 'Pending' },
      entry: 'startNextApp',
      always: [
        { guard: 'appsStarted', target: 'Running' },
      ],
      on: {
        'CONTAINER.STARTED': { guard: 'isCurrentApp', target: 'StartingContainers', reenter: true, actions: 'advanceApp' },
        'CONTAINER.START_FAILED': { guard: 'isCurrentApp', target: 'StartingContainers', reenter: true, actions: 'advanceApp' },
        'CONTAINER.EXITED': [
          { guard: 'isCurrentApp', target: 'StartingContainers', reenter: true, actions: 'advanceApp' },
        ],
        'RUNTIME.SANDBOX': { guard: 'isCurrentSandbox', target: 'SandboxChanged', actions: 'observe' },
        DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] },
        UPDATE: { actions: ['observe', 'applyUpdate', 'spawnContainers', 'startEphemerals'] },
      },
    },

    Running: {
      meta: { phase: 'Running' },
      always: { guard: 'podCompleted', target: 'Completing' },
      on: {
        'RUNTIME.SANDBOX': { guard: 'isCurrentSandbox', target: 'SandboxChanged', actions: 'observe' },
        DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] },
        UPDATE: { actions: ['observe', 'applyUpdate', 'spawnContainers', 'startEphemerals'] },
      },
    },

    /** The sandbox died: SandboxChanged, kill everything, re-create it (or end, under Never). */
    SandboxChanged: {
      meta: { phase: 'Running' },
      entry: [
        { type: 'recordPodEvent', params: () => ({ type: 'Normal', reason: msg.EventReason.SandboxChanged, message: msg.MSG_SANDBOX_CHANGED }) },
        'killForSandboxChange',
      ],
      always: [
        { guard: 'allContainersDown', target: 'StoppingOldSandbox' },
      ],
      on: { DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] } },
    },

    StoppingOldSandbox: {
      meta: { phase: 'Running' },
      invoke: {
        id: 'stopPodSandbox',
        src: 'stopPodSandbox',
        input: ({ context }) => ({ sandboxId: context.sandbox!.id }),
        onDone: [
          { guard: 'noSandboxRecreate', target: 'Completing', actions: 'retireSandbox' },
          { target: 'PurgingInitContainers', actions: 'retireSandbox' },
        ],
        onError: [
          { guard: 'noSandboxRecreate', target: 'Completing', actions: 'retireSandbox' },
          { target: 'PurgingInitContainers', actions: 'retireSandbox' },
        ],
      },
      on: { DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] } },
    },

    /**
     * SyncPod step 2 when the sandbox is re-created: purgeInitContainers removes every init
     * container instance before RunPodSandbox, so the init containers run again from scratch.
     */
    PurgingInitContainers: {
      meta: { phase: 'Running' },
      invoke: {
        id: 'removeContainers',
        src: 'removeContainers',
        input: ({ context }) => ({ containerIds: (context.pod.spec.initContainers ?? []).flatMap((c) => context.instanceIds[c.name] ?? []) }),
        onDone: { target: 'CreatingSandbox', actions: 'notifyPurged' },
        onError: { target: 'CreatingSandbox', actions: 'notifyPurged' },
      },
      on: { DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] } },
    },

    /** Terminal phase reached without deletion: stop what still runs (sidecars), then the sandbox. */
    Completing: {
      meta: { phase: 'terminal' },
      entry: assign({ finished: true }),
      initial: 'KillingContainers',
      on: { DELETE: { actions: ['observe', 'noteDeletion'] } },
      states: killPodStates('#pod.Finished'),
    },

    /** Done, sandbox stopped; the pod object stays until it is deleted. */
    Finished: {
      meta: { phase: 'terminal' },
      always: { guard: 'isDeleting', target: 'Removing' },
      on: { DELETE: { target: 'Removing', actions: ['observe', 'noteDeletion'] } },
    },

    /** killPod: regular containers in parallel, then sidecars in reverse order, then StopPodSandbox. */
    Terminating: {
      meta: { phase: 'terminating' },
      initial: 'KillingContainers',
      on: {
        // A second deletion (force) shortens what is still running.
        DELETE: {
          actions: [
            'observe',
            'noteDeletion',
            enqueueActions(({ context, enqueue }) => {
              for (const [name, ref] of Object.entries(context.refs)) {
                if (!isDown(context, name)) enqueue.sendTo(ref, { type: 'DELETE', gracePeriodOverride: context.deletion?.gracePeriodOverride, force: context.deletion?.force, at: context.now });
              }
            }),
          ],
        },
      },
      states: killPodStates('#pod.Removing'),
    },

    /** RemovePodSandbox for every sandbox the pod had (containers go with them). */
    Removing: {
      meta: { phase: 'terminal' },
      invoke: {
        id: 'removePodSandbox',
        src: 'removePodSandbox',
        input: ({ context }) => ({ sandboxIds: [...context.oldSandboxIds, ...(context.sandbox ? [context.sandbox.id] : [])] }),
        onDone: 'Removed',
        onError: 'Removed',
      },
    },

    Removed: {
      meta: { phase: 'terminal' },
      type: 'final',
    },
  },
});

export type PodMachine = typeof podMachine;
