// Issue 8, point 7: gRPC errors are formatted as Go prints them.
//
// A CRI error reaching the kubelet is a grpc status error. `%v` / err.Error()
// of it gives `rpc error: code = <Code> desc = <message>`
// (google.golang.org/grpc/internal/status Error()), while s.Message() gives
// the desc alone. Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/images/image_manager.go EnsureImageExists: Warning Failed
//   `Failed to pull image %q: %v`; evalCRIPullErr returns err.Error() as the
//   message with ErrImagePull (=> waiting ErrImagePull, message
//   `rpc error: code = NotFound desc = ...`); startContainer then records
//   `Error: ErrImagePull` (s.Message() of a plain error is its text).
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod: Warning
//   FailedCreatePodSandBox `Failed to create pod sandbox: %v`; no PLEG event
//   follows, so the retry is the pod worker's 10–15 s requeue.
// - pkg/kubelet/kubelet.go SyncTerminatingPod: Warning FailedKillPod
//   `error killing pod: %v` of PodSyncResult.Error()
//   (pkg/kubelet/container/sync_result.go: `failed to %q for %q with %v: %q`,
//   an aggregate without brackets for one error), the %q holding the
//   KillContainerError message = err.Error() of the StopContainer error.
// - pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer:
//   CreateContainer failure => `Error: %v` of s.Message(), waiting
//   CreateContainerError with s.Message().
import { makePod, type Scenario } from '../runner.js';
import { call, cstatus, event, everyPod, exitCode, seq, somePod, stateOf } from '../dsl.js';
import { ctr, fp } from './common.js';

const MISSING = 'registry.example/missing:1.0';
const PULL_MSG = `failed to resolve reference "${MISSING}": ${MISSING}: not found`;
const pullPod = makePod('pull-not-found', { containers: [ctr('app', { image: MISSING })] });

export const pullNotFound: Scenario = {
  name: '07a PullImage NOT_FOUND: `rpc error: code = NotFound desc = …` in the event and the ErrImagePull message',
  pins: 'pkg/kubelet/images/image_manager.go EnsureImageExists + evalCRIPullErr; kuberuntime_container.go startContainer',
  summary: 'Pulling, Failed `Failed to pull image "x": rpc error: code = NotFound desc = <msg>`, Failed `Error: ErrImagePull`, waiting ErrImagePull with the %v text',
  pod: pullPod.pod,
  fake: { images: [{ ref: MISSING, present: false, pullError: { code: 'NOT_FOUND', message: PULL_MSG } }] },
  actions: [{ label: 'stop', when: event({ reason: 'Failed', message: 'Error: ErrImagePull' }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 30_000,
  expect: [
    seq(
      event({ type: 'Normal', reason: 'Pulling', fieldPath: fp('app'), message: `Pulling image "${MISSING}"` }),
      call('PullImage', { image: MISSING, error: 'NOT_FOUND' }),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Failed to pull image "${MISSING}": rpc error: code = NotFound desc = ${PULL_MSG}` }),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: 'Error: ErrImagePull' }),
    ),
    somePod(
      `app waiting ErrImagePull, message "rpc error: code = NotFound desc = ${PULL_MSG}"`,
      (l) => stateOf(l, 'app') === 'waiting:ErrImagePull' && cstatus(l, 'app')?.['state']?.['waiting']?.['message'] === `rpc error: code = NotFound desc = ${PULL_MSG}`,
    ),
    exitCode(0),
  ],
};

const SANDBOX_MSG = 'failed to setup network for sandbox: plugin type="bridge" failed (add): failed to allocate for range 0: no IP addresses available in range set: 10.88.0.1-10.88.0.254';
const sbPod = makePod('sandbox-create-fails', { containers: [ctr('app')] });

export const sandboxCreateFails: Scenario = {
  name: '07b RunPodSandbox UNKNOWN: `Failed to create pod sandbox: rpc error: code = Unknown desc = …`, retried 10–15 s later',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod (FailedCreatePodSandBox); pkg/kubelet/pod_workers.go completeWork (backOffPeriod + jitter)',
  summary: 'FailedCreatePodSandBox with the %v text; second RunPodSandbox 10–16.5 s later; app stays waiting ContainerCreating meanwhile',
  pod: sbPod.pod,
  fake: { faults: [{ method: 'RunPodSandbox', code: 'UNKNOWN', message: SANDBOX_MSG, times: 1 }] },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 45_000,
  expect: [
    seq(
      call('RunPodSandbox', { error: 'UNKNOWN' }).as('rps1'),
      event({ type: 'Warning', reason: 'FailedCreatePodSandBox', fieldPath: null, message: `Failed to create pod sandbox: rpc error: code = Unknown desc = ${SANDBOX_MSG}` }),
      call('RunPodSandbox', { error: false }).within(9950, 16_500, 'rps1').as('rps2'),
    ),
    everyPod('app waiting ContainerCreating while there is no sandbox', (l) => stateOf(l, 'app') === 'waiting:ContainerCreating', { to: 'rps2' }),
    exitCode(0),
  ],
};

const KILL_MSG = 'error killing pod: failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"';
const killPod = makePod('kill-error-format', { containers: [ctr('app')] });

export const killErrorFormat: Scenario = {
  name: '07c StopContainer DEADLINE_EXCEEDED during deletion: FailedKillPod with the aggregate of %v texts',
  pins: 'pkg/kubelet/kubelet.go SyncTerminatingPod (FailedKillPod); pkg/kubelet/container/sync_result.go PodSyncResult.Error',
  summary: `Warning FailedKillPod ${JSON.stringify(KILL_MSG)}`,
  pod: killPod.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    faults: [{ method: 'StopContainer', name: 'app', code: 'DEADLINE_EXCEEDED', message: 'context deadline exceeded', times: 1 }],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 45_000,
  expect: [
    seq(call('StopContainer', { name: 'app', error: 'DEADLINE_EXCEEDED' }), call('StopPodSandbox')),
    seq(event({ type: 'Warning', reason: 'FailedKillPod', fieldPath: null, message: KILL_MSG })),
    exitCode(0),
  ],
};

const CREATE_MSG = 'failed to reserve container name "app_create-fails_default_0": name "app_create-fails_default_0" is reserved for "4f1c2d"';
const createPod = makePod('create-container-fails', { containers: [ctr('app')] });

export const createContainerFails: Scenario = {
  name: '07d CreateContainer error: `Error: <desc>` without the rpc error prefix, CreateContainerError, retried 10–15 s later',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer (ErrCreateContainer, s.Message())',
  summary: 'Failed `Error: <msg>`, waiting CreateContainerError <msg>, the same attempt 0 retried 10–16.5 s later',
  pod: createPod.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    faults: [{ method: 'CreateContainer', name: 'app', code: 'UNKNOWN', message: CREATE_MSG, times: 1 }],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 45_000,
  expect: [
    seq(
      call('CreateContainer', { name: 'app', attempt: 0, error: 'UNKNOWN' }).as('cc1'),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Error: ${CREATE_MSG}` }),
      call('CreateContainer', { name: 'app', attempt: 0, error: false }).within(9950, 16_500, 'cc1'),
    ),
    somePod(
      'app waiting CreateContainerError with the bare message',
      (l) => stateOf(l, 'app') === 'waiting:CreateContainerError' && cstatus(l, 'app')?.['state']?.['waiting']?.['message'] === CREATE_MSG,
    ),
    exitCode(0),
  ],
};

export default [pullNotFound, sandboxCreateFails, killErrorFormat, createContainerFails];
