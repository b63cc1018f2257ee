// What follows an exit (computePodActions, ShouldContainerBeRestarted, doBackOff):
// restart now, back off, or stay terminated.
import { assign } from 'xstate';
import { doBackOff } from '../backoff.js';
import { backOffBasis, nextAttempt } from './context.js';
import { containerSetup } from './setup.js';

/** The container exited: restart now, back off, or stay terminated (computePodActions + doBackOff). */
export const ExitDecision = containerSetup.createStateConfig({
  meta: { status: 'terminated' },
  entry: 'notifyExited',
  always: [
    // KEP-5532: the pod kills and restarts every container; this one waits for its START.
    { guard: 'triggersRestartAll', target: 'Pending' },
    { guard: 'killFollowedByRestart', target: 'BackOffCheck' },
    { guard: 'shouldNotRestart', target: 'Exited' },
    { target: 'BackOffCheck' },
  ],
});

/** SyncPod step 7, doBackOff: the newest exited instance of the sync's snapshot decides. */
export const BackOffCheck = containerSetup.createStateConfig({
  meta: { status: 'terminated' },
  always: [{ guard: 'inCrashLoopBackOff', target: '#container.Waiting.CrashLoopBackOff' }, { target: 'Restarting' }],
});

/**
 * StartContainer failed; the runtime shows the instance exited 128 StartError. Its exit is
 * a PLEG event that syncs the pod at once: no pod-worker wait, doBackOff decides
 * (nothing for the first failure, then 10 s, 20 s, ...; facts §13).
 */
export const RunContainerError = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'RunContainerError' },
  entry: ['notifyStartFailed'],
  always: [
    { guard: 'shouldNotRestart', target: 'Exited' },
    { guard: 'inCrashLoopBackOff', target: '#container.Waiting.CrashLoopBackOff' },
    { target: 'Restarting' },
  ],
});

/** postStart failed and the container was killed: like RunContainerError, the exit syncs at once. */
export const PostStartHookError = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'PostStartHookError' },
  entry: ['notifyStartFailed', assign({ kill: undefined }), 'notifyExited'],
  always: [
    { guard: 'shouldNotRestart', target: 'Exited' },
    { guard: 'inCrashLoopBackOff', target: '#container.Waiting.CrashLoopBackOff' },
    { target: 'Restarting' },
  ],
});

/** doBackOff's Next() (only when an exited instance was judged) and a new attempt. */
export const Restarting = containerSetup.createStateConfig({
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
});

/** Terminated and not restarting (or the pod is being deleted). */
export const Exited = containerSetup.createStateConfig({
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
});
