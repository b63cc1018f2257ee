// Issue 8, point 12: a kill failure during deletion.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go killPodWithSyncResult:
//   the container kills run first, then StopPodSandbox for every sandbox —
//   whatever the kills returned.
// - pkg/kubelet/kubelet.go SyncTerminatingPod: on error, Warning FailedKillPod
//   `error killing pod: %v` and the error is returned to the pod worker.
// - WHEN the kill is retried — read from the source, this differs from the
//   issue text ("10–15 s later"): the pod worker requeues with
//   backOffPeriod + jitter (pkg/kubelet/pod_workers.go completeWork), but the
//   StopPodSandbox just made turns the sandbox NOTREADY, the generic PLEG
//   (pkg/kubelet/pleg/generic.go relist; getContainersFromPods treats
//   sandboxes as containers) reports ContainerDied for it within its 1 s
//   period, syncLoopIteration hands the (still known, deleting) pod to
//   HandlePodSyncs => podWorkers.UpdatePod, which sets a pending update and
//   wakes the worker at once. So SyncTerminatingPod runs again about a second
//   after StopPodSandbox, not 10–15 s later. (For a removed static pod,
//   SyncKnownPods' removeTerminatedWorker => requeueLastPodUpdate does the
//   same at the next 2 s housekeeping.)
// The fake here keeps the container running across StopPodSandbox
// (stopPodSandboxKillsContainers: false) so that the retry has something to
// kill: a new Killing event and StopContainer. (With a runtime that kills the
// containers on StopPodSandbox, as the CRI asks, the retry finds nothing
// running: see 07c.)
import { makePod, type Scenario } from '../runner.js';
import { action, call, event, exitCode, seq } from '../dsl.js';
import { ctr, fp } from './common.js';

const KILL_MSG = 'error killing pod: failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"';
/** The retry follows the sandbox's PLEG event: ≤ 1 s relist + the sync. */
const RETRY_MAX_MS = 3000;

const p = makePod('kill-failure', { containers: [ctr('app')] });

export const killFailure: Scenario = {
  name: '12 StopContainer DEADLINE_EXCEEDED during deletion: StopPodSandbox at once, FailedKillPod, kill retried at the next (PLEG-triggered) sync',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go killPodWithSyncResult; pkg/kubelet/kubelet.go SyncTerminatingPod; pkg/kubelet/pleg/generic.go relist; pkg/kubelet/pod_workers.go UpdatePod',
  summary: 'StopPodSandbox ≤ 1 s after the failed StopContainer, FailedKillPod, then Killing + StopContainer again ≤ 3 s after StopPodSandbox, exit 0',
  pod: p.pod,
  fake: {
    stopPodSandboxKillsContainers: false,
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    faults: [{ method: 'StopContainer', name: 'app', code: 'DEADLINE_EXCEEDED', message: 'context deadline exceeded', times: 1 }],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 45_000,
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('StopContainer', { name: 'app', timeout: 30, error: 'DEADLINE_EXCEEDED' }).as('stop1'),
      call('StopPodSandbox').within(0, 1000, 'stop1.end').as('sb1'),
    ),
    seq(event({ type: 'Warning', reason: 'FailedKillPod', fieldPath: null, message: KILL_MSG }).within(0, 2000, 'stop1.end')),
    seq(
      action('delete'),
      call('StopContainer', { name: 'app', error: 'DEADLINE_EXCEEDED' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, RETRY_MAX_MS, 'sb1.end').any(),
      call('StopContainer', { name: 'app', timeout: 30, error: false }).within(0, RETRY_MAX_MS, 'sb1.end').any(),
    ),
    exitCode(0, { within: [0, 8000], of: 'delete' }),
  ],
};

export default [killFailure];
