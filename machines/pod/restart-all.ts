// KEP-5532 RestartAllContainers (RestartAllContainersOnContainerExits, beta and on in
// kubelet 1.36): a container's exit matched a RestartAllContainers rule. The pod gets
// AllContainersRestarting=True, every init, sidecar and regular container is killed
// (all at once, no ordering, no preStop) and removed; ephemeral containers, the
// sandbox and its IP stay. Then SyncPod starts over at the init containers; the
// containers keep their lastState and log files.
import { podSetup } from './setup.js';

export const RestartingAllContainers = podSetup.createStateConfig({
  meta: { phase: 'Pending' },
  entry: 'killAllForRestart',
  always: { guard: 'allButEphemeralDown', target: 'RemovingAllContainers' },
  on: { DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] } },
});

export const RemovingAllContainers = podSetup.createStateConfig({
  meta: { phase: 'Pending' },
  invoke: {
    id: 'removeContainers',
    src: 'removeContainers',
    input: ({ context }) => ({
      containerIds: [...(context.pod.spec.initContainers ?? []), ...context.pod.spec.containers].flatMap((c) => context.instanceIds[c.name] ?? []),
    }),
    onDone: { target: 'Initializing', actions: 'forgetRemovedContainers' },
    onError: { target: 'Initializing', actions: 'forgetRemovedContainers' },
  },
  on: { DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion'] } },
});
