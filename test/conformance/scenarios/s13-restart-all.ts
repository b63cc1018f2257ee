// Issue 13: the RestartAllContainers rule action (KEP-5532,
// RestartAllContainersOnContainerExits: alpha in 1.35, beta and on by default in 1.36).
//
// Pins (kubernetes/kubernetes; pkg/kubelet/kuberuntime/kuberuntime_manager.go
// computePodActions / SyncPod with the KEP-5532 restart, pkg/kubelet/status
// AllContainersRestarting; keps/sig-node/5532-restart-all-containers-on-container-exits):
// - a regular container exiting with a code that matches a RestartAllContainers rule puts
//   the pod into AllContainersRestarting=True (reason ContainerExited);
// - every init, sidecar and regular container is killed (no ordering, no preStop, grace
//   not honoured) and removed from the runtime; ephemeral containers, the sandbox and its
//   IP stay (no StopPodSandbox, no RunPodSandbox attempt 1);
// - the pod then starts as new: init containers run again in order, the sidecar, then the
//   regular containers; restart counts go on and the API statuses (lastState) are kept;
// - the phase goes back to Pending meanwhile.
import { makePod, type Scenario } from '../runner.js';
import { call, custom, exitCode, exited, never, seq, somePod, stateOf } from '../dsl.js';
import { ctr } from './common.js';
import { cond, condIs, IMMEDIATE_MS, lastTerminatedOf, restartsOf, withStartup } from './helpers.js';

const p = makePod('restart-all', {
  restartPolicy: 'Never',
  initContainers: [ctr('setup'), ctr('side', { restartPolicy: 'Always', lifecycle: { preStop: { exec: { command: ['sh', '-c', 'pre-stop side'] } } } })],
  containers: [ctr('main', { restartPolicy: 'Never', restartPolicyRules: [{ action: 'RestartAllContainers', exitCodes: { operator: 'In', values: [88] } }] })],
});

export const restartAllWithInitAndSidecar: Scenario = {
  name: 's13g RestartAllContainers: main exits 88 → AllContainersRestarting, every container killed and removed (sandbox kept), setup, side and main run again',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions + SyncPod (KEP-5532 in-place restart); pkg/kubelet/status AllContainersRestarting; keps/sig-node/5532 (1.36 beta)',
  summary:
    'after main exits 88: AllContainersRestarting True ContainerExited, phase Pending, StopContainer side, RemoveContainer setup/side/main, no preStop, no StopPodSandbox/RunPodSandbox; then setup#1, side#1, main#1 in order; main restartCount 1 with lastState terminated 88',
  pod: p.pod,
  fake: {
    containers: [
      { name: 'setup', runMs: 200, exitCode: 0 },
      { name: 'side', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'main', attempt: 0, runMs: 1000, exitCode: 88 },
      { name: 'main', attempt: 1, sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'main', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(30_000),
  expect: [
    seq(
      call('StartContainer', { name: 'side', attempt: 0, error: false }),
      exited('main', 0, 88).as('x'),
      call('StopContainer', { name: 'side', attempt: 0 }).within(0, IMMEDIATE_MS, 'x'),
      call('RemoveContainer', { name: 'main', attempt: 0 }).as('rmMain'),
      call('CreateContainer', { name: 'setup', attempt: 1 }).as('setup1'),
      call('CreateContainer', { name: 'side', attempt: 1 }),
      call('CreateContainer', { name: 'main', attempt: 1 }),
    ),
    seq(exited('main', 0, 88), call('RemoveContainer', { name: 'setup', attempt: 0 }), call('CreateContainer', { name: 'setup', attempt: 1 })),
    seq(exited('main', 0, 88), call('RemoveContainer', { name: 'side', attempt: 0 }), call('CreateContainer', { name: 'setup', attempt: 1 })),
    never(call('RunPodSandbox', { sandboxAttempt: 1 })),
    never(call('StopPodSandbox'), { to: 'stop' }),
    // side's preStop hook is not run by the restart (it runs at the deletion that ends the scenario).
    never(call('ExecSync'), { to: 'stop' }),
    somePod(
      'AllContainersRestarting True (ContainerExited), phase Pending',
      (l) => condIs(l, 'AllContainersRestarting', 'True', 'ContainerExited') && l['status']?.['phase'] === 'Pending',
    ),
    somePod(
      'after the restart: main running, restartCount 1, lastState terminated 88; AllContainersRestarting no longer True',
      (l) => stateOf(l, 'main') === 'running' && restartsOf(l, 'main') === 1 && lastTerminatedOf(l, 'main')?.['exitCode'] === 88 && cond(l, 'AllContainersRestarting')?.['status'] !== 'True',
    ),
    custom('the pod IP is the same before and after the restart', ({ timeline }) => {
      const ips = new Set(timeline.filter((o) => o.stream === 'pod' && o.line?.['status']?.['podIP']).map((o) => o.line!['status']['podIP']));
      return ips.size === 1 ? null : `pod IPs seen: ${[...ips].join(', ') || 'none'}`;
    }),
    exitCode(0),
  ],
};

export default [restartAllWithInitAndSidecar];
