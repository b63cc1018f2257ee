// Facts sheet §7: the computePodActions decision table and SyncPod's order.
//
// Pins (kubernetes/kubernetes; computePodActions/SyncPod/doBackOff read in
// pkg/kubelet/kuberuntime/kuberuntime_manager.go, computeInitContainerActions
// and pruneInitContainersBeforeStart in kuberuntime_container.go (1.33/1.34-era
// copy), ShouldContainerBeRestarted in pkg/kubelet/container/helpers.go;
// release-1.34 semantics):
// - createPodSandbox && restartPolicy Never && attempt != 0 && statuses exist
//   → CreateSandbox = false, KillPod only (no SandboxChanged event: it is
//   recorded only `if podContainerChanges.CreateSandbox`).
// - re-creation: containersToStart skips containers that succeeded under OnFailure.
// - ephemeral containers with no status are started (never restarted), before
//   the init containers.
// - init containers (computeInitContainerActions): the next one only after the
//   previous exited 0; a failed one under Never → KillPod; otherwise restarted
//   (back-off applies); pruneInitContainersBeforeStart keeps only the newest
//   exited instance; a sidecar (restartPolicy Always) lets the next init start
//   once running and started (startup probe Success); liveness Failure →
//   `Init container <c> failed liveness probe`, definition changed →
//   `Init container <c> definition changed` (no `, will be restarted`);
//   an exited sidecar is restarted whatever the pod's restartPolicy.
// - regular containers: ShouldContainerBeRestarted (CREATED/UNKNOWN → yes even
//   under Never; Never → no; OnFailure && exit 0 → no); running: hash changed →
//   `Container <c> definition changed` and restart regardless of policy;
//   liveness Failure → `Container <c> failed liveness probe` (+ `, will be
//   restarted` unless Never); nothing kept and nothing to start → KillPod with
//   the generic kill (`Stopping container <c>`, reasonUnknown → pod grace), so
//   sidecars are stopped, not restarted.
// - SyncPod: ContainersToKill one by one, return at the first error (the kill
//   is retried at the pod worker's next sync, 10–15 s later); regular starts
//   are independent of each other.
import { makePod, type Scenario } from '../runner.js';
import { action, call, cstatus, event, exitCode, exited, finalPod, never, noPod, phaseOf, seq, somePod, stateOf } from '../dsl.js';
import { ctr, fp, fpEph, fpInit, IMAGE } from './common.js';
import { backoffWindow, condIs, IMMEDIATE_MS, isWaiting, podsSpan, RETRY_MS, startedOf, terminatedOf, withStartup } from './helpers.js';

const NEW_IMAGE = 'busybox:1.37';
const terminal = (p: Record<string, any>) => phaseOf(p) === 'Failed' || phaseOf(p) === 'Succeeded';

// ------------------------------------------------------------------ s07a

const a = makePod('cpa-never-sandbox', { restartPolicy: 'Never', containers: [ctr('app')] });

export const neverNoRecreate: Scenario = {
  name: 's07a Never + sandbox NOTREADY: no re-creation and no SandboxChanged; the pod is killed (Stopping container app) and ends Failed',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (createPodSandbox, !shouldRestartOnFailure, attempt != 0) + SyncPod; pkg/kubelet/status/generate.go GeneratePodReadyToStartContainersCondition; release-1.34',
  summary: 'Killing `Stopping container app`, StopContainer(app, 30), StopPodSandbox; never RunPodSandbox attempt 1 nor SandboxChanged; final Failed, PodReadyToStartContainers False, exit 1',
  pod: a.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }] },
  actions: [{ label: 'notready', when: call('StartContainer', { name: 'app', error: false }), delayMs: 2000, do: { sandboxNotReady: true } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(
      action('notready'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 3000, 'notready'),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }).within(0, 3000, 'notready'),
      call('StopPodSandbox'),
    ),
    never(event({ reason: 'SandboxChanged' })),
    never(call('RunPodSandbox', { sandboxAttempt: [1, 1000] })),
    never(call('CreateContainer', { name: 'app', attempt: [1, 1000] })),
    finalPod(
      'phase Failed, app terminated 143, PodReadyToStartContainers False',
      (p) => phaseOf(p) === 'Failed' && stateOf(p, 'app') === 'terminated:143' && condIs(p, 'PodReadyToStartContainers', 'False'),
    ),
    exitCode(1),
  ],
};

// ------------------------------------------------------------------ s07b

const b = makePod('cpa-onfailure-recreate', { restartPolicy: 'OnFailure', containers: [ctr('done'), ctr('app')] });

export const onFailureRecreate: Scenario = {
  name: 's07b OnFailure + sandbox re-creation: the container that exited 0 is not started in the new sandbox, the other one is (attempt 1)',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (createPodSandbox: containerSucceeded under OnFailure skipped); release-1.34',
  summary: 'done exits 0; NOTREADY → SandboxChanged, StopPodSandbox, RunPodSandbox attempt 1, CreateContainer app#1; never done#1',
  pod: b.pod,
  fake: {
    containers: [
      { name: 'done', runMs: 500, exitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 },
    ],
  },
  actions: [
    { label: 'notready', when: call('StartContainer', { name: 'app', attempt: 0, error: false }), delayMs: 2500, do: { sandboxNotReady: true } },
    { label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(10_000),
  expect: [
    seq(
      exited('done', 0, 0),
      action('notready'),
      event({ type: 'Normal', reason: 'SandboxChanged', fieldPath: null, message: 'Pod sandbox changed, it will be killed and re-created.' }).within(0, 3000, 'notready'),
      call('StopPodSandbox', { sandboxAttempt: 0 }),
      call('RunPodSandbox', { sandboxAttempt: 1, error: false }),
      call('CreateContainer', { name: 'app', attempt: 1 }),
    ),
    never(call('CreateContainer', { name: 'done', attempt: [1, 1000] })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07c

const c = makePod('cpa-init-order', { initContainers: [ctr('init1'), ctr('init2')], containers: [ctr('app')] });

export const initOrder: Scenario = {
  name: 's07c init containers run one at a time, in order, each only after the previous exited 0; the app only after the last',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go computeInitContainerActions (next init after an exit 0; regular containers not inspected until initialized); release-1.34',
  summary: 'init1#0 created, exits 0 → init2#0 ≤ 2.5 s later → exits 0 → app#0 ≤ 2.5 s later; no init restarted',
  pod: c.pod,
  fake: {
    containers: [
      { name: 'init1', runMs: 1500, exitCode: 0 },
      { name: 'init2', runMs: 1500, exitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(12_000),
  expect: [
    seq(
      call('CreateContainer', { name: 'init1', attempt: 0 }),
      call('StartContainer', { name: 'init1', error: false }),
      exited('init1', 0, 0).as('i1'),
      call('CreateContainer', { name: 'init2', attempt: 0 }).within(0, IMMEDIATE_MS, 'i1'),
      exited('init2', 0, 0).as('i2'),
      call('CreateContainer', { name: 'app', attempt: 0 }).within(0, IMMEDIATE_MS, 'i2'),
    ),
    never(call('CreateContainer', { name: 'init2' }), { to: 'i1' }),
    never(call('CreateContainer', { name: 'app' }), { to: 'i2' }),
    never(call('CreateContainer', { name: 'init1', attempt: [1, 1000] })),
    never(call('CreateContainer', { name: 'init2', attempt: [1, 1000] })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07d

const d = makePod('cpa-init-fails-never', { restartPolicy: 'Never', initContainers: [ctr('init')], containers: [ctr('app')] });

export const initFailsNever: Scenario = {
  name: 's07d a failed init container under Never fails the pod: no restart, app never created, Initialized False, Ready False/PodFailed',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go computeInitContainerActions (isInitContainerFailed && !restartOnFailure → KillPod); pkg/kubelet/status/generate.go; release-1.34',
  summary: 'init exits 1, StopPodSandbox; never init#1 / app / BackOff; final Failed, app waiting PodInitializing, Initialized False `containers with incomplete status: [init]`, ContainersReady/Ready False PodFailed; exit 1',
  pod: d.pod,
  fake: { containers: [{ name: 'init', runMs: 1000, exitCode: 1 }] },
  deadlineMs: withStartup(6_000),
  expect: [
    seq(exited('init', 0, 1), call('StopPodSandbox')),
    never(call('CreateContainer', { name: 'init', attempt: [1, 1000] })),
    never(call('CreateContainer', { name: 'app' })),
    never(event({ reason: 'BackOff' })),
    finalPod(
      'Failed; init terminated 1; app waiting PodInitializing; Initialized False ContainersNotInitialized `containers with incomplete status: [init]`; ContainersReady and Ready False PodFailed',
      (p) =>
        phaseOf(p) === 'Failed' &&
        stateOf(p, 'init') === 'terminated:1' &&
        stateOf(p, 'app') === 'waiting:PodInitializing' &&
        condIs(p, 'Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [init]') &&
        condIs(p, 'ContainersReady', 'False', 'PodFailed') &&
        condIs(p, 'Ready', 'False', 'PodFailed'),
    ),
    exitCode(1),
  ],
};

// ------------------------------------------------------------------ s07e

const e = makePod('cpa-init-crashloop', { initContainers: [ctr('init')], containers: [ctr('app')] });

export const initCrashLoop: Scenario = {
  name: 's07e a failing init container under Always restarts with back-off; older exited instances are pruned before the next start',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go computeInitContainerActions + pruneInitContainersBeforeStart; kuberuntime_manager.go SyncPod + doBackOff; release-1.34',
  summary: 'init#1 ≤ 2.5 s after init#0; BackOff (spec.initContainers{init}); RemoveContainer init#0 (not #1) before init#2 10–16.5 s later; waiting CrashLoopBackOff `back-off 10s …`; app never created',
  pod: e.pod,
  fake: { containers: [{ name: 'init', runMs: 300, exitCode: 1 }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'init', attempt: 2 }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(24_000),
  expect: [
    seq(
      exited('init', 0, 1).as('e0'),
      call('CreateContainer', { name: 'init', attempt: 1 }).within(0, IMMEDIATE_MS, 'e0'),
      exited('init', 1, 1).as('e1'),
      event({ type: 'Warning', reason: 'BackOff', fieldPath: fpInit('init'), message: `Back-off restarting failed container init in pod ${e.ref}` }).within(0, 3000, 'e1'),
      call('CreateContainer', { name: 'init', attempt: 2 }).within(...backoffWindow(10), 'e1'),
    ),
    seq(exited('init', 1, 1), call('RemoveContainer', { name: 'init', attempt: 0 }), call('CreateContainer', { name: 'init', attempt: 2 })),
    never(call('RemoveContainer', { name: 'init', attempt: 0 }), { to: 'e1' }),
    never(call('RemoveContainer', { name: 'init', attempt: 1 }), { to: 'stop' }),
    never(call('CreateContainer', { name: 'app' })),
    somePod(
      `init waiting CrashLoopBackOff "back-off 10s restarting failed container=init pod=${e.ref}", phase Pending`,
      (p) => isWaiting(p, 'init', 'CrashLoopBackOff', `back-off 10s restarting failed container=init pod=${e.ref}`) && phaseOf(p) === 'Pending',
    ),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07f

const f = makePod('cpa-onfailure', { restartPolicy: 'OnFailure', containers: [ctr('ok'), ctr('bad')] });

export const onFailurePolicy: Scenario = {
  name: 's07f OnFailure: the container that exited 0 is not restarted, the one that exited 1 is (at once)',
  pins: 'pkg/kubelet/container/helpers.go ShouldContainerBeRestarted; kuberuntime_manager.go computePodActions; release-1.34',
  summary: 'bad#1 ≤ 2.5 s after bad#0 exits 1; never ok#1; phase Running with ok terminated 0 (Completed) and bad running',
  pod: f.pod,
  fake: {
    containers: [
      { name: 'ok', runMs: 500, exitCode: 0 },
      { name: 'bad', attempt: 0, runMs: 500, exitCode: 1 },
      { name: 'bad', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'bad', attempt: 1, error: false }), delayMs: 3000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(9_000),
  expect: [
    seq(exited('bad', 0, 1).as('b0'), call('CreateContainer', { name: 'bad', attempt: 1 }).within(0, IMMEDIATE_MS, 'b0')),
    never(call('CreateContainer', { name: 'ok', attempt: [1, 1000] })),
    somePod(
      'phase Running, ok terminated 0 reason Completed, bad running',
      (p) => phaseOf(p) === 'Running' && stateOf(p, 'ok') === 'terminated:0' && terminatedOf(p, 'ok')?.['reason'] === 'Completed' && stateOf(p, 'bad') === 'running',
    ),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07g

const g = makePod('cpa-never', { restartPolicy: 'Never', containers: [ctr('a'), ctr('b')] });

export const neverPolicy: Scenario = {
  name: 's07g Never: an exited container is not restarted while the other keeps running; the pod stays Running',
  pins: 'pkg/kubelet/container/helpers.go ShouldContainerBeRestarted (Never → false); pkg/kubelet/kubelet_pods.go getPhase; release-1.34',
  summary: 'a exits 1: never a#1, no BackOff; every Pod line from 1.5 s after a exits: phase Running, a terminated 1 (Error) restartCount 0, b running',
  pod: g.pod,
  fake: {
    containers: [
      { name: 'a', runMs: 500, exitCode: 1 },
      { name: 'b', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: exited('a', 0, 1), delayMs: 5000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(exited('a', 0, 1).as('aExit')),
    never(call('CreateContainer', { name: 'a', attempt: [1, 1000] })),
    never(event({ reason: 'BackOff' })),
    podsSpan(
      'throughout',
      'phase Running, a terminated 1 reason Error restartCount 0, b running',
      { from: ['aExit', 1500], to: ['stop', 0] },
      (p) => phaseOf(p) === 'Running' && stateOf(p, 'a') === 'terminated:1' && terminatedOf(p, 'a')?.['reason'] === 'Error' && cstatus(p, 'a')?.['restartCount'] === 0 && stateOf(p, 'b') === 'running',
    ),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07h

const h = makePod('cpa-image-change-never', { restartPolicy: 'Never', containers: [ctr('app')] });

export const imageChangeNever: Scenario = {
  name: 's07h an image change under Never kills `Container app definition changed, will be restarted` and restarts it at once',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (containerChanged: restart = true regardless of policy); pkg/kubelet/container/helpers.go HashContainer (1.31+: name + image); release-1.34',
  summary: 'edit image → Killing, StopContainer(app#0, 30), Pulled `Container image "busybox:1.37" already present on machine`, CreateContainer app#1 ≤ 4.5 s after the edit; no BackOff; never terminal before the SIGTERM',
  pod: h.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }] },
  actions: [
    {
      label: 'edit',
      when: call('StartContainer', { name: 'app', attempt: 0, error: false }),
      delayMs: 2000,
      do: { edit: (pod) => ({ ...pod, spec: { ...pod['spec'], containers: [{ ...pod['spec']['containers'][0], image: NEW_IMAGE }] } }) },
    },
    { label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(11_000),
  expect: [
    seq(
      action('edit'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app definition changed, will be restarted' }).within(0, 3500, 'edit'),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('app'), message: `Container image "${NEW_IMAGE}" already present on machine` }),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, 4500, 'edit'),
      call('StartContainer', { name: 'app', attempt: 1, error: false }),
    ),
    never(event({ reason: 'BackOff' })),
    noPod('a terminal phase before the SIGTERM', terminal, { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07i

const LIVE = ['sh', '-c', 'live-check'];
const i = makePod('cpa-liveness-never', {
  restartPolicy: 'Never',
  terminationGracePeriodSeconds: 30,
  containers: [ctr('app', { livenessProbe: { exec: { command: LIVE }, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1, terminationGracePeriodSeconds: 5 } })],
});

// statelet differs here on purpose (README, "Improvements over the kubelet"): the
// kubelet turns this kill into the generic KillPod (message `Stopping container app`,
// the pod's grace 30) and drops the probe-level terminationGracePeriodSeconds
// (kubernetes#119377); statelet keeps the liveness kill: its message and the probe's 5 s.
export const livenessNeverKillPod: Scenario = {
  name: "s07i liveness failure under Never with one container: the probe's kill message and grace 5 on the whole-pod kill (improvement over #119377)",
  pins: 'statelet improvement over pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (keepCount == 0 → KillPod with reasonUnknown, kubernetes#119377); probe grace per setTerminationGracePeriod; release-1.34',
  summary: 'Unhealthy `Liveness probe failed: dead`, Killing `Container app failed liveness probe`, StopContainer(app, 5), StopPodSandbox; never timeout 30; final Failed; exit 1',
  pod: i.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }],
    exec: [{ cmd: LIVE.join(' '), exitCode: 1, stdout: 'dead' }],
  },
  deadlineMs: withStartup(8_000),
  expect: [
    seq(
      event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('app'), message: 'Liveness probe failed: dead' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app failed liveness probe' }),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 5 }),
      call('StopPodSandbox'),
    ),
    never(call('StopContainer', { name: 'app', timeout: 30 })),
    never(call('CreateContainer', { name: 'app', attempt: [1, 1000] })),
    finalPod('phase Failed, app terminated 143', (p) => phaseOf(p) === 'Failed' && stateOf(p, 'app') === 'terminated:143'),
    exitCode(1),
  ],
};

// ------------------------------------------------------------------ s07j

const j = makePod('cpa-liveness-never-two', {
  restartPolicy: 'Never',
  containers: [ctr('a', { livenessProbe: { exec: { command: LIVE }, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1, terminationGracePeriodSeconds: 4 } }), ctr('b')],
});

export const livenessNeverKeepOther: Scenario = {
  name: "s07j liveness failure under Never while another container runs: `Container a failed liveness probe` (no restart suffix), the probe's grace 4, a not restarted, pod keeps Running",
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (restart = shouldRestartOnFailure; suffix only when restarting; keepCount > 0 → no KillPod) + setTerminationGracePeriod; release-1.34',
  summary: 'Killing `Container a failed liveness probe`, StopContainer(a#0, 4); never a#1, never StopPodSandbox or b stopped before the SIGTERM; phase Running with a terminated 143 and b running',
  pod: j.pod,
  fake: {
    containers: [
      { name: 'a', sigtermDelayMs: 100, sigtermExitCode: 143 },
      { name: 'b', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
    exec: [{ cmd: LIVE.join(' '), exitCode: 1, stdout: 'dead' }],
  },
  actions: [{ label: 'stop', when: exited('a', 0), delayMs: 4000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(11_000),
  expect: [
    seq(
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('a'), message: 'Container a failed liveness probe' }),
      call('StopContainer', { name: 'a', attempt: 0, timeout: 4 }),
      exited('a', 0, 143).as('aExit'),
    ),
    never(call('CreateContainer', { name: 'a', attempt: [1, 1000] })),
    never(call('StopPodSandbox'), { to: 'stop' }),
    never(call('StopContainer', { name: 'b' }), { to: 'stop' }),
    podsSpan('throughout', 'phase Running, a terminated 143, b running', { from: ['aExit', 1500], to: ['stop', 0] }, (p) => phaseOf(p) === 'Running' && stateOf(p, 'a') === 'terminated:143' && stateOf(p, 'b') === 'running'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07k

const k = makePod('cpa-ephemeral-once', { initContainers: [ctr('init')], containers: [ctr('app')] });

export const ephemeralOnce: Scenario = {
  name: 's07k an ephemeral container added while the init container runs is started at once, and never restarted after it exits 1',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (EphemeralContainersToStart: no status → start; before init actions) + SyncPod step 5; release-1.34',
  summary: 'CreateContainer debug ≤ 3 s after the edit, before init exits; debug exits 1; never debug#1 nor a BackOff for it; status debug terminated 1',
  pod: k.pod,
  fake: {
    containers: [
      { name: 'init', runMs: 8000, exitCode: 0 },
      { name: 'debug', runMs: 1000, exitCode: 1 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [
    {
      label: 'edit',
      when: call('StartContainer', { name: 'init', error: false }),
      delayMs: 1500,
      do: { edit: (pod) => ({ ...pod, spec: { ...pod['spec'], ephemeralContainers: [{ name: 'debug', image: IMAGE, command: ['sh', '-c', 'debug'] }] } }) },
    },
    { label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(14_000),
  expect: [
    seq(
      call('StartContainer', { name: 'init', error: false }),
      action('edit'),
      call('CreateContainer', { name: 'debug', attempt: 0 }).within(0, 3000, 'edit'),
      exited('debug', 0, 1),
      exited('init', 0, 0),
      call('CreateContainer', { name: 'app', attempt: 0 }),
    ),
    never(call('CreateContainer', { name: 'debug', attempt: [1, 1000] })),
    never(event({ reason: 'BackOff', fieldPath: fpEph('debug') })),
    somePod('debug terminated 1 (ephemeralContainerStatuses) while init runs', (p) => stateOf(p, 'debug') === 'terminated:1' && stateOf(p, 'init') === 'running'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07l

const START_ERR = 'failed to start containerd task "app": cannot start a stopped process: unknown';
const l = makePod('cpa-created-never', { restartPolicy: 'Never', containers: [ctr('app')] });

export const createdRestartedUnderNever: Scenario = {
  name: 's07l a container left CREATED by a failed start is started again even under Never (attempt 1), without back-off',
  pins: 'pkg/kubelet/container/helpers.go ShouldContainerBeRestarted ("Always restart container in the unknown, or in the created state"); kuberuntime_manager.go doBackOff (only EXITED instances); release-1.34',
  summary: 'StartContainer app#0 fails (instance stays CREATED), Failed `Error: <desc>`, waiting RunContainerError; CreateContainer app#1 ≤ 16.5 s later, started; no BackOff; never terminal before the SIGTERM',
  pod: l.pod,
  fake: {
    startFailureLeaves: 'created',
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    faults: [{ method: 'StartContainer', name: 'app', attempt: 0, code: 'UNKNOWN', message: START_ERR }],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(21_000),
  expect: [
    seq(
      call('StartContainer', { name: 'app', attempt: 0, error: 'UNKNOWN' }).as('sf'),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Error: ${START_ERR}` }),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, RETRY_MS[1], 'sf.end'),
      call('StartContainer', { name: 'app', attempt: 1, error: false }),
    ),
    never(event({ reason: 'BackOff' })),
    somePod(`app waiting RunContainerError "${START_ERR}"`, (p) => isWaiting(p, 'app', 'RunContainerError', START_ERR)),
    noPod('a terminal phase before the SIGTERM', terminal, { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07m

const STOP_ERR = 'failed to stop container: task is in an unknown state';
const m = makePod('cpa-kill-fails', {
  containers: [ctr('app', { livenessProbe: { exec: { command: LIVE }, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1 } })],
});

export const failedKillStopsSync: Scenario = {
  name: 's07m a failed liveness kill ends the sync: no start of attempt 1; the kill is retried at the pod worker retry 10–15 s later, then attempt 1 starts',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod step 3 (killContainer error → return); pkg/kubelet/pod_workers.go completeWork (backOffPeriod + jitter); release-1.34',
  summary: 'Killing + StopContainer(app#0) UNKNOWN; no CreateContainer app#1 until a second Killing + StopContainer(app#0) 10–16.5 s later; then app#1; no FailedKillPod',
  pod: m.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }],
    exec: [
      { cmd: LIVE.join(' '), attempt: 0, exitCode: 1, stdout: 'dead' },
      { cmd: LIVE.join(' '), exitCode: 0 },
    ],
    faults: [{ method: 'StopContainer', name: 'app', attempt: 0, nth: 1, code: 'UNKNOWN', message: STOP_ERR }],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(28_000),
  expect: [
    seq(
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app failed liveness probe, will be restarted' }),
      call('StopContainer', { name: 'app', attempt: 0, error: 'UNKNOWN' }).as('k1'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app failed liveness probe, will be restarted' }).within(...RETRY_MS, 'k1.end').any(),
      call('StopContainer', { name: 'app', attempt: 0, error: false }).within(...RETRY_MS, 'k1.end').as('k2'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, 2000, 'k2.end'),
    ),
    never(call('CreateContainer', { name: 'app', attempt: 1 }), { to: 'k2' }),
    never(event({ reason: 'FailedKillPod' })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07n

const CREATE_ERR = 'failed to create containerd container: failed to mount rootfs component: no space left on device';
const n = makePod('cpa-independent-starts', { containers: [ctr('a'), ctr('b')] });

export const independentStarts: Scenario = {
  name: 's07n regular starts are independent: CreateContainer a fails, b is still created and started in the same sync',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod step 8 (start() per container, errors do not stop the loop) + startContainer (ErrCreateContainer, s.Message()); release-1.34',
  summary: 'CreateContainer a UNKNOWN, Failed `Error: <desc>`, CreateContainer b ≤ 1 s later and started; a created later; a waiting CreateContainerError while b runs',
  pod: n.pod,
  fake: {
    containers: [
      { name: 'a', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'b', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
    faults: [{ method: 'CreateContainer', name: 'a', nth: 1, code: 'UNKNOWN', message: CREATE_ERR }],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'a', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(21_000),
  expect: [
    seq(call('CreateContainer', { name: 'a', attempt: 0, error: 'UNKNOWN' }).as('fa'), event({ type: 'Warning', reason: 'Failed', fieldPath: fp('a'), message: `Error: ${CREATE_ERR}` })),
    seq(call('CreateContainer', { name: 'a', error: 'UNKNOWN' }), call('CreateContainer', { name: 'b', attempt: 0, error: false }).within(0, 1000, 'fa.end'), call('StartContainer', { name: 'b', error: false })),
    seq(call('CreateContainer', { name: 'a', attempt: 0, error: false }).within(0, RETRY_MS[1], 'fa.end')),
    somePod(`a waiting CreateContainerError "${CREATE_ERR}" while b runs`, (p) => isWaiting(p, 'a', 'CreateContainerError', CREATE_ERR) && stateOf(p, 'b') === 'running'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07o

const o = makePod('cpa-sidecar-never', { restartPolicy: 'Never', initContainers: [ctr('sc', { restartPolicy: 'Always' })], containers: [ctr('app')] });

export const sidecarRestartsUnderNever: Scenario = {
  name: "s07o a sidecar that exits is restarted at once even though the pod's restartPolicy is Never; the app is untouched",
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go computeInitContainerActions (ContainerStateExited && IsRestartableInitContainer → start); kuberuntime_manager.go doBackOff; release-1.34',
  summary: 'sc#0 exits 1 after 3 s → sc#1 ≤ 2.5 s later; app never stopped; never a terminal phase before the SIGTERM',
  pod: o.pod,
  fake: {
    containers: [
      { name: 'sc', attempt: 0, runMs: 3000, exitCode: 1 },
      { name: 'sc', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'sc', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(10_000),
  expect: [
    seq(call('StartContainer', { name: 'app', error: false }), exited('sc', 0, 1).as('scExit'), call('CreateContainer', { name: 'sc', attempt: 1 }).within(0, IMMEDIATE_MS, 'scExit')),
    never(call('StopContainer', { name: 'app' }), { to: 'stop' }),
    noPod('a terminal phase before the SIGTERM', terminal, { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07p

const SC_UP = ['sh', '-c', 'sidecar-up'];
const p = makePod('cpa-sidecar-startup', {
  initContainers: [ctr('sc', { restartPolicy: 'Always', startupProbe: { exec: { command: SC_UP }, periodSeconds: 2, failureThreshold: 5 } })],
  containers: [ctr('app')],
});

export const sidecarStartupGates: Scenario = {
  name: "s07p a sidecar's startup probe gates the app: the app is created only after the probe succeeded; meanwhile the pod is Pending, Initialized False",
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go computeInitContainerActions (restartable init with StartupProbe: wait for Success); pkg/kubelet/kubelet_pods.go getPhase (running-not-started sidecar → pending); pkg/kubelet/status/generate.go isInitContainerInitialized; release-1.34',
  summary: 'two failed startup ExecSyncs (Unhealthy `Startup probe failed: not yet`), the third succeeds, app created ≤ 2.5 s later; Pending + sc started false + Initialized False `containers with incomplete status: [sc]` before; Running + Initialized True after',
  pod: p.pod,
  fake: {
    containers: [
      { name: 'sc', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
    exec: [
      { cmd: SC_UP.join(' '), exitCode: 1, stdout: 'not yet', times: 2 },
      { cmd: SC_UP.join(' '), exitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(13_000),
  expect: [
    seq(
      call('StartContainer', { name: 'sc', error: false }),
      call('ExecSync', { name: 'sc', cmd: SC_UP.join(' ') }),
      call('ExecSync', { name: 'sc', cmd: SC_UP.join(' ') }),
      call('ExecSync', { name: 'sc', cmd: SC_UP.join(' ') }).as('up'),
      call('CreateContainer', { name: 'app', attempt: 0 }).within(0, IMMEDIATE_MS, 'up.end'),
    ),
    never(call('CreateContainer', { name: 'app' }), { to: 'up.end' }),
    seq(event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fpInit('sc'), message: 'Startup probe failed: not yet' })),
    somePod(
      'Pending, sc running with started false, app waiting PodInitializing, Initialized False `containers with incomplete status: [sc]`',
      (x) =>
        phaseOf(x) === 'Pending' &&
        stateOf(x, 'sc') === 'running' &&
        startedOf(x, 'sc') === false &&
        stateOf(x, 'app') === 'waiting:PodInitializing' &&
        condIs(x, 'Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [sc]'),
    ),
    somePod('Running, sc started, app running, Initialized True', (x) => phaseOf(x) === 'Running' && startedOf(x, 'sc') === true && stateOf(x, 'app') === 'running' && condIs(x, 'Initialized', 'True')),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07q

const SC_LIVE = ['sh', '-c', 'sidecar-alive'];
const q = makePod('cpa-sidecar-kills', {
  initContainers: [ctr('sc', { restartPolicy: 'Always', livenessProbe: { exec: { command: SC_LIVE }, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1 } })],
  containers: [ctr('app')],
});

export const sidecarKills: Scenario = {
  name: 's07q sidecar kills: `Init container sc failed liveness probe`, then after an image edit `Init container sc definition changed`; each restarts sc, the app keeps running',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go computeInitContainerActions (ContainerStateRunning: containerChanged, then liveness Failure); release-1.34',
  summary: 'Killing (spec.initContainers{sc}) liveness message, StopContainer(sc#0, 30), sc#1; edit image → Killing definition changed, StopContainer(sc#1), Pulled busybox:1.37, sc#2; app never stopped',
  pod: q.pod,
  fake: {
    containers: [
      { name: 'sc', sigtermDelayMs: 100, sigtermExitCode: 143 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
    exec: [
      { cmd: SC_LIVE.join(' '), attempt: 0, exitCode: 1, stdout: 'sidecar dead' },
      { cmd: SC_LIVE.join(' '), exitCode: 0 },
    ],
  },
  actions: [
    {
      label: 'edit',
      when: call('StartContainer', { name: 'sc', attempt: 1, error: false }),
      delayMs: 2000,
      do: { edit: (pod) => ({ ...pod, spec: { ...pod['spec'], initContainers: [{ ...pod['spec']['initContainers'][0], image: NEW_IMAGE }] } }) },
    },
    { label: 'stop', when: call('StartContainer', { name: 'sc', attempt: 2, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(15_000),
  expect: [
    seq(
      event({ type: 'Normal', reason: 'Killing', fieldPath: fpInit('sc'), message: 'Init container sc failed liveness probe' }),
      call('StopContainer', { name: 'sc', attempt: 0, timeout: 30 }),
      call('CreateContainer', { name: 'sc', attempt: 1 }),
    ),
    seq(
      action('edit'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fpInit('sc'), message: 'Init container sc definition changed' }).within(0, 3500, 'edit'),
      call('StopContainer', { name: 'sc', attempt: 1 }),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fpInit('sc'), message: `Container image "${NEW_IMAGE}" already present on machine` }),
      call('CreateContainer', { name: 'sc', attempt: 2 }),
    ),
    never(call('StopContainer', { name: 'app' }), { to: 'stop' }),
    never(call('CreateContainer', { name: 'app', attempt: [1, 1000] })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s07r

const r = makePod('cpa-sidecar-stopped', { restartPolicy: 'Never', initContainers: [ctr('sc', { restartPolicy: 'Always' })], containers: [ctr('app')] });

export const sidecarStoppedWhenDone: Scenario = {
  name: 's07r Never: once the only regular container exits 0, the pod is killed and the sidecar stopped (not restarted); the pod ends Succeeded',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (keepCount == 0 && no ContainersToStart → KillPod, InitContainersToStart = nil); pkg/kubelet/kubelet_pods.go getPhase (terminated sidecars ignored); release-1.34',
  summary: 'app exits 0 → Killing `Stopping container sc` (spec.initContainers{sc}) ≤ 2.5 s, StopContainer(sc, 30), StopPodSandbox; never sc#1; final Succeeded although sc exited 143; exit 0',
  pod: r.pod,
  fake: {
    containers: [
      { name: 'sc', sigtermDelayMs: 100, sigtermExitCode: 143 },
      { name: 'app', runMs: 2000, exitCode: 0 },
    ],
  },
  deadlineMs: withStartup(8_000),
  expect: [
    seq(
      exited('app', 0, 0).as('appExit'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fpInit('sc'), message: 'Stopping container sc' }).within(0, IMMEDIATE_MS, 'appExit'),
      call('StopContainer', { name: 'sc', timeout: 30 }),
      exited('sc', 0, 143),
      call('StopPodSandbox'),
    ),
    never(call('CreateContainer', { name: 'sc', attempt: [1, 1000] })),
    finalPod('phase Succeeded', (x) => phaseOf(x) === 'Succeeded'),
    exitCode(0),
  ],
};

export default [
  neverNoRecreate,
  onFailureRecreate,
  initOrder,
  initFailsNever,
  initCrashLoop,
  onFailurePolicy,
  neverPolicy,
  imageChangeNever,
  livenessNeverKillPod,
  livenessNeverKeepOther,
  ephemeralOnce,
  createdRestartedUnderNever,
  failedKillStopsSync,
  independentStarts,
  sidecarRestartsUnderNever,
  sidecarStartupGates,
  sidecarKills,
  sidecarStoppedWhenDone,
];
