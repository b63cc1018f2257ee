// Issue 8, point 3: the status while a postStart hook runs.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer step 4:
//   the postStart handler runs synchronously inside SyncPod
//   (m.runner.Run(ctx, ...)), so the pod worker is blocked and
//   pkg/kubelet/kubelet.go SyncPod does not reach the next status update;
//   the last published status is the one computed before the start: the
//   container `waiting` with the default reason ContainerCreating
//   (pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses), `started:
//   false`, phase Pending, until the hook returns.
import { makePod, type Scenario } from '../runner.js';
import { call, everyPod, exitCode, phaseOf, podLine, seq, somePod, cstatus, stateOf } from '../dsl.js';
import { ctr } from './common.js';

const HOOK = ['sh', '-c', 'sleep 4'];
const p = makePod('poststart-status', { containers: [ctr('app', { lifecycle: { postStart: { exec: { command: HOOK } } } })] });

export const postStartStatus: Scenario = {
  name: '03 while postStart runs the container stays waiting ContainerCreating, not started, pod Pending',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer (step 4, synchronous hook); pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses',
  summary: 'every Pod line until the 4 s hook returns: app waiting ContainerCreating, started false, phase Pending; running afterwards',
  pod: p.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    exec: [{ cmd: HOOK.join(' '), delayMs: 4000, exitCode: 0 }],
  },
  actions: [{ label: 'stop', when: podLine('app running', (l) => stateOf(l, 'app') === 'running'), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 30_000,
  expect: [
    seq(call('StartContainer', { name: 'app', error: false }).as('start'), call('ExecSync', { name: 'app', cmd: HOOK.join(' ') }).as('hook')),
    everyPod(
      'app waiting ContainerCreating, started false, phase Pending',
      (l) => stateOf(l, 'app') === 'waiting:ContainerCreating' && cstatus(l, 'app')?.['started'] === false && phaseOf(l) === 'Pending',
      { to: 'hook.end' },
    ),
    somePod('app running and started after the hook', (l) => stateOf(l, 'app') === 'running' && cstatus(l, 'app')?.['started'] === true && phaseOf(l) === 'Running', {
      from: 'hook.end',
    }),
    exitCode(0),
  ],
};

export default [postStartStatus];
