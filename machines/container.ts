// The container machine: one actor per container of a pod, for the pod's
// whole life, walking the kubelet's startContainer / killContainer steps
// (pkg/kubelet/kuberuntime/kuberuntime_container.go) and the restart rules of
// computePodActions. It does no I/O: every CRI call and hook is an invoked
// actor named in setup({ actors }), provided by src/actors/.
//
// Time: events that move time carry `at` (epoch ms, from the manager's clock)
// and the chart keeps absolute deadlines in context (backOffUntil,
// retryAt), so pending waits survive a snapshot restore (send RESUME).
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { Container, LifecycleHandler, Pod, Probe } from '../src/k8s/types.js';
import { formatPod } from '../src/k8s/format.js';
import { containerHash } from '../src/k8s/hash.js';
import * as msg from '../src/k8s/messages.js';
import {
  CRASHLOOP_BACKOFF,
  IMAGE_PULL_BACKOFF,
  imagePullBackOff,
  nextBackOff,
  restartDelay,
  type BackOffEntry,
  type BackOffPolicy,
} from './backoff.js';
import {
  FORCE_DELETE_PRESTOP_BUDGET_MS,
  FORCE_DELETE_STOP_TIMEOUT_SECONDS,
  killGracePeriodSeconds,
  preStopBudgetMs,
  stopTimeoutSeconds,
  type KillCause,
} from './grace.js';
import { restartAfterKill, shouldRestart, type ContainerRole } from './restart-policy.js';
import { probeMachine, type ProbeInput, type ProbeToParentEvent } from './probe.js';
import {
  errorInfo,
  type ActorErrorShape,
  type CreateContainerInput,
  type CreateContainerOutput,
  type EventRecord,
  type InspectImageInput,
  type InspectImageOutput,
  type InstanceStatus,
  type PullImageInput,
  type PullImageOutput,
  type RemoveContainerInput,
  type RunHandlerInput,
  type RunHandlerOutput,
  type SandboxInfo,
  type StartContainerInput,
  type StartContainerOutput,
  type StopContainerInput,
  type StopContainerOutput,
} from './types.js';

/** The kubelet's pod-worker requeue after a sync error: 10 s (+ up to 50 % jitter, chosen by the manager). */
export const POD_WORKER_RETRY_MS = 10_000;

/** What happens once a kill completes. */
export type AfterKill =
  /** restart per back-off (liveness/startup failure, definition change, unknown state) */
  | 'restart'
  /** stay terminated (pod deletion, pod end, Never) */
  | 'exit'
  /** wait for the pod's next START (sandbox re-creation) */
  | 'pending'
  /** postStart failed: waiting PostStartHookError, then restart per policy */
  | 'postStartError';

export interface KillRequest {
  cause: KillCause;
  /** Killing event message; default `Stopping container <c>`. */
  message?: string;
  then: AfterKill;
  gracePeriodOverride?: number;
  /** Force deletion: preStop gets at most 1 s and StopContainer timeout 2. */
  force?: boolean;
}

export interface ActiveKill extends KillRequest {
  graceSeconds: number;
  startedAt: number;
  preStopStartedAt?: number;
  preStopElapsedMs: number;
}

export interface ContainerConfig {
  backOff: BackOffPolicy;
  imageBackOff: BackOffPolicy;
  /** Delay before retrying a failed sync step that is not a back-off (10–15 s in the kubelet). */
  podWorkerRetryMs: number;
  /** statelet extension: fail a postStart/preStop hook that runs longer than this (0 = no timeout, as the kubelet). */
  hookTimeoutMs: number;
}

export interface ContainerInput {
  pod: Pod;
  container: Container;
  role: ContainerRole;
  now: number;
  config?: Partial<ContainerConfig>;
}

export interface ContainerContext {
  pod: Pod;
  podRef: string;
  container: Container;
  hash: string;
  role: ContainerRole;
  fieldPath: string;
  config: ContainerConfig;
  /** Last time the chart heard of (epoch ms), from event `at` fields. */
  now: number;
  sandbox?: SandboxInfo;
  /** Restarts so far; the next instance's CRI metadata.attempt. */
  restartCount: number;
  /** The current runtime instance, once created. */
  instance?: InstanceStatus;
  /** The newest exited instance (status.lastState / state.terminated). */
  lastTermination?: InstanceStatus;
  /** The exited instance before lastTermination (status.lastState while terminated). */
  previousTermination?: InstanceStatus;
  /** Exited instances older than lastTermination, to be removed (the kubelet keeps the newest one). */
  staleIds: string[];
  imageRef?: string;
  imageBackOff?: BackOffEntry;
  backOff?: BackOffEntry;
  /** Absolute deadline of the current CrashLoopBackOff/ImagePullBackOff wait. */
  backOffUntil?: number;
  /** The back-off value shown in the waiting message. */
  backOffMs?: number;
  /** Absolute deadline of the current pod-worker retry. */
  retryAt?: number;
  /** Waiting reason message (kubelet reason cache): the last error's detail. */
  waitingMessage?: string;
  kill?: ActiveKill;
  deleting: boolean;
  /** The deletion's grace override and force flag, once the pod is being deleted. */
  deletion?: { gracePeriodOverride?: number; force: boolean };
  /** startupProbe passed (or none). */
  started: boolean;
  /** readinessProbe passed (or none). */
  ready: boolean;
  pullStartedAt?: number;
}

export type ContainerEvent =
  | { type: 'START'; sandbox: SandboxInfo; at: number }
  | { type: 'KILL'; request: KillRequest; at: number }
  | { type: 'DELETE'; gracePeriodOverride?: number; force?: boolean; at: number }
  | { type: 'RUNTIME.STATUS'; status: InstanceStatus; at: number }
  | { type: 'SPEC_UPDATE'; container: Container; at: number }
  | ProbeToParentEvent
  | { type: 'RESUME'; at: number };

/** Sent to the pod (the parent) as the container moves. */
export type ContainerToPodEvent =
  | { type: 'CONTAINER.EVENT'; name: string; event: EventRecord }
  | { type: 'CONTAINER.STARTED'; name: string }
  | { type: 'CONTAINER.START_FAILED'; name: string }
  | { type: 'CONTAINER.READY'; name: string; ready: boolean; started: boolean }
  | { type: 'CONTAINER.PROBE'; name: string; probe: 'liveness' | 'readiness' | 'startup'; result: 'success' | 'failure'; output?: string; at: number }
  | { type: 'CONTAINER.EXITED'; name: string; exitCode: number; willRestart: boolean }
  | { type: 'CONTAINER.STOPPED'; name: string }
  | { type: 'CONTAINER.CHANGED'; name: string };

export function fieldPathFor(role: ContainerRole, name: string): string {
  const list = role === 'regular' ? 'containers' : role === 'ephemeral' ? 'ephemeralContainers' : 'initContainers';
  return `spec.${list}{${name}}`;
}

const notProvided = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`statelet: actor "${name}" is not provided; create the machine with createRuntimeActors() or .provide({ actors })`);
  });

function eventAt(event: { at?: number } | undefined, fallback: number): number {
  return typeof event?.at === 'number' ? event.at : fallback;
}

/** Output/error timestamps from actors, when present. */
function doneAt(event: unknown, fallback: number): number {
  const e = event as { output?: { at?: number; finishedAt?: number; startedAt?: number }; error?: { at?: number } };
  return e.output?.finishedAt ?? e.output?.at ?? e.output?.startedAt ?? e.error?.at ?? fallback;
}

/** The instance ended: it becomes state.terminated, and the one before it lastState. */
function terminatedWith(context: ContainerContext, status: InstanceStatus) {
  return {
    lastTermination: { ...status, state: 'exited' as const },
    previousTermination: context.lastTermination && context.lastTermination.id !== status.id ? context.lastTermination : context.previousTermination,
    instance: undefined,
  };
}

/** One prober worker per (instance, probe type); all three are invoked, absent probes finish at once. */
function probeInput(context: ContainerContext, type: 'liveness' | 'readiness' | 'startup'): ProbeInput {
  const c = context.container;
  return {
    type,
    probe: type === 'liveness' ? c.livenessProbe : type === 'readiness' ? c.readinessProbe : c.startupProbe,
    pod: context.pod,
    container: c,
    containerId: context.instance?.id ?? '',
    podIP: context.sandbox?.ip ?? '',
    startedAt: context.instance?.startedAt ?? context.now,
    now: context.now,
    // The startup probe gates liveness and readiness (prober: they run only once started).
    gated: type !== 'startup' && !!c.startupProbe && !context.started,
  };
}

/** A container actor run on its own (an embedder's, or a graph traversal's) has no pod to tell. */
function hasParent(self: unknown): boolean {
  return !!(self as { _parent?: unknown })._parent;
}

function eventFor(context: ContainerContext, ev: EventRecord): ContainerToPodEvent {
  return { type: 'CONTAINER.EVENT', name: context.container.name, event: { ...ev, fieldPath: context.fieldPath } };
}

function probeFor(c: Container, cause: KillCause): Probe | undefined {
  return cause === 'LivenessProbe' ? c.livenessProbe : cause === 'StartupProbe' ? c.startupProbe : undefined;
}

/**
 * A failed CreateContainer (or its config): the Failed event with the runtime's message,
 * then EnsureImageExists again on the next pod-worker sync.
 */
function syncErrorState(reason: 'CreateContainerConfigError' | 'CreateContainerError') {
  return {
    meta: { status: 'waiting', reason },
    entry: [
      'scheduleRetry',
      { type: 'record', params: ({ context }: { context: ContainerContext }) => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(context.waitingMessage ?? '') }) },
      'notifyStartFailed',
    ],
    always: { guard: 'isDeleting', target: 'Exited' },
    after: { podWorkerRetry: { target: 'Pulling', actions: 'reachRetryDeadline' } },
    on: {
      // A restored snapshot re-arms the wait from its absolute deadline.
      RESUME: { target: reason, reenter: true, actions: 'observe' },
      SPEC_UPDATE: { target: 'Pulling', actions: 'observe' },
      DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
    },
  } as const;
}

export const containerMachine = setup({
  types: {
    context: {} as ContainerContext,
    events: {} as ContainerEvent,
    input: {} as ContainerInput,
  },
  actors: {
    probe: probeMachine,
    inspectImage: notProvided('inspectImage') as unknown as ReturnType<typeof fromPromise<InspectImageOutput, InspectImageInput>>,
    pullImage: notProvided('pullImage') as unknown as ReturnType<typeof fromPromise<PullImageOutput, PullImageInput>>,
    createContainer: notProvided('createContainer') as unknown as ReturnType<typeof fromPromise<CreateContainerOutput, CreateContainerInput>>,
    startContainer: notProvided('startContainer') as unknown as ReturnType<typeof fromPromise<StartContainerOutput, StartContainerInput>>,
    runHandler: notProvided('runHandler') as unknown as ReturnType<typeof fromPromise<RunHandlerOutput, RunHandlerInput>>,
    stopContainer: notProvided('stopContainer') as unknown as ReturnType<typeof fromPromise<StopContainerOutput, StopContainerInput>>,
    removeContainer: notProvided('removeContainer') as unknown as ReturnType<typeof fromPromise<void, RemoveContainerInput>>,
  },
  delays: {
    /** Remaining CrashLoopBackOff / ImagePullBackOff wait, from the absolute deadline. */
    backOffRemaining: ({ context }) => Math.max(0, (context.backOffUntil ?? context.now) - context.now),
    /** Remaining pod-worker retry wait (CreateContainerError, ErrImageNeverPull, failed kill, ...). */
    podWorkerRetry: ({ context }) => Math.max(0, (context.retryAt ?? context.now) - context.now),
    /** preStop may use the whole grace period (1 s under force deletion), then StopContainer goes ahead. */
    preStopBudget: ({ context }) =>
      context.kill?.force ? FORCE_DELETE_PRESTOP_BUDGET_MS : preStopBudgetMs(context.kill?.graceSeconds ?? 0),
    /** statelet's optional per-hook timeout. */
    hookTimeout: ({ context }) => context.config.hookTimeoutMs,
  },
  guards: {
    imagePresentAndNotAlways: ({ context, event }) => {
      const out = (event as unknown as { output: InspectImageOutput }).output;
      return out.present && context.container.imagePullPolicy !== 'Always';
    },
    pullPolicyNever: ({ context }) => context.container.imagePullPolicy === 'Never',
    inImagePullBackOff: ({ context }) =>
      imagePullBackOff(context.imageBackOff, context.now, context.config.imageBackOff).inBackOff,
    hasPostStart: ({ context }) => !!context.container.lifecycle?.postStart,
    hookTimeoutEnabled: ({ context }) => context.config.hookTimeoutMs > 0,
    shouldRunPreStop: ({ context }) =>
      !!context.container.lifecycle?.preStop && (context.kill?.graceSeconds ?? 0) > 0 && context.instance?.state === 'running',
    isCurrentInstance: ({ context, event }) =>
      event.type === 'RUNTIME.STATUS' && !!context.instance && event.status.id === context.instance.id,
    instanceExited: ({ context, event }) =>
      event.type === 'RUNTIME.STATUS' && !!context.instance && event.status.id === context.instance.id && event.status.state === 'exited',
    instanceUnknown: ({ context, event }) =>
      event.type === 'RUNTIME.STATUS' && !!context.instance && event.status.id === context.instance.id && event.status.state === 'unknown',
    killFollowedByPostStartError: ({ context }) => context.kill?.then === 'postStartError',
    killFollowedByPending: ({ context }) => context.kill?.then === 'pending',
    killFollowedByRestart: ({ context }) => context.kill?.then === 'restart' && !context.deleting,
    killFollowedByExit: ({ context }) => context.kill?.then === 'exit' || context.deleting,
    /** computePodActions / ShouldContainerBeRestarted for the newest exited instance. */
    shouldNotRestart: ({ context }) =>
      !shouldRestart({
        role: context.role,
        restartPolicy: context.pod.spec.restartPolicy ?? 'Always',
        deleting: context.deleting,
        status: context.lastTermination
          ? { state: 'exited', exitCode: context.lastTermination.exitCode, reason: context.lastTermination.reason }
          : undefined,
      }),
    /** doBackOff: the newest exited instance finished less than the current back-off ago. */
    inCrashLoopBackOff: ({ context }) =>
      !!context.lastTermination &&
      restartDelay(context.backOff, context.lastTermination.finishedAt ?? context.now, context.now, context.config.backOff).inBackOff,
    isDeleting: ({ context }) => context.deleting,
    killToPending: ({ event }) => event.type === 'KILL' && event.request.then === 'pending',
    notDeleting: ({ context }) => !context.deleting,
    /** A START after an earlier instance: a new attempt (sandbox re-created). */
    ranBefore: ({ context }) => !!context.lastTermination || !!context.instance,
    /** Config generation failed before the runtime was asked (CreateContainerConfigError). */
    isConfigError: ({ event }) => ((event as { error?: { name?: string } }).error)?.name === 'CreateContainerConfigError',
    exitedDuringPostStart: ({ context }) => context.instance?.state === 'exited',
    isReadinessResult: ({ event }) => event.type === 'PROBE.RESULT' && event.probe === 'readiness',
    /** The instance was created but never started. */
    neverStarted: ({ context }) => context.instance?.state === 'created',
    /** CRI NotFound: the container is already gone. */
    isNotFound: ({ event }) => errorInfo((event as { error?: unknown }).error).notFound === true,
    hasInstance: ({ context }) => !!context.instance && context.instance.state !== 'exited',
    hashChanged: ({ context, event }) => event.type === 'SPEC_UPDATE' && containerHash(event.container) !== context.hash,
    isLivenessFailure: ({ event }) => event.type === 'PROBE.RESULT' && event.probe === 'liveness' && event.result === 'failure',
    isStartupFailure: ({ event }) => event.type === 'PROBE.RESULT' && event.probe === 'startup' && event.result === 'failure',
  },
  actions: {
    observe: assign({ now: ({ context, event }) => Math.max(context.now, eventAt(event as { at?: number }, context.now)) }),
    observeDone: assign({ now: ({ context, event }) => Math.max(context.now, doneAt(event, context.now)) }),
    record: enqueueActions(({ context, self, enqueue }, ev: EventRecord) => {
      if (hasParent(self)) enqueue.sendParent(eventFor(context, ev));
    }),
    /**
     * The next pod-worker retry is due a retry period from now; after a snapshot restore
     * (RESUME re-enters the state) the original deadline stands.
     */
    scheduleRetry: assign({
      retryAt: ({ context, event }) => (event.type === 'RESUME' && context.retryAt !== undefined ? context.retryAt : context.now + context.config.podWorkerRetryMs),
    }),
    /** A timer fired: time has reached its deadline. */
    reachRetryDeadline: assign({ now: ({ context }) => Math.max(context.now, context.retryAt ?? context.now) }),
    reachBackOffDeadline: assign({ now: ({ context }) => Math.max(context.now, context.backOffUntil ?? context.now) }),
    notifyStarted: enqueueActions(({ context, self, enqueue }) => {
      if (hasParent(self)) enqueue.sendParent({ type: 'CONTAINER.STARTED', name: context.container.name });
    }),
    notifyStopped: enqueueActions(({ context, self, enqueue }) => {
      if (hasParent(self)) enqueue.sendParent({ type: 'CONTAINER.STOPPED', name: context.container.name });
    }),
    notifyExited: enqueueActions(({ context, self, enqueue }) => {
      if (hasParent(self)) enqueue.sendParent({
      type: 'CONTAINER.EXITED',
      name: context.container.name,
      exitCode: context.lastTermination?.exitCode ?? 0,
      willRestart:
        context.kill?.then === 'restart' && !context.deleting
          ? true
          : shouldRestart({
              role: context.role,
              restartPolicy: context.pod.spec.restartPolicy ?? 'Always',
              deleting: context.deleting,
              status: { state: 'exited', exitCode: context.lastTermination?.exitCode, reason: context.lastTermination?.reason },
            }),
    });
    }),
    /** One prober per probe the container defines (kubelet prober manager AddPod). */
    startProbes: enqueueActions(({ context, enqueue }, params: { types: ('startup' | 'liveness' | 'readiness')[] }) => {
      const c = context.container;
      for (const type of params.types) {
        const probe = type === 'liveness' ? c.livenessProbe : type === 'readiness' ? c.readinessProbe : c.startupProbe;
        if (probe) enqueue.spawnChild('probe', { id: `${type}Probe`, input: probeInput(context, type) });
      }
    }),
    stopProbes: enqueueActions(({ context, enqueue }, params: { types: ('startup' | 'liveness' | 'readiness')[] }) => {
      const c = context.container;
      for (const type of params.types) {
        const probe = type === 'liveness' ? c.livenessProbe : type === 'readiness' ? c.readinessProbe : c.startupProbe;
        if (probe) enqueue.stopChild(`${type}Probe`);
      }
    }),
    notifyProbe: enqueueActions(({ context, event, self, enqueue }) => {
      if (event.type !== 'PROBE.RESULT' || !hasParent(self)) return;
      enqueue.sendParent({ type: 'CONTAINER.PROBE', name: context.container.name, probe: event.probe, result: event.result, output: event.output, at: event.at });
    }),
    notifyChanged: enqueueActions(({ context, self, enqueue }) => {
      if (hasParent(self)) enqueue.sendParent({ type: 'CONTAINER.CHANGED', name: context.container.name });
    }),
    notifyStartFailed: enqueueActions(({ context, self, enqueue }) => {
      if (hasParent(self)) enqueue.sendParent({ type: 'CONTAINER.START_FAILED', name: context.container.name });
    }),
    recordExit: assign(({ context, event }) => {
      const status = (event as { status: InstanceStatus }).status;
      return { ...terminatedWith(context, { ...context.instance!, ...status }), started: false, ready: false };
    }),
    removeStaleInstances: enqueueActions(({ context, enqueue }) => {
      // Keep the newest exited instance (status.lastState); remove older ones so a
      // name+attempt pair is never held by two instances.
      for (const id of context.staleIds) enqueue.spawnChild('removeContainer', { input: { containerId: id } });
      const stale = context.lastTermination && context.lastTermination.id !== context.instance?.id ? [context.lastTermination.id] : [];
      enqueue.assign({ staleIds: stale.filter((id) => id !== '') });
    }),
    onPostStartFailure: enqueueActions(({ context, event, self, enqueue }, params?: { message?: string }) => {
      const message = params?.message ?? errorInfo((event as { error?: unknown }).error).message;
      enqueue.assign({ waitingMessage: message });
      if (hasParent(self)) enqueue.sendParent(eventFor(context, { type: 'Warning', reason: msg.EventReason.FailedPostStartHook, message: msg.MSG_POST_START_HOOK_FAILED }));
      // kubelet: killContainer(..., "FailedPostStartHook", reasonFailedPostStartHook, nil); grace = pod's value.
      enqueue.assign({
        kill: {
          cause: 'PostStartHook',
          message: msg.MSG_KILL_FAILED_POST_START,
          then: 'postStartError',
          graceSeconds: killGracePeriodSeconds({ pod: context.pod, reason: 'PostStartHook' }),
          startedAt: context.now,
          preStopElapsedMs: 0,
        },
      });
    }),
    beginKill: assign(({ context, event }, params?: { request?: KillRequest }) => {
      const request = params?.request ?? (event as { request: KillRequest }).request;
      return {
        kill: {
          ...request,
          graceSeconds: killGracePeriodSeconds({
            pod: context.pod,
            container: context.container,
            reason: request.cause,
            probe: probeFor(context.container, request.cause),
            override: request.gracePeriodOverride,
          }),
          startedAt: context.now,
          preStopElapsedMs: 0,
        },
      };
    }),
    /** Remembered so that a deletion arriving mid-step (CreateContainer, StartContainer) is acted on next. */
    noteDeletion: assign(({ context, event }) => {
      const e = event as { gracePeriodOverride?: number; force?: boolean };
      return {
        deleting: true,
        deletion: {
          gracePeriodOverride: e.gracePeriodOverride ?? context.deletion?.gracePeriodOverride,
          force: !!e.force || !!context.deletion?.force,
        },
      };
    }),
    beginDeletionKill: assign(({ context }) => {
      const e = context.deletion ?? { force: false };
      return {
        deleting: true,
        kill: {
          cause: 'Deletion' as KillCause,
          then: 'exit' as AfterKill,
          force: !!e.force,
          gracePeriodOverride: e.gracePeriodOverride,
          graceSeconds: killGracePeriodSeconds({ pod: context.pod, container: context.container, reason: 'Deletion', override: e.gracePeriodOverride }),
          startedAt: context.now,
          preStopElapsedMs: 0,
        },
      };
    }),
    beginProbeKill: enqueueActions(({ context, enqueue }, params: { cause: KillCause }) => {
      const name = context.container.name;
      const restart = restartAfterKill(context.role, context.pod.spec.restartPolicy ?? 'Always');
      const message =
        context.role === 'regular'
          ? params.cause === 'LivenessProbe'
            ? msg.livenessKillMessage(name, restart)
            : msg.startupKillMessage(name, restart)
          : params.cause === 'LivenessProbe'
            ? msg.initLivenessKillMessage(name)
            : msg.initStartupKillMessage(name);
      const request: KillRequest = { cause: params.cause, message, then: restart ? 'restart' : 'exit' };
      enqueue.assign({
        kill: {
          ...request,
          graceSeconds: killGracePeriodSeconds({ pod: context.pod, container: context.container, reason: params.cause, probe: probeFor(context.container, params.cause) }),
          startedAt: context.now,
          preStopElapsedMs: 0,
        },
      });
    }),
    applyProbeResult: enqueueActions(({ context, event, self, enqueue }) => {
      if (event.type !== 'PROBE.RESULT') return;
      let { started, ready } = context;
      if (event.probe === 'startup' && event.result === 'success') started = true;
      if (event.probe === 'readiness') ready = started && event.result === 'success';
      if (event.probe === 'startup' && event.result === 'success' && !context.container.readinessProbe) ready = true;
      if (event.probe === 'startup' && event.result === 'success' && !context.started) {
        if (context.container.livenessProbe) enqueue.sendTo('livenessProbe', { type: 'UNGATE', at: event.at });
        if (context.container.readinessProbe) enqueue.sendTo('readinessProbe', { type: 'UNGATE', at: event.at });
      }
      if (started === context.started && ready === context.ready) return;
      enqueue.assign({ started, ready });
      if (hasParent(self)) enqueue.sendParent({ type: 'CONTAINER.READY', name: context.container.name, ready, started });
    }),
    notePreStopElapsed: assign({
      kill: ({ context }) => {
        const k = context.kill!;
        const elapsed = Math.max(0, context.now - (k.preStopStartedAt ?? context.now));
        return { ...k, preStopElapsedMs: elapsed };
      },
    }),
  },
}).createMachine({
  id: 'container',
  context: ({ input }) => ({
    pod: input.pod,
    podRef: formatPod(input.pod),
    container: input.container,
    hash: containerHash(input.container),
    role: input.role,
    fieldPath: fieldPathFor(input.role, input.container.name),
    config: {
      backOff: input.config?.backOff ?? CRASHLOOP_BACKOFF,
      imageBackOff: input.config?.imageBackOff ?? IMAGE_PULL_BACKOFF,
      podWorkerRetryMs: input.config?.podWorkerRetryMs ?? POD_WORKER_RETRY_MS,
      hookTimeoutMs: input.config?.hookTimeoutMs ?? 0,
    },
    now: input.now,
    restartCount: 0,
    staleIds: [],
    deleting: false,
    started: false,
    ready: false,
  }),
  initial: 'Pending',
  on: {
    // The spec changed (static pod manifest edit). A new hash means a new back-off key,
    // so the back-off starts afresh (kubelet getStableKey folds the hash in).
    SPEC_UPDATE: {
      actions: [
        'observe',
        assign(({ context, event }) => {
          const hash = containerHash(event.container);
          return hash === context.hash
            ? { container: event.container }
            : { container: event.container, hash, backOff: undefined, imageBackOff: undefined };
        }),
      ],
    },
    RESUME: { actions: 'observe' },
    // States without their own DELETE handler (a CRI call in flight) remember it for later.
    DELETE: { actions: ['observe', 'noteDeletion'] },
    // A kill with no running instance (waiting, pulling, creating): nothing to stop. For a
    // sandbox re-creation the container waits for the pod's next START.
    KILL: [
      { guard: 'killToPending', target: '.Pending', actions: ['observe', assign({ instance: undefined, kill: undefined })] },
      { actions: 'observe' },
    ],
  },
  states: {
    /** Not started yet: the pod decides when (init order, spec order, sandbox ready). */
    Pending: {
      meta: { status: 'waiting', reason: 'ContainerCreating' },
      // The pod waits for its containers to be down (sandbox re-creation): tell it.
      entry: 'notifyChanged',
      on: {
        START: [
          {
            // A re-run in a new sandbox is a new attempt (kubelet: restartCount = previous + 1).
            guard: 'ranBefore',
            target: 'Pulling',
            actions: ['observe', assign({ sandbox: ({ event }) => event.sandbox, restartCount: ({ context }) => context.restartCount + 1, instance: undefined })],
          },
          { target: 'Pulling', actions: ['observe', assign({ sandbox: ({ event }) => event.sandbox })] },
        ],
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
        KILL: { actions: 'observe' },
      },
    },

    /** EnsureImageExists (kuberuntime_image.go): ImageStatus, pull policy, pull back-off, PullImage. */
    Pulling: {
      meta: { status: 'waiting', reason: 'ContainerCreating' },
      initial: 'Inspecting',
      on: {
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
      },
      states: {
        Inspecting: {
          invoke: {
            id: 'inspectImage',
            src: 'inspectImage',
            input: ({ context }) => ({ image: context.container.image }),
            onDone: [
              {
                guard: 'imagePresentAndNotAlways',
                target: '#container.Creating',
                actions: [
                  assign({ imageRef: ({ event }) => event.output.imageRef }),
                  { type: 'record', params: ({ context }) => ({ type: 'Normal', reason: msg.EventReason.Pulled, message: msg.alreadyPresentMessage(context.container.image) }) },
                ],
              },
              { guard: 'pullPolicyNever', target: '#container.ErrImageNeverPull' },
              { guard: 'inImagePullBackOff', target: '#container.ImagePullBackOff' },
              { target: 'Pulling' },
            ],
            onError: {
              target: '#container.ImageInspectError',
              actions: assign({ waitingMessage: ({ context, event }) => msg.inspectFailedMessage(context.container.image, errorInfo(event.error).details ?? errorInfo(event.error).message) }),
            },
          },
        },
        Pulling: {
          entry: [
            assign({ pullStartedAt: ({ context }) => context.now }),
            { type: 'record', params: ({ context }) => ({ type: 'Normal', reason: msg.EventReason.Pulling, message: msg.pullingMessage(context.container.image) }) },
          ],
          invoke: {
            id: 'pullImage',
            src: 'pullImage',
            input: ({ context }) => ({ image: context.container.image, sandbox: context.sandbox }),
            onDone: {
              target: '#container.Creating',
              actions: [
                assign({ imageRef: ({ event }) => event.output.imageRef, imageBackOff: undefined }),
                {
                  type: 'record',
                  params: ({ context, event }) => ({
                    type: 'Normal',
                    reason: msg.EventReason.Pulled,
                    message: msg.pulledMessage(context.container.image, event.output.pullMs, event.output.totalMs, event.output.size),
                  }),
                },
              ],
            },
            onError: {
              target: '#container.ErrImagePull',
              actions: [
                'observeDone',
                assign(({ context, event }) => {
                  const detail = errorInfo(event.error).details ?? errorInfo(event.error).message;
                  return {
                    waitingMessage: detail,
                    // kubelet: a failed pull calls Next() on the <podUID>_<image> entry.
                    imageBackOff: nextBackOff(context.imageBackOff, context.now, context.config.imageBackOff),
                  };
                }),
                { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.failedToPullMessage(context.container.image, context.waitingMessage ?? '') }) },
                { type: 'record', params: () => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ErrImagePull) }) },
              ],
            },
          },
        },
      },
    },

    /** The pull failed; the next sync (pod-worker retry) checks the image back-off again. */
    ErrImagePull: {
      meta: { status: 'waiting', reason: 'ErrImagePull' },
      entry: ['scheduleRetry', 'notifyStartFailed'],
      after: { podWorkerRetry: { target: 'Pulling', actions: 'reachRetryDeadline' } },
      on: {
        // A restored snapshot re-arms the wait from its absolute deadline.
        RESUME: { target: 'ErrImagePull', reenter: true, actions: 'observe' },
        SPEC_UPDATE: { target: 'Pulling', actions: 'observe' },
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
      },
    },

    /** Inside the image back-off: no PullImage until it expires (Back-off pulling image). */
    ImagePullBackOff: {
      meta: { status: 'waiting', reason: 'ImagePullBackOff' },
      entry: [
        assign(({ context }) => {
          const check = imagePullBackOff(context.imageBackOff, context.now, context.config.imageBackOff);
          return { backOffUntil: context.now + check.delayMs, backOffMs: check.currentBackoffMs, waitingMessage: msg.backOffPullImageMessage(context.container.image) };
        }),
        { type: 'record', params: ({ context }) => ({ type: 'Normal', reason: msg.EventReason.BackOff, message: msg.backOffPullImageMessage(context.container.image) }) },
        { type: 'record', params: () => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ImagePullBackOff) }) },
        'notifyStartFailed',
      ],
      after: { backOffRemaining: { target: 'Pulling', actions: 'reachBackOffDeadline' } },
      on: {
        // A restored snapshot re-arms the wait from its absolute deadline.
        RESUME: { target: 'ImagePullBackOff', reenter: true, actions: 'observe' },
        SPEC_UPDATE: { target: 'Pulling', actions: 'observe' },
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
      },
    },

    /** pull policy Never and the image is absent: no back-off, retried every sync. */
    ErrImageNeverPull: {
      meta: { status: 'waiting', reason: 'ErrImageNeverPull' },
      entry: [
        assign({ waitingMessage: ({ context }) => msg.neverPullMessage(context.container.image) }),
        'scheduleRetry',
        { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.ErrImageNeverPull, message: msg.neverPullMessage(context.container.image) }) },
        { type: 'record', params: () => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ErrImageNeverPull) }) },
        'notifyStartFailed',
      ],
      after: { podWorkerRetry: { target: 'Pulling', actions: 'reachRetryDeadline' } },
      on: {
        // A restored snapshot re-arms the wait from its absolute deadline.
        RESUME: { target: 'ErrImageNeverPull', reenter: true, actions: 'observe' },
        SPEC_UPDATE: { target: 'Pulling', actions: 'observe' },
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
      },
    },

    /** ImageStatus failed (InspectFailed); retried every sync. */
    ImageInspectError: {
      meta: { status: 'waiting', reason: 'ImageInspectError' },
      entry: [
        'scheduleRetry',
        { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.InspectFailed, message: context.waitingMessage ?? '' }) },
        { type: 'record', params: () => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ImageInspectError) }) },
        'notifyStartFailed',
      ],
      after: { podWorkerRetry: { target: 'Pulling', actions: 'reachRetryDeadline' } },
      on: {
        RESUME: { target: 'ImageInspectError', reenter: true, actions: 'observe' },
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
      },
    },

    /** startContainer step 2: CreateContainer with the kubelet's labels, annotations and attempt. */
    Creating: {
      meta: { status: 'waiting', reason: 'ContainerCreating' },
      invoke: {
        id: 'createContainer',
        src: 'createContainer',
        input: ({ context }) => ({
          pod: context.pod,
          container: context.container,
          fieldPath: context.fieldPath,
          sandbox: context.sandbox!,
          restartCount: context.restartCount,
          imageRef: context.imageRef,
        }),
        onDone: {
          target: 'Created',
          actions: [
            assign({ instance: ({ event, context }) => ({ id: event.output.containerId, state: 'created', createdAt: context.now }) }),
            { type: 'record', params: ({ context }) => ({ type: 'Normal', reason: msg.EventReason.Created, message: msg.createdMessage(context.container.name) }) },
          ],
        },
        onError: [
          {
            // Config generation failed before the runtime was asked (missing configmap, ...).
            guard: 'isConfigError',
            target: 'CreateContainerConfigError',
            actions: ['observeDone', assign({ waitingMessage: ({ event }) => errorInfo(event.error).message })],
          },
          {
            target: 'CreateContainerError',
            actions: ['observeDone', assign({ waitingMessage: ({ event }) => errorInfo(event.error).details ?? errorInfo(event.error).message })],
          },
        ],
      },
      on: {
        // Deleting while CreateContainer is in flight: let it finish, then kill (kubelet SyncPod is not cancellable here).
        DELETE: { actions: ['observe', 'noteDeletion'] },
      },
    },

    CreateContainerConfigError: syncErrorState('CreateContainerConfigError'),
    CreateContainerError: syncErrorState('CreateContainerError'),

    /** startContainer step 3: StartContainer. */
    Created: {
      meta: { status: 'waiting', reason: '' },
      entry: ['removeStaleInstances'],
      always: {
        // Deleted while it was being created: kill the created instance, no restart.
        guard: 'isDeleting',
        target: 'Terminating',
        actions: 'beginDeletionKill',
      },
      invoke: {
        id: 'startContainer',
        src: 'startContainer',
        input: ({ context }) => ({ containerId: context.instance!.id }),
        onDone: {
          target: 'Started',
          actions: [
            'observeDone',
            assign({ instance: ({ context, event }) => ({ ...context.instance!, state: 'running', startedAt: event.output.startedAt }) }),
            { type: 'record', params: ({ context }) => ({ type: 'Normal', reason: msg.EventReason.Started, message: msg.startedMessage(context.container.name) }) },
          ],
        },
        onError: {
          target: 'RunContainerError',
          actions: [
            'observeDone',
            assign(({ context, event }) => {
              const detail = errorInfo(event.error).details ?? errorInfo(event.error).message;
              return {
                waitingMessage: detail,
                // The runtime reports a container that could not start as exited 128 StartError.
                ...terminatedWith(context, { ...context.instance!, state: 'exited', exitCode: 128, reason: 'StartError', message: detail, finishedAt: context.now }),
              };
            }),
            { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.errorMessage(context.waitingMessage ?? '') }) },
          ],
        },
      },
    },

    /** StartContainer returned: run postStart if there is one. */
    Started: {
      meta: { status: 'running' },
      always: [
        { guard: 'isDeleting', target: 'Terminating', actions: 'beginDeletionKill' },
        { guard: 'hasPostStart', target: 'PostStartRunning' },
        { target: 'Running' },
      ],
    },

    /**
     * startContainer step 4: the postStart hook, synchronously. While it runs the pod
     * starts no further container (the pod waits for CONTAINER.STARTED).
     */
    PostStartRunning: {
      meta: { status: 'running' },
      invoke: {
        id: 'runHandler',
        src: 'runHandler',
        input: ({ context }) => ({
          pod: context.pod,
          container: context.container,
          containerId: context.instance!.id,
          hook: 'PostStart' as const,
          handler: context.container.lifecycle!.postStart as LifecycleHandler,
          podIP: context.sandbox?.ip ?? '',
        }),
        onDone: { target: 'Running', actions: 'observeDone' },
        onError: {
          target: 'Terminating',
          actions: ['observeDone', 'onPostStartFailure'],
        },
      },
      after: {
        hookTimeout: {
          guard: 'hookTimeoutEnabled',
          target: 'Terminating',
          actions: [
            assign({ now: ({ context }) => context.now + context.config.hookTimeoutMs }),
            { type: 'onPostStartFailure', params: ({ context }) => ({ message: `postStart hook timed out after ${context.config.hookTimeoutMs} ms (statelet hookTimeout)` }) },
          ],
        },
      },
      on: {
        // statelet improvement over kubernetes#116032: deletion cancels a running postStart.
        DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion', 'beginDeletionKill'] },
        KILL: { target: 'Terminating', actions: ['observe', 'beginKill'] },
        'RUNTIME.STATUS': {
          // The process died while postStart ran: remember the exit; the hook's outcome decides.
          guard: 'instanceExited',
          actions: ['observe', assign({ instance: ({ context, event }) => ({ ...context.instance!, ...(event as { status: InstanceStatus }).status }) })],
        },
      },
    },

    Running: {
      meta: { status: 'running' },
      // Probers live as long as this instance runs (one per probe the container has); leaving
      // Running (a kill or an exit) stops liveness and startup probing, as the kubelet does
      // once termination starts.
      exit: [{ type: 'stopProbes', params: { types: ['startup', 'liveness', 'readiness'] } }],
      entry: [
        { type: 'startProbes', params: { types: ['startup', 'liveness', 'readiness'] } },
        assign({ started: ({ context }) => !context.container.startupProbe, ready: ({ context }) => !context.container.startupProbe && !context.container.readinessProbe }),
        'notifyStarted',
      ],
      always: {
        // It already exited while postStart ran.
        guard: 'exitedDuringPostStart',
        target: 'ExitDecision',
        actions: assign(({ context }) => terminatedWith(context, context.instance!)),
      },
      on: {
        'RUNTIME.STATUS': [
          {
            guard: 'instanceExited',
            target: 'ExitDecision',
            actions: ['observe', 'recordExit'],
          },
          {
            guard: 'instanceUnknown',
            target: 'Terminating',
            actions: ['observe', { type: 'beginKill', params: ({ context }) => ({ request: { cause: 'Other', then: 'restart', message: context.role === 'regular' ? msg.MSG_KILL_UNKNOWN_STATE : msg.MSG_INIT_KILL_UNKNOWN_STATE } as KillRequest }) }],
          },
        ],
        KILL: { target: 'Terminating', actions: ['observe', 'beginKill'] },
        DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion', 'beginDeletionKill'] },
        SPEC_UPDATE: {
          guard: 'hashChanged',
          target: 'Terminating',
          actions: [
            'observe',
            assign(({ event }) => ({ container: (event as { container: Container }).container, hash: containerHash((event as { container: Container }).container), backOff: undefined, imageBackOff: undefined })),
            {
              type: 'beginKill',
              params: ({ context }) => ({
                request: {
                  cause: 'Other',
                  // A definition change restarts regardless of restartPolicy (computePodActions).
                  then: 'restart',
                  message: context.role === 'regular' ? msg.definitionChangedKillMessage(context.container.name, true) : msg.initDefinitionChangedKillMessage(context.container.name),
                } as KillRequest,
              }),
            },
          ],
        },
        'PROBE.RESULT': [
          {
            guard: 'isLivenessFailure',
            target: 'Terminating',
            actions: ['observe', 'notifyProbe', { type: 'beginProbeKill', params: { cause: 'LivenessProbe' as KillCause } }],
          },
          {
            guard: 'isStartupFailure',
            target: 'Terminating',
            actions: ['observe', 'notifyProbe', { type: 'beginProbeKill', params: { cause: 'StartupProbe' as KillCause } }],
          },
          { actions: ['observe', 'notifyProbe', 'applyProbeResult'] },
        ],
        'PROBE.RECORD': { actions: { type: 'record', params: ({ event }) => (event as { event: EventRecord }).event } },
      },
    },

    /**
     * killContainer: the Killing event first, then preStop (its whole seconds
     * deducted from the grace), then StopContainer with a timeout of at least 2 s.
     */
    Terminating: {
      meta: { status: 'running' },
      initial: 'Deciding',
      // Readiness goes on until the container stops (liveness/startup stopped with Running).
      entry: [
        { type: 'record', params: ({ context }) => ({ type: 'Normal', reason: msg.EventReason.Killing, message: context.kill?.message ?? msg.stoppingContainerMessage(context.container.name) }) },
        { type: 'startProbes', params: { types: ['readiness'] } },
      ],
      exit: [{ type: 'stopProbes', params: { types: ['readiness'] } }],
      on: {
        // A deletion during a restart-kill turns it into a final kill; a force deletion shortens it.
        DELETE: { actions: ['observe', 'noteDeletion', assign(({ context }) => ({ kill: context.kill ? { ...context.kill, then: 'exit' as const, force: context.kill.force || !!context.deletion?.force } : context.kill }))] },
        'RUNTIME.STATUS': { guard: 'isCurrentInstance', actions: ['observe', assign({ instance: ({ context, event }) => ({ ...context.instance!, ...(event as { status: InstanceStatus }).status }) })] },
        'PROBE.RESULT': { guard: 'isReadinessResult', actions: ['observe', 'notifyProbe', 'applyProbeResult'] },
        'PROBE.RECORD': { actions: { type: 'record', params: ({ event }) => (event as { event: EventRecord }).event } },
        // Already stopping: a sandbox re-creation only changes what follows the kill.
        KILL: {
          guard: 'killToPending',
          actions: ['observe', assign(({ context }) => ({ kill: context.kill && !context.deleting ? { ...context.kill, then: 'pending' as const } : context.kill }))],
        },
      },
      states: {
        Deciding: {
          always: [{ guard: 'shouldRunPreStop', target: 'PreStop' }, { target: 'Stopping' }],
        },
        PreStop: {
          entry: assign({ kill: ({ context }) => ({ ...context.kill!, preStopStartedAt: context.now }) }),
          invoke: {
            id: 'runHandler',
            src: 'runHandler',
            input: ({ context }) => ({
              pod: context.pod,
              container: context.container,
              containerId: context.instance!.id,
              hook: 'PreStop' as const,
              handler: context.container.lifecycle!.preStop as LifecycleHandler,
              podIP: context.sandbox?.ip ?? '',
            }),
            onDone: { target: 'Stopping', actions: ['observeDone', 'notePreStopElapsed'] },
            onError: {
              target: 'Stopping',
              actions: [
                'observeDone',
                'notePreStopElapsed',
                { type: 'record', params: () => ({ type: 'Warning', reason: msg.EventReason.FailedPreStopHook, message: msg.MSG_PRE_STOP_HOOK_FAILED }) },
              ],
            },
          },
          after: {
            // The kubelet waits min(hook, grace) and goes on; the hook is abandoned.
            preStopBudget: {
              target: 'Stopping',
              actions: [
                assign({ now: ({ context }) => (context.kill?.preStopStartedAt ?? context.now) + (context.kill?.force ? FORCE_DELETE_PRESTOP_BUDGET_MS : preStopBudgetMs(context.kill?.graceSeconds ?? 0)) }),
                'notePreStopElapsed',
              ],
            },
          },
        },
        Stopping: {
          invoke: {
            id: 'stopContainer',
            src: 'stopContainer',
            input: ({ context }) => ({
              containerId: context.instance!.id,
              timeoutSeconds: context.kill?.force
                ? FORCE_DELETE_STOP_TIMEOUT_SECONDS
                : stopTimeoutSeconds(context.kill?.graceSeconds ?? 0, context.kill?.preStopElapsedMs ?? 0),
            }),
            onDone: [
              {
                // A created instance that never ran is not a termination: the previous
                // one stays state.terminated/lastState, as the kubelet's status shows it.
                guard: 'neverStarted',
                target: 'Stopped',
                actions: ['observeDone', assign(({ context }) => ({ instance: undefined, staleIds: [...context.staleIds, context.instance!.id] }))],
              },
              {
                target: 'Stopped',
                actions: ['observeDone', assign(({ context, event }) => terminatedWith(context, { ...context.instance!, ...event.output, state: 'exited' }))],
              },
            ],
            onError: [
              {
                // CRI NotFound is ignored: the container is already gone.
                guard: 'isNotFound',
                target: 'Stopped',
                actions: ['observeDone', assign(({ context }) => terminatedWith(context, { ...context.instance!, state: 'exited', exitCode: context.instance?.exitCode ?? 137, finishedAt: context.instance?.finishedAt ?? context.now }))],
              },
              {
                // KillContainerError: retried on the pod-worker cadence.
                target: 'KillFailed',
                actions: ['observeDone', assign({ waitingMessage: ({ event }) => errorInfo(event.error).message }), 'scheduleRetry'],
              },
            ],
          },
        },
        KillFailed: {
          after: { podWorkerRetry: { target: 'Stopping', actions: 'reachRetryDeadline' } },
          on: { RESUME: { target: 'KillFailed', reenter: true, actions: 'observe' } },
        },
        Stopped: {
          always: [
            { guard: 'killFollowedByExit', target: '#container.Exited' },
            { guard: 'killFollowedByPostStartError', target: '#container.PostStartHookError' },
            { guard: 'killFollowedByPending', target: '#container.Pending' },
            { target: '#container.ExitDecision' },
          ],
          exit: 'notifyStopped',
        },
      },
    },

    /** The container exited: restart now, back off, or stay terminated (computePodActions + doBackOff). */
    ExitDecision: {
      meta: { status: 'terminated' },
      entry: 'notifyExited',
      always: [
        { guard: 'killFollowedByRestart', target: 'BackOffCheck' },
        { guard: 'shouldNotRestart', target: 'Exited' },
        { target: 'BackOffCheck' },
      ],
    },

    BackOffCheck: {
      meta: { status: 'terminated' },
      always: [{ guard: 'inCrashLoopBackOff', target: 'CrashLoopBackOff' }, { target: 'Restarting' }],
    },

    /** Waiting out the crash-loop back-off; the restart fires exactly at expiry. */
    CrashLoopBackOff: {
      meta: { status: 'waiting', reason: 'CrashLoopBackOff' },
      entry: [
        assign(({ context }) => {
          const finishedAt = context.lastTermination?.finishedAt ?? context.now;
          const check = restartDelay(context.backOff, finishedAt, context.now, context.config.backOff);
          return {
            backOffUntil: context.now + check.delayMs,
            backOffMs: check.currentBackoffMs,
            waitingMessage: msg.crashLoopBackOffMessage(check.currentBackoffMs, context.container.name, context.podRef),
            kill: undefined,
          };
        }),
        { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.BackOff, message: msg.backOffRestartMessage(context.container.name, context.podRef) }) },
      ],
      after: { backOffRemaining: { target: 'Restarting', actions: 'reachBackOffDeadline' } },
      on: {
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
        // An image change is a new back-off key: restart at once.
        SPEC_UPDATE: { guard: 'hashChanged', target: 'Restarting', actions: ['observe', assign(({ event }) => ({ container: (event as { container: Container }).container, hash: containerHash((event as { container: Container }).container), backOff: undefined }))] },
        // A restored snapshot re-arms the wait from the absolute deadline.
        RESUME: { target: 'CrashLoopBackOff', reenter: true, actions: 'observe' },
      },
    },

    /** StartContainer failed; the runtime shows the instance exited 128 StartError. */
    RunContainerError: {
      meta: { status: 'waiting', reason: 'RunContainerError' },
      entry: ['notifyStartFailed', 'scheduleRetry'],
      always: [
        { guard: 'shouldNotRestart', target: 'Exited' },
        { guard: 'inCrashLoopBackOff', target: 'CrashLoopBackOff' },
      ],
      after: { podWorkerRetry: { target: 'Restarting', actions: 'reachRetryDeadline' } },
      on: {
        RESUME: { target: 'RunContainerError', reenter: true, actions: 'observe' },
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
      },
    },

    /** postStart failed and the container was killed; restart per policy. */
    PostStartHookError: {
      meta: { status: 'waiting', reason: 'PostStartHookError' },
      entry: [
        'notifyStartFailed',
        'scheduleRetry', assign({ kill: undefined }),
        'notifyExited',
      ],
      always: [
        { guard: 'shouldNotRestart', target: 'Exited' },
        { guard: 'inCrashLoopBackOff', target: 'CrashLoopBackOff' },
      ],
      after: { podWorkerRetry: { target: 'Restarting', actions: 'reachRetryDeadline' } },
      on: {
        RESUME: { target: 'PostStartHookError', reenter: true, actions: 'observe' },
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
      },
    },

    /** doBackOff's Next() and a new attempt. */
    Restarting: {
      meta: { status: 'waiting', reason: 'ContainerCreating' },
      entry: assign(({ context }) => ({
        backOff: nextBackOff(context.backOff, context.now, context.config.backOff, context.lastTermination?.finishedAt ?? context.now),
        restartCount: context.restartCount + 1,
        backOffUntil: undefined,
        kill: undefined,
        started: false,
        ready: false,
      })),
      always: { target: 'Pulling' },
    },

    /** Terminated and not restarting (or the pod is being deleted). */
    Exited: {
      meta: { status: 'terminated' },
      entry: ['notifyChanged', assign({ kill: undefined, started: false, ready: false })],
      on: {
        // Sandbox re-created: init containers run again, and under Always/OnFailure regular ones too.
        START: {
          guard: 'notDeleting',
          target: 'Pulling',
          actions: ['observe', assign({ sandbox: ({ event }) => event.sandbox, restartCount: ({ context }) => context.restartCount + 1 })],
        },
        DELETE: { actions: ['observe', 'noteDeletion'] },
        KILL: { actions: 'observe' },
      },
    },
  },
});

export type ContainerMachine = typeof containerMachine;
