// The end of a pod: Completing when every regular container ended for good (killPod
// for what still runs: sidecars, then the sandbox), Terminating on deletion (killPod
// with the deletion's grace), then RemovePodSandbox for every sandbox the pod had.
import { assign } from 'xstate';
import { killPodStates } from './kill-pod.js';
import { podSetup } from './setup.js';

/** Terminal phase reached without deletion: stop what still runs (sidecars), then the sandbox. */
export const Completing = podSetup.createStateConfig({
  meta: { phase: 'terminal' },
  entry: assign({ finished: true }),
  initial: 'KillingContainers',
  on: { DELETE: { actions: ['observe', 'noteDeletion'] } },
  states: killPodStates('#pod.Finished'),
});

/** Done, sandbox stopped; the pod object stays until it is deleted. */
export const Finished = podSetup.createStateConfig({
  meta: { phase: 'terminal' },
  always: { guard: 'isDeleting', target: 'Removing' },
  on: { DELETE: { target: 'Removing', actions: ['observe', 'noteDeletion'] } },
});

/** killPod: regular containers in parallel, then sidecars in reverse order, then StopPodSandbox. */
export const Terminating = podSetup.createStateConfig({
  meta: { phase: 'terminating' },
  initial: 'KillingContainers',
  on: {
    // A second deletion (force) shortens what is still running.
    DELETE: {
      actions: ['observe', 'noteDeletion', 'forwardDeletion'],
    },
  },
  states: killPodStates('#pod.Removing'),
});

/** RemovePodSandbox for every sandbox the pod had (containers go with them). */
export const Removing = podSetup.createStateConfig({
  meta: { phase: 'terminal' },
  invoke: {
    id: 'removePodSandbox',
    src: 'removePodSandbox',
    input: ({ context }) => ({ sandboxIds: [...context.oldSandboxIds, ...(context.sandbox ? [context.sandbox.id] : [])] }),
    onDone: 'Removed',
    onError: 'Removed',
  },
});

export const Removed = podSetup.createStateConfig({
  meta: { phase: 'terminal' },
  type: 'final',
});
