// killPodWithSyncResult (kuberuntime_manager.go, release-1.34) as a chart fragment,
// used by Terminating (deletion) and Completing (the pod reached a terminal phase):
// 1. killContainer for every running container at once (all Killing events and
//    preStop hooks together); a sidecar's StopContainer waits for its turn
//    (kuberuntime_termination_order.go);
// 2. StopPodSandbox once every kill returned, failed or not;
// 3. a failed kill: FailedKillPod, and the whole kill again at the pod's next sync.
import * as msg from '../../src/k8s/messages.js';
import { podSetup } from './setup.js';
import type { PodContext } from './types.js';

export function killPodStates(then: '#pod.Finished' | '#pod.Removing') {
  return {
    KillingContainers: podSetup.createStateConfig({
      entry: ['killAllContainers', 'grantTurns'],
      always: { guard: 'everyKillReturned', target: 'StoppingSandbox' },
      on: {
        'CONTAINER.STOPPED': { actions: ['observe', 'forgetKillFailure'] },
        // A container reported it is down: the sidecars waiting for it may go.
        'CONTAINER.FACTS': { actions: ['rememberFacts', 'grantTurns'] },
      },
    }),
    StoppingSandbox: podSetup.createStateConfig({
      invoke: {
        id: 'stopPodSandbox',
        src: 'stopPodSandbox',
        // StopPodSandbox for every sandbox the pod has had, not only the current one.
        input: ({ context }) => ({ sandboxId: context.sandbox?.id ?? '', otherSandboxIds: context.oldSandboxIds }),
        onDone: [{ guard: 'someKillFailed', target: 'KillFailed' }, { target: then }],
        // KillPodSandboxError joins the container failures in the FailedKillPod aggregate.
        onError: { target: 'KillFailed', actions: { type: 'noteSandboxKillFailure', params: ({ event }) => ({ error: event.error }) } },
      },
    }),
    KillFailed: podSetup.createStateConfig({
      entry: [
        {
          type: 'recordPodEvent',
          params: ({ context }: { context: PodContext }) => ({
            type: 'Warning' as const,
            reason: msg.EventReason.FailedKillPod,
            message: msg.failedKillPodMessage(msg.killPodErrorText(context.killFailures, context.sandboxKillFailure)),
          }),
        },
        'scheduleRetry',
      ],
      // The failed sync is retried at the pod worker's next sync: the one the PLEG triggers
      // when it sees the sandbox stopped (generic.go relists sandboxes as containers), or
      // the 10–15 s requeue after the error, whichever comes first.
      after: { podWorkerRetry: { target: 'KillingContainers', actions: ['reachRetryDeadline', 'clearKillFailures'] } },
      on: {
        RESUME: { target: 'KillFailed', reenter: true, actions: 'observe' },
        'RUNTIME.SANDBOX': { guard: 'isOwnSandbox', target: 'KillingContainers', actions: ['observe', 'clearKillFailures'] },
      },
    }),
  };
}
