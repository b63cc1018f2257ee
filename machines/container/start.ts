// startContainer steps 2–4 (kuberuntime_container.go): CreateContainer with the
// kubelet's labels and attempt, StartContainer, then the postStart hook.
import { assign } from 'xstate';
import type { LifecycleHandler } from '../../src/k8s/types.js';
import * as msg from '../../src/k8s/messages.js';
import { errorInfo } from '../types.js';
import { terminatedWith } from './context.js';
import { containerSetup } from './setup.js';

/** startContainer step 2: CreateContainer with the kubelet's labels, annotations and attempt. */
export const Creating = containerSetup.createStateConfig({
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
        assign({
          instance: ({ event, context }) => ({ id: event.output.containerId, state: 'created', createdAt: context.now }),
          lastAttempt: ({ context }) => context.restartCount,
          // KEP-1287: a new instance runs with the spec's resources (no resize pending for it).
          actuated: ({ context }) => ({ resources: context.container.resources }),
        }),
        'notifyCreated',
        { type: 'record', params: ({ context }) => ({ type: 'Normal' as const, reason: msg.EventReason.Created, message: msg.createdMessage(context.container.name) }) },
      ],
    },
    onError: [
      {
        // Config generation failed before the runtime was asked (missing configmap, ...).
        guard: { type: 'isConfigError', params: ({ event }) => ({ error: event.error }) },
        target: '#container.Waiting.CreateContainerConfigError',
        actions: ['observeDone', assign({ waitingMessage: ({ event }) => errorInfo(event.error).message })],
      },
      {
        target: '#container.Waiting.CreateContainerError',
        actions: ['observeDone', assign({ waitingMessage: ({ event }) => errorInfo(event.error).details ?? errorInfo(event.error).message })],
      },
    ],
  },
  on: {
    // Deleting while CreateContainer is in flight: let it finish, then kill (kubelet SyncPod is not cancellable here).
    DELETE: { actions: ['observe', 'noteDeletion'] },
  },
});

/**
 * startContainer step 3: StartContainer. The kubelet creates and starts within one sync,
 * so its status never shows this instance as created: still ContainerCreating.
 */
export const Created = containerSetup.createStateConfig({
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
        { type: 'record', params: ({ context }) => ({ type: 'Normal' as const, reason: msg.EventReason.Started, message: msg.startedMessage(context.container.name) }) },
      ],
    },
    onError: [
      {
        // The instance is still CREATED: not a termination; the next sync creates a new one
        // (CREATED restarts even under Never, and doBackOff counts only exited instances).
        guard: { type: 'startLeftCreated', params: ({ event }) => ({ error: event.error }) },
        target: '#container.Waiting.RunContainerError',
        actions: [
          'observeDone',
          assign(({ context, event }) => {
            const detail = errorInfo(event.error).details ?? errorInfo(event.error).message;
            return {
              waitingMessage: detail,
              lastStartError: { reason: msg.WaitingReason.RunContainerError, message: detail },
              staleIds: [...context.staleIds, context.instance!.id],
              instance: undefined,
            };
          }),
          { type: 'record', params: ({ context }) => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(context.waitingMessage ?? '') }) },
        ],
      },
      {
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
        { type: 'record', params: ({ context }) => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(context.waitingMessage ?? '') }) },
      ],
      },
    ],
  },
});

/** StartContainer returned: run postStart if there is one. */
export const Started = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'ContainerCreating' },
  always: [
    { guard: 'isDeleting', target: 'Terminating', actions: 'beginDeletionKill' },
    { guard: 'hasPostStart', target: 'PostStartRunning' },
    { target: 'Running' },
  ],
});

/**
 * startContainer step 4: the postStart hook, synchronously. While it runs the pod
 * starts no further container (the pod waits for CONTAINER.STARTED).
 */
export const PostStartRunning = containerSetup.createStateConfig({
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
      actions: ['observeDone', { type: 'onPostStartFailure', params: ({ event }) => ({ error: event.error }) }],
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
      actions: ['observe', 'mergeInstanceStatus'],
    },
  },
});
