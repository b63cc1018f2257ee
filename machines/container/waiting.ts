// The waits between syncs: a start attempt failed or is held by a back-off, and the
// next pod sync (a pod-worker retry, or the back-off's expiry) tries again. Each
// child is one waiting reason of the kubelet's reason cache. What they share lives
// once on the parent: a deletion ends the wait, a restored snapshot re-arms the
// current child's deadline (history), and a spec edit starts the attempt afresh.
import { assign } from 'xstate';
import * as msg from '../../src/k8s/messages.js';
import { imagePullBackOff, restartDelay } from '../backoff.js';
import { containerSetup } from './setup.js';
import type { ContainerContext } from './types.js';

/** EnsureImageExists failed: PullImage returned an error. The next sync checks the image back-off. */
const ErrImagePull = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'ErrImagePull' },
  on: { SYNC: { target: '#container.Pulling', actions: 'observe' } },
  entry: [
    'scheduleRetry',
    assign({ lastStartError: ({ context }) => ({ reason: context.lastPullError?.reason ?? 'ErrImagePull', message: context.waitingMessage }) }),
    'notifyStartFailed',
  ],
  after: { podWorkerRetry: { target: '#container.Pulling', actions: 'reachRetryDeadline' } },
});

/** Inside the image back-off: no PullImage until it expires (`Back-off pulling image`). */
const ImagePullBackOff = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'ImagePullBackOff' },
  entry: [
    assign(({ context }) => {
      const check = imagePullBackOff(context.imageBackOff, context.now, context.config.imageBackOff);
      // Since 1.32 (#127918) the waiting message carries the last pull failure; the event does not.
      const cause = context.lastPullError ? { reason: context.lastPullError.reason, message: context.lastPullError.message } : undefined;
      return { backOffUntil: context.now + check.delayMs, backOffMs: check.currentBackoffMs, waitingMessage: msg.backOffPullImageMessage(context.container.image, cause) };
    }),
    { type: 'record', params: ({ context }: { context: ContainerContext }) => ({ type: 'Normal' as const, reason: msg.EventReason.BackOff, message: msg.backOffPullImageMessage(context.container.image) }) },
    { type: 'record', params: () => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ImagePullBackOff) }) },
    { type: 'cacheStartError', params: { reason: 'ImagePullBackOff' } },
    'notifyStartFailed',
  ],
  after: { backOffRemaining: { target: '#container.Pulling', actions: 'reachBackOffDeadline' } },
});

/** Pull policy Never and the image is absent: no back-off, retried every sync. */
const ErrImageNeverPull = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'ErrImageNeverPull' },
  on: { SYNC: { target: '#container.Pulling', actions: 'observe' } },
  entry: [
    assign({ waitingMessage: ({ context }) => msg.neverPullMessage(context.container.image) }),
    'scheduleRetry',
    { type: 'record', params: ({ context }: { context: ContainerContext }) => ({ type: 'Warning' as const, reason: msg.EventReason.ErrImageNeverPull, message: msg.neverPullMessage(context.container.image) }) },
    { type: 'record', params: () => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ErrImageNeverPull) }) },
    { type: 'cacheStartError', params: { reason: 'ErrImageNeverPull' } },
    'notifyStartFailed',
  ],
  after: { podWorkerRetry: { target: '#container.Pulling', actions: 'reachRetryDeadline' } },
});

/** ImageStatus failed (InspectFailed); retried every sync. */
const ImageInspectError = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'ImageInspectError' },
  on: { SYNC: { target: '#container.Pulling', actions: 'observe' } },
  entry: [
    'scheduleRetry',
    { type: 'record', params: ({ context }: { context: ContainerContext }) => ({ type: 'Warning' as const, reason: msg.EventReason.InspectFailed, message: context.waitingMessage ?? '' }) },
    { type: 'record', params: () => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.ImageInspectError) }) },
    { type: 'cacheStartError', params: { reason: 'ImageInspectError' } },
    'notifyStartFailed',
  ],
  after: { podWorkerRetry: { target: '#container.Pulling', actions: 'reachRetryDeadline' } },
});

/** StartContainer failed and left the instance CREATED: the next sync starts a new attempt. */
const RunContainerError = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'RunContainerError' },
  on: { SYNC: { target: '#container.Restarting', actions: 'observe' } },
  entry: ['scheduleRetry', 'notifyStartFailed'],
  after: { podWorkerRetry: { target: '#container.Restarting', actions: 'reachRetryDeadline' } },
});

/** applyDefaultImageTag failed: the reference does not parse. No CRI image call; retried every sync. */
const InvalidImageName = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'InvalidImageName' },
  on: { SYNC: { target: '#container.Pulling', actions: 'observe' } },
  entry: [
    'scheduleRetry',
    { type: 'record', params: ({ context }: { context: ContainerContext }) => ({ type: 'Warning' as const, reason: msg.EventReason.InspectFailed, message: context.waitingMessage ?? '' }) },
    { type: 'record', params: () => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(msg.WaitingReason.InvalidImageName) }) },
    { type: 'cacheStartError', params: { reason: 'InvalidImageName' } },
    'notifyStartFailed',
  ],
  after: { podWorkerRetry: { target: '#container.Pulling', actions: 'reachRetryDeadline' } },
});

/**
 * startContainer step 2 failed: generating the config (CreateContainerConfigError, e.g.
 * runAsNonRoot) or CreateContainer itself. The Failed event carries the message, then
 * EnsureImageExists again on the next pod-worker sync.
 */
function createFailed(reason: 'CreateContainerConfigError' | 'CreateContainerError') {
  return containerSetup.createStateConfig({
    meta: { status: 'waiting', reason },
    // The next pod sync (any PLEG event of the pod) retries the step.
    on: { SYNC: { target: '#container.Pulling', actions: 'observe' } },
    entry: [
      'scheduleRetry',
      { type: 'record', params: ({ context }) => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(context.waitingMessage ?? '') }) },
      { type: 'cacheStartError', params: { reason } },
      'notifyStartFailed',
    ],
    after: { podWorkerRetry: { target: '#container.Pulling', actions: 'reachRetryDeadline' } },
  });
}

/** doBackOff refused the start: wait out the crash-loop back-off; the restart fires exactly at expiry. */
const CrashLoopBackOff = containerSetup.createStateConfig({
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
    { type: 'record', params: ({ context }) => ({ type: 'Warning' as const, reason: msg.EventReason.BackOff, message: msg.backOffRestartMessage(context.container.name, context.podRef) }) },
  ],
  // The killed instance's exit syncs the pod at once, and that sync judges it afresh: a
  // kill-and-restart held here whose instance exited 0 under OnFailure is not restarted,
  // and the pod may complete (kubernetes#109537).
  always: { guard: 'shouldNotRestart', target: '#container.Exited' },
  after: { backOffRemaining: { target: '#container.Restarting', actions: 'reachBackOffDeadline' } },
  on: {
    SPEC_UPDATE: [
      // An image change is a new back-off key: restart at once.
      { guard: 'hashChanged', target: '#container.Restarting', actions: ['observe', 'applySpecUpdate'] },
      // Any other edit leaves the back-off running.
      { actions: ['observe', 'applySpecUpdate'] },
    ],
  },
});

export const Waiting = containerSetup.createStateConfig({
  initial: 'ErrImagePull',
  states: {
    ErrImagePull,
    ImagePullBackOff,
    ErrImageNeverPull,
    ImageInspectError,
    InvalidImageName,
    RunContainerError,
    CreateContainerConfigError: createFailed('CreateContainerConfigError'),
    CreateContainerError: createFailed('CreateContainerError'),
    CrashLoopBackOff,
    /** The wait that was active, for a restored snapshot to re-enter. */
    Resumed: { type: 'history' },
  },
  // A deletion noted while the failed step was in flight ends the wait.
  always: { guard: 'isDeleting', target: '#container.Exited' },
  on: {
    DELETE: { target: '#container.Exited', actions: ['observe', 'noteDeletion'] },
    // A restored snapshot re-enters the wait it was in, re-arming it from its absolute deadline.
    RESUME: { target: '.Resumed', reenter: true, actions: 'observe' },
    // A spec edit: the next sync starts the attempt afresh.
    SPEC_UPDATE: { target: '#container.Pulling', actions: ['observe', 'applySpecUpdate'] },
  },
});
