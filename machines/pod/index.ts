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
// needs (CONTAINER.FACTS, EXITED, STARTED, READY, STOPPED, KILL_FAILED, CREATED).
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
  }),
  initial: 'CreatingSandbox',
  on: {
    'CONTAINER.EVENT': { actions: 'forwardContainerEvent' },
    'CONTAINER.PROBE': { actions: 'emitProbeResult' },
    'RUNTIME.CONTAINER': { actions: ['observe', 'forwardToContainer'] },
    // Children report, the pod remembers: their facts, instances created, kills that failed.
    'CONTAINER.FACTS': { actions: 'rememberFacts' },
    'CONTAINER.CREATED': { actions: 'rememberInstance' },
    'CONTAINER.KILL_FAILED': { actions: 'rememberKillFailure' },
    'PROBE.RESULT': { actions: ['observe', 'forwardToContainer'] },
    RESUME: { actions: ['observe', 'resumeContainers'] },
  },
  states: {
    CreatingSandbox,
    SandboxCreateFailed,
    Initializing,
    StartingContainers,
    Running,
    SandboxChanged,
    StoppingOldSandbox,
    PurgingInitContainers,
    RestartingAllContainers,
    RemovingAllContainers,
    Completing,
    Finished,
    Terminating,
    Removing,
    Removed,
  },
});

export type PodMachine = typeof podMachine;
