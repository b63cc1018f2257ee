// The pod machine: the kubelet's SyncPod / computePodActions / killPod for one pod
// (pkg/kubelet/kuberuntime/kuberuntime_manager.go, release-1.34). It owns the
// sandbox, spawns one container actor per container (machines/container/), and
// decides *when* each container starts or stops; the containers decide *how*.
//
//   SyncPod, step by step ............................. sync.ts
//     (sandbox, ephemeral, init one at a time, regular containers in spec order)
//   RestartAllContainers (KEP-5532) .................. restart-all.ts
//   killPod: all kills at once, sidecars in turn,
//     StopPodSandbox, FailedKillPod and retry ........ kill-pod.ts
//   completion, deletion, removal ..................... end.ts
//
// Its guards read only its own context and the event: containers report what the pod
// needs (CONTAINER.FACTS, EXITED, STARTED, READY, STOPPED, KILL_FAILED, CREATED, RESIZE).
import { formatPod } from '../../src/k8s/format.js';
import { POD_WORKER_RETRY_MS } from '../container/index.js';
import { Completing, Finished, Terminating, Removing, Removed } from './end.js';
import { RemovingAllContainers, RestartingAllContainers } from './restart-all.js';
import { podSetup } from './setup.js';
import {
  CreatingSandbox,
  SandboxCreateFailed,
  Initializing,
  StartingContainers,
  Running,
  SandboxChanged,
  StoppingOldSandbox,
  PurgingInitContainers,
} from './sync.js';

export * from './types.js';

/** Adds the active-deadline eviction to a state the pod is active in (the delay runs from the absolute deadline). */
function withActiveDeadline<T extends object>(state: T) {
  const after = 'after' in state && typeof state.after === 'object' ? state.after : {};
  return { ...state, after: { ...after, activeDeadline: { guard: 'activeDeadlinePassed' as const, target: '#pod.DeadlineExceeded' } } };
}

export const podMachine = podSetup.createMachine({
  id: 'pod',
  context: ({ input }) => ({
    pod: input.pod,
    podRef: formatPod(input.pod),
    config: {
      // Containers share the pod's pod-worker cadence unless told otherwise.
      container: {
        podWorkerRetryMs: input.config?.podWorkerRetryMs ?? POD_WORKER_RETRY_MS,
        ...input.config?.container,
      },
      podWorkerRetryMs: input.config?.podWorkerRetryMs ?? input.config?.container?.podWorkerRetryMs ?? POD_WORKER_RETRY_MS,
      node: input.config?.node,
    },
    now: input.now,
    sandboxAttempt: 0,
    oldSandboxIds: [],
    refs: {},
    initIndex: 0,
    appIndex: 0,
    startedOnce: [],
    finished: false,
    instanceIds: {},
    killFailures: [],
    containers: {},
    restartCounts: input.restartCounts,
    activeDeadlineAt:
      input.pod.spec.activeDeadlineSeconds !== undefined && input.pod.spec.activeDeadlineSeconds !== null
        ? input.now + input.pod.spec.activeDeadlineSeconds * 1000
        : undefined,
  }),
  initial: 'CreatingSandbox',
  on: {
    'CONTAINER.EVENT': { actions: 'forwardContainerEvent' },
    'CONTAINER.PROBE': { actions: 'emitProbeResult' },
    'RUNTIME.CONTAINER': { actions: ['observe', 'forwardToContainer'] },
    'RUNTIME.SYNC': { actions: ['observe', 'syncContainers'] },
    // Children report, the pod remembers: their facts, instances created, kills that failed.
    'CONTAINER.FACTS': { actions: 'rememberFacts' },
    'CONTAINER.RESIZE': { actions: 'rememberResize' },
    'RESIZE.RETRY': { actions: ['observe', 'retryPendingResize'] },
    'CONTAINER.CREATED': { actions: 'rememberInstance' },
    'CONTAINER.KILL_FAILED': { actions: 'rememberKillFailure' },
    // A kill that succeeded on its retry is no failure any more.
    'CONTAINER.STOPPED': { actions: ['observe', 'forgetKillFailure'] },
    'PROBE.RESULT': { actions: ['observe', 'forwardToContainer'] },
    RESUME: { actions: ['observe', 'resumeContainers'] },
  },
  states: {
    // While the pod is active, the active-deadline handler may evict it.
    CreatingSandbox: withActiveDeadline(CreatingSandbox),
    SandboxCreateFailed: withActiveDeadline(SandboxCreateFailed),
    Initializing: withActiveDeadline(Initializing),
    StartingContainers: withActiveDeadline(StartingContainers),
    Running: withActiveDeadline(Running),
    SandboxChanged: withActiveDeadline(SandboxChanged),
    StoppingOldSandbox: withActiveDeadline(StoppingOldSandbox),
    PurgingInitContainers: withActiveDeadline(PurgingInitContainers),
    RestartingAllContainers: withActiveDeadline(RestartingAllContainers),
    RemovingAllContainers: withActiveDeadline(RemovingAllContainers),
    /** activeDeadlineSeconds passed (active_deadline.go): Failed, DeadlineExceeded, and killPod. */
    DeadlineExceeded: { meta: { phase: 'terminal' }, entry: 'evictForActiveDeadline', always: { target: 'Completing' } },
    Completing,
    Finished,
    Terminating,
    Removing,
    Removed,
  },
});

export type PodMachine = typeof podMachine;
