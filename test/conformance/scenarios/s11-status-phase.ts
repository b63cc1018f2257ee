// Facts sheet §11: container statuses, pod conditions and the phase.
//
// Pins (kubernetes/kubernetes; pkg/kubelet/kubelet_pods.go
// convertToAPIContainerStatuses + getPhase + generateAPIPodStatus,
// pkg/kubelet/status/generate.go (1.33/1.34-era copy with ObservedGeneration);
// release-1.34 semantics):
// - default waiting reason: ContainerCreating, PodInitializing when the pod has
//   init containers (init containers included); the reason-cache waiting state
//   only for containers ShouldContainerBeRestarted says will restart —
//   otherwise the last Terminated state (e.g. StartError, exit 128) stays.
// - CRI UNKNOWN after a Running status: terminated ContainerStatusUnknown, exit
//   137, `The container could not be located when the pod was terminated`,
//   restartCount = old + 1.
// - conditions: PodReadyToStartContainers (sandbox ready), Initialized False
//   ContainersNotInitialized `containers with incomplete status: [..]` (init
//   containers not yet exited 0), ContainersReady/Ready False ContainersNotReady
//   `containers with unready status: [..]`, PodScheduled True; a Succeeded pod:
//   Initialized True/PodCompleted, ContainersReady and Ready False/PodCompleted.
// - getPhase: pending init → Pending; all stopped under OnFailure with a
//   failure → Running; all succeeded → Succeeded; Never with a failure →
//   Failed; a terminal phase never changes again.
// Also pinned elsewhere: waiting > 0 ⇒ Pending with another container running
// (s09c), sidecar running-not-started ⇒ Pending (s07p), Failed init under
// Never (s07d), Always + stopped ⇒ Running in a crash loop (s08a), deletion ⇒
// terminal phase (s06a/b, s05d).
import { makePod, type Scenario } from '../runner.js';
import { action, call, event, exitCode, exited, finalPod, never, noPod, phaseOf, seq, somePod, stateOf } from '../dsl.js';
import { ctr, fp } from './common.js';
import { condIs, isWaiting, lastTerminatedOf, phaseStaysTerminal, restartsOf, terminatedOf, withStartup } from './helpers.js';

// ------------------------------------------------------------------ s11a

const a = makePod('status-init-conditions', { initContainers: [ctr('init1'), ctr('init2')], containers: [ctr('app')] });
const APP_UNREADY = 'containers with unready status: [app]';

export const initConditions: Scenario = {
  name: 's11a with init containers: waiting PodInitializing by default, Initialized False `containers with incomplete status: [init1 init2]` then `[init2]`, then True and Ready',
  pins: 'pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses (defaultWaitingState PodInitializing) + getPhase; pkg/kubelet/status/generate.go GeneratePodInitializedCondition + GeneratePodReadyCondition + GeneratePodReadyToStartContainersCondition; release-1.34',
  summary: 'init1 running: init2/app waiting PodInitializing, Initialized False `[init1 init2]`, Ready False `[app]`, PodReadyToStartContainers + PodScheduled True, Pending; init2 running: `[init2]`, init1 terminated 0 Completed; app running: Initialized/Ready/ContainersReady True, Running',
  pod: a.pod,
  fake: {
    containers: [
      { name: 'init1', runMs: 2500, exitCode: 0 },
      { name: 'init2', runMs: 2500, exitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 2500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(12_000),
  expect: [
    somePod(
      'init1 running; init2 and app waiting PodInitializing; Initialized False ContainersNotInitialized `containers with incomplete status: [init1 init2]`; Ready False `[app]`; PodReadyToStartContainers and PodScheduled True; Pending',
      (p) =>
        stateOf(p, 'init1') === 'running' &&
        stateOf(p, 'init2') === 'waiting:PodInitializing' &&
        stateOf(p, 'app') === 'waiting:PodInitializing' &&
        condIs(p, 'Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [init1 init2]') &&
        condIs(p, 'Ready', 'False', 'ContainersNotReady', APP_UNREADY) &&
        condIs(p, 'ContainersReady', 'False', 'ContainersNotReady', APP_UNREADY) &&
        condIs(p, 'PodReadyToStartContainers', 'True') &&
        condIs(p, 'PodScheduled', 'True') &&
        phaseOf(p) === 'Pending',
    ),
    somePod(
      'init1 terminated 0 (Completed), init2 running, Initialized False `containers with incomplete status: [init2]`, Pending',
      (p) =>
        stateOf(p, 'init1') === 'terminated:0' &&
        terminatedOf(p, 'init1')?.['reason'] === 'Completed' &&
        stateOf(p, 'init2') === 'running' &&
        condIs(p, 'Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [init2]') &&
        phaseOf(p) === 'Pending',
    ),
    somePod('app running; Initialized, Ready, ContainersReady True; Running', (p) =>
      stateOf(p, 'app') === 'running' && condIs(p, 'Initialized', 'True') && condIs(p, 'Ready', 'True') && condIs(p, 'ContainersReady', 'True') && phaseOf(p) === 'Running',
    ),
    noPod('phase Running while the app has not started', (p) => phaseOf(p) === 'Running' && stateOf(p, 'app') !== 'running', { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s11b

const START_ERR = 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "run": executable file not found in $PATH: unknown';
const b = makePod('status-never-start-error', { restartPolicy: 'Never', containers: [ctr('app')] });

export const startErrorStaysTerminated: Scenario = {
  name: 's11b Never + failed start (EXITED 128 StartError): no RunContainerError waiting state (it will not restart), the terminated state stays; Failed, exit 1',
  pins: 'pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses (reason cache only if ShouldContainerBeRestarted) + getPhase; pkg/kubelet/container/helpers.go ShouldContainerBeRestarted; release-1.34',
  summary: 'Failed `Error: <desc>`; never waiting RunContainerError; final app terminated 128 reason StartError; phase Failed and stays; no attempt 1; exit 1',
  pod: b.pod,
  fake: { faults: [{ method: 'StartContainer', name: 'app', code: 'UNKNOWN', message: START_ERR }] },
  deadlineMs: withStartup(4_000),
  expect: [
    seq(call('StartContainer', { name: 'app', attempt: 0, error: 'UNKNOWN' }), event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Error: ${START_ERR}` })),
    noPod('app waiting RunContainerError', (p) => stateOf(p, 'app') === 'waiting:RunContainerError'),
    never(call('CreateContainer', { name: 'app', attempt: [1, 1000] })),
    finalPod('phase Failed, app terminated 128 reason StartError, restartCount 0', (p) =>
      phaseOf(p) === 'Failed' && stateOf(p, 'app') === 'terminated:128' && terminatedOf(p, 'app')?.['reason'] === 'StartError' && restartsOf(p, 'app') === 0,
    ),
    phaseStaysTerminal(),
    exitCode(1),
  ],
};

// ------------------------------------------------------------------ s11c

const c = makePod('status-onfailure-phase', { restartPolicy: 'OnFailure', containers: [ctr('app')] });

export const onFailurePhase: Scenario = {
  name: 's11c OnFailure: Running while the failed container is in back-off, Succeeded once it exits 0 (PodCompleted conditions), and it stays Succeeded',
  pins: 'pkg/kubelet/kubelet_pods.go getPhase (OnFailure, stopped with a failure → Running; all succeeded → Succeeded); pkg/kubelet/status/generate.go (PodCompleted); release-1.34',
  summary: 'attempts 0 and 1 exit 1, attempt 2 (after the 10 s back-off) exits 0; waiting CrashLoopBackOff with lastState terminated 1 Error and phase Running; final Succeeded, Initialized True/PodCompleted, ContainersReady and Ready False/PodCompleted; exit 0',
  pod: c.pod,
  fake: {
    containers: [
      { name: 'app', attempt: 0, runMs: 500, exitCode: 1 },
      { name: 'app', attempt: 1, runMs: 500, exitCode: 1 },
      { name: 'app', attempt: 2, runMs: 500, exitCode: 0 },
    ],
  },
  deadlineMs: withStartup(25_000),
  expect: [
    seq(exited('app', 1, 1), call('CreateContainer', { name: 'app', attempt: 2 }), exited('app', 2, 0)),
    somePod('app waiting CrashLoopBackOff, lastState terminated 1 (Error), restartCount 1, phase Running', (p) =>
      isWaiting(p, 'app', 'CrashLoopBackOff') && lastTerminatedOf(p, 'app')?.['exitCode'] === 1 && lastTerminatedOf(p, 'app')?.['reason'] === 'Error' && restartsOf(p, 'app') === 1 && phaseOf(p) === 'Running',
    ),
    noPod('phase Failed', (p) => phaseOf(p) === 'Failed'),
    finalPod('Succeeded; app terminated 0; Initialized True/PodCompleted; ContainersReady and Ready False/PodCompleted', (p) =>
      phaseOf(p) === 'Succeeded' &&
      stateOf(p, 'app') === 'terminated:0' &&
      condIs(p, 'Initialized', 'True', 'PodCompleted') &&
      condIs(p, 'ContainersReady', 'False', 'PodCompleted') &&
      condIs(p, 'Ready', 'False', 'PodCompleted'),
    ),
    phaseStaysTerminal(),
    never(call('CreateContainer', { name: 'app', attempt: [3, 1000] })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s11d

const d = makePod('status-unknown-after-running', { containers: [ctr('app')] });

export const unknownAfterRunning: Scenario = {
  name: 's11d a Running container the runtime reports UNKNOWN shows terminated ContainerStatusUnknown (137) with restartCount + 1, then is killed and restarted',
  pins: 'pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses (ContainerStateUnknown && oldStatus.State.Running); kuberuntime_manager.go computePodActions (`Container is in "unknown" state, try killing it before restart`); release-1.34',
  summary: 'after the injection: app terminated exitCode 137 reason ContainerStatusUnknown message `The container could not be located when the pod was terminated`, restartCount 1, phase Running; Killing, StopContainer app#0, CreateContainer app#1',
  pod: d.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }] },
  actions: [
    { label: 'unknown', when: call('StartContainer', { name: 'app', attempt: 0, error: false }), delayMs: 2500, do: { unknown: 'app' } },
    { label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(10_000),
  expect: [
    somePod('app terminated 137 ContainerStatusUnknown "The container could not be located when the pod was terminated", restartCount 1, phase Running', (p) => {
      const t = terminatedOf(p, 'app');
      return (
        t?.['exitCode'] === 137 &&
        t?.['reason'] === 'ContainerStatusUnknown' &&
        t?.['message'] === 'The container could not be located when the pod was terminated' &&
        restartsOf(p, 'app') === 1 &&
        phaseOf(p) === 'Running'
      );
    }),
    seq(
      action('unknown'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container is in "unknown" state, try killing it before restart' }).within(0, 3000, 'unknown'),
      call('StopContainer', { name: 'app', attempt: 0 }),
      call('CreateContainer', { name: 'app', attempt: 1 }),
    ),
    somePod('app running again with restartCount 1', (p) => stateOf(p, 'app') === 'running' && restartsOf(p, 'app') === 1 && phaseOf(p) === 'Running'),
    exitCode(0),
  ],
};

export default [initConditions, startErrorStaysTerminated, onFailurePhase, unknownAfterRunning];
