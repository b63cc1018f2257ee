// Issue 8, point 6: termination ordering with a sidecar.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/kuberuntime_container.go killContainersWithSyncResult:
//   one goroutine per running container, all at once (so every Killing event
//   and every preStop starts at the deletion), with a terminationOrdering when
//   the pod has restartable init containers.
// - pkg/kubelet/kuberuntime/kuberuntime_termination_order.go
//   newTerminationOrdering / waitForTurn: a sidecar waits for every regular
//   container (and for the sidecars declared after it); waitForTurn returns
//   the seconds waited, and killContainer subtracts int64(waited) — after
//   `gracePeriod - executePreStopHook(...)` (whole seconds of preStop) — then
//   StopContainer(id, max(grace, 2)).
// With grace 30, an instant preStop and an app that needs 4.5 s to die on
// SIGTERM: the sidecar's timeout is 30 - 0 - 4 = 26 (25 if the hook took a
// second).
import { makePod, type Scenario } from '../runner.js';
import { action, call, event, exitCode, exited, never, seq } from '../dsl.js';
import { ctr, fp, fpInit } from './common.js';

const SIDECAR_PRESTOP = ['sh', '-c', 'echo sidecar bye'];
const APP_PRESTOP = ['sh', '-c', 'echo app bye'];
const p = makePod('sidecar-termination', {
  terminationGracePeriodSeconds: 30,
  initContainers: [ctr('sidecar', { restartPolicy: 'Always', lifecycle: { preStop: { exec: { command: SIDECAR_PRESTOP } } } })],
  containers: [ctr('app', { lifecycle: { preStop: { exec: { command: APP_PRESTOP } } } })],
});

export const sidecarTermination: Scenario = {
  name: '06 deletion with a sidecar: Killing and preStop for both at once, the sidecar stopped after the app with the remaining grace',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go killContainersWithSyncResult + killContainer; pkg/kubelet/kuberuntime/kuberuntime_termination_order.go waitForTurn',
  summary: 'Killing app + sidecar and both preStops ≤ 1 s after SIGTERM; StopContainer(sidecar, 25|26) only after the app exited',
  pod: p.pod,
  fake: {
    containers: [
      { name: 'app', sigtermDelayMs: 4500, sigtermExitCode: 0 },
      { name: 'sidecar', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 40_000,
  expect: [
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1000, 'delete')),
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fpInit('sidecar'), message: 'Stopping container sidecar' }).within(0, 1000, 'delete')),
    seq(action('delete'), call('ExecSync', { name: 'app', cmd: APP_PRESTOP.join(' ') }).within(0, 1000, 'delete')),
    seq(action('delete'), call('ExecSync', { name: 'sidecar', cmd: SIDECAR_PRESTOP.join(' ') }).within(0, 1000, 'delete')),
    seq(
      action('delete'),
      call('StopContainer', { name: 'app', timeout: 30 }).within(0, 1500, 'delete'),
      exited('app', 0).as('appExit'),
      call('StopContainer', { name: 'sidecar', timeout: [25, 26] }).within(0, 1500, 'appExit'),
    ),
    never(call('StopContainer', { name: 'sidecar' }), { to: 'appExit' }),
    exitCode(0, { within: [4000, 10_000], of: 'delete' }),
  ],
};

export default [sidecarTermination];
