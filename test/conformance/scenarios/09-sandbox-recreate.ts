// Issue 8, point 9: sandbox re-creation purges the init containers.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/util/util.go PodSandboxChanged: the newest
//   sandbox is not READY => create a new one with attempt = old attempt + 1.
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions
//   (createPodSandbox => KillPod, start init[0] only) and SyncPod: Normal
//   SandboxChanged `Pod sandbox changed, it will be killed and re-created.`,
//   killPodWithSyncResult (StopContainer of the running app, StopPodSandbox),
//   then purgeInitContainers (RemoveContainer of every init instance), then
//   createPodSandbox (RunPodSandbox attempt 1).
// - kuberuntime_container.go startContainer: restartCount from the snapshot
//   taken before the purge, so init gets attempt 1 and app its previous + 1.
import { makePod, type Scenario } from '../runner.js';
import { action, call, custom, event, exitCode, never, seq } from '../dsl.js';
import { ctr } from './common.js';

const p = makePod('sandbox-recreate', { initContainers: [ctr('init')], containers: [ctr('app')] });

export const sandboxRecreate: Scenario = {
  name: '09 sandbox NOTREADY: SandboxChanged, app killed, sandbox stopped, init instances removed, new sandbox attempt 1, init attempt 1, app attempt 1',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions + SyncPod; kuberuntime_container.go purgeInitContainers; pkg/kubelet/kuberuntime/util/util.go PodSandboxChanged',
  summary: 'SandboxChanged, StopContainer app, StopPodSandbox, RemoveContainer init, RunPodSandbox attempt 1, CreateContainer init#1, app#1 (never app#2)',
  pod: p.pod,
  fake: {
    containers: [
      { name: 'init', runMs: 300, exitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [
    { label: 'notready', when: call('StartContainer', { name: 'app', attempt: 0, error: false }), delayMs: 2000, do: { sandboxNotReady: true } },
    { label: 'stop', when: call('StartContainer', { name: 'app', attempt: [1, 100], error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 40_000,
  expect: [
    seq(action('notready'), event({ type: 'Normal', reason: 'SandboxChanged', fieldPath: null, message: 'Pod sandbox changed, it will be killed and re-created.' }).within(0, 3000, 'notready')),
    seq(
      action('notready'),
      call('StopContainer', { name: 'app', attempt: 0 }).within(0, 3000, 'notready'),
      call('StopPodSandbox', { sandboxAttempt: 0 }),
      call('RemoveContainer', { name: 'init', attempt: 0 }),
      call('RunPodSandbox', { sandboxAttempt: 1, error: false }).as('rps1'),
      call('CreateContainer', { name: 'init', attempt: 1 }),
      call('CreateContainer', { name: 'app', attempt: 1 }),
    ),
    custom('every init instance created before the re-creation was removed before RunPodSandbox attempt 1', ({ timeline, labels }) => {
      const rps1 = labels.get('rps1');
      if (!rps1) return 'no RunPodSandbox attempt 1';
      const inits = timeline.filter((o) => o.call?.method === 'CreateContainer' && o.call.request.name === 'init' && o.t < rps1.t && o.call.response?.['containerId']);
      const removed = new Set(timeline.filter((o) => o.call?.method === 'RemoveContainer' && o.t < rps1.t).map((o) => o.call!.request.containerId));
      const left = inits.filter((o) => !removed.has(String(o.call!.response!['containerId'])));
      return left.length ? `not removed: ${left.map((o) => `init#${o.call!.request.attempt} ${String(o.call!.response!['containerId']).slice(0, 8)}`).join(', ')}` : null;
    }),
    never(call('CreateContainer', { name: 'app', attempt: [2, 1000] })),
    exitCode(0),
  ],
};

export default [sandboxRecreate];
