// The container machine: one actor per container of a pod, for the pod's whole
// life. Read top to bottom it is the kubelet's startContainer and killContainer
// (pkg/kubelet/kuberuntime/kuberuntime_container.go, release-1.34) and the restart
// rules of computePodActions / doBackOff (kuberuntime_manager.go):
//
//   1. EnsureImageExists .......................... image.ts    (Pending, Pulling)
//   2. CreateContainer, 3. StartContainer,
//   4. the postStart hook ......................... start.ts    (Creating … PostStartRunning)
//      running, probed, watched by the PLEG ....... running.ts  (Running)
//   killContainer: Killing, preStop, ordering,
//      StopContainer .............................. killing.ts  (Terminating)
//   after an exit: restart, back off or stay ...... restart.ts  (ExitDecision … Exited)
//   the waits between syncs (reason cache) ........ waiting.ts  (Waiting.*)
//
// It does no I/O: every CRI call and hook is an invoked actor named in setup.ts,
// provided by src/actors/. Time: events that move time carry `at` (epoch ms, from
// the manager's clock) and the chart keeps absolute deadlines in context
// (backOffUntil, retryAt), so pending waits survive a snapshot restore (RESUME).
import { assign } from 'xstate';
import { formatPod } from '../../src/k8s/format.js';
import { containerHash } from '../../src/k8s/hash.js';
import { CRASHLOOP_BACKOFF, IMAGE_PULL_BACKOFF } from '../backoff.js';
import { DEFAULT_FEATURE_GATES } from '../features.js';
import { Pending, Pulling } from './image.js';
import { Creating, Created, Started, PostStartRunning } from './start.js';
import { Running } from './running.js';
import { Terminating } from './killing.js';
import { ExitDecision, BackOffCheck, RunContainerError, PostStartHookError, Restarting, Exited } from './restart.js';
import { Waiting } from './waiting.js';
import { containerSetup } from './setup.js';
import { fieldPathFor, POD_WORKER_RETRY_MS } from './types.js';

export * from './types.js';

export const containerMachine = containerSetup.createMachine({
  id: 'container',
  context: ({ input }) => ({
    pod: input.pod,
    reportsToPod: !!input.reportsToPod,
    podRef: formatPod(input.pod),
    container: input.container,
    hash: containerHash(input.container),
    role: input.role,
    fieldPath: fieldPathFor(input.role, input.container.name),
    config: {
      backOff: input.config?.backOff ?? CRASHLOOP_BACKOFF,
      imageBackOff: input.config?.imageBackOff ?? IMAGE_PULL_BACKOFF,
      podWorkerRetryMs: input.config?.podWorkerRetryMs ?? POD_WORKER_RETRY_MS,
      hookTimeoutMs: input.config?.hookTimeoutMs ?? 0,
      featureGates: input.config?.featureGates ?? DEFAULT_FEATURE_GATES,
    },
    now: input.now,
    restartCount: input.restartCount ?? 0,
    restarting: false,
    staleIds: [],
    deleting: false,
    started: false,
    ready: false,
  }),
  initial: 'Pending',
  on: {
    // The spec changed (static pod manifest edit). A new hash means a new back-off key,
    // so the back-off starts afresh (kubelet getStableKey folds the hash in).
    SPEC_UPDATE: { actions: ['observe', 'applySpecUpdate'] },
    RESUME: { actions: 'observe' },
    // The pod removed the instances it knows (sandbox re-creation): nothing stale is left to remove.
    PURGED: { actions: ['observe', assign({ staleIds: [] })] },
    // States without their own DELETE handler (a CRI call in flight) remember it for later.
    DELETE: { actions: ['observe', 'noteDeletion'] },
    // A kill with no running instance (waiting, pulling, creating): nothing to stop. For a
    // sandbox re-creation the container waits for the pod's next START.
    KILL: [
      { guard: 'killToPending', target: '.Pending', actions: ['observe', assign({ instance: undefined, kill: undefined })] },
      { actions: 'observe' },
    ],
  },
  states: {
    Pending,
    Pulling,
    Creating,
    Created,
    Started,
    PostStartRunning,
    Running,
    Terminating,
    ExitDecision,
    BackOffCheck,
    RunContainerError,
    PostStartHookError,
    Restarting,
    Waiting,
    Exited,
  },
});

export type ContainerMachine = typeof containerMachine;
