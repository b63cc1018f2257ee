// Issue 8, point 1: no wait before the first restart after a failed start.
//
// Pins (kubernetes/kubernetes, release-1.34 era; read: kuberuntime_container.go
// with `Created container: %v` and allocationManager, i.e. 1.33/1.34):
// - pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer, step 4:
//   a failed postStart records Warning FailedPostStartHook `PostStartHook
//   failed`, then killContainer(..., "FailedPostStartHook", reasonFailedPostStartHook)
//   (Killing event with that message, StopContainer with the pod's grace),
//   and returns ErrPostStartHook. Step 3: a failed StartContainer returns
//   kubecontainer.ErrRunContainer with s.Message() (event `Error: <desc>`).
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff: only the
//   newest EXITED instance counts, and there is no back-off entry before the
//   first restart (backOff.Next runs only once an exited instance exists),
//   so attempt 1 starts at the sync the instance's exit triggers (PLEG
//   ContainerDied). From then on: 10 s, 20 s ... measured from FinishedAt;
//   the retry comes with the pod worker's 10–15 s requeue (pkg/kubelet/pod_workers.go
//   completeWork, backOffPeriod + jitter), so ≥ 10 s and up to ~16 s.
import { makePod, type Scenario } from '../runner.js';
import { call, event, exitCode, exited, never, seq, somePod, cstatus, stateOf } from '../dsl.js';
import { ctr, fp } from './common.js';

/** Attempt 1 follows the exit at once: a relist (≤ 1 s) plus a sync. */
const IMMEDIATE_MS = 2500;
/**
 * A back-off of B s, measured from the exit: the restart comes at the first
 * pod-worker retry (every 10–15 s after the sync the exit triggered, ≤ 1 s
 * after it) past the expiry. For 10 s that is the first retry (≤ 16.5 s);
 * for longer ones up to 15 s (+ the relist) after the expiry.
 */
const backoffWindow = (b: number): [number, number] => [b * 1000 - 50, b <= 10 ? 16_500 : b * 1000 + 16_500];

const hookPod = makePod('poststart-exec-fails', {
  containers: [ctr('app', { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 1'] } } } })],
});

export const postStartExecFails: Scenario = {
  name: '01a postStart exec hook fails: restart at once, then 10 s back-off',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer (step 4) + killContainer; kuberuntime_manager.go doBackOff',
  summary: 'FailedPostStartHook, Killing FailedPostStartHook, StopContainer, attempt 1 ≤ 2.5 s after the exit, BackOff, attempt 2 ≥ 10 s after',
  pod: hookPod.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }],
    exec: [{ cmd: 'sh -c exit 1', exitCode: 1, stderr: 'hook failed\n' }],
  },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 2 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 60_000,
  expect: [
    seq(
      call('StartContainer', { name: 'app', attempt: 0, error: false }),
      // Hooks run ExecSync with timeout 0 (no timeout at all).
      call('ExecSync', { name: 'app', attempt: 0, cmd: 'sh -c exit 1', timeout: 0 }),
      event({ type: 'Warning', reason: 'FailedPostStartHook', fieldPath: fp('app'), message: 'PostStartHook failed' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'FailedPostStartHook' }),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }),
      exited('app', 0).as('exit0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'exit0').as('create1'),
      exited('app', 1).as('exit1'),
      event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: `Back-off restarting failed container app in pod ${hookPod.ref}` }).within(0, 3000, 'exit1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...backoffWindow(10), 'exit1'),
    ),
    never(event({ reason: 'BackOff' }), { to: 'create1' }),
    exitCode(0),
  ],
};

const httpPod = makePod('poststart-http-refused', {
  containers: [ctr('app', { lifecycle: { postStart: { httpGet: { host: '127.0.0.1', port: 1, path: '/hook' } } } })],
});

export const postStartHttpRefused: Scenario = {
  name: '01b postStart httpGet to a refused port: restart at once, then 10 s back-off',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer (step 4); pkg/kubelet/lifecycle/handlers.go runHTTPHandler',
  summary: 'FailedPostStartHook, Killing FailedPostStartHook, attempt 1 ≤ 2.5 s after the exit, attempt 2 ≥ 10 s after',
  pod: httpPod.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 2 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 60_000,
  expect: [
    seq(
      call('StartContainer', { name: 'app', attempt: 0, error: false }),
      event({ type: 'Warning', reason: 'FailedPostStartHook', fieldPath: fp('app'), message: 'PostStartHook failed' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'FailedPostStartHook' }),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }),
      exited('app', 0).as('exit0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'exit0').as('create1'),
      exited('app', 1).as('exit1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...backoffWindow(10), 'exit1'),
    ),
    never(event({ reason: 'BackOff' }), { to: 'create1' }),
    exitCode(0),
  ],
};

const START_ERR = 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "run": executable file not found in $PATH: unknown';
const startPod = makePod('start-container-fails', { containers: [ctr('app')] });

export const startContainerFails: Scenario = {
  name: '01c StartContainer fails (RunContainerError): restart at once, then 10 s, 20 s',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer (step 3, ErrRunContainer); kuberuntime_manager.go doBackOff',
  summary: 'Failed `Error: <desc>`, RunContainerError, attempt 1 ≤ 2.5 s after the failed start, attempt 2 ≥ 10 s, attempt 3 ≥ 20 s',
  pod: startPod.pod,
  // containerd leaves a container whose start failed EXITED (128, StartError).
  fake: { faults: [{ method: 'StartContainer', name: 'app', code: 'UNKNOWN', message: START_ERR }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 3 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 80_000,
  expect: [
    seq(
      call('StartContainer', { name: 'app', attempt: 0, error: 'UNKNOWN' }),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Error: ${START_ERR}` }),
    ),
    seq(
      exited('app', 0, 128).as('exit0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'exit0').as('create1'),
      exited('app', 1, 128).as('exit1'),
      event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: `Back-off restarting failed container app in pod ${startPod.ref}` }).within(0, 3000, 'exit1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...backoffWindow(10), 'exit1'),
      exited('app', 2, 128).as('exit2'),
      call('CreateContainer', { name: 'app', attempt: 3 }).within(...backoffWindow(20), 'exit2'),
    ),
    never(event({ reason: 'BackOff' }), { to: 'create1' }),
    somePod(
      `app waiting RunContainerError with message ${JSON.stringify(START_ERR)}`,
      (p) => stateOf(p, 'app') === 'waiting:RunContainerError' && cstatus(p, 'app')?.['state']?.['waiting']?.['message'] === START_ERR,
    ),
    exitCode(0),
  ],
};

export default [postStartExecFails, postStartHttpRefused, startContainerFails];
