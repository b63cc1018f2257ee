// Issue 13: status and event details that changed in kubelets 1.35–1.36, stop signals,
// and the crash-loop knobs of KubeletConfiguration.
//
// Pins (kubernetes/kubernetes):
// - kubernetes#134660 (1.36): RuntimeHelper.OnPodSandboxReady sets the pod status right
//   after the sandbox is created with its network, so PodReadyToStartContainers turns
//   True before the image pull and the containers (before, only at the end of the sync);
// - the event recorder fills involvedObject.apiVersion (`v1` for a Pod) since 1.35;
// - KEP-4960 (ContainerStopSignals, alpha): lifecycle.stopSignal is sent as
//   ContainerConfig.stop_signal (kuberuntime_container.go generateContainerConfig) and
//   reported as containerStatuses[].stopSignal;
// - KEP-4603 ReduceDefaultCrashLoopBackOffDecay (1 s doubling to 60 s) and KEP-5593
//   crashLoopBackOff.maxContainerRestartPeriod (1–300 s, beta 1.35): pkg/kubelet/kubelet.go
//   picks the curve, the node maximum wins; these scenarios are about those flags, so
//   they shorten the back-off on purpose.
import { makePod, type Scenario } from '../runner.js';
import { call, cstatus, custom, exitCode, exited, never, podLine, seq, somePod, stateOf } from '../dsl.js';
import { ctr } from './common.js';
import { condIs, IMMEDIATE_MS, withStartup } from './helpers.js';

// ------------------------------------------------------------------ s13j

const a = makePod('ready-to-start-early', { containers: [ctr('app', { imagePullPolicy: 'Always' })] });

export const readyToStartAfterSandbox: Scenario = {
  name: 's13j PodReadyToStartContainers is True right after RunPodSandbox, while the image is still being pulled; events carry involvedObject.apiVersion v1',
  pins: 'pkg/kubelet/kubelet.go OnPodSandboxReady (kubernetes#134660, 1.36); pkg/kubelet/status/generate.go GeneratePodReadyToStartContainersCondition; client-go tools/record (involvedObject from the Pod reference)',
  summary: 'PullImage held 4 s: a Pod line with PodReadyToStartContainers True and app waiting ContainerCreating ≤ 1.5 s after RunPodSandbox answered and before PullImage did; every Event has involvedObject.apiVersion v1',
  pod: a.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    faults: [{ method: 'PullImage', delayMs: 4000, times: 1 }],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(12_000),
  expect: [
    seq(
      call('RunPodSandbox', { error: false }).as('sb'),
      podLine('PodReadyToStartContainers True, app waiting ContainerCreating, phase Pending', (p) => condIs(p, 'PodReadyToStartContainers', 'True') && stateOf(p, 'app') === 'waiting:ContainerCreating' && p['status']?.['phase'] === 'Pending')
        .within(0, 1500, 'sb.end')
        .as('ready'),
    ),
    seq(call('PullImage').as('pull')),
    custom('the PodReadyToStartContainers True line came before PullImage was answered', ({ labels }) => {
      const ready = labels.get('ready');
      const pull = labels.get('pull');
      if (!ready || !pull) return 'a label was never reached';
      return ready.t < (pull.tEnd ?? Infinity) ? null : `ready at +${Math.round(ready.t)} ms, PullImage answered at +${Math.round(pull.tEnd ?? 0)} ms`;
    }),
    custom('every Event line has involvedObject.apiVersion v1 (and kind Pod)', ({ timeline }) => {
      const events = timeline.filter((o) => o.stream === 'event');
      if (!events.length) return 'no Event lines';
      const bad = events.find((o) => o.line?.['involvedObject']?.['apiVersion'] !== 'v1' || o.line?.['involvedObject']?.['kind'] !== 'Pod');
      return bad ? `involvedObject ${JSON.stringify(bad.line?.['involvedObject'])}` : null;
    }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13k

const b = makePod('stop-signal', { os: { name: 'linux' }, containers: [ctr('app', { lifecycle: { stopSignal: 'SIGUSR1' } }), ctr('plain')] });

export const stopSignal: Scenario = {
  name: 's13k --feature-gates ContainerStopSignals=true: lifecycle.stopSignal SIGUSR1 is ContainerConfig.stop_signal and containerStatuses[].stopSignal',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go generateContainerConfig + getContainerConfigStopSignal; pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses (StopSignal); KEP-4960 (alpha)',
  summary: 'CreateContainer app with config.stopSignal SIGUSR1, plain with RUNTIME_DEFAULT; app status stopSignal SIGUSR1',
  pod: b.pod,
  args: ['--feature-gates', 'ContainerStopSignals=true'],
  fake: {
    containers: [
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'plain', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'plain', error: false }), delayMs: 2000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(call('CreateContainer', { name: 'app', where: (x) => x.request.raw['config']?.['stopSignal'] === 'SIGUSR1', whereDesc: 'config.stopSignal SIGUSR1' })),
    seq(call('CreateContainer', { name: 'plain', where: (x) => (x.request.raw['config']?.['stopSignal'] ?? 'RUNTIME_DEFAULT') === 'RUNTIME_DEFAULT', whereDesc: 'config.stopSignal RUNTIME_DEFAULT' })),
    somePod('app running with stopSignal SIGUSR1', (p) => stateOf(p, 'app') === 'running' && cstatus(p, 'app')?.['stopSignal'] === 'SIGUSR1'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13l

const c = makePod('reduced-backoff', { containers: [ctr('app')] });
/** Restarts at expiry of a b-second back-off (statelet restarts on the timer, not at the next sync). */
const at = (b: number): [number, number] => [b * 1000 - 50, b * 1000 + IMMEDIATE_MS];

export const reducedCrashLoopCurve: Scenario = {
  name: 's13l ReduceDefaultCrashLoopBackOffDecay with --backoff-max 3: restarts after 0, 1, 2, 3, 3 s (the node maximum over the 1 s / 60 s curve)',
  pins: 'pkg/kubelet/kubelet.go newCrashLoopBackOff (ReduceDefaultCrashLoopBackOffDecay, KubeletCrashLoopBackOffMax: the configured maximum wins); k8s.io/client-go/util/flowcontrol Backoff; KEP-4603, KEP-5593',
  summary: 'attempt 1 ≤ 2.5 s after exit 0; attempts 2..5 at 1, 2, 3, 3 s after the previous exit',
  pod: c.pod,
  args: ['--feature-gates', 'ReduceDefaultCrashLoopBackOffDecay=true', '--backoff-max', '3'],
  fake: { containers: [{ name: 'app', runMs: 200, exitCode: 1 }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 5 }), delayMs: 500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(25_000),
  expect: [
    seq(
      exited('app', 0, 1).as('x0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'x0'),
      exited('app', 1, 1).as('x1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...at(1), 'x1'),
      exited('app', 2, 1).as('x2'),
      call('CreateContainer', { name: 'app', attempt: 3 }).within(...at(2), 'x2'),
      exited('app', 3, 1).as('x3'),
      call('CreateContainer', { name: 'app', attempt: 4 }).within(...at(3), 'x3'),
      exited('app', 4, 1).as('x4'),
      call('CreateContainer', { name: 'app', attempt: 5 }).within(...at(3), 'x4'),
    ),
    somePod('waiting CrashLoopBackOff `back-off 3s …`', (p) => cstatus(p, 'app')?.['state']?.['waiting']?.['message'] === `back-off 3s restarting failed container=app pod=${c.ref}`),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13m

const d = makePod('backoff-max-invalid', { containers: [ctr('app')] });

export const backoffMaxOutOfRange: Scenario = {
  name: 's13m --backoff-max 0.5 is refused as the kubelet refuses maxContainerRestartPeriod below 1 s (exit 2, nothing started)',
  pins: 'pkg/kubelet/apis/config/validation/validation.go ValidateKubeletConfiguration (CrashLoopBackOff.MaxContainerRestartPeriod between 1s and 300s); KEP-5593',
  summary: 'no RunPodSandbox; exit 2',
  pod: d.pod,
  args: ['--backoff-max', '0.5'],
  deadlineMs: withStartup(3_000),
  expect: [never(call('RunPodSandbox')), exitCode(2)],
};

export default [readyToStartAfterSandbox, stopSignal, reducedCrashLoopCurve, backoffMaxOutOfRange];
