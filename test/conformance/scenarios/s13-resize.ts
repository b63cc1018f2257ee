// Issue 13: in-place pod resize (KEP-1287, InPlacePodVerticalScaling, GA in 1.35) by a
// manifest edit, on the scripted runtime (the embedded runtime takes the call and
// reports the values without enforcing them; containerd enforces them in the cgroup).
//
// Pins (kubernetes/kubernetes; pkg/kubelet/kuberuntime/kuberuntime_manager.go
// computePodResizeAction + doPodResizeAction, kuberuntime_container.go
// updateContainerResources, pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses
// (resources, allocatedResources), pkg/apis/core/validation ValidatePodResize;
// keps/sig-node/1287-in-place-update-pod-resources):
// - a cpu/memory change of a running container is applied with UpdateContainerResources,
//   without a restart, unless the container's resizePolicy for a changed resource is
//   RestartContainer: then Killing `Container <c> resize requires restart`, StopContainer
//   and a new instance with the new resources, without a back-off;
// - containerStatuses[].resources / allocatedResources report the new values;
// - any other change to a container (here an ephemeral-storage limit) is not a resize:
//   the edit is refused as invalid and nothing happens.
// statelet resizes static pods; a kubelet reports their resize Infeasible (see README).
import { makePod, type Scenario } from '../runner.js';
import { action, call, cstatus, event, exitCode, never, noPod, seq, somePod, stateOf, type Json } from '../dsl.js';
import { ctr, fp } from './common.js';
import { cond, restartsOf, withStartup } from './helpers.js';

const res = (cpu: string, memory: string) => ({ requests: { cpu, memory }, limits: { cpu, memory } });
const withResources = (pod: Json, r: Json, extra: Json = {}): Json => ({ ...pod, spec: { ...pod['spec'], containers: [{ ...pod['spec']['containers'][0], resources: r, ...extra }] } });
const statusResources = (l: Json, name: string) => JSON.stringify(cstatus(l, name)?.['resources'] ?? null);
const linux = (x: { request: { raw: Json } }, key: 'raw-update' | 'raw-create'): Json | undefined => (key === 'raw-update' ? x.request.raw['linux'] : x.request.raw['config']?.['linux']?.['resources']);

// ------------------------------------------------------------------ s13h

const resizeJson = '{"containers":[{"name":"app","resources":{"limits":{"cpu":"1","memory":"256Mi"},"requests":{"cpu":"1","memory":"256Mi"}}}],"generation":0}';
const a = makePod('resize-in-place', { containers: [ctr('app', { resources: res('500m', '128Mi') })] });

export const resizeInPlace: Scenario = {
  name: 's13h resize: a cpu/memory edit is UpdateContainerResources on the running container, no restart; status reports the new resources; an ephemeral-storage edit is refused',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodResizeAction + doPodResizeAction; kuberuntime_container.go updateContainerResources; pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses; pkg/apis/core/validation ValidatePodResize; KEP-1287 (GA 1.35)',
  summary:
    'edit 500m/128Mi → 1/256Mi: ResizeStarted, UpdateContainerResources app (cpuQuota 100000, cpuShares 1024, memoryLimitInBytes 268435456) ≤ 3.5 s after; never StopContainer/CreateContainer app#1; resources and allocatedResources 1/256Mi, ResizeCompleted; second edit (ephemeral-storage) → Warning InvalidManifest, no call',
  pod: a.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  actions: [
    { label: 'resize', when: call('StartContainer', { name: 'app', error: false }), delayMs: 2000, do: { edit: (pod) => withResources(pod, res('1', '256Mi')) } },
    { label: 'bad', when: action('resize'), delayMs: 5000, do: { edit: (pod) => withResources(pod, { ...res('1', '256Mi'), limits: { cpu: '1', memory: '256Mi', 'ephemeral-storage': '1Gi' } }) } },
    { label: 'stop', when: action('bad'), delayMs: 3000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(20_000),
  expect: [
    seq(
      call('StartContainer', { name: 'app', error: false }),
      action('resize'),
      call('UpdateContainerResources', {
        name: 'app',
        attempt: 0,
        error: false,
        where: (x) => {
          const l = linux(x, 'raw-update');
          return String(l?.['cpuQuota']) === '100000' && String(l?.['cpuPeriod']) === '100000' && String(l?.['cpuShares']) === '1024' && String(l?.['memoryLimitInBytes']) === '268435456';
        },
        whereDesc: 'linux cpuQuota 100000/cpuPeriod 100000, cpuShares 1024, memoryLimitInBytes 268435456',
      }).within(0, 3500, 'resize'),
    ),
    never(call('StopContainer', { name: 'app' }), { to: 'stop' }),
    never(call('CreateContainer', { name: 'app', attempt: 1 })),
    never(call('UpdateContainerResources'), { to: 'resize' }),
    somePod('before the edit: resources 500m/128Mi', (l) => stateOf(l, 'app') === 'running' && statusResources(l, 'app') === JSON.stringify(res('500m', '128Mi'))),
    somePod(
      'after it: app still running (restartCount 0) with resources and allocatedResources 1/256Mi',
      (l) =>
        stateOf(l, 'app') === 'running' &&
        restartsOf(l, 'app') === 0 &&
        statusResources(l, 'app') === JSON.stringify(res('1', '256Mi')) &&
        JSON.stringify(cstatus(l, 'app')?.['allocatedResources']) === JSON.stringify({ cpu: '1', memory: '256Mi' }),
    ),
    // allocation_manager.go handlePodResourcesResize (ResizeStarted once allocated) and SyncPod
    // (ResizeCompleted once allocated == actual): pod events with the pod's resources as JSON.
    seq(
      action('resize'),
      event({ type: 'Normal', reason: 'ResizeStarted', message: `Pod resize started: ${resizeJson}` }).within(0, 3500, 'resize'),
      event({ type: 'Normal', reason: 'ResizeCompleted', message: `Pod resize completed: ${resizeJson}` }),
    ),
    seq(action('bad'), event({ type: 'Warning', reason: 'InvalidManifest', message: /only cpu and memory resources are mutable/ }).within(0, 3000, 'bad')),
    never(call('UpdateContainerResources', { name: 'app' }), { from: 'bad', to: 'stop' }),
    // A kubelet would mark a static pod's resize Infeasible; statelet resizes it.
    noPod('a PodResizePending condition', (l) => !!cond(l, 'PodResizePending')),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13i

const b = makePod('resize-restart', {
  containers: [
    ctr('app', {
      resources: res('500m', '128Mi'),
      resizePolicy: [
        { resourceName: 'cpu', restartPolicy: 'NotRequired' },
        { resourceName: 'memory', restartPolicy: 'RestartContainer' },
      ],
    }),
  ],
});

export const resizeRestartContainer: Scenario = {
  name: 's13i resize with resizePolicy memory RestartContainer: Killing `Container app resize requires restart`, a new instance with the new memory limit, no back-off',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodResizeAction (RestartContainer: ContainersToKill + ContainersToStart); kuberuntime_container.go killContainer; KEP-1287 (GA 1.35)',
  summary: 'edit memory 128Mi → 256Mi: Killing event, StopContainer app#0 (30), CreateContainer app#1 with memoryLimitInBytes 268435456 ≤ 3.5 s after the exit; no UpdateContainerResources, no BackOff; restartCount 1',
  pod: b.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  actions: [
    { label: 'resize', when: call('StartContainer', { name: 'app', attempt: 0, error: false }), delayMs: 2000, do: { edit: (pod) => withResources(pod, res('500m', '256Mi')) } },
    // Timed from the edit (Killing ≤ 3.5 s, the new instance ≤ 3.5 s after the exit), so a missing restart fails fast.
    { label: 'stop', when: action('resize'), delayMs: 9000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(20_000),
  expect: [
    seq(
      action('resize'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app resize requires restart' }).within(0, 3500, 'resize'),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }).as('kill'),
      call('CreateContainer', {
        name: 'app',
        attempt: 1,
        where: (x) => String(linux(x, 'raw-create')?.['memoryLimitInBytes']) === '268435456',
        whereDesc: 'memoryLimitInBytes 268435456',
      }).within(0, 3500, 'kill.end'),
    ),
    never(call('UpdateContainerResources')),
    never(event({ reason: 'BackOff' })),
    somePod('app running again: restartCount 1, memory limit 256Mi in its status', (l) => stateOf(l, 'app') === 'running' && restartsOf(l, 'app') === 1 && cstatus(l, 'app')?.['resources']?.['limits']?.['memory'] === '256Mi'),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s13n

const c = makePod('resize-infeasible', { containers: [ctr('app', { resources: res('500m', '128Mi') })] });

export const resizeInfeasible: Scenario = {
  name: 's13n resize beyond the node: PodResizePending Infeasible, Warning ResizeInfeasible, no UpdateContainerResources; an edit that fits is made',
  pins: 'pkg/kubelet/allocation/allocation_manager.go handlePodResourcesResize (canAdmitPod, SetPodResizePendingCondition, ResizeInfeasible event); pkg/kubelet/kubelet.go canResizePod (`Node didn\'t have enough capacity`); pkg/kubelet/events podResizeMessage; KEP-1287 (GA 1.35)',
  summary:
    'edit cpu to 100000 cores: PodResizePending Infeasible `Node didn\'t have enough capacity: cpu, requested: 100000000, capacity: <host>`, Warning ResizeInfeasible `Pod resize Infeasible: {…,"generation":0,"error":…}`, allocatedResources stay 500m/128Mi, no UpdateContainerResources; a second edit to 1/256Mi is made (ResizeStarted, UpdateContainerResources, the condition gone)',
  pod: c.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  actions: [
    { label: 'huge', when: call('StartContainer', { name: 'app', error: false }), delayMs: 2000, do: { edit: (pod) => withResources(pod, res('100000', '128Mi')) } },
    { label: 'fits', when: action('huge'), delayMs: 4000, do: { edit: (pod) => withResources(pod, res('1', '256Mi')) } },
    { label: 'stop', when: action('fits'), delayMs: 4000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(20_000),
  expect: [
    seq(
      action('huge'),
      event({
        type: 'Warning',
        reason: 'ResizeInfeasible',
        message: /^Pod resize Infeasible: \{"containers":\[\{"name":"app","resources":\{"limits":\{"cpu":"100000","memory":"128Mi"\},"requests":\{"cpu":"100000","memory":"128Mi"\}\}\}\],"generation":0,"error":"Node didn't have enough capacity: cpu, requested: 100000000, capacity: \d+"\}$/,
      }).within(0, 3500, 'huge'),
    ),
    never(call('UpdateContainerResources'), { to: 'fits' }),
    somePod(
      'while held back: PodResizePending Infeasible with the capacity message; allocatedResources still 500m/128Mi',
      (l) =>
        cond(l, 'PodResizePending')?.['reason'] === 'Infeasible' &&
        /^Node didn't have enough capacity: cpu, requested: 100000000, capacity: \d+$/.test(String(cond(l, 'PodResizePending')?.['message'])) &&
        JSON.stringify(cstatus(l, 'app')?.['allocatedResources']) === JSON.stringify({ cpu: '500m', memory: '128Mi' }),
    ),
    seq(
      action('fits'),
      event({ type: 'Normal', reason: 'ResizeStarted', message: /^Pod resize started: / }).within(0, 3500, 'fits'),
      call('UpdateContainerResources', { name: 'app', error: false }).within(0, 3500, 'fits'),
    ),
    somePod('after the edit that fits: no PodResizePending, resources 1/256Mi, restartCount 0', (l) => !cond(l, 'PodResizePending') && restartsOf(l, 'app') === 0 && statusResources(l, 'app') === JSON.stringify(res('1', '256Mi'))),
    exitCode(0),
  ],
};

export default [resizeInPlace, resizeRestartContainer, resizeInfeasible];
