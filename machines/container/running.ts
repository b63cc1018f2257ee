// The container runs: probers watch it, the PLEG reports its exit, and the pod may
// ask for a kill (liveness or startup failure, definition change, unknown state).
import { assign } from 'xstate';
import type { Container } from '../../src/k8s/types.js';
import { containerHash } from '../../src/k8s/hash.js';
import * as msg from '../../src/k8s/messages.js';
import type { KillCause } from '../grace.js';
import type { EventRecord, InstanceStatus } from '../types.js';
import { terminatedWith } from './context.js';
import type { KillRequest } from './types.js';
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
        actions: ['observe', { type: 'beginKill', params: ({ context }) => ({ request: { cause: 'Other', then: 'restart', message: context.role === 'regular' ? msg.MSG_KILL_UNKNOWN_STATE : msg.MSG_INIT_KILL_UNKNOWN_STATE } as KillRequest }) }],
      },
    ],
    KILL: { target: 'Terminating', actions: ['observe', 'beginKill'] },
    DELETE: { target: 'Terminating', actions: ['observe', 'noteDeletion', 'beginDeletionKill'] },
    SPEC_UPDATE: {
      guard: 'hashChanged',
      target: 'Terminating',
      actions: [
        'observe',
        assign(({ event }) => ({ container: (event as { container: Container }).container, hash: containerHash((event as { container: Container }).container), backOff: undefined, imageBackOff: undefined })),
        {
          type: 'beginKill',
          params: ({ context }) => ({
            request: {
              cause: 'Other',
              // A definition change restarts regardless of restartPolicy (computePodActions).
              then: 'restart',
              message: context.role === 'regular' ? msg.definitionChangedKillMessage(context.container.name, true) : msg.initDefinitionChangedKillMessage(context.container.name),
            } as KillRequest,
          }),
        },
      ],
    },
    'PROBE.RESULT': [
      {
        guard: 'isLivenessFailure',
        target: 'Terminating',
        actions: ['observe', 'notifyProbe', { type: 'beginProbeKill', params: { cause: 'LivenessProbe' as KillCause } }],
      },
      {
        guard: 'isStartupFailure',
        target: 'Terminating',
        actions: ['observe', 'notifyProbe', { type: 'beginProbeKill', params: { cause: 'StartupProbe' as KillCause } }],
      },
      { actions: ['observe', 'notifyProbe', 'applyProbeResult'] },
    ],
    'PROBE.RECORD': { actions: { type: 'record', params: ({ event }) => (event as { event: EventRecord }).event } },
  },
});
