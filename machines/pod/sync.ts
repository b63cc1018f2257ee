// SyncPod (kuberuntime_manager.go, release-1.34) for a pod that is not being
// deleted, one state per step the pod waits in:
//   Step 1 computePodActions decides whether the sandbox must be (re)created;
//   Step 2 killPod / purgeInitContainers when it must ........ SandboxChanged, StoppingOldSandbox, PurgingInitContainers
//   Step 4 RunPodSandbox (+ PodSandboxStatus) ................ CreatingSandbox, SandboxCreateFailed
//   Step 5 ephemeral containers, Step 6 init containers ...... Initializing
//   Step 7 regular containers, in spec order ................. StartingContainers
//   then the containers run; their exits are theirs to handle  Running
import { assign } from 'xstate';
import * as msg from '../../src/k8s/messages.js';
import { errorInfo } from '../types.js';
import { podSetup } from './setup.js';

/** RunPodSandbox (+ PodSandboxStatus for the IP), attempt = previous + 1 on re-creation. */
export const CreatingSandbox = podSetup.createStateConfig({
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
});

/** The pod stays ContainerCreating and SyncPod retries on the pod-worker cadence. */
export const SandboxCreateFailed = podSetup.createStateConfig({
  meta: { phase: 'Pending' },
  entry: assign({ retryAt: ({ context }) => context.now + context.config.podWorkerRetryMs }),
  after: { podWorkerRetry: { target: 'CreatingSandbox', actions: assign({ now: ({ context }) => Math.max(context.now, context.retryAt ?? context.now) }) } },
  on: {
    DELETE: { target: 'Removing', actions: ['observe', 'noteDeletion'] },
    RESUME: { target: 'SandboxCreateFailed', reenter: true, actions: 'observe' },
  },
});

/** Init containers, one at a time; regular containers wait (computePodActions). */
export const Initializing = podSetup.createStateConfig({
  meta: { phase: 'Pending' },
  entry: ['startEphemerals', 'startNextInit'],
  always: { guard: 'initDone', target: 'StartingContainers' },
  on: {
    'CONTAINER.EXITED': [
      { guard: 'restartsAllContainers', target: 'RestartingAllContainers', actions: 'observe' },
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
    'RUNTIME.SANDBOX': [
      // computePodActions under Never, once containers ran: no re-creation, just KillPod (no SandboxChanged).
      { guard: 'sandboxDiedForGood', target: 'Completing', actions: 'observe' },
      { guard: 'isCurrentSandbox', target: 'SandboxChanged', actions: 'observe' },
    ],
    DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] },
    UPDATE: { actions: ['observe', 'applyUpdate', 'spawnContainers', 'startEphemerals'] },
  },
});

/** App containers in spec order; each waits for the previous start (and its postStart). */
export const StartingContainers = podSetup.createStateConfig({
  meta: { phase: 'Pending' },
  entry: 'startNextApp',
  always: [
    { guard: 'appsStarted', target: 'Running' },
  ],
  on: {
    'CONTAINER.STARTED': { guard: 'isCurrentApp', target: 'StartingContainers', reenter: true, actions: 'advanceApp' },
    'CONTAINER.START_FAILED': { guard: 'isCurrentApp', target: 'StartingContainers', reenter: true, actions: 'advanceApp' },
    'CONTAINER.EXITED': [
      { guard: 'restartsAllContainers', target: 'RestartingAllContainers', actions: 'observe' },
      { guard: 'isCurrentApp', target: 'StartingContainers', reenter: true, actions: 'advanceApp' },
    ],
    'RUNTIME.SANDBOX': [
      // computePodActions under Never, once containers ran: no re-creation, just KillPod (no SandboxChanged).
      { guard: 'sandboxDiedForGood', target: 'Completing', actions: 'observe' },
      { guard: 'isCurrentSandbox', target: 'SandboxChanged', actions: 'observe' },
    ],
    DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] },
    UPDATE: { actions: ['observe', 'applyUpdate', 'spawnContainers', 'startEphemerals'] },
  },
});

export const Running = podSetup.createStateConfig({
  meta: { phase: 'Running' },
  // A RestartAllContainers restart is over once the containers run again.
  entry: 'endRestartAll',
  always: { guard: 'podCompleted', target: 'Completing' },
  on: {
    'CONTAINER.EXITED': { guard: 'restartsAllContainers', target: 'RestartingAllContainers', actions: 'observe' },
    'RUNTIME.SANDBOX': [
      // computePodActions under Never, once containers ran: no re-creation, just KillPod (no SandboxChanged).
      { guard: 'sandboxDiedForGood', target: 'Completing', actions: 'observe' },
      { guard: 'isCurrentSandbox', target: 'SandboxChanged', actions: 'observe' },
    ],
    DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] },
    UPDATE: { actions: ['observe', 'applyUpdate', 'spawnContainers', 'startEphemerals'] },
  },
});

/** The sandbox died: SandboxChanged, kill everything, re-create it (or end, under Never). */
export const SandboxChanged = podSetup.createStateConfig({
  meta: { phase: 'Running' },
  entry: [
    { type: 'recordPodEvent', params: () => ({ type: 'Normal', reason: msg.EventReason.SandboxChanged, message: msg.MSG_SANDBOX_CHANGED }) },
    'killForSandboxChange',
  ],
  always: [
    { guard: 'allContainersDown', target: 'StoppingOldSandbox' },
  ],
  on: { DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] } },
});

export const StoppingOldSandbox = podSetup.createStateConfig({
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
});

/**
 * SyncPod step 2 when the sandbox is re-created: purgeInitContainers removes every init
 * container instance before RunPodSandbox, so the init containers run again from scratch.
 */
export const PurgingInitContainers = podSetup.createStateConfig({
  meta: { phase: 'Running' },
  invoke: {
    id: 'removeContainers',
    src: 'removeContainers',
    input: ({ context }) => ({ containerIds: (context.pod.spec.initContainers ?? []).flatMap((c) => context.instanceIds[c.name] ?? []) }),
    onDone: { target: 'CreatingSandbox', actions: 'notifyPurged' },
    onError: { target: 'CreatingSandbox', actions: 'notifyPurged' },
  },
  on: { DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] } },
});
