// Facts sheet §5: killContainer — grace selection, Killing before preStop,
// preStop whole seconds deducted, the 2 s minimum, NotFound ignored, and the
// CRI annotations a later kill restores the spec from.
//
// Pins (kubernetes/kubernetes, read at the 1.33/1.34-era copy of
// pkg/kubelet/kuberuntime/kuberuntime_container.go: `Created container: %v`,
// allocationManager, termination ordering):
// - killContainer: grace = setTerminationGracePeriod(...) — DeletionGracePeriodSeconds,
//   else the liveness/startup probe's terminationGracePeriodSeconds for a
//   reasonLivenessProbe/reasonStartupProbe kill, else the pod's
//   terminationGracePeriodSeconds (isProbeTerminationGracePeriodSecondsSet
//   accepts a probe value above the pod's); the Killing event (message or
//   `Stopping container <c>`) is recorded BEFORE the override and the preStop;
//   `gracePeriod = *gracePeriodOverride` comes before executePreStopHook
//   (PR #115835); then `gracePeriod -= executePreStopHook(...)`, which returns
//   int64(elapsed.Seconds()) (whole seconds) and waits at most `gracePeriod`;
//   `if gracePeriod < minimumGracePeriodInSeconds { gracePeriod = 2 }`;
//   StopContainer error `crierror.IsNotFound` is ignored.
// - startContainer step 4: a failed postStart kills with reasonFailedPostStartHook,
//   so a probe's terminationGracePeriodSeconds does not apply.
// - pkg/kubelet/kuberuntime/labels.go newContainerAnnotations: restartCount,
//   terminationMessagePath/Policy, pod terminationGracePeriod, preStopHandler
//   (JSON), ports (JSON) — what restoreSpecsFromContainerLabels reads back when
//   the pod is unknown (§5.1: a kubelet restart cannot be staged in one
//   `statelet run`, so the scenario pins what is written for it).
import { makePod, type Scenario } from '../runner.js';
import { action, call, custom, event, exitCode, exited, finalPod, never, phaseOf, seq } from '../dsl.js';
import { ctr, fp } from './common.js';
import { annotationsOf, jsonEqual, withStartup } from './helpers.js';

// ------------------------------------------------------------------ s05a

const DRAIN_A = ['sh', '-c', 'drain for 2.5s'];
const a = makePod('kill-grace-override', {
  terminationGracePeriodSeconds: 30,
  containers: [ctr('app', { lifecycle: { preStop: { exec: { command: DRAIN_A } } } })],
});

export const graceOverrideBeforePreStop: Scenario = {
  name: 's05a --grace-period 5 (deletionGracePeriod) wins over TGPS 30, applied before preStop: 2.5 s hook → StopContainer(app, 3)',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer (override before executePreStopHook, PR #115835) + setTerminationGracePeriod; release-1.34',
  summary: 'Killing `Stopping container app` then the preStop ExecSync (timeout 0); StopContainer(app, 5 - 2 = 3) about 2.5 s later; never 30 - 2 = 28',
  pod: a.pod,
  args: ['--grace-period', '5'],
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    exec: [{ cmd: DRAIN_A.join(' '), delayMs: 2500 }],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('ExecSync', { name: 'app', cmd: DRAIN_A.join(' '), timeout: 0 }).within(0, 1500, 'delete').as('hook'),
      call('StopContainer', { name: 'app', timeout: 3 }).within(2400, 3500, 'hook'),
    ),
    never(call('StopContainer', { name: 'app', where: (c) => c.request.timeout !== 3, whereDesc: 'timeout != 3' })),
    exitCode(0, { within: [2400, 7000], of: 'delete' }),
  ],
};

// ------------------------------------------------------------------ s05b

const DRAIN_B = ['sh', '-c', 'drain for 3.4s'];
const b = makePod('kill-prestop-seconds', {
  terminationGracePeriodSeconds: 10,
  containers: [ctr('app', { ports: [{ name: 'http', containerPort: 8080 }], lifecycle: { preStop: { exec: { command: DRAIN_B } } } })],
});

export const preStopWholeSeconds: Scenario = {
  name: 's05b TGPS 10, a 3.4 s preStop: whole seconds deducted → StopContainer(app, 7); CreateContainer carries the restore annotations',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer + executePreStopHook (int64 seconds); pkg/kubelet/kuberuntime/labels.go newContainerAnnotations; release-1.34',
  summary: 'annotations restartCount/terminationGracePeriod/terminationMessagePath/Policy/preStopHandler/ports; Killing, preStop, StopContainer(app, 10 - 3 = 7)',
  pod: b.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    exec: [{ cmd: DRAIN_B.join(' '), delayMs: 3400 }],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(call('CreateContainer', { name: 'app', attempt: 0, error: false }).as('create')),
    custom('CreateContainer app carries the annotations killContainer restores a pod from (labels.go newContainerAnnotations)', ({ labels }) => {
      const an = annotationsOf(labels.get('create'));
      const bad: string[] = [];
      const want: Record<string, string> = {
        'io.kubernetes.container.restartCount': '0',
        'io.kubernetes.pod.terminationGracePeriod': '10',
        'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
        'io.kubernetes.container.terminationMessagePolicy': 'File',
      };
      for (const [k, v] of Object.entries(want)) if (an[k] !== v) bad.push(`${k}=${JSON.stringify(an[k])} (want ${JSON.stringify(v)})`);
      if (!jsonEqual(an['io.kubernetes.container.preStopHandler'], { exec: { command: DRAIN_B } }))
        bad.push(`io.kubernetes.container.preStopHandler=${JSON.stringify(an['io.kubernetes.container.preStopHandler'])} (want the JSON of {exec:{command:${JSON.stringify(DRAIN_B)}}})`);
      if (!jsonEqual(an['io.kubernetes.container.ports'], [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]))
        bad.push(`io.kubernetes.container.ports=${JSON.stringify(an['io.kubernetes.container.ports'])} (want [{"name":"http","containerPort":8080,"protocol":"TCP"}])`);
      if ('io.kubernetes.pod.deletionGracePeriod' in an) bad.push('io.kubernetes.pod.deletionGracePeriod is set on a pod that is not being deleted');
      return bad.length ? bad.join('; ') : null;
    }),
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('ExecSync', { name: 'app', cmd: DRAIN_B.join(' '), timeout: 0 }).within(0, 1500, 'delete').as('hook'),
      call('StopContainer', { name: 'app', timeout: 7 }).within(3300, 4500, 'hook'),
    ),
    never(call('StopContainer', { name: 'app', timeout: [8, 1000] })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s05c

const HANG = ['sh', '-c', 'sleep forever'];
const c = makePod('kill-prestop-outlives-grace', {
  terminationGracePeriodSeconds: 3,
  containers: [ctr('hooked', { lifecycle: { preStop: { exec: { command: HANG } } } }), ctr('plain')],
});

export const preStopOutlivesGrace: Scenario = {
  name: 's05c TGPS 3, a preStop that never returns: the kubelet waits 3 s, then StopContainer(hooked, 2) (the 2 s minimum); plain gets StopContainer(plain, 3) at once',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go executePreStopHook (time.After(gracePeriod)) + killContainer (minimumGracePeriodInSeconds); release-1.34',
  summary: 'preStop ExecSync at the delete; StopContainer(hooked, 2) 3 s later; StopContainer(plain, 3) within 1.5 s of the delete',
  pod: c.pod,
  fake: {
    containers: [
      { name: 'hooked', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'plain', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
    exec: [{ cmd: HANG.join(' '), hang: true }],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'plain', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(10_000),
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('hooked'), message: 'Stopping container hooked' }).within(0, 1500, 'delete'),
      call('ExecSync', { name: 'hooked', cmd: HANG.join(' '), timeout: 0 }).within(0, 1500, 'delete').as('hook'),
      call('StopContainer', { name: 'hooked', timeout: 2 }).within(2900, 4200, 'hook'),
    ),
    never(call('StopContainer', { name: 'hooked' }), { to: 'hook' }),
    never(call('StopContainer', { name: 'hooked', where: (x) => x.request.timeout !== 2, whereDesc: 'timeout != 2' })),
    seq(action('delete'), call('StopContainer', { name: 'plain', timeout: 3 }).within(0, 1500, 'delete')),
    exitCode(0, { within: [2900, 8000], of: 'delete' }),
  ],
};

// ------------------------------------------------------------------ s05d

const d = makePod('kill-minimum-grace', { terminationGracePeriodSeconds: 1, containers: [ctr('app')] });

export const minimumGrace: Scenario = {
  name: 's05d TGPS 1: StopContainer(app, 2), SIGKILL 2 s later for a container that ignores SIGTERM; deleted pod goes terminal Failed',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer (minimumGracePeriodInSeconds = 2); pkg/kubelet/kubelet_pods.go getPhase (podIsTerminal); release-1.34',
  summary: 'StopContainer(app, 2), exit 137 2 s later, final phase Failed, exit 0',
  pod: d.pod,
  fake: { containers: [{ name: 'app', ignoreSigterm: true }] },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(
      action('delete'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Stopping container app' }).within(0, 1500, 'delete'),
      call('StopContainer', { name: 'app', timeout: 2 }).within(0, 1500, 'delete').as('stop'),
      exited('app', 0, 137).within(1700, 3000, 'stop'),
    ),
    never(call('StopContainer', { name: 'app', timeout: [0, 1] })),
    finalPod('phase Failed (the deleted pod is terminal, app exited 137)', (p) => phaseOf(p) === 'Failed'),
    exitCode(0, { within: [1700, 7000], of: 'delete' }),
  ],
};

// ------------------------------------------------------------------ s05e

const LIVE = ['sh', '-c', 'live-check'];
const BOOT = ['sh', '-c', 'boot-check'];
const e = makePod('kill-probe-grace', {
  terminationGracePeriodSeconds: 30,
  containers: [
    ctr('live', { livenessProbe: { exec: { command: LIVE }, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1, terminationGracePeriodSeconds: 45 } }),
    ctr('boot', { startupProbe: { exec: { command: BOOT }, periodSeconds: 2, failureThreshold: 2, terminationGracePeriodSeconds: 4 } }),
  ],
});

export const probeGrace: Scenario = {
  name: "s05e liveness/startup kills use the probe's terminationGracePeriodSeconds (45 > pod 30, and 4); the deletion uses the pod's 30",
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go setTerminationGracePeriod + isProbeTerminationGracePeriodSecondsSet (ProbeTerminationGracePeriod GA 1.27); kuberuntime_manager.go computePodActions (reasonLivenessProbe/reasonStartupProbe); release-1.34',
  summary: 'Killing `Container live failed liveness probe, will be restarted` + StopContainer(live, 45); `Container boot failed startup probe, will be restarted` + StopContainer(boot, 4); on delete StopContainer(…, 30) for both',
  pod: e.pod,
  fake: {
    containers: [
      { name: 'live', sigtermDelayMs: 100, sigtermExitCode: 143 },
      { name: 'boot', sigtermDelayMs: 100, sigtermExitCode: 143 },
    ],
    exec: [
      { cmd: LIVE.join(' '), attempt: 0, exitCode: 1, stdout: 'dead' },
      { cmd: LIVE.join(' '), exitCode: 0 },
      { cmd: BOOT.join(' '), attempt: 0, exitCode: 1, stdout: 'still booting' },
      { cmd: BOOT.join(' '), exitCode: 0 },
    ],
  },
  // boot is killed within ~4 s of its start, live within ~4.5 s: both run attempt 1 four seconds after live#1 started.
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'live', attempt: 1, error: false }), delayMs: 4000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(14_000),
  expect: [
    seq(
      event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('live'), message: 'Liveness probe failed: dead' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('live'), message: 'Container live failed liveness probe, will be restarted' }),
      call('StopContainer', { name: 'live', attempt: 0, timeout: 45 }),
      call('CreateContainer', { name: 'live', attempt: 1 }),
    ),
    seq(
      event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('boot'), message: 'Startup probe failed: still booting' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('boot'), message: 'Container boot failed startup probe, will be restarted' }),
      call('StopContainer', { name: 'boot', attempt: 0, timeout: 4 }),
      call('CreateContainer', { name: 'boot', attempt: 1 }),
    ),
    seq(action('delete'), call('StopContainer', { name: 'live', attempt: 1, timeout: 30 }).within(0, 1500, 'delete')),
    seq(action('delete'), call('StopContainer', { name: 'boot', attempt: 1, timeout: 30 }).within(0, 1500, 'delete')),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s05f

const HOOK = ['sh', '-c', 'poststart that fails'];
const f = makePod('kill-poststart-grace', {
  terminationGracePeriodSeconds: 30,
  containers: [
    ctr('app', {
      lifecycle: { postStart: { exec: { command: HOOK } } },
      livenessProbe: { exec: { command: ['sh', '-c', 'alive'] }, initialDelaySeconds: 300, terminationGracePeriodSeconds: 5 },
    }),
  ],
});

export const postStartKillGrace: Scenario = {
  name: "s05f a failed postStart kills with the pod's grace (StopContainer(app, 30)), not the liveness probe's terminationGracePeriodSeconds 5",
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer step 4 (killContainer(..., reasonFailedPostStartHook, nil)) + setTerminationGracePeriod; release-1.34',
  summary: 'FailedPostStartHook, Killing `FailedPostStartHook`, StopContainer(app#0, 30); never timeout 5',
  pod: f.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }],
    exec: [
      { cmd: HOOK.join(' '), attempt: 0, exitCode: 1, stderr: 'hook failed\n' },
      { cmd: HOOK.join(' '), exitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(
      call('ExecSync', { name: 'app', attempt: 0, cmd: HOOK.join(' '), timeout: 0 }),
      event({ type: 'Warning', reason: 'FailedPostStartHook', fieldPath: fp('app'), message: 'PostStartHook failed' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'FailedPostStartHook' }),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }),
      call('CreateContainer', { name: 'app', attempt: 1 }),
    ),
    never(call('StopContainer', { name: 'app', timeout: 5 })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s05g

const NOT_FOUND = 'an error occurred when try to find container: not found';
const g = makePod('kill-not-found', {
  containers: [ctr('app', { livenessProbe: { exec: { command: LIVE }, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1 } })],
});

export const stopNotFoundIgnored: Scenario = {
  name: 's05g StopContainer NOT_FOUND is ignored: a liveness kill goes on to start attempt 1 in the same sync; a deletion reports no FailedKillPod',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer (`err != nil && !crierror.IsNotFound(err)`); kuberuntime_manager.go SyncPod (kill, then start); release-1.34',
  summary: 'StopContainer(app#0) NOT_FOUND (the container is gone) → CreateContainer app#1 within 1.5 s; on delete StopContainer(app#1) NOT_FOUND → no FailedKillPod, exit 0',
  pod: g.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }],
    exec: [
      { cmd: LIVE.join(' '), attempt: 0, exitCode: 1, stdout: 'dead' },
      { cmd: LIVE.join(' '), exitCode: 0 },
    ],
    faults: [
      { method: 'StopContainer', name: 'app', attempt: 0, nth: 1, code: 'NOT_FOUND', message: NOT_FOUND, vanish: true },
      { method: 'StopContainer', name: 'app', attempt: 1, nth: 1, code: 'NOT_FOUND', message: NOT_FOUND, vanish: true },
    ],
  },
  actions: [{ label: 'delete', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(10_000),
  expect: [
    seq(
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app failed liveness probe, will be restarted' }),
      call('StopContainer', { name: 'app', attempt: 0, error: 'NOT_FOUND' }).as('nf'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, 1500, 'nf.end'),
    ),
    seq(action('delete'), call('StopContainer', { name: 'app', attempt: 1, error: 'NOT_FOUND' }).within(0, 1500, 'delete')),
    never(event({ reason: 'FailedKillPod' })),
    never(call('CreateContainer', { name: 'app', attempt: [2, 1000] })),
    exitCode(0, { within: [0, 6000], of: 'delete' }),
  ],
};

export default [graceOverrideBeforePreStop, preStopWholeSeconds, preStopOutlivesGrace, minimumGrace, probeGrace, postStartKillGrace, stopNotFoundIgnored];
