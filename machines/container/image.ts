// EnsureImageExists (kuberuntime_image.go): the container waits for the pod's START,
// then ImageStatus, the pull policy, the image back-off and PullImage.
import { assign } from 'xstate';
import * as msg from '../../src/k8s/messages.js';
import { nextBackOff } from '../backoff.js';
import { errorInfo } from '../types.js';
import { nextAttempt } from './context.js';
import { containerSetup } from './setup.js';

/** Not started yet: the pod decides when (init order, spec order, sandbox ready). */
export const Pending = containerSetup.createStateConfig({
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
});

/** EnsureImageExists (kuberuntime_image.go): ImageStatus, pull policy, pull back-off, PullImage. */
export const Pulling = containerSetup.createStateConfig({
  meta: { status: 'waiting', reason: 'ContainerCreating' },
  entry: [{ type: 'reportFacts', params: { down: false } }, 'pruneInitBeforeStart', 'resolveImageSpec'],
  initial: 'Deciding',
  on: {
    DELETE: { target: 'Exited', actions: ['observe', 'noteDeletion'] },
  },
  states: {
    // applyDefaultImageTag first; under Always the pull goes ahead without an ImageStatus
    // (image_manager.go imagePullPrecheck only asks the runtime when the policy may skip the pull).
    Deciding: {
      always: [
        { guard: 'invalidImageName', target: '#container.Waiting.InvalidImageName' },
        { guard: 'pullPolicyAlways', target: 'Pulling' },
        { target: 'Inspecting' },
      ],
    },
    Inspecting: {
      invoke: {
        id: 'inspectImage',
        src: 'inspectImage',
        input: ({ context }) => ({ image: context.imageSpec ?? context.container.image }),
        onDone: [
          {
            guard: { type: 'imagePresentAndNotAlways', params: ({ event }) => ({ present: event.output.present }) },
            target: '#container.Creating',
            actions: [
              assign({ imageRef: ({ event }) => event.output.imageRef }),
              { type: 'record', params: ({ context }) => ({ type: 'Normal' as const, reason: msg.EventReason.Pulled, message: msg.alreadyPresentMessage(context.container.image) }) },
            ],
          },
          { guard: 'pullPolicyNever', target: '#container.Waiting.ErrImageNeverPull' },
          { guard: 'inImagePullBackOff', target: '#container.Waiting.ImagePullBackOff' },
          { target: 'Pulling' },
        ],
        onError: {
          target: '#container.Waiting.ImageInspectError',
          // image_manager.go (1.33/1.34) prints the still-empty image ref here (fixed upstream by #141571).
          actions: assign({ waitingMessage: ({ event }) => msg.inspectFailedMessage(msg.INSPECT_FAILED_IMAGE_1_34, errorInfo(event.error).grpc ?? errorInfo(event.error).message) }),
        },
      },
    },
    Pulling: {
      entry: [
        assign({ pullStartedAt: ({ context }) => context.now }),
        { type: 'record', params: ({ context }) => ({ type: 'Normal' as const, reason: msg.EventReason.Pulling, message: msg.pullingMessage(context.container.image) }) },
      ],
      invoke: {
        id: 'pullImage',
        src: 'pullImage',
        input: ({ context }) => ({ image: context.imageSpec ?? context.container.image, sandbox: context.sandbox }),
        onDone: {
          target: '#container.Creating',
          actions: [
            assign({ imageRef: ({ event }) => event.output.imageRef, imageBackOff: undefined, lastPullError: undefined }),
            {
              type: 'record',
              params: ({ context, event }) => ({
                type: 'Normal' as const,
                reason: msg.EventReason.Pulled,
                message: msg.pulledMessage(context.container.image, event.output.pullMs, event.output.totalMs, event.output.size),
              }),
            },
          ],
        },
        onError: {
          target: '#container.Waiting.ErrImagePull',
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
            { type: 'record', params: ({ context }) => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.failedToPullMessage(context.container.image, context.lastPullError?.raw ?? '') }) },
            { type: 'record', params: ({ context }) => ({ type: 'Warning' as const, reason: msg.EventReason.Failed, message: msg.errorMessage(context.lastPullError?.reason ?? msg.WaitingReason.ErrImagePull) }) },
          ],
        },
      },
    },
  },
});
