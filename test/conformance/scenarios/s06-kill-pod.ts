// Facts sheet §6: killPodWithSyncResult / KillPod — parallel kills of every
// running container (regular, sidecar, ephemeral), StopPodSandbox for every
// sandbox (NotFound ignored), removal left to GC, sidecars in reverse order,
// deletion grace and force deletion, probes during termination, and the
// terminal phase of a deleted pod.
//
// Pins (kubernetes/kubernetes, 1.33/1.34-era copies; release-1.34 semantics):
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go killPodWithSyncResult:
//   killContainersWithSyncResult (kuberuntime_container.go: one goroutine per
//   running container, killContainer(..., "", reasonUnknown, gracePeriodOverride,
//   termOrdering)), then `for _, podSandbox := range runningPod.Sandboxes`
//   StopPodSandbox (crierror.IsNotFound ignored); no RemoveContainer /
//   RemovePodSandbox there (containerGC does that later).
// - pkg/kubelet/kubelet.go SyncTerminatingPod: kubecontainer.ConvertPodStatusToRunningPod
//   (every sandbox of the pod status, not only the ready one),
//   probeManager.StopLivenessAndStartup(pod) before killPod, probeManager.RemovePod
//   after it (readiness keeps probing while the containers stop); the final
//   generateAPIPodStatus(pod, stoppedPodStatus, true) → getPhase with
//   podIsTerminal: Succeeded if every regular container exited 0, else Failed
//   (since 1.27).
// - pkg/kubelet/pod_workers.go calculateEffectiveGracePeriod: a deletion grace
//   of 0 becomes 1 for the pod worker; killContainer then runs the preStop for
//   at most 1 s and StopContainer(id, 2).
// - pkg/kubelet/kuberuntime/kuberuntime_termination_order.go: a sidecar waits
//   for every regular container and for the sidecars declared after it.
// - pkg/kubelet/status/generate.go: a Succeeded pod has ContainersReady/Ready
//   False with reason PodCompleted.
import { makePod, type Scenario } from '../runner.js';
import { action, call, count, event, exitCode, exited, finalPod, never, phaseOf, seq } from '../dsl.js';
import { ctr, fp, fpEph, fpInit, IMAGE } from './common.js';
import { closeTogether, condIs, withStartup } from './helpers.js';

// ------------------------------------------------------------------ s06a

const a = makePod('killpod-parallel', { terminationGracePeriodSeconds: 7, containers: [ctr('a'), ctr('b')] });

export const parallelKill: Scenario = {
  name: 's06a deletion kills a, b and an ephemeral container in parallel (StopContainer …, 7 each at once), then StopPodSandbox; no removal; deleted pod ends Failed',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go killContainersWithSyncResult; kuberuntime_manager.go killPodWithSyncResult; pkg/kubelet/kubelet.go SyncTerminatingPod; pkg/kubelet/kubelet_pods.go getPhase (podIsTerminal); release-1.34',
  summary: 'Killing for spec.containers{a}, {b}, spec.ephemeralContainers{debug} and StopContainer(…, 7) for each within 1.5 s of the delete; StopPodSandbox only after a exits 3 s later; final phase Failed (b exited 143)',
  pod: a.pod,
  fake: {
    containers: [
      { name: 'a', sigtermDelayMs: 3000, sigtermExitCode: 0 },
      { name: 'b', sigtermDelayMs: 300, sigtermExitCode: 143 },
      { name: 'debug', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [
    {
      label: 'edit',
      when: call('StartContainer', { name: 'b', error: false }),
      delayMs: 1500,
      do: { edit: (pod) => ({ ...pod, spec: { ...pod['spec'], ephemeralContainers: [{ name: 'debug', image: IMAGE, command: ['sh', '-c', 'debug'] }] } }) },
    },
    { label: 'delete', when: call('StartContainer', { name: 'debug', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(12_000),
  expect: [
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fp('a'), message: 'Stopping container a' }).within(0, 1000, 'delete')),
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fp('b'), message: 'Stopping container b' }).within(0, 1000, 'delete')),
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fpEph('debug'), message: 'Stopping container debug' }).within(0, 1000, 'delete')),
    seq(action('delete'), call('StopContainer', { name: 'a', timeout: 7 }).within(0, 1500, 'delete').as('stopA')),
    seq(action('delete'), call('StopContainer', { name: 'b', timeout: 7 }).within(0, 1500, 'delete').as('stopB')),
    seq(action('delete'), call('StopContainer', { name: 'debug', timeout: 7 }).within(0, 1500, 'delete')),
    closeTogether('stopA', 'stopB', 1000),
    seq(action('delete'), exited('a', 0, 0).as('aExit'), call('StopPodSandbox').within(0, 1500, 'aExit').as('sb')),
    never(call('StopPodSandbox'), { from: 'delete', to: 'aExit' }),
    never(call('RemoveContainer'), { from: 'delete', to: 'sb' }),
    finalPod('phase Failed (b exited 143; the ephemeral container does not count)', (p) => phaseOf(p) === 'Failed'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s06b

const NF = 'an error occurred when try to find sandbox: not found';
const b = makePod('killpod-succeeded', { containers: [ctr('app')] });

export const deletedSucceeded: Scenario = {
  name: 's06b a deleted pod whose container exits 0 ends Succeeded (PodCompleted conditions); StopPodSandbox NOT_FOUND is ignored',
  pins: 'pkg/kubelet/kubelet.go SyncTerminatingPod (final status with podIsTerminal); pkg/kubelet/kubelet_pods.go getPhase; pkg/kubelet/status/generate.go; kuberuntime_manager.go killPodWithSyncResult (StopPodSandbox IsNotFound); release-1.34',
  summary: 'StopContainer(app, 30), exit 0, StopPodSandbox NOT_FOUND, no FailedKillPod; final phase Succeeded, ContainersReady/Ready False PodCompleted, Initialized True PodCompleted',
  pod: b.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 200, sigtermExitCode: 0 }],
    faults: [{ method: 'StopPodSandbox', nth: 1, code: 'NOT_FOUND', message: NF }],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(6_000),
  expect: [
    seq(action('delete'), call('StopContainer', { name: 'app', timeout: 30 }).within(0, 1500, 'delete'), exited('app', 0, 0), call('StopPodSandbox', { error: 'NOT_FOUND' })),
    never(event({ reason: 'FailedKillPod' })),
    finalPod(
      'phase Succeeded; ContainersReady and Ready False/PodCompleted; Initialized True/PodCompleted',
      (p) =>
        phaseOf(p) === 'Succeeded' &&
        condIs(p, 'ContainersReady', 'False', 'PodCompleted') &&
        condIs(p, 'Ready', 'False', 'PodCompleted') &&
        condIs(p, 'Initialized', 'True', 'PodCompleted'),
    ),
    exitCode(0, { within: [0, 5000], of: 'delete' }),
  ],
};

// ------------------------------------------------------------------ s06c

const c = makePod('killpod-every-sandbox', { containers: [ctr('app')] });

export const everySandbox: Scenario = {
  name: 's06c after a sandbox re-creation, the deletion calls StopPodSandbox for both sandboxes (attempt 0 and 1)',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go killPodWithSyncResult (`for _, podSandbox := range runningPod.Sandboxes`); pkg/kubelet/container/runtime.go ConvertPodStatusToRunningPod; release-1.34',
  summary: 'sandbox NOTREADY → RunPodSandbox attempt 1 → app#1; SIGTERM → StopPodSandbox sandboxAttempt 1 and sandboxAttempt 0, each within 3 s',
  pod: c.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  actions: [
    { label: 'notready', when: call('StartContainer', { name: 'app', attempt: 0, error: false }), delayMs: 2000, do: { sandboxNotReady: true } },
    { label: 'delete', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(10_000),
  expect: [
    seq(action('notready'), call('RunPodSandbox', { sandboxAttempt: 1, error: false })),
    seq(action('delete'), call('StopPodSandbox', { sandboxAttempt: 1 }).within(0, 3000, 'delete')),
    seq(action('delete'), call('StopPodSandbox', { sandboxAttempt: 0 }).within(0, 3000, 'delete')),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s06d

const HANG = ['sh', '-c', 'sleep forever'];
const d = makePod('killpod-grace-zero', {
  terminationGracePeriodSeconds: 30,
  containers: [ctr('app', { lifecycle: { preStop: { exec: { command: HANG } } } })],
});

export const graceZero: Scenario = {
  name: 's06d --grace-period 0: the preStop gets at most 1 s, then StopContainer(app, 2)',
  pins: 'pkg/kubelet/pod_workers.go calculateEffectiveGracePeriod (0 → 1); pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer (override, preStop ≤ grace, minimum 2); release-1.34',
  summary: 'Killing and the preStop ExecSync at the delete; StopContainer(app, 2) about 1 s after the hook started; exit 0 within 5 s',
  pod: d.pod,
  args: ['--grace-period', '0'],
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }], exec: [{ cmd: HANG.join(' '), hang: true }] },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(6_000),
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1000, 'delete'),
      call('ExecSync', { name: 'app', cmd: HANG.join(' '), timeout: 0 }).within(0, 1000, 'delete').as('hook'),
      call('StopContainer', { name: 'app', timeout: 2 }).within(900, 2200, 'hook'),
    ),
    never(call('StopContainer', { name: 'app', timeout: [3, 1000] })),
    exitCode(0, { within: [0, 5000], of: 'delete' }),
  ],
};

// ------------------------------------------------------------------ s06e

const e = makePod('killpod-sidecars-reverse', {
  terminationGracePeriodSeconds: 30,
  initContainers: [ctr('sc1', { restartPolicy: 'Always' }), ctr('sc2', { restartPolicy: 'Always' })],
  containers: [ctr('app')],
});

export const sidecarsReverse: Scenario = {
  name: 's06e deletion with two sidecars: all Killing at once; app first, then sc2 (30 - 2 s waited), then sc1 (30 - 4 s waited)',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_termination_order.go newTerminationOrdering + waitForTurn; kuberuntime_container.go killContainer (grace -= int64(waited)); release-1.34',
  summary: 'StopContainer(app, 30); after app exits (2.5 s) StopContainer(sc2, 27|28); after sc2 exits (1.8 s later) StopContainer(sc1, 25|26); final phase Succeeded',
  pod: e.pod,
  fake: {
    containers: [
      { name: 'app', sigtermDelayMs: 2500, sigtermExitCode: 0 },
      { name: 'sc2', sigtermDelayMs: 1800, sigtermExitCode: 0 },
      { name: 'sc1', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(10_000),
  expect: [
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1000, 'delete')),
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fpInit('sc1'), message: 'Stopping container sc1' }).within(0, 1000, 'delete')),
    seq(action('delete'), event({ type: 'Normal', reason: 'Killing', fieldPath: fpInit('sc2'), message: 'Stopping container sc2' }).within(0, 1000, 'delete')),
    seq(
      action('delete'),
      call('StopContainer', { name: 'app', timeout: 30 }).within(0, 1500, 'delete'),
      exited('app', 0).as('appExit'),
      call('StopContainer', { name: 'sc2', timeout: [27, 28] }).within(0, 1500, 'appExit'),
      exited('sc2', 0).as('sc2Exit'),
      call('StopContainer', { name: 'sc1', timeout: [25, 26] }).within(0, 1500, 'sc2Exit'),
    ),
    never(call('StopContainer', { name: 'sc2' }), { to: 'appExit' }),
    never(call('StopContainer', { name: 'sc1' }), { to: 'sc2Exit' }),
    finalPod('phase Succeeded (terminated sidecars do not count)', (p) => phaseOf(p) === 'Succeeded'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s06f

const ALIVE = ['sh', '-c', 'alive'];
const READY = ['sh', '-c', 'ready'];
const f = makePod('killpod-probes', {
  containers: [ctr('app', { livenessProbe: { exec: { command: ALIVE }, periodSeconds: 1 }, readinessProbe: { exec: { command: READY }, periodSeconds: 1 } })],
});

export const probesDuringTermination: Scenario = {
  name: 's06f liveness probing stops when termination starts; readiness probing goes on until the container has stopped',
  pins: 'pkg/kubelet/kubelet.go SyncTerminatingPod (probeManager.StopLivenessAndStartup before killPod, RemovePod after); pkg/kubelet/prober/prober_manager.go StopLivenessAndStartup; release-1.34',
  summary: 'app takes 5 s to stop: at most one liveness ExecSync after the SIGTERM, at least 3 readiness ExecSyncs between the SIGTERM and the exit',
  pod: f.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 5000, sigtermExitCode: 0 }],
    exec: [
      { cmd: ALIVE.join(' '), exitCode: 0 },
      { cmd: READY.join(' '), exitCode: 0 },
    ],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 4000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(12_000),
  expect: [
    count(call('ExecSync', { name: 'app', cmd: ALIVE.join(' ') }), { min: 2 }, { to: 'delete' }),
    seq(action('delete'), exited('app', 0).as('appExit')),
    count(call('ExecSync', { name: 'app', cmd: ALIVE.join(' ') }), { max: 1 }, { from: 'delete' }),
    count(call('ExecSync', { name: 'app', cmd: READY.join(' ') }), { min: 3 }, { from: 'delete', to: 'appExit' }),
    exitCode(0),
  ],
};

export default [parallelKill, deletedSucceeded, everySandbox, graceZero, sidecarsReverse, probesDuringTermination];
