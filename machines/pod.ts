// The pod machine: the kubelet's SyncPod / computePodActions / killPod for one
// pod, as a chart. It owns the sandbox and spawns one container actor per
// container (machines/container.ts), and decides *when* each container starts
// or stops; the containers decide *how*.
//
// Order, as in the kubelet: RunPodSandbox; init containers one at a time
// (a sidecar, an init container with restartPolicy Always, only needs to be
// started); then app containers in spec order, each waiting for the previous
// one's start (a running postStart holds back the next container).
// Termination: regular containers killed in parallel, sidecars after them in
// reverse order, then StopPodSandbox; RemovePodSandbox once the pod is deleted.
import { assign, emit, enqueueActions, fromPromise, setup, type ActorRefFrom } from 'xstate';
import type { Container, Pod } from '../src/k8s/types.js';
import { formatPod } from '../src/k8s/format.js';
import * as msg from '../src/k8s/messages.js';
import { effectiveTerminationGraceSeconds } from './grace.js';
import { containerMachine, POD_WORKER_RETRY_MS, type ContainerConfig, type ContainerToPodEvent } from './container.js';
import { isSidecar, type ContainerRole } from './restart-policy.js';
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

function roleOf(pod: Pod, name: string): ContainerRole {
  if (pod.spec.containers.some((c) => c.name === name)) return 'regular';
  const init = pod.spec.initContainers?.find((c) => c.name === name);
  if (init) return isSidecar(init) ? 'sidecar' : 'init';
  return 'ephemeral';
}

function allSpecContainers(pod: Pod): Container[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])];
}

function stateOf(ref: ContainerRef | undefined): string {
  const v = ref?.getSnapshot().value;
  return typeof v === 'string' ? v : v ? Object.keys(v)[0]! : 'Pending';
}

/** A container with no instance that could still be running. */
function isDown(ref: ContainerRef | undefined): boolean {
  const s = stateOf(ref);
  return s === 'Exited' || s === 'Pending';
}

/**
 * killPod as a chart fragment (used on deletion and when the pod completes): regular
 * containers in parallel, then sidecars one by one in reverse order, then StopPodSandbox.
 */
function killPodStates(then: '#pod.Finished' | '#pod.Removing') {
  return {
    KillingContainers: {
      entry: 'killNonSidecars',
      always: { guard: 'allNonSidecarsDown', target: 'KillingSidecars' },
    },
    KillingSidecars: {
      entry: 'killNextSidecar',
      always: { guard: 'allContainersDown', target: 'StoppingSandbox' },
      on: { 'CONTAINER.STOPPED': { target: 'KillingSidecars', reenter: true } },
    },
    StoppingSandbox: {
      invoke: {
        id: 'stopPodSandbox',
        src: 'stopPodSandbox',
        input: ({ context }: { context: PodContext }) => ({ sandboxId: context.sandbox?.id ?? '' }),
        onDone: then,
        onError: then,
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
    podCompleted: ({ context }) =>
      context.pod.spec.containers.every((c) => stateOf(context.refs[c.name]) === 'Exited'),
    /** A regular init container failed and will not be restarted (restartPolicy Never): the pod fails. */
    initFailedForGood: ({ context, event }) =>
      event.type === 'CONTAINER.EXITED' && roleOf(context.pod, event.name) === 'init' && event.exitCode !== 0 && !event.willRestart,
    allNonSidecarsDown: ({ context }) =>
      allSpecContainers(context.pod).filter((c) => roleOf(context.pod, c.name) !== 'sidecar').every((c) => isDown(context.refs[c.name])),
    allContainersDown: ({ context }) => allSpecContainers(context.pod).every((c) => isDown(context.refs[c.name])),
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
      return context.refs[cur.name]!.getSnapshot().context.started;
    },
    isCurrentApp: ({ context, event }) => (event as { name?: string }).name === context.pod.spec.containers[context.appIndex]?.name,
    /** restartPolicy Never: a dead sandbox is not re-created once containers have run (computePodActions). */
    noSandboxRecreate: ({ context }) =>
      (context.pod.spec.restartPolicy ?? 'Always') === 'Never' &&
      Object.values(context.refs).some((r) => r.getSnapshot().context.restartCount > 0 || !!r.getSnapshot().context.lastTermination),
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
            input: { pod: context.pod, container: c, role: roleOf(context.pod, c.name), now: context.now, config: context.config.container },
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
      const policy = context.pod.spec.restartPolicy ?? 'Always';
      let i = context.appIndex;
      // After a sandbox re-creation, a container that completed (OnFailure, exit 0) or ended
      // under Never is not started again (computePodActions' containersToStart).
      for (; i < context.pod.spec.containers.length; i++) {
        const ref = context.refs[context.pod.spec.containers[i]!.name]!;
        if (stateOf(ref) !== 'Exited' || policy === 'Always') break;
        const last = ref.getSnapshot().context.lastTermination;
        if (policy === 'OnFailure' && (last?.exitCode ?? 0) !== 0) break;
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
    killNonSidecars: enqueueActions(({ context, enqueue }) => {
      const d = context.deletion;
      for (const c of allSpecContainers(context.pod)) {
        if (roleOf(context.pod, c.name) === 'sidecar') continue;
        const ref = context.refs[c.name];
        if (ref) enqueue.sendTo(ref, { type: 'DELETE', gracePeriodOverride: d?.gracePeriodOverride, force: d?.force, at: context.now });
      }
    }),
    /** Sidecars stop in reverse spec order, each after the one behind it (KEP-753). */
    killNextSidecar: enqueueActions(({ context, enqueue }) => {
      const d = context.deletion;
      const sidecars = (context.pod.spec.initContainers ?? []).filter((c) => isSidecar(c)).reverse();
      const next = sidecars.find((c) => !isDown(context.refs[c.name]));
      if (next) enqueue.sendTo(context.refs[next.name]!, { type: 'DELETE', gracePeriodOverride: d?.gracePeriodOverride, force: d?.force, at: context.now });
    }),
    /** Sandbox died: kill every container and wait for the pod's next START. */
    killForSandboxChange: enqueueActions(({ context, enqueue }) => {
      for (const c of allSpecContainers(context.pod)) {
        const ref = context.refs[c.name];
        if (ref && !isDown(ref)) enqueue.sendTo(ref, { type: 'KILL', request: { cause: 'Other', then: 'pending' }, at: context.now });
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
              assign({ lastError: ({ event }) => errorInfo(event.error).details ?? errorInfo(event.error).message }),
              { type: 'recordPodEvent', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.FailedCreatePodSandBox, message: msg.failedCreateSandboxMessage(context.lastError ?? '') }) },
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
          { target: 'CreatingSandbox', actions: 'retireSandbox' },
        ],
        onError: [
          { guard: 'noSandboxRecreate', target: 'Completing', actions: 'retireSandbox' },
          { target: 'CreatingSandbox', actions: 'retireSandbox' },
        ],
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
              for (const ref of Object.values(context.refs)) {
                if (!isDown(ref)) enqueue.sendTo(ref, { type: 'DELETE', gracePeriodOverride: context.deletion?.gracePeriodOverride, force: context.deletion?.force, at: context.now });
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
