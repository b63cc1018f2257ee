// Issue 8, point 4: force deletion.
//
// Pins (kubernetes/kubernetes, release-1.34 era; the TODO(#113606) context
// is the same in every version read, up to the newest stored copy):
// - pkg/kubelet/pod_workers.go calculateEffectiveGracePeriod: a grace of 0
//   becomes 1 (the pod worker's minimum); UpdatePod: a kill with a shorter
//   grace calls status.cancelFn() on the running sync and queues the update.
// - pkg/kubelet/kubelet.go SyncTerminatingPod: "TODO(#113606): connect this
//   with the incoming context parameter" — it runs killPod under
//   context.Background()/TODO(), NOT the pod worker's context. So the cancel
//   does not reach a kill that is already running: its preStop keeps the
//   whole grace it started with (executePreStopHook waits
//   min(hook, gracePeriod)), its StopContainer keeps its timeout, and the
//   shorter grace only applies to the NEXT SyncTerminatingPod, which runs
//   after the first one returned.
// - pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer: with the
//   override 1 from the start, preStop gets at most 1 s, then
//   gracePeriod < 2 => StopContainer(id, 2) (minimumGracePeriodInSeconds).
//
// The issue text expected a second SIGTERM to cut a running preStop or
// StopContainer short (04a/04b). Per the source it does not: 04a/04b pin the
// kubelet's behaviour (the running kill finishes with the original grace);
// 04c/04d pin the force semantics where the kubelet has them — a deletion
// whose grace is 0 from the start (`--grace-period 0`, the flag under test).
import { makePod, type Scenario } from '../runner.js';
import { action, call, custom, event, exitCode, exited, never, seq } from '../dsl.js';
import { ctr, fp } from './common.js';

const PRESTOP = ['sh', '-c', 'sleep 60'];
const preStopPod = (name: string) =>
  makePod(name, {
    terminationGracePeriodSeconds: 30,
    containers: [ctr('app', { lifecycle: { preStop: { exec: { command: PRESTOP } } } })],
  });
const preStopFake = {
  containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
  exec: [{ cmd: PRESTOP.join(' '), delayMs: 60_000 }],
};

const p4a = preStopPod('force-during-prestop');

export const forceDuringPreStop: Scenario = {
  name: '04a second SIGTERM during a long preStop (grace 30): the running kill is not cut short; StopContainer(id, 2) after the full 30 s',
  pins: 'pkg/kubelet/kubelet.go SyncTerminatingPod (context.TODO, #113606); pkg/kubelet/pod_workers.go UpdatePod; pkg/kubelet/kuberuntime/kuberuntime_container.go executePreStopHook + killContainer',
  summary: 'Killing + preStop at the first SIGTERM; no StopContainer at the second; StopContainer(app, 2) 30 s after the preStop began; exit 0 ≈ 30 s after the deletion',
  pod: p4a.pod,
  fake: preStopFake,
  actions: [
    { label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
    { label: 'force', when: call('ExecSync', { name: 'app', cmd: PRESTOP.join(' ') }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 50_000,
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('ExecSync', { name: 'app', cmd: PRESTOP.join(' '), timeout: 0 }).within(0, 1500, 'delete').as('prestop'),
    ),
    never(call('StopContainer', { name: 'app' }), { to: 'force' }),
    seq(action('force'), call('StopContainer', { name: 'app', timeout: 2 }).within(29_500, 32_000, 'prestop')),
    never(call('StopContainer', { name: 'app', timeout: [3, 100_000] })),
    exitCode(0, { within: [29_500, 36_000], of: 'delete' }),
  ],
};

const ignorePod = (name: string) => makePod(name, { terminationGracePeriodSeconds: 30, containers: [ctr('app')] });

const p4b = ignorePod('force-ignores-sigterm');

export const forceIgnoresSigterm: Scenario = {
  name: '04b container ignores SIGTERM, second SIGTERM during StopContainer(id, 30): no new StopContainer, SIGKILL at the 30 s deadline',
  pins: 'pkg/kubelet/kubelet.go SyncTerminatingPod (context.TODO, #113606); pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer',
  summary: 'StopContainer(app, 30); the second SIGTERM adds no StopContainer; the container dies 137 30 s after the call, which then returns; exit 0 soon after',
  pod: p4b.pod,
  fake: { containers: [{ name: 'app', ignoreSigterm: true }] },
  actions: [
    { label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
    { label: 'force', when: call('StopContainer', { name: 'app' }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 50_000,
  expect: [
    seq(
      action('delete'),
      call('StopContainer', { name: 'app', timeout: 30 }).within(0, 1500, 'delete').as('stop1'),
      exited('app', 0, 137).within(29_500, 31_000, 'stop1').as('died'),
    ),
    never(call('StopContainer', { name: 'app' }), { from: 'force', to: 'died' }),
    custom('the StopContainer(30) returned when the container died', ({ labels, show }) => {
      const s1 = labels.get('stop1');
      const died = labels.get('died');
      if (!s1?.call || !died) return 'stop1 or died missing';
      if (s1.call.tEnd === undefined || s1.call.cancelled) return `it did not return normally: ${show(s1)}`;
      return Math.abs(s1.call.tEnd - died.t) <= 100 ? null : `it returned at +${Math.round(s1.call.tEnd)} ms, the container died at +${Math.round(died.t)} ms`;
    }),
    exitCode(0, { within: [0, 5000], of: 'died' }),
  ],
};

const p4c = preStopPod('force-zero-grace-prestop');

export const zeroGracePreStop: Scenario = {
  name: '04c --grace-period 0 with a long preStop: the hook gets at most 1 s, then StopContainer(id, 2)',
  pins: 'pkg/kubelet/pod_workers.go calculateEffectiveGracePeriod (0 => 1); pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer + executePreStopHook',
  summary: 'Killing, preStop ExecSync, StopContainer(app, 2) ≤ 2 s after the hook began, no other timeout, exit 0 ≤ 5 s',
  pod: p4c.pod,
  fake: preStopFake,
  args: ['--grace-period', '0'],
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 40_000,
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('ExecSync', { name: 'app', cmd: PRESTOP.join(' ') }).within(0, 1500, 'delete').as('prestop'),
      call('StopContainer', { name: 'app', timeout: 2 }).within(0, 2000, 'prestop'),
    ),
    never(call('StopContainer', { name: 'app', timeout: [3, 100_000] })),
    exitCode(0, { within: [0, 5000], of: 'delete' }),
  ],
};

const p4d = ignorePod('force-zero-grace-ignores');

export const zeroGraceIgnoresSigterm: Scenario = {
  name: '04d --grace-period 0, container ignores SIGTERM: StopContainer(id, 2), SIGKILL 2 s later',
  pins: 'pkg/kubelet/pod_workers.go calculateEffectiveGracePeriod (0 => 1); pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer (minimumGracePeriodInSeconds)',
  summary: 'StopContainer(app, 2) at the deletion, the container dies 137 at that deadline, exit 0 ≤ 6 s',
  pod: p4d.pod,
  fake: { containers: [{ name: 'app', ignoreSigterm: true }] },
  args: ['--grace-period', '0'],
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 40_000,
  expect: [
    seq(
      action('delete'),
      call('StopContainer', { name: 'app', timeout: 2 }).within(0, 1500, 'delete').as('stop'),
      exited('app', 0, 137).within(1500, 3500, 'stop'),
    ),
    never(call('StopContainer', { name: 'app', timeout: [3, 100_000] })),
    exitCode(0, { within: [0, 6000], of: 'delete' }),
  ],
};

export default [forceDuringPreStop, forceIgnoresSigterm, zeroGracePreStop, zeroGraceIgnoresSigterm];
