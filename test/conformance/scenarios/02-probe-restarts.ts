// Issue 8, point 2: probe-driven restarts follow the kill-and-restart rule.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions: a running
//   container whose liveness result is Failure is put in ContainersToKill
//   (message `Container <c> failed liveness probe`, `, will be restarted`
//   appended unless restartPolicy is Never) AND in ContainersToStart, in the
//   same sync. SyncPod kills it, then start() runs doBackOff against the
//   SAME pod status snapshot, in which the killed instance is still Running:
//   so the back-off looks at the previous EXITED instance only.
// - doBackOff: no exited instance (first kill) => start at once, no entry
//   created; second kill: the exited instance is attempt 0, no entry yet =>
//   start at once, entry = 10 s; third kill: in back-off if attempt 1 finished
//   less than 10 s ago => BackOff event, no start.
// - OnFailure, container exited 0 on SIGTERM: at the next sync
//   ShouldContainerBeRestarted is false (OnFailure and exit 0), nothing is
//   kept or started => KillPod; getPhase (pkg/kubelet/kubelet_pods.go): all
//   stopped and all succeeded under OnFailure => Succeeded.
import { makePod, type Scenario } from '../runner.js';
import { call, event, exitCode, exited, finalPod, never, phaseOf, seq, count } from '../dsl.js';
import { ctr, fp } from './common.js';

const IMMEDIATE_MS = 2500;
const PROBE = ['cat', '/tmp/healthy'];

// initialDelaySeconds 12, period 2, threshold 1: each instance is killed
// 12–14 s after it started, so attempt 0 finished more than 10 s before
// attempt 1 is killed.
const alwaysPod = makePod('liveness-always', {
  containers: [ctr('app', { livenessProbe: { exec: { command: PROBE }, initialDelaySeconds: 12, periodSeconds: 2, failureThreshold: 1 } })],
});

export const livenessAlways: Scenario = {
  name: '02a liveness failure under Always: the first and second restarts are immediate',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (liveness kill + start in one sync), doBackOff',
  summary: 'Killing `Container app failed liveness probe, will be restarted`, attempt 1 and 2 each ≤ 2.5 s after the previous exit, no BackOff',
  pod: alwaysPod.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }],
    exec: [{ cmd: PROBE.join(' '), exitCode: 1, stdout: "cat: can't open '/tmp/healthy': No such file or directory\n" }],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', attempt: 2, error: false }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 70_000,
  expect: [
    seq(
      call('StartContainer', { name: 'app', attempt: 0, error: false }),
      // Exec probes send timeoutSeconds (default 1).
      call('ExecSync', { name: 'app', attempt: 0, cmd: PROBE.join(' '), timeout: 1 }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app failed liveness probe, will be restarted' }),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }),
      exited('app', 0).as('exit0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'exit0'),
      exited('app', 1).as('exit1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(0, IMMEDIATE_MS, 'exit1').as('create2'),
    ),
    count(event({ reason: 'Killing', message: 'Container app failed liveness probe, will be restarted' }), { min: 2 }, { to: 'create2' }),
    never(event({ reason: 'BackOff' }), { to: 'create2' }),
    exitCode(0),
  ],
};

// initialDelaySeconds 2, period 2, threshold 1: each instance lives 2–4 s,
// so the third kill comes well within 10 s of attempt 1's exit.
const onFailurePod = makePod('liveness-onfailure', {
  restartPolicy: 'OnFailure',
  containers: [ctr('app', { livenessProbe: { exec: { command: PROBE }, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1 } })],
});

export const livenessOnFailure: Scenario = {
  name: '02b liveness failure under OnFailure, exit 0 on SIGTERM, restart held by back-off: the pod ends Succeeded',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions + doBackOff; pkg/kubelet/container/helpers.go ShouldContainerBeRestarted; pkg/kubelet/kubelet_pods.go getPhase',
  summary: 'attempts 0, 1, 2 (immediate), the third kill hits BackOff, no attempt 3, final phase Succeeded, exit 0',
  pod: onFailurePod.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    exec: [{ cmd: PROBE.join(' '), exitCode: 1, stdout: "cat: can't open '/tmp/healthy': No such file or directory\n" }],
  },
  deadlineMs: 60_000,
  expect: [
    seq(
      exited('app', 0, 0).as('exit0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'exit0'),
      exited('app', 1, 0).as('exit1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(0, IMMEDIATE_MS, 'exit1'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app failed liveness probe, will be restarted' }),
      exited('app', 2, 0).as('exit2'),
      event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: `Back-off restarting failed container app in pod ${onFailurePod.ref}` }).within(0, 3000, 'exit2'),
    ),
    never(call('CreateContainer', { name: 'app', attempt: [3, 1000] })),
    finalPod('phase Succeeded', (p) => phaseOf(p) === 'Succeeded'),
    exitCode(0, { within: [0, 8000], of: 'exit2' }),
  ],
};

export default [livenessAlways, livenessOnFailure];
