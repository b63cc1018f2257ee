// Issue 13: per-container restart policy and exit-code rules (KEP-5307,
// ContainerRestartRules, beta and on by default since 1.35), with the kubelet's real
// timings (first restart at once, then the 10 s back-off).
//
// Pins (kubernetes/kubernetes; pkg/api/v1/pod/util.go ContainerShouldRestart and
// findMatchingContainerRestartRule, pkg/kubelet/container/helpers.go
// ShouldContainerBeRestarted, pkg/kubelet/kuberuntime/kuberuntime_manager.go
// computePodActions + doBackOff, pkg/kubelet/kubelet_pods.go getPhase; KEP-5307 as of 1.36):
// - a regular container's own restartPolicy overrides the pod's; its rules are read in
//   order on every exit and the first match decides (action Restart restarts), otherwise
//   the container's policy decides;
// - a restart from a rule backs off exactly like any other restart;
// - the phase follows which containers will still restart: a pod whose every container
//   stopped for good ends Failed (or Succeeded), whatever the pod's restartPolicy.
import { makePod, type Scenario } from '../runner.js';
import { call, event, exitCode, exited, finalPod, never, seq, somePod, stateOf } from '../dsl.js';
import { ctr, fp } from './common.js';
import { backoffWindow, IMMEDIATE_MS, lastTerminatedOf, restartsOf, withStartup } from './helpers.js';

const rule = (action: string, operator: 'In' | 'NotIn', values: number[]) => ({ action, exitCodes: { operator, values } });

// ------------------------------------------------------------------ s13a

const a = makePod('rules-pod-always', {
  restartPolicy: 'Always',
  containers: [ctr('app', { restartPolicy: 'Never', restartPolicyRules: [rule('Restart', 'In', [42])] })],
});

export const rulesUnderAlways: Scenario = {
  name: 's13a pod Always, container Never + Restart on 42: exit 42 restarts (at once, then after the 10 s back-off), exit 3 is final and the pod fails',
  pins: 'pkg/api/v1/pod/util.go ContainerShouldRestart; pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions + doBackOff; pkg/kubelet/kubelet_pods.go getPhase; KEP-5307 (1.35 beta)',
  summary: 'attempts 1 (≤ 2.5 s) and 2 (10 s back-off, BackOff event) after the exits 42; no attempt 3 after exit 3; final Failed with app terminated 3, restartCount 2; exit 1',
  pod: a.pod,
  fake: {
    containers: [
      { name: 'app', attempt: 0, runMs: 300, exitCode: 42 },
      { name: 'app', attempt: 1, runMs: 300, exitCode: 42 },
      { name: 'app', attempt: 2, runMs: 300, exitCode: 3 },
    ],
  },
  deadlineMs: withStartup(35_000),
  expect: [
    seq(
      exited('app', 0, 42).as('x0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'x0'),
      exited('app', 1, 42).as('x1'),
      event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: `Back-off restarting failed container app in pod ${a.ref}` }).within(0, 3000, 'x1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...backoffWindow(10), 'x1'),
      exited('app', 2, 3).as('x2'),
    ),
    never(call('CreateContainer', { name: 'app', attempt: 3 })),
    finalPod('phase Failed, app terminated 3, restartCount 2', (p) => p['status']?.['phase'] === 'Failed' && stateOf(p, 'app') === 'terminated:3' && restartsOf(p, 'app') === 2),
    exitCode(1),
  ],
};

// ------------------------------------------------------------------ s13b

const b = makePod('rules-pod-onfailure', {
  restartPolicy: 'OnFailure',
  containers: [ctr('app', { restartPolicy: 'Never', restartPolicyRules: [rule('Restart', 'NotIn', [0, 2])] })],
});

export const rulesUnderOnFailure: Scenario = {
  name: 's13b pod OnFailure, container Never + Restart NotIn [0, 2]: exit 1 restarts, exit 2 (no rule matches) is final under the container\'s Never',
  pins: 'pkg/api/v1/pod/util.go findMatchingContainerRestartRule (NotIn) + ContainerShouldRestart (fallback to the container policy); pkg/kubelet/kubelet_pods.go getPhase; KEP-5307 (1.35 beta)',
  summary: 'attempt 1 ≤ 2.5 s after exit 1; nothing after exit 2 although the pod says OnFailure; final Failed, app terminated 2; exit 1',
  pod: b.pod,
  fake: {
    containers: [
      { name: 'app', attempt: 0, runMs: 300, exitCode: 1 },
      { name: 'app', attempt: 1, runMs: 300, exitCode: 2 },
    ],
  },
  deadlineMs: withStartup(15_000),
  expect: [
    seq(exited('app', 0, 1).as('x0'), call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'x0'), exited('app', 1, 2)),
    never(call('CreateContainer', { name: 'app', attempt: 2 })),
    finalPod('phase Failed, app terminated 2 (lastState terminated 1)', (p) => p['status']?.['phase'] === 'Failed' && stateOf(p, 'app') === 'terminated:2' && lastTerminatedOf(p, 'app')?.['exitCode'] === 1),
    exitCode(1),
  ],
};

// ------------------------------------------------------------------ s13c

const c = makePod('rules-pod-never', {
  restartPolicy: 'Never',
  containers: [ctr('worker', { restartPolicy: 'Never', restartPolicyRules: [rule('Restart', 'In', [42])] }), ctr('helper')],
});

export const rulesUnderNever: Scenario = {
  name: 's13c pod Never: a worker\'s Restart-on-42 rule restarts it in place; its exit 0 and the helper\'s are final; the pod succeeds',
  pins: 'pkg/api/v1/pod/util.go ContainerShouldRestart; pkg/kubelet/container/helpers.go ShouldContainerBeRestarted; pkg/kubelet/kubelet_pods.go getPhase; KEP-5307 (1.35 beta)',
  summary: 'worker attempt 1 ≤ 2.5 s after exit 42; no worker attempt 2 after exit 0; helper (no container policy) never restarted; final Succeeded; exit 0',
  pod: c.pod,
  fake: {
    containers: [
      { name: 'worker', attempt: 0, runMs: 300, exitCode: 42 },
      { name: 'worker', attempt: 1, runMs: 1500, exitCode: 0 },
      { name: 'helper', runMs: 200, exitCode: 0 },
    ],
  },
  deadlineMs: withStartup(15_000),
  expect: [
    seq(exited('worker', 0, 42).as('x0'), call('CreateContainer', { name: 'worker', attempt: 1 }).within(0, IMMEDIATE_MS, 'x0'), exited('worker', 1, 0)),
    never(call('CreateContainer', { name: 'worker', attempt: 2 })),
    never(call('CreateContainer', { name: 'helper', attempt: 1 })),
    somePod('worker running again while the helper stays terminated 0, phase Running', (p) => stateOf(p, 'worker') === 'running' && restartsOf(p, 'worker') === 1 && stateOf(p, 'helper') === 'terminated:0' && p['status']?.['phase'] === 'Running'),
    finalPod('phase Succeeded, worker and helper terminated 0', (p) => p['status']?.['phase'] === 'Succeeded' && stateOf(p, 'worker') === 'terminated:0' && stateOf(p, 'helper') === 'terminated:0'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13d

const d = makePod('container-policy-overrides', {
  restartPolicy: 'Always',
  containers: [ctr('once', { restartPolicy: 'OnFailure' }), ctr('never', { restartPolicy: 'Never' }), ctr('app')],
});

export const containerPolicyOverridesPod: Scenario = {
  name: 's13d pod Always: a container with its own OnFailure is not restarted after exit 0, one with Never not after exit 1; the pod keeps running',
  pins: 'pkg/api/v1/pod/util.go ContainerShouldRestart (container restartPolicy over the pod\'s); pkg/kubelet/kubelet_pods.go getPhase (a running container keeps the pod Running); KEP-5307 (1.35 beta)',
  summary: 'no CreateContainer once/never attempt 1 within 5 s of their exits; once terminated 0 Completed, never terminated 1 Error, app running, phase Running; SIGTERM → exit 0',
  pod: d.pod,
  fake: {
    containers: [
      { name: 'once', runMs: 300, exitCode: 0 },
      { name: 'never', runMs: 300, exitCode: 1 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: exited('never', 0, 1), delayMs: 5000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(12_000),
  expect: [
    never(call('CreateContainer', { name: 'once', attempt: 1 })),
    never(call('CreateContainer', { name: 'never', attempt: 1 })),
    never(call('CreateContainer', { name: 'app', attempt: 1 })),
    somePod(
      'once terminated 0 (Completed), never terminated 1 (Error), app running, phase Running',
      (p) =>
        stateOf(p, 'once') === 'terminated:0' &&
        stateOf(p, 'never') === 'terminated:1' &&
        stateOf(p, 'app') === 'running' &&
        p['status']?.['phase'] === 'Running',
    ),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13e

const e = makePod('container-always-in-never-pod', {
  restartPolicy: 'Never',
  containers: [ctr('always', { restartPolicy: 'Always' }), ctr('app')],
});

export const containerAlwaysInNeverPod: Scenario = {
  name: 's13e pod Never, container Always: its exit 0 restarts it (at once, then after the 10 s back-off) while the pod runs on',
  pins: 'pkg/api/v1/pod/util.go ContainerShouldRestart; pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff; KEP-5307 (1.35 beta)',
  summary: 'always attempt 1 ≤ 2.5 s after exit 0, BackOff, attempt 2 after 10 s; app untouched; phase Running; SIGTERM → exit 0',
  pod: e.pod,
  fake: {
    containers: [
      { name: 'always', runMs: 300, exitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'always', attempt: 2 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(30_000),
  expect: [
    seq(
      exited('always', 0, 0).as('x0'),
      call('CreateContainer', { name: 'always', attempt: 1 }).within(0, IMMEDIATE_MS, 'x0'),
      exited('always', 1, 0).as('x1'),
      event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('always'), message: `Back-off restarting failed container always in pod ${e.ref}` }).within(0, 3000, 'x1'),
      call('CreateContainer', { name: 'always', attempt: 2 }).within(...backoffWindow(10), 'x1'),
    ),
    never(call('CreateContainer', { name: 'app', attempt: 1 })),
    somePod('always waiting CrashLoopBackOff, app running, phase Running', (p) => stateOf(p, 'always') === 'waiting:CrashLoopBackOff' && stateOf(p, 'app') === 'running' && p['status']?.['phase'] === 'Running'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13f

const f = makePod('rules-gate-off', { containers: [ctr('app', { restartPolicy: 'Never' })] });

export const rulesGateOff: Scenario = {
  name: 's13f --feature-gates ContainerRestartRules=false: a container restartPolicy is refused as in 1.34 (exit 2, nothing started)',
  pins: 'pkg/apis/core/validation/validation.go validateContainers (restartPolicy "may not be set for non-init containers" without the gate); KEP-5307',
  summary: 'no RunPodSandbox; exit 2',
  pod: f.pod,
  args: ['--feature-gates', 'ContainerRestartRules=false'],
  deadlineMs: withStartup(3_000),
  expect: [never(call('RunPodSandbox')), exitCode(2)],
};

export default [rulesUnderAlways, rulesUnderOnFailure, rulesUnderNever, containerPolicyOverridesPod, containerAlwaysInNeverPod, rulesGateOff];
