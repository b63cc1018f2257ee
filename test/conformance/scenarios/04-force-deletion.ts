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
// statelet differs here on purpose (README, "Improvements over the kubelet"): a
// second signal is a force deletion, and it cuts the kill in flight, as issue 8
// asks — the running preStop gets at most 1 s more, then StopContainer(id, 2); a
// StopContainer(id, 30) waiting on a container that ignores SIGTERM is replaced at
// once by StopContainer(id, 2). 04a/04b pin that improvement (the kubelet, through
// TODO(#113606), would let the first kill run to its end); 04c/04d pin the force
// semantics the kubelet has too: a deletion whose grace is 0 from the start.
import { makePod, type Scenario } from '../runner.js';
import { action, call, event, exitCode, exited, never, seq } from '../dsl.js';
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
  name: '04a second SIGTERM during a long preStop (grace 30): the hook gets at most 1 s more, then StopContainer(id, 2)',
  pins: 'statelet improvement over pkg/kubelet/kubelet.go SyncTerminatingPod (context.TODO, #113606); force semantics of pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer (preStop ≤ grace 1, minimumGracePeriodInSeconds)',
  summary: 'Killing + preStop at the first SIGTERM; StopContainer(app, 2) ≤ 1.5 s after the second; no longer timeout; exit 0 ≤ 5 s after the force',
  pod: p4a.pod,
  fake: preStopFake,
  actions: [
    { label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
    { label: 'force', when: call('ExecSync', { name: 'app', cmd: PRESTOP.join(' ') }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 40_000,
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('ExecSync', { name: 'app', cmd: PRESTOP.join(' '), timeout: 0 }).within(0, 1500, 'delete').as('prestop'),
    ),
    never(call('StopContainer', { name: 'app' }), { to: 'force' }),
    seq(action('force'), call('StopContainer', { name: 'app', timeout: 2 }).within(0, 1500, 'force')),
    never(call('StopContainer', { name: 'app', timeout: [3, 100_000] })),
    exitCode(0, { within: [0, 5000], of: 'force' }),
  ],
};

const ignorePod = (name: string) => makePod(name, { terminationGracePeriodSeconds: 30, containers: [ctr('app')] });

const p4b = ignorePod('force-ignores-sigterm');

export const forceIgnoresSigterm: Scenario = {
  name: '04b container ignores SIGTERM, second SIGTERM during StopContainer(id, 30): StopContainer(id, 2) at once, the container dies 137',
  pins: 'statelet improvement over pkg/kubelet/kubelet.go SyncTerminatingPod (context.TODO, #113606); pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer (minimumGracePeriodInSeconds)',
  summary: 'StopContainer(app, 30); the second SIGTERM sends StopContainer(app, 2) ≤ 1 s later; the container dies 137 at that deadline; exit 0 soon after',
  pod: p4b.pod,
  fake: { containers: [{ name: 'app', ignoreSigterm: true }] },
  actions: [
    { label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
    { label: 'force', when: call('StopContainer', { name: 'app' }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 40_000,
  expect: [
    seq(
      action('delete'),
      call('StopContainer', { name: 'app', timeout: 30 }).within(0, 1500, 'delete').as('stop1'),
      action('force'),
      call('StopContainer', { name: 'app', timeout: 2 }).within(0, 1000, 'force').as('stop2'),
      exited('app', 0, 137).within(1500, 3500, 'stop2').as('died'),
    ),
    exitCode(0, { within: [0, 6000], of: 'force' }),
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
