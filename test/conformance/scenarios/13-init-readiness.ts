// Issue 8, point 13: readiness of a regular (non-restartable) init container.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/prober/prober_manager.go UpdatePodStatus: for an init
//   container that is not restartable, `ready` is set true only when it
//   terminated with exit code 0 (and stays false while it runs, and after a
//   failure); restartable ones (sidecars) are ready like regular containers.
//   Every published status passes through it (pkg/kubelet/kubelet_pods.go
//   generateAPIPodStatus).
import { makePod, type Scenario } from '../runner.js';
import { call, cstatus, everyPod, exitCode, exited, finalPod, noPod, podLine, seq, somePod, stateOf } from '../dsl.js';
import { ctr } from './common.js';

const ok = makePod('init-ready', { initContainers: [ctr('init')], containers: [ctr('app')] });
const ready = (l: Record<string, any>, name: string) => cstatus(l, name)?.['ready'];

export const initReadyOnSuccess: Scenario = {
  name: '13a init container: ready false while it runs, true after exit 0',
  pins: 'pkg/kubelet/prober/prober_manager.go UpdatePodStatus (init containers)',
  summary: 'init running => ready false; init terminated 0 => ready true, on every Pod line',
  pod: ok.pod,
  fake: {
    containers: [
      { name: 'init', runMs: 3000, exitCode: 0 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: podLine('app running', (l) => stateOf(l, 'app') === 'running'), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: 30_000,
  expect: [
    seq(call('StartContainer', { name: 'init', error: false }).as('initStart'), exited('init', 0, 0).as('initExit')),
    somePod('init running with ready false', (l) => stateOf(l, 'init') === 'running' && ready(l, 'init') === false),
    everyPod('init not ready while it runs', (l) => ready(l, 'init') !== true, { to: 'initExit' }),
    somePod('init terminated 0 with ready true', (l) => stateOf(l, 'init') === 'terminated:0' && ready(l, 'init') === true),
    noPod('init terminated 0 with ready false', (l) => stateOf(l, 'init') === 'terminated:0' && ready(l, 'init') !== true),
    noPod('init running with ready true', (l) => stateOf(l, 'init') === 'running' && ready(l, 'init') === true),
    exitCode(0),
  ],
};

const failing = makePod('init-ready-failed', { restartPolicy: 'Never', initContainers: [ctr('init')], containers: [ctr('app')] });

export const initNotReadyOnFailure: Scenario = {
  name: '13b init container: ready false while it runs and after it failed',
  pins: 'pkg/kubelet/prober/prober_manager.go UpdatePodStatus (init containers)',
  summary: 'init running => ready false; init terminated 1 => ready false; pod Failed, exit 1',
  pod: failing.pod,
  fake: { containers: [{ name: 'init', runMs: 2000, exitCode: 1 }] },
  deadlineMs: 30_000,
  expect: [
    somePod('init running with ready false', (l) => stateOf(l, 'init') === 'running' && ready(l, 'init') === false),
    noPod('init ready true', (l) => ready(l, 'init') === true),
    finalPod('init terminated 1, ready false, phase Failed', (l) => stateOf(l, 'init') === 'terminated:1' && ready(l, 'init') === false && l['status']?.['phase'] === 'Failed'),
    exitCode(1),
  ],
};

export default [initReadyOnSuccess, initNotReadyOnFailure];
