// Issue 8, point 4: a second signal forces the deletion.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/pod_workers.go UpdatePod: a kill with a shorter grace period
//   (wasGracePeriodShortened) cancels the running sync (status.cancelFn());
//   calculateEffectiveGracePeriod: a grace of 0 becomes 1 for the pod worker.
// - pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer: the
//   override is applied before preStop; executePreStopHook waits at most
//   `gracePeriod` (now 1 s) for the hook; then gracePeriod < 2 =>
//   minimumGracePeriodInSeconds, StopContainer(id, 2). The first kill's
//   StopContainer (or its preStop ExecSync) runs under the cancelled context.
import { makePod, type Scenario } from '../runner.js';
import { action, call, custom, event, exitCode, exited, never, seq } from '../dsl.js';
import { ctr, fp } from './common.js';

const PRESTOP = ['sh', '-c', 'sleep 60'];
const preStopPod = makePod('force-during-prestop', {
  terminationGracePeriodSeconds: 30,
  containers: [ctr('app', { lifecycle: { preStop: { exec: { command: PRESTOP } } } })],
});

export const forceDuringPreStop: Scenario = {
  name: '04a second SIGTERM during a long preStop: the hook gets ≤ 1 s more, then StopContainer(id, 2)',
  pins: 'pkg/kubelet/pod_workers.go UpdatePod (cancel on shorter grace); pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer + executePreStopHook',
  summary: 'first SIGTERM: Killing + preStop; second SIGTERM: StopContainer(app, 2) ≤ 2 s later, no other StopContainer timeout, exit 0 ≤ 5 s',
  pod: preStopPod.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    exec: [{ cmd: PRESTOP.join(' '), delayMs: 60_000 }],
  },
  actions: [
    { label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
    { label: 'force', when: call('ExecSync', { name: 'app', cmd: PRESTOP.join(' ') }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 40_000,
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('ExecSync', { name: 'app', cmd: PRESTOP.join(' '), timeout: 0 }).within(0, 1500, 'delete'),
    ),
    never(call('StopContainer', { name: 'app' }), { to: 'force' }),
    seq(action('force'), call('StopContainer', { name: 'app', timeout: 2 }).within(0, 2000, 'force')),
    never(call('StopContainer', { name: 'app', timeout: [3, 100_000] })),
    exitCode(0, { within: [0, 5000], of: 'force' }),
  ],
};

const ignorePod = makePod('force-ignores-sigterm', { terminationGracePeriodSeconds: 30, containers: [ctr('app')] });

export const forceIgnoresSigterm: Scenario = {
  name: '04b container ignores SIGTERM: StopContainer(id, 30), then a second SIGTERM sends StopContainer(id, 2) at once',
  pins: 'pkg/kubelet/pod_workers.go UpdatePod (cancel on shorter grace); pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer',
  summary: 'StopContainer(app, 30); second SIGTERM: StopContainer(app, 2) ≤ 1.5 s later, the container dies 137 at that deadline, exit 0 ≤ 6 s',
  pod: ignorePod.pod,
  fake: { containers: [{ name: 'app', ignoreSigterm: true }] },
  actions: [
    { label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
    { label: 'force', when: call('StopContainer', { name: 'app' }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 45_000,
  expect: [
    seq(action('delete'), call('StopContainer', { name: 'app', timeout: 30 }).within(0, 1500, 'delete').as('stop1')),
    seq(
      action('force'),
      call('StopContainer', { name: 'app', timeout: 2 }).within(0, 1500, 'force').as('stop2'),
      // SIGKILL at the new, earlier deadline: 2 s after the second call, not 30 s after the first.
      exited('app', 0, 137).within(1500, 3500, 'stop2'),
    ),
    custom('the first StopContainer waited until the force, then returned (answered or cancelled by the client)', ({ labels, show }) => {
      const s1 = labels.get('stop1');
      const force = labels.get('force');
      if (!s1?.call || !force) return 'stop1 or force missing';
      if (s1.call.tEnd === undefined) return `it never returned: ${show(s1)}`;
      if (s1.call.tEnd < force.t) return `it returned before the force: ${show(s1)}`;
      return null;
    }),
    exitCode(0, { within: [0, 6000], of: 'force' }),
  ],
};

export default [forceDuringPreStop, forceIgnoresSigterm];
