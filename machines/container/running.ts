// The container runs: probers watch it, the PLEG reports its exit, and the pod may
// ask for a kill (liveness or startup failure, definition change, unknown state).
// An edit of its cpu/memory is an in-place resize (KEP-1287): UpdateContainerResources
// on this instance, or a kill and a new instance when its resizePolicy says so.
import { assign } from 'xstate';
import { terminatedWith } from './context.js';
import { refusedEditEvent } from './resize.js';
import { containerSetup } from './setup.js';

export const Running = containerSetup.createStateConfig({
  meta: { status: 'running' },
  // Probers live as long as this instance runs (one per probe the container has); leaving
  // Running (a kill or an exit) stops liveness and startup probing, as the kubelet does
  // once termination starts.
  exit: [{ type: 'stopProbes', params: { types: ['startup', 'liveness', 'readiness'] } }, 'dropResize'],
  entry: [
    { type: 'startProbes', params: { types: ['startup', 'liveness', 'readiness'] } },
    assign({
      started: ({ context }) => !context.container.startupProbe,
      ready: ({ context }) => !context.container.startupProbe && !context.container.readinessProbe,
      // startContainer succeeded: its reason-cache entry goes.
      lastStartError: undefined,
      restarting: false,
    }),
    { type: 'reportFacts', params: { down: false } },
    'notifyStarted',
  ],
  always: [
    {
      // It already exited while postStart ran.
      guard: 'exitedDuringPostStart',
      target: 'ExitDecision',
      actions: assign(({ context }) => terminatedWith(context, context.instance!)),
    },
    // The spec was edited while postStart ran: the first sync of the running container resizes it.
    { guard: 'pendingResizeNeedsRestart', target: 'Terminating', actions: 'beginResizeRestartKill' },
    { guard: 'pendingResizeInPlace', actions: 'startResize' },
  ],
  on: {
    'RUNTIME.STATUS': [
      {
        guard: 'instanceExited',
        target: 'ExitDecision',
        actions: ['observe', 'recordExit'],
      },
      {
        guard: 'instanceUnknown',
        target: 'Terminating',
        actions: ['observe', 'beginUnknownStateKill'],
      },
    ],
    KILL: { target: 'Terminating', actions: ['observe', 'beginKill'] },
    DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion', 'beginDeletionKill'] },
    SPEC_UPDATE: [
      // A definition change (hash: name and image) kills and restarts with a fresh back-off key.
      { guard: 'hashChanged', target: 'Terminating', actions: ['observe', 'applySpecUpdate', 'beginDefinitionChangedKill'] },
      // Anything but the image, cpu and memory: the edit is refused and the container runs on.
      { guard: 'editInvalid', actions: ['observe', { type: 'record', params: ({ context, event }) => refusedEditEvent(context, event) }] },
      // computePodResizeAction: resizePolicy RestartContainer for a changed resource.
      { guard: 'resizeNeedsRestart', target: 'Terminating', actions: ['observe', 'applySpecUpdate', 'beginResizeRestartKill'] },
      { guard: 'resizeInPlace', actions: ['observe', 'applySpecUpdate', 'startResize'] },
      // Nothing to actuate (resizePolicy alone, or back to the running values).
      { actions: ['observe', 'applySpecUpdate', 'dropResize'] },
    ],
    'xstate.done.actor.resize': { actions: 'resizeAccepted' },
    'xstate.error.actor.resize': { actions: ['observeDone', 'resizeFailed'] },
    'RESIZE.RETRY': { guard: 'resizeStillWanted', actions: ['observe', 'startResize'] },
    'PROBE.RESULT': [
      {
        guard: 'isLivenessFailure',
        target: 'Terminating',
        actions: ['observe', 'notifyProbe', { type: 'beginProbeKill', params: { cause: 'LivenessProbe' as const } }],
      },
      {
        guard: 'isStartupFailure',
        target: 'Terminating',
        actions: ['observe', 'notifyProbe', { type: 'beginProbeKill', params: { cause: 'StartupProbe' as const } }],
      },
      { actions: ['observe', 'notifyProbe', 'applyProbeResult'] },
    ],
    'PROBE.RECORD': { actions: 'recordProbeEvent' },
  },
});
