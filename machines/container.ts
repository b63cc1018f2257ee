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
  doBackOff,
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
  turnWaitBudgetSeconds,
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
  /**
   * FinishedAt of the newest exited instance when the kill was decided. A kill-and-restart
   * happens inside one kubelet sync whose snapshot still shows the killed instance Running,
   * so doBackOff judges the restart by this earlier instance (facts §8).
   */
  priorExitFinishedAt?: number;
  /** Force deletion arrived while preStop ran: when the last second of the hook began. */
  forcedAt?: number;
  /** Sidecar termination ordering: StopContainer waits for the pod's TURN (kuberuntime_termination_order.go). */
  awaitTurn?: boolean;
  turnGranted?: boolean;
  turnWaitStartedAt?: number;
  turnWaitedMs?: number;
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
  /** Spawned by a pod chart: report to it (a container run on its own, e.g. in a graph traversal, has no one to tell). */
  reportsToPod?: boolean;
}

/**
 * What the pod chart needs to know of a container, reported by the container whenever it
 * may change: the pod keeps it in its own context and decides from it (children report,
 * parents remember).
 */
export interface ContainerFacts {
  /** No instance that could be running (not started yet, or terminated). */
  down: boolean;
  /** Terminated and not being restarted. */
  exited: boolean;
  /** Running and its startup probe passed (or it has none). */
  started: boolean;
  /** An instance was created before (a new one is a new attempt). */
  ranBefore: boolean;
  /** The newest termination, if any. */
  lastExit?: { exitCode: number; reason?: string };
}

export interface ContainerContext {
  pod: Pod;
  reportsToPod: boolean;
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
  /** metadata.attempt of the newest instance created (undefined before the first). */
  lastAttempt?: number;
  /**
   * The kubelet's reason cache (kubelet_pods.go, reasonCache): the outcome of the last
   * start attempt that failed, shown as the waiting reason while the next attempt is on
   * its way (the kubelet's worker is blocked in that attempt and publishes nothing newer).
   * A successful start (postStart included) clears it.
   */
  lastStartError?: { reason: string; message?: string };
  /** On the way to a new instance after a restart decision (for the phase: not "stopped"). */
  restarting: boolean;
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
  /** The last failed pull: its classified reason, waiting message, and the `%v` text of the error. */
  lastPullError?: { reason: string; message: string; raw: string };
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
  | { type: 'DELETE'; gracePeriodOverride?: number; force?: boolean; at: number; awaitTurn?: boolean }
  /** Sidecar termination ordering: every container this one waits for has stopped. */
  | { type: 'TURN'; at: number }
  /** Sandbox re-creation (purgeInitContainers): forget instances the pod has removed. */
  | { type: 'PURGED'; at: number }
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
  | { type: 'CONTAINER.EXITED'; name: string; exitCode: number; reason?: string; willRestart: boolean }
  | { type: 'CONTAINER.STOPPED'; name: string; at: number }
  /** killContainer failed (KillContainerError); `error` is Go's %v of the CRI error. */
  | { type: 'CONTAINER.KILL_FAILED'; name: string; error: string }
  | { type: 'CONTAINER.CREATED'; name: string; containerId: string }
  | { type: 'CONTAINER.FACTS'; name: string; facts: ContainerFacts };

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

function factsFor(context: ContainerContext, down: boolean, exited: boolean): ContainerToPodEvent {
  const last = context.lastTermination;
  return {
    type: 'CONTAINER.FACTS',
    name: context.container.name,
    facts: {
      down,
      exited,
      started: !down && context.started && context.instance?.state === 'running',
      ranBefore: context.lastAttempt !== undefined || !!last,
      lastExit: last ? { exitCode: last.exitCode ?? 0, reason: last.reason } : undefined,
    },
  };
}

function eventFor(context: ContainerContext, ev: EventRecord): ContainerToPodEvent {
  return { type: 'CONTAINER.EVENT', name: context.container.name, event: { ...ev, fieldPath: context.fieldPath } };
}

function probeFor(c: Container, cause: KillCause): Probe | undefined {
  return cause === 'LivenessProbe' ? c.livenessProbe : cause === 'StartupProbe' ? c.startupProbe : undefined;
}

/**
 * The FinishedAt doBackOff judges the next start by: the newest exited instance of the
 * sync's snapshot. For a kill-and-restart that is the instance before the killed one.
 */
function backOffBasis(context: ContainerContext): number | undefined {
  if (context.kill?.then === 'restart') return context.kill.priorExitFinishedAt;
  return context.lastTermination ? context.lastTermination.finishedAt ?? context.now : undefined;
}

/**
 * startContainer: restartCount = the newest instance's restartCount + 1 (0 for the first).
 * Idempotent: a restart decision followed by a sandbox re-creation does not skip a number.
 */
function nextAttempt(context: ContainerContext): number {
  return context.lastAttempt === undefined ? context.restartCount : context.lastAttempt + 1;
}

/** The one place a kill request becomes an active kill (grace per killContainer step 2–4). */
function startKill(context: ContainerContext, request: KillRequest, extra: Partial<ActiveKill> = {}): ActiveKill {
  return {
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
    priorExitFinishedAt: context.lastTermination ? context.lastTermination.finishedAt ?? context.now : undefined,
    ...extra,
  };
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
      { type: 'cacheStartError', params: { reason } },
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
    /** A force deletion during preStop: the hook gets at most 1 s more. */
    forcedPreStopBudget: () => FORCE_DELETE_PRESTOP_BUDGET_MS,
    /** Sidecar ordering waits at most the grace left after preStop (waitForTurn's timeout). */
    turnBudget: ({ context }) => turnWaitBudgetSeconds(context.kill?.graceSeconds ?? 0, context.kill?.preStopElapsedMs ?? 0) * 1000,
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
    /** doBackOff: the newest exited instance of the sync's snapshot finished less than the current back-off ago. */
    inCrashLoopBackOff: ({ context }) => doBackOff(context.backOff, backOffBasis(context), context.now, context.config.backOff).inBackOff,
    /** A second deletion with force cuts a kill that is not forced yet. */
    forceCutsKill: ({ context, event }) => event.type === 'DELETE' && !!event.force && !context.kill?.force,
    /** Sidecar termination ordering: the pod has not yet said every later container stopped. */
    mustAwaitTurn: ({ context }) =>
      !!context.kill?.awaitTurn && !context.kill.turnGranted && !context.kill.force && turnWaitBudgetSeconds(context.kill.graceSeconds, context.kill.preStopElapsedMs) > 0,
    /** killPod drives the retry of a failed kill during a pod kill (deletion or completion). */
    podDrivesKillRetry: ({ context }) => context.deleting,
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
      if (context.reportsToPod) enqueue.sendParent(eventFor(context, ev));
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
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.STARTED', name: context.container.name });
    }),
    notifyCreated: enqueueActions(({ context, self, enqueue }) => {
      if (context.reportsToPod && context.instance) enqueue.sendParent({ type: 'CONTAINER.CREATED', name: context.container.name, containerId: context.instance.id });
    }),
    notifyStopped: enqueueActions(({ context, self, enqueue }) => {
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.STOPPED', name: context.container.name, at: context.now });
    }),
    notifyExited: enqueueActions(({ context, self, enqueue }) => {
      if (context.reportsToPod) enqueue.sendParent({
      type: 'CONTAINER.EXITED',
      name: context.container.name,
      exitCode: context.lastTermination?.exitCode ?? 0,
      reason: context.lastTermination?.reason,
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
      if (event.type !== 'PROBE.RESULT' || !context.reportsToPod) return;
      enqueue.sendParent({ type: 'CONTAINER.PROBE', name: context.container.name, probe: event.probe, result: event.result, output: event.output, at: event.at });
    }),
    /** The facts the pod decides from; `down`/`exited` are the reporting state's. */
    reportFacts: enqueueActions(({ context, enqueue }, params: { down: boolean; exited?: boolean }) => {
      if (context.reportsToPod) enqueue.sendParent(factsFor(context, params.down, !!params.exited));
    }),
    notifyStartFailed: enqueueActions(({ context, self, enqueue }) => {
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.START_FAILED', name: context.container.name });
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
      if (context.reportsToPod) enqueue.sendParent(eventFor(context, { type: 'Warning', reason: msg.EventReason.FailedPostStartHook, message: msg.MSG_POST_START_HOOK_FAILED }));
      // kubelet: killContainer(..., "FailedPostStartHook", reasonFailedPostStartHook, nil); grace = pod's value.
      enqueue.assign({
        // The reason cache entry of this failed start (PostStartHookError, the hook's message).
        lastStartError: { reason: msg.WaitingReason.PostStartHookError, message },
        kill: startKill(context, { cause: 'PostStartHook', message: msg.MSG_KILL_FAILED_POST_START, then: 'postStartError' }, {
          graceSeconds: killGracePeriodSeconds({ pod: context.pod, reason: 'PostStartHook' }),
        }),
      });
    }),
    beginKill: assign(({ context, event }, params?: { request?: KillRequest }) => {
      const request = params?.request ?? (event as { request: KillRequest }).request;
      return { kill: startKill(context, request) };
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
    beginDeletionKill: assign(({ context, event }) => {
      const e = context.deletion ?? { force: false };
      const awaitTurn = event.type === 'DELETE' && !!event.awaitTurn;
      return {
        deleting: true,
        kill: startKill(context, { cause: 'Deletion', then: 'exit', force: !!e.force, gracePeriodOverride: e.gracePeriodOverride }, { awaitTurn }),
      };
    }),
    /** A deletion reaching a kill in progress: it ends in Exited; a force shortens it. */
    absorbDeletion: assign(({ context, event }) => {
      const e = event as { gracePeriodOverride?: number; force?: boolean };
      const deletion = {
        gracePeriodOverride: e.gracePeriodOverride ?? context.deletion?.gracePeriodOverride,
        force: !!e.force || !!context.deletion?.force,
      };
      return {
        deleting: true,
        deletion,
        kill: context.kill ? { ...context.kill, then: 'exit' as const, force: context.kill.force || deletion.force } : context.kill,
      };
    }),
    noteTurnWaited: assign({
      kill: ({ context }) => (context.kill ? { ...context.kill, turnWaitedMs: Math.max(0, context.now - (context.kill.turnWaitStartedAt ?? context.now)) } : context.kill),
    }),
    notifyKillFailed: enqueueActions(({ context, event, self, enqueue }) => {
      if (!context.reportsToPod) return;
      const info = errorInfo((event as { error?: unknown }).error);
      enqueue.sendParent({ type: 'CONTAINER.KILL_FAILED', name: context.container.name, error: info.grpc ?? info.message });
    }),
    /** The reason cache keeps a failed start's reason until a later start succeeds. */
    cacheStartError: assign({
      lastStartError: ({ context }, params: { reason: string }) => ({ reason: params.reason, message: context.waitingMessage }),
    }),
    grantTurn: assign({ kill: ({ context }) => (context.kill ? { ...context.kill, turnGranted: true } : context.kill) }),
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
      enqueue.assign({ kill: startKill(context, { cause: params.cause, message, then: restart ? 'restart' : 'exit' }) });
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
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.READY', name: context.container.name, ready, started });
      if (started !== context.started && context.reportsToPod) enqueue.sendParent(factsFor({ ...context, started }, false, false));
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
    reportsToPod: !!input.reportsToPod,
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
    restarting: false,
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
    // The pod removed the instances it knows (sandbox re-creation): nothing stale is left to remove.
    PURGED: { actions: ['observe', assign({ staleIds: [] })] },
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
      entry: { type: 'reportFacts', params: { down: true } },
      on: {
        START: [
          {
            // A re-run in a new sandbox is a new attempt (kubelet: restartCount = previous + 1).
            guard: 'ranBefore',
            target: 'Pulling',
            actions: ['observe', assign({ sandbox: ({ event }) => event.sandbox, restartCount: ({ context }) => nextAttempt(context), restarting: true, instance: undefined })],
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
      entry: { type: 'reportFacts', params: { down: false } },
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
              // image_manager.go (1.33/1.34) prints the still-empty image ref here (fixed upstream by #141571).
              actions: assign({ waitingMessage: ({ event }) => msg.inspectFailedMessage(msg.INSPECT_FAILED_IMAGE_1_34, errorInfo(event.error).grpc ?? errorInfo(event.error).message) }),
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
                assign({ imageRef: ({ event }) => event.output.imageRef, imageBackOff: undefined, lastPullError: undefined }),
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
                  // image_manager.go: the error as cri-client's PullImage returns it (%v), classified
                  // as ErrImagePull, RegistryUnavailable or SignatureValidationFailed.
                  const info = errorInfo(event.error);
                  const pullError = info.pullError ?? info.message;
                  const result = msg.pullErrorResult(context.container.image, pullError);
                  return {
                    waitingMessage: result.message,
                    lastPullError: { reason: result.reason, message: result.message, raw: pullError },
                    // kubelet: a failed pull calls Next() on the <podUID>_<image> entry.
                    imageBackOff: nextBackOff(context.imageBackOff, context.now, context.config.imageBackOff),
                  };
                }),
                { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.failedToPullMessage(context.container.image, context.lastPullError?.raw ?? '') }) },
                { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.errorMessage(context.lastPullError?.reason ?? msg.WaitingReason.ErrImagePull) }) },
              ],
            },
          },
        },
      },
    },

    /** The pull failed; the next sync (pod-worker retry) checks the image back-off again. */
    ErrImagePull: {
      meta: { status: 'waiting', reason: 'ErrImagePull' },
      entry: ['scheduleRetry', assign({ lastStartError: ({ context }) => ({ reason: context.lastPullError?.reason ?? 'ErrImagePull', message: context.waitingMessage }) }), 'notifyStartFailed'],
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
          // Since 1.32 (#127918) the waiting message carries the last pull failure; the event does not.
          const cause = context.lastPullError ? { reason: context.lastPullError.reason, message: context.lastPullError.message } : undefined;
          return { backOffUntil: context.now + check.delayMs, backOffMs: check.currentBackoffMs, waitingMessage: msg.backOffPullImageMessage(context.container.image, cause) };
        }),
        { type: 'record', params: ({ context }) => ({ type: 'Normal', reason: msg.EventReason.BackOff, message: msg.backOffPullImageMessage(context.container.image) }) },
        { type: 'record', params: () => ({ type: 'Warning', reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ImagePullBackOff) }) },
        { type: 'cacheStartError', params: { reason: 'ImagePullBackOff' } },
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
        { type: 'cacheStartError', params: { reason: 'ErrImageNeverPull' } },
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
        { type: 'cacheStartError', params: { reason: 'ImageInspectError' } },
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
            assign({ instance: ({ event, context }) => ({ id: event.output.containerId, state: 'created', createdAt: context.now }), lastAttempt: ({ context }) => context.restartCount }),
            'notifyCreated',
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

    /**
     * startContainer step 3: StartContainer. The kubelet creates and starts within one sync,
     * so its status never shows this instance as created: still ContainerCreating.
     */
    Created: {
      meta: { status: 'waiting', reason: 'ContainerCreating' },
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
                lastStartError: { reason: msg.WaitingReason.RunContainerError, message: detail },
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
      meta: { status: 'waiting', reason: 'ContainerCreating' },
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
      // The kubelet's pod worker is blocked inside startContainer while the hook runs, so the
      // published status still says waiting/ContainerCreating, started false, pod Pending
      // (kuberuntime_container.go startContainer step 4; facts §13).
      meta: { status: 'waiting', reason: 'ContainerCreating' },
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
        assign({
          started: ({ context }) => !context.container.startupProbe,
          ready: ({ context }) => !context.container.startupProbe && !context.container.readinessProbe,
          // startContainer succeeded: its reason-cache entry goes.
          lastStartError: undefined,
          restarting: false,
        }),
        { type: 'reportFacts', params: { down: false } },
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
        DELETE: { actions: ['observe', 'absorbDeletion'] },
        'RUNTIME.STATUS': { guard: 'isCurrentInstance', actions: ['observe', assign({ instance: ({ context, event }) => ({ ...context.instance!, ...(event as { status: InstanceStatus }).status }) })] },
        'PROBE.RESULT': { guard: 'isReadinessResult', actions: ['observe', 'notifyProbe', 'applyProbeResult'] },
        'PROBE.RECORD': { actions: { type: 'record', params: ({ event }) => (event as { event: EventRecord }).event } },
        // The pod says this sidecar's turn came before it started waiting for it.
        TURN: { actions: ['observe', 'grantTurn'] },
        // Already stopping: a sandbox re-creation only changes what follows the kill.
        KILL: {
          guard: 'killToPending',
          actions: ['observe', assign(({ context }) => ({ kill: context.kill && !context.deleting ? { ...context.kill, then: 'pending' as const } : context.kill }))],
        },
      },
      states: {
        /** killContainer step 2: preStop only if there is one, the grace is positive and the instance runs. */
        Deciding: {
          entry: assign({ kill: ({ context }) => (context.kill ? { ...context.kill, preStopElapsedMs: 0, preStopStartedAt: undefined } : context.kill) }),
          always: [{ guard: 'shouldRunPreStop', target: 'PreStop' }, { target: 'Ordering' }],
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
            onDone: { target: 'Ordering', actions: ['observeDone', 'notePreStopElapsed'] },
            onError: {
              target: 'Ordering',
              actions: [
                'observeDone',
                'notePreStopElapsed',
                { type: 'record', params: () => ({ type: 'Warning', reason: msg.EventReason.FailedPreStopHook, message: msg.MSG_PRE_STOP_HOOK_FAILED }) },
              ],
            },
          },
          initial: 'WithinGrace',
          states: {
            // The kubelet waits min(hook, grace) and goes on; the hook is abandoned.
            WithinGrace: {
              after: {
                preStopBudget: {
                  target: '#container.Terminating.Ordering',
                  actions: [
                    assign({ now: ({ context }) => (context.kill?.preStopStartedAt ?? context.now) + (context.kill?.force ? FORCE_DELETE_PRESTOP_BUDGET_MS : preStopBudgetMs(context.kill?.graceSeconds ?? 0)) }),
                    'notePreStopElapsed',
                  ],
                },
              },
            },
            // A force deletion while the hook runs: the new kill's grace is 1 s, so the hook
            // gets at most one second more before StopContainer(id, 2).
            Forced: {
              entry: assign({ kill: ({ context }) => ({ ...context.kill!, forcedAt: context.now }) }),
              after: {
                forcedPreStopBudget: {
                  target: '#container.Terminating.Ordering',
                  actions: [assign({ now: ({ context }) => (context.kill?.forcedAt ?? context.now) + FORCE_DELETE_PRESTOP_BUDGET_MS }), 'notePreStopElapsed'],
                },
              },
            },
          },
          on: { DELETE: { guard: 'forceCutsKill', target: '.Forced', actions: ['observe', 'absorbDeletion'] } },
        },
        /** killContainer step 3 (sidecars only): wait for this container's turn to stop. */
        Ordering: {
          always: [{ guard: 'mustAwaitTurn', target: 'AwaitingTurn' }, { target: 'Stopping' }],
        },
        AwaitingTurn: {
          entry: assign({ kill: ({ context }) => ({ ...context.kill!, turnWaitStartedAt: context.now }) }),
          on: {
            TURN: { target: 'Stopping', actions: ['observe', 'noteTurnWaited'] },
            DELETE: { guard: 'forceCutsKill', target: 'Stopping', actions: ['observe', 'absorbDeletion', 'noteTurnWaited'] },
          },
          // waitForTurn gives up once the grace left is spent.
          after: { turnBudget: { target: 'Stopping', actions: [assign({ now: ({ context }) => (context.kill?.turnWaitStartedAt ?? context.now) + turnWaitBudgetSeconds(context.kill?.graceSeconds ?? 0, context.kill?.preStopElapsedMs ?? 0) * 1000 }), 'noteTurnWaited'] } },
        },
        /** killContainer step 4: StopContainer with grace − whole preStop seconds − whole seconds waited, at least 2. */
        Stopping: {
          invoke: {
            id: 'stopContainer',
            src: 'stopContainer',
            input: ({ context }) => ({
              containerId: context.instance!.id,
              timeoutSeconds: context.kill?.force
                ? FORCE_DELETE_STOP_TIMEOUT_SECONDS
                : stopTimeoutSeconds(context.kill?.graceSeconds ?? 0, context.kill?.preStopElapsedMs ?? 0, context.kill?.turnWaitedMs ?? 0),
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
                // KillContainerError: the pod hears of it (FailedKillPod) and the kill is retried at the next sync.
                target: 'KillFailed',
                actions: ['observeDone', assign({ waitingMessage: ({ event }) => errorInfo(event.error).grpc ?? errorInfo(event.error).message }), 'scheduleRetry', 'notifyKillFailed'],
              },
            ],
          },
          on: {
            // Force deletion while StopContainer(id, grace) waits: the kubelet's new kill issues
            // StopContainer(id, 2) at once (the first call is cancelled).
            DELETE: { guard: 'forceCutsKill', target: 'Stopping', reenter: true, actions: ['observe', 'absorbDeletion'] },
          },
        },
        /**
         * The kill failed. A pod kill (deletion, completion) is retried by the pod's next
         * sync (killPod again, a new Killing event); a kill inside a running pod's sync
         * (probe, definition change) by this container's own retry, on the same cadence.
         */
        KillFailed: {
          after: { podWorkerRetry: { guard: 'notDeleting', target: '#container.Terminating', reenter: true, actions: 'reachRetryDeadline' } },
          on: {
            RESUME: { target: 'KillFailed', reenter: true, actions: 'observe' },
            DELETE: { target: '#container.Terminating', reenter: true, actions: ['observe', 'absorbDeletion'] },
          },
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

    /** SyncPod step 7, doBackOff: the newest exited instance of the sync's snapshot decides. */
    BackOffCheck: {
      meta: { status: 'terminated' },
      always: [{ guard: 'inCrashLoopBackOff', target: 'CrashLoopBackOff' }, { target: 'Restarting' }],
    },

    /** Waiting out the crash-loop back-off; the restart fires exactly at expiry. */
    CrashLoopBackOff: {
      meta: { status: 'waiting', reason: 'CrashLoopBackOff' },
      entry: [
        assign(({ context }) => {
          // From here on the killed instance is the newest exited one: the wait runs from its exit.
          const finishedAt = context.lastTermination?.finishedAt ?? context.now;
          const check = restartDelay(context.backOff, finishedAt, context.now, context.config.backOff);
          return {
            backOffUntil: context.now + check.delayMs,
            backOffMs: check.currentBackoffMs,
            waitingMessage: msg.crashLoopBackOffMessage(check.currentBackoffMs, context.container.name, context.podRef),
            kill: undefined,
          };
        }),
        { type: 'cacheStartError', params: { reason: 'CrashLoopBackOff' } },
        { type: 'record', params: ({ context }) => ({ type: 'Warning', reason: msg.EventReason.BackOff, message: msg.backOffRestartMessage(context.container.name, context.podRef) }) },
      ],
      // The killed instance's exit syncs the pod at once, and that sync judges it afresh: a
      // kill-and-restart held here whose instance exited 0 under OnFailure is not restarted,
      // and the pod may complete (kubernetes#109537).
      always: { guard: 'shouldNotRestart', target: 'Exited' },
      after: { backOffRemaining: { target: 'Restarting', actions: 'reachBackOffDeadline' } },
      on: {
        DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
        // An image change is a new back-off key: restart at once.
        SPEC_UPDATE: { guard: 'hashChanged', target: 'Restarting', actions: ['observe', assign(({ event }) => ({ container: (event as { container: Container }).container, hash: containerHash((event as { container: Container }).container), backOff: undefined }))] },
        // A restored snapshot re-arms the wait from the absolute deadline.
        RESUME: { target: 'CrashLoopBackOff', reenter: true, actions: 'observe' },
      },
    },

    /**
     * StartContainer failed; the runtime shows the instance exited 128 StartError. Its exit is
     * a PLEG event that syncs the pod at once: no pod-worker wait, doBackOff decides
     * (nothing for the first failure, then 10 s, 20 s, ...; facts §13).
     */
    RunContainerError: {
      meta: { status: 'waiting', reason: 'RunContainerError' },
      entry: ['notifyStartFailed'],
      always: [
        { guard: 'shouldNotRestart', target: 'Exited' },
        { guard: 'inCrashLoopBackOff', target: 'CrashLoopBackOff' },
        { target: 'Restarting' },
      ],
    },

    /** postStart failed and the container was killed: like RunContainerError, the exit syncs at once. */
    PostStartHookError: {
      meta: { status: 'waiting', reason: 'PostStartHookError' },
      entry: ['notifyStartFailed', assign({ kill: undefined }), 'notifyExited'],
      always: [
        { guard: 'shouldNotRestart', target: 'Exited' },
        { guard: 'inCrashLoopBackOff', target: 'CrashLoopBackOff' },
        { target: 'Restarting' },
      ],
    },

    /** doBackOff's Next() (only when an exited instance was judged) and a new attempt. */
    Restarting: {
      meta: { status: 'waiting', reason: 'ContainerCreating' },
      entry: assign(({ context }) => ({
        backOff: doBackOff(context.backOff, backOffBasis(context), context.now, context.config.backOff).entry,
        restartCount: nextAttempt(context),
        restarting: true,
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
      entry: [assign({ kill: undefined, started: false, ready: false, restarting: false }), { type: 'reportFacts', params: { down: true, exited: true } }],
      on: {
        // Sandbox re-created: init containers run again, and under Always/OnFailure regular ones too.
        START: {
          guard: 'notDeleting',
          target: 'Pulling',
          actions: ['observe', assign({ sandbox: ({ event }) => event.sandbox, restartCount: ({ context }) => nextAttempt(context), restarting: true })],
        },
        DELETE: { actions: ['observe', 'noteDeletion'] },
        KILL: { actions: 'observe' },
      },
    },
  },
});

export type ContainerMachine = typeof containerMachine;
