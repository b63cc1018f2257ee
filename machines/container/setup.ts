// The container chart's vocabulary, in one setup(): the actors it invokes (all I/O,
// provided from src/actors/), its named delays, guards and actions. The states that
// use them live in one module per kubelet step (image.ts, start.ts, running.ts,
// killing.ts, restart.ts, waiting.ts), assembled in index.ts.
import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import { containerHash } from '../../src/k8s/hash.js';
import { applyDefaultImageTag } from '../../src/k8s/image.js';
import * as msg from '../../src/k8s/messages.js';
import { doBackOff, imagePullBackOff } from '../backoff.js';
import {
  FORCE_DELETE_PRESTOP_BUDGET_MS,
  killGracePeriodSeconds,
  preStopBudgetMs,
  turnWaitBudgetSeconds,
  type KillCause,
} from '../grace.js';
import { notProvided } from '../not-provided.js';
import { podRestartPolicy, restartAfterKill } from '../restart-policy.js';
import { probeMachine } from '../probe.js';
import { resizeRestartKillMessage, type UpdateContainerResourcesInput, type UpdateContainerResourcesOutput } from '../resize.js';
import {
  errorInfo,
  type CreateContainerInput,
  type CreateContainerOutput,
  type EventRecord,
  type InspectImageInput,
  type InspectImageOutput,
  type PullImageInput,
  type PullImageOutput,
  type RemoveContainerInput,
  type RunHandlerInput,
  type RunHandlerOutput,
  type StartContainerInput,
  type StartContainerOutput,
  type StopContainerInput,
  type StopContainerOutput,
} from '../types.js';
import { backOffBasis, shouldRestartNewestExit, triggersRestartAll, eventAt, doneAt, eventFor, factsFor, probeInput, startKill, terminatedWith } from './context.js';
import { editDecision, pendingDecision, resizeInput } from './resize.js';
import type { ContainerContext, ContainerEvent, ContainerInput, ContainerStateMeta } from './types.js';

export const containerSetup = setup({
  types: {
    context: {} as ContainerContext,
    events: {} as ContainerEvent,
    input: {} as ContainerInput,
    meta: {} as ContainerStateMeta,
  },
  actors: {
    probe: probeMachine,
    inspectImage: notProvided<InspectImageOutput, InspectImageInput>('inspectImage'),
    pullImage: notProvided<PullImageOutput, PullImageInput>('pullImage'),
    createContainer: notProvided<CreateContainerOutput, CreateContainerInput>('createContainer'),
    startContainer: notProvided<StartContainerOutput, StartContainerInput>('startContainer'),
    runHandler: notProvided<RunHandlerOutput, RunHandlerInput>('runHandler'),
    stopContainer: notProvided<StopContainerOutput, StopContainerInput>('stopContainer'),
    removeContainer: notProvided<void, RemoveContainerInput>('removeContainer'),
    updateContainerResources: notProvided<UpdateContainerResourcesOutput, UpdateContainerResourcesInput>('updateContainerResources'),
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
    /** EnsureImageExists: present and the policy is not Always (params: ImageStatus's answer). */
    imagePresentAndNotAlways: ({ context }, params: { present: boolean }) => params.present && context.container.imagePullPolicy !== 'Always',
    pullPolicyNever: ({ context }) => context.container.imagePullPolicy === 'Never',
    pullPolicyAlways: ({ context }) => context.container.imagePullPolicy === 'Always',
    /** applyDefaultImageTag failed: the reference does not parse (ErrInvalidImageName). */
    invalidImageName: ({ context }) => context.imageSpec === undefined,
    inImagePullBackOff: ({ context }) =>
      imagePullBackOff(context.imageBackOff, context.now, context.config.imageBackOff).inBackOff,
    hasPostStart: ({ context }) => !!context.container.lifecycle?.postStart,
    hookTimeoutEnabled: ({ context }) => context.config.hookTimeoutMs > 0,
    shouldRunPreStop: ({ context }) =>
      !context.kill?.skipPreStop &&
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
    shouldNotRestart: ({ context }) => !shouldRestartNewestExit(context),
    /** KEP-5532: the exit matched a RestartAllContainers rule; the pod restarts every container. */
    triggersRestartAll: ({ context }) => triggersRestartAll(context),
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
    isConfigError: (_, params: { error: unknown }) => params.error instanceof Error && params.error.name === 'CreateContainerConfigError',
    exitedDuringPostStart: ({ context }) => context.instance?.state === 'exited',
    isReadinessResult: ({ event }) => event.type === 'PROBE.RESULT' && event.probe === 'readiness',
    /** The instance was created but never started. */
    neverStarted: ({ context }) => context.instance?.state === 'created',
    /** CRI NotFound: the container is already gone. */
    /** StartContainer failed and the runtime still shows the instance CREATED. */
    startLeftCreated: (_, params: { error: unknown }) => typeof params.error === 'object' && params.error !== null && 'leftCreated' in params.error && params.error.leftCreated === true,
    isNotFound: (_, params: { error: unknown }) => errorInfo(params.error).notFound === true,
    hasInstance: ({ context }) => !!context.instance && context.instance.state !== 'exited',
    hashChanged: ({ context, event }) => event.type === 'SPEC_UPDATE' && containerHash(event.container) !== context.hash,
    // KEP-1287 computePodResizeAction for an edit of the running container, or one made during postStart.
    resizeInPlace: ({ context, event }) => editDecision(context, event) === 'resize',
    resizeNeedsRestart: ({ context, event }) => editDecision(context, event) === 'restart',
    editInvalid: ({ context, event }) => editDecision(context, event) === 'invalid',
    pendingResizeInPlace: ({ context }) => !context.resize && pendingDecision(context) === 'resize',
    pendingResizeNeedsRestart: ({ context }) => pendingDecision(context) === 'restart',
    resizeStillWanted: ({ context }) => pendingDecision(context) === 'resize',
    isLivenessFailure: ({ event }) => event.type === 'PROBE.RESULT' && event.probe === 'liveness' && event.result === 'failure',
    isStartupFailure: ({ event }) => event.type === 'PROBE.RESULT' && event.probe === 'startup' && event.result === 'failure',
  },
  actions: {
    observe: assign({ now: ({ context, event }) => Math.max(context.now, eventAt('at' in event ? event : undefined, context.now)) }),
    /** A spec edit: a new hash is a new back-off key, so both back-offs start afresh. */
    applySpecUpdate: assign(({ context, event }) => {
      if (event.type !== 'SPEC_UPDATE') return {};
      const hash = containerHash(event.container);
      return hash === context.hash ? { container: event.container } : { container: event.container, hash, backOff: undefined, imageBackOff: undefined };
    }),
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
      willRestart: (context.kill?.then === 'restart' && !context.deleting) || shouldRestartNewestExit(context),
      restartAll: triggersRestartAll(context),
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
      assertEvent(event, 'RUNTIME.STATUS');
      const status = event.status;
      return { ...terminatedWith(context, { ...context.instance!, ...status }), started: false, ready: false };
    }),
    /**
     * pruneInitContainersBeforeStart (SyncPod): before an init container starts again, every
     * exited instance but the newest goes.
     */
    pruneInitBeforeStart: enqueueActions(({ context, enqueue }) => {
      if (context.role !== 'init' || context.staleIds.length === 0) return;
      for (const id of context.staleIds) enqueue.spawnChild('removeContainer', { input: { containerId: id } });
      enqueue.assign({ staleIds: [] });
    }),
    /** applyDefaultImageTag: the reference the runtime is asked for, or the parse error as the waiting message. */
    resolveImageSpec: assign(({ context }) => {
      const spec = applyDefaultImageTag(context.container.image);
      return spec.ok
        ? { imageSpec: spec.image }
        : { imageSpec: undefined, waitingMessage: msg.invalidImageNameMessage(context.container.image, spec.error) };
    }),
    removeStaleInstances: enqueueActions(({ context, enqueue }) => {
      // Keep the newest exited instance (status.lastState); remove older ones so a
      // name+attempt pair is never held by two instances.
      for (const id of context.staleIds) enqueue.spawnChild('removeContainer', { input: { containerId: id } });
      const stale = context.lastTermination && context.lastTermination.id !== context.instance?.id ? [context.lastTermination.id] : [];
      enqueue.assign({ staleIds: stale.filter((id) => id !== '') });
    }),
    onPostStartFailure: enqueueActions(({ context, enqueue }, params: { message?: string; error?: unknown }) => {
      const message = params.message ?? errorInfo(params.error).message;
      enqueue.assign({ waitingMessage: message });
      if (context.reportsToPod) enqueue.sendParent(eventFor(context, { type: 'Warning' as const, reason: msg.EventReason.FailedPostStartHook, message: msg.MSG_POST_START_HOOK_FAILED }));
      // kubelet: killContainer(..., "FailedPostStartHook", reasonFailedPostStartHook, nil); grace = pod's value.
      enqueue.assign({
        // The reason cache entry of this failed start (PostStartHookError, the hook's message).
        lastStartError: { reason: msg.WaitingReason.PostStartHookError, message },
        kill: startKill(context, { cause: 'PostStartHook', message: msg.MSG_KILL_FAILED_POST_START, then: 'postStartError' }, {
          graceSeconds: killGracePeriodSeconds({ pod: context.pod, reason: 'PostStartHook' }),
        }),
      });
    }),
    /** A kill the pod asked for (KILL: sandbox re-creation, whole-pod kills). */
    beginKill: assign(({ context, event }) => {
      assertEvent(event, 'KILL');
      return { kill: startKill(context, event.request) };
    }),
    /** computePodActions: an UNKNOWN instance is killed first, then restarted whatever the policy. */
    beginUnknownStateKill: assign(({ context }) => ({
      kill: startKill(context, {
        cause: 'Other',
        then: 'restart',
        message: context.role === 'regular' ? msg.MSG_KILL_UNKNOWN_STATE : msg.MSG_INIT_KILL_UNKNOWN_STATE,
      }, { unknownState: true }),
    })),
    /** computePodActions: a changed definition (hash) kills and restarts regardless of restartPolicy. */
    beginDefinitionChangedKill: assign(({ context }) => ({
      kill: startKill(context, {
        cause: 'Other',
        then: 'restart',
        message:
          context.role === 'regular'
            ? msg.definitionChangedKillMessage(context.container.name, true)
            : msg.initDefinitionChangedKillMessage(context.container.name),
      }),
    })),
    /** computePodResizeAction: a changed resource's resizePolicy is RestartContainer: ContainersToKill + ContainersToStart. */
    beginResizeRestartKill: assign(({ context }) => ({ kill: startKill(context, { cause: 'Other', then: 'restart', message: resizeRestartKillMessage(context.container.name) }) })),
    /** doPodResizeAction: UpdateContainerResources with the spec's resources; one still in flight is superseded. */
    startResize: enqueueActions(({ context, enqueue }) => {
      const resize = { resources: context.container.resources };
      enqueue.cancel('resizeRetry');
      enqueue.stopChild('resize');
      enqueue.assign({ resize });
      enqueue.spawnChild('updateContainerResources', { id: 'resize', input: resizeInput({ ...context, resize }) });
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.RESIZE', name: context.container.name, phase: 'started' });
    }),
    /** The runtime took the new values: they are the running instance's from now on (the kubelet's currentContainerResources). */
    resizeAccepted: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'xstate.done.actor.resize');
      enqueue.assign({ actuated: { resources: context.resize?.resources ?? context.container.resources, linux: event.output.resources }, resize: undefined });
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.RESIZE', name: context.container.name, phase: 'done' });
    }),
    /** UpdateContainerResources failed: the sync fails (PodResizeInProgress Error) and the pod worker retries a period later. */
    resizeFailed: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'xstate.error.actor.resize');
      // SyncPod: the ResizePodInPlace result's message is the error's %v (`rpc error: code = … desc = …`).
      const error = errorInfo(event.error).grpc ?? errorInfo(event.error).message;
      enqueue.assign({ resize: { resources: context.resize?.resources, error } });
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.RESIZE', name: context.container.name, phase: 'failed', error });
      enqueue.raise({ type: 'RESIZE.RETRY', at: context.now + context.config.podWorkerRetryMs }, { id: 'resizeRetry', delay: context.config.podWorkerRetryMs });
    }),
    /** No resize is wanted any more (an edit back to the running values, or the instance ends). */
    dropResize: enqueueActions(({ context, enqueue }) => {
      if (!context.resize) return;
      enqueue.cancel('resizeRetry');
      enqueue.stopChild('resize');
      enqueue.assign({ resize: undefined });
      if (context.reportsToPod) enqueue.sendParent({ type: 'CONTAINER.RESIZE', name: context.container.name, phase: 'done' });
    }),
    /** The runtime's newer view of the current instance (an exit seen while a step runs). */
    mergeInstanceStatus: assign({
      instance: ({ context, event }) => {
        assertEvent(event, 'RUNTIME.STATUS');
        return context.instance ? { ...context.instance, ...event.status } : context.instance;
      },
    }),
    /** A prober's event (Unhealthy, ProbeWarning), recorded as this container's. */
    recordProbeEvent: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'PROBE.RECORD');
      if (context.reportsToPod) enqueue.sendParent(eventFor(context, event.event));
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
    notifyKillFailed: enqueueActions(({ context, enqueue }, params: { error: unknown }) => {
      if (!context.reportsToPod) return;
      const info = errorInfo(params.error);
      enqueue.sendParent({ type: 'CONTAINER.KILL_FAILED', name: context.container.name, error: info.grpc ?? info.message });
    }),
    /** The reason cache keeps a failed start's reason until a later start succeeds. */
    cacheStartError: assign({
      lastStartError: ({ context }, params: { reason: string }) => ({ reason: params.reason, message: context.waitingMessage }),
    }),
    grantTurn: assign({ kill: ({ context }) => (context.kill ? { ...context.kill, turnGranted: true } : context.kill) }),
    beginProbeKill: enqueueActions(({ context, enqueue }, params: { cause: KillCause }) => {
      const name = context.container.name;
      const restart = restartAfterKill(context.role, podRestartPolicy(context.pod), context.container, context.config.featureGates);
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
});
