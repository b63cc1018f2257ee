// killContainer (kuberuntime_container.go): Killing, preStop, termination ordering,
// StopContainer.
import { assign } from 'xstate';
import type { LifecycleHandler } from '../../src/k8s/types.js';
import * as msg from '../../src/k8s/messages.js';
import { FORCE_DELETE_PRESTOP_BUDGET_MS, FORCE_DELETE_STOP_TIMEOUT_SECONDS, preStopBudgetMs, stopTimeoutSeconds, turnWaitBudgetSeconds } from '../grace.js';
import { errorInfo } from '../types.js';
import { terminatedWith } from './context.js';
import { containerSetup } from './setup.js';

/**
 * killContainer: the Killing event first, then preStop (its whole seconds
 * deducted from the grace), then StopContainer with a timeout of at least 2 s.
 */
export const Terminating = containerSetup.createStateConfig({
  meta: { status: 'running' },
  initial: 'Deciding',
  // Readiness goes on until the container stops (liveness/startup stopped with Running).
  entry: [
    { type: 'record', params: ({ context }) => ({ type: 'Normal' as const, reason: msg.EventReason.Killing, message: context.kill?.message ?? msg.stoppingContainerMessage(context.container.name) }) },
    { type: 'startProbes', params: { types: ['readiness'] } },
  ],
  exit: [{ type: 'stopProbes', params: { types: ['readiness'] } }],
  on: {
    // A deletion during a restart-kill turns it into a final kill; a force deletion shortens it.
    DELETE: { actions: ['observe', 'absorbDeletion'] },
    'RUNTIME.STATUS': { guard: 'isCurrentInstance', actions: ['observe', 'mergeInstanceStatus'] },
    'PROBE.RESULT': { guard: 'isReadinessResult', actions: ['observe', 'notifyProbe', 'applyProbeResult'] },
    'PROBE.RECORD': { actions: 'recordProbeEvent' },
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
            { type: 'record', params: () => ({ type: 'Warning' as const, reason: msg.EventReason.FailedPreStopHook, message: msg.MSG_PRE_STOP_HOOK_FAILED }) },
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
            guard: { type: 'isNotFound', params: ({ event }) => ({ error: event.error }) },
            target: 'Stopped',
            actions: ['observeDone', assign(({ context }) => terminatedWith(context, { ...context.instance!, state: 'exited', exitCode: context.instance?.exitCode ?? 137, finishedAt: context.instance?.finishedAt ?? context.now }))],
          },
          {
            // KillContainerError: the pod hears of it (FailedKillPod) and the kill is retried at the next sync.
            target: 'KillFailed',
            actions: ['observeDone', assign({ waitingMessage: ({ event }) => errorInfo(event.error).grpc ?? errorInfo(event.error).message }), 'scheduleRetry', { type: 'notifyKillFailed', params: ({ event }) => ({ error: event.error }) }],
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
});
