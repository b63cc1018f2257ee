// Happy paths: they check the harness itself (they are expected to pass on
// the current code) and the plainest kubelet sequences.
//
// Pins (kubernetes/kubernetes, release-1.34 era source):
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod: RunPodSandbox,
//   then startContainer per container; killPodWithSyncResult: every
//   container's killContainer, then StopPodSandbox.
// - pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer: events
//   Pulled ("already present"), Created `Created container: <c>`, Started
//   `Started container <c>`; killContainer: Killing `Stopping container <c>`,
//   StopContainer(id, terminationGracePeriodSeconds).
import { makePod, type Scenario } from '../runner.js';
import { call, event, exitCode, exited, finalPod, phaseOf, seq, action, never } from '../dsl.js';
import { ctr, fp, IMAGE } from './common.js';

const ok = makePod('sanity-ok', { restartPolicy: 'Never', containers: [ctr('app')] });

export const sanitySucceeds: Scenario = {
  name: 'sanity: a container that exits 0 under Never ends the pod Succeeded',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod; kuberuntime_container.go startContainer',
  summary: 'RunPodSandbox → CreateContainer → StartContainer, events Pulled/Created/Started, phase Succeeded, exit 0',
  pod: ok.pod,
  fake: { containers: [{ name: 'app', runMs: 500, exitCode: 0 }] },
  deadlineMs: 20_000,
  expect: [
    seq(
      call('RunPodSandbox', { name: 'sanity-ok', sandboxAttempt: 0, error: false }),
      call('CreateContainer', { name: 'app', attempt: 0, error: false }),
      call('StartContainer', { name: 'app', attempt: 0, error: false }),
      exited('app', 0, 0),
      call('StopPodSandbox'),
    ),
    seq(
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('app'), message: `Container image "${IMAGE}" already present on machine` }),
      event({ type: 'Normal', reason: 'Created', fieldPath: fp('app'), message: 'Created container: app' }),
      event({ type: 'Normal', reason: 'Started', fieldPath: fp('app'), message: 'Started container app' }),
    ),
    finalPod('phase Succeeded', (p) => phaseOf(p) === 'Succeeded'),
    exitCode(0),
  ],
};

const del = makePod('sanity-delete', { containers: [ctr('app')] });

export const sanityGracefulDelete: Scenario = {
  name: 'sanity: SIGTERM deletes the pod gracefully',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer; kuberuntime_manager.go killPodWithSyncResult',
  summary: 'Killing `Stopping container app`, StopContainer(app, 30), StopPodSandbox, exit 0',
  pod: del.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 200, sigtermExitCode: 0 }] },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 25_000,
  expect: [
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete')),
    seq(
      action('delete'),
      call('StopContainer', { name: 'app', timeout: 30 }).within(0, 1500, 'delete'),
      exited('app', 0, 0),
      call('StopPodSandbox').within(0, 1500, 'delete'),
    ),
    never(call('CreateContainer', { name: 'app', attempt: 1 })),
    exitCode(0, { within: [0, 5000], of: 'delete' }),
  ],
};

export default [sanitySucceeds, sanityGracefulDelete];
