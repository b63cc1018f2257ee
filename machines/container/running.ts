// The container runs: probers watch it, the PLEG reports its exit, and the pod may
// ask for a kill (liveness or startup failure, definition change, unknown state).
import { assign } from 'xstate';
import { terminatedWith } from './context.js';
import { containerSetup } from './setup.js';

export const Running = containerSetup.createStateConfig({
  meta: { status: 'running' },
  // Probers live as long as this instance runs (one per probe the container has); leaving
  // Running (a kill or an exit) stops liveness and startup probing, as the kubelet does
  // once termination starts.
  exit: [{ type: 'stopProbes', params: { types: ['startup', 'liveness', 'readiness'] } }],
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
  always: {
    // It already exited while postStart ran.
    guard: 'exitedDuringPostStart',
    target: 'ExitDecision',
    actions: assign(({ context }) => terminatedWith(context, context.instance!)),
  },
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
    // A definition change (hash) kills and restarts with a fresh back-off key.
    SPEC_UPDATE: { guard: 'hashChanged', target: 'Terminating', actions: ['observe', 'applySpecUpdate', 'beginDefinitionChangedKill'] },
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
