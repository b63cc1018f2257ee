// Issue 8, point 5: attempt numbers never skip.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer:
//   restartCount = podStatus.FindContainerStatusByName(c).RestartCount + 1
//   (the newest instance's io.kubernetes.container.restartCount annotation),
//   0 for the first; generateContainerConfig puts it in metadata.attempt AND
//   (newContainerAnnotations, pkg/kubelet/kuberuntime/labels.go) in the
//   io.kubernetes.container.restartCount annotation.
// - pruneInitContainersBeforeStart keeps the newest exited init instance, so
//   init containers count on the same way.
import { makePod, type Scenario } from '../runner.js';
import { call, custom, exitCode, never, seq, type CheckContext } from '../dsl.js';
import { ctr } from './common.js';

const RESTART_COUNT = 'io.kubernetes.container.restartCount';

const annotated = (name: string, attempt: number) =>
  call('CreateContainer', {
    name,
    attempt,
    where: (c) => c.request.annotations?.[RESTART_COUNT] === String(attempt),
    whereDesc: `${RESTART_COUNT}=${attempt}`,
  });

function firstAttempts(name: string, n: number) {
  return custom(`the first ${n} CreateContainer calls for ${name} carry attempts 0..${n - 1} in order, each with ${RESTART_COUNT} equal`, (ctx: CheckContext) => {
    const creates = ctx.timeline.filter((o) => o.call?.method === 'CreateContainer' && o.call.request.name === name).slice(0, n);
    const seen = creates.map((o) => `${o.call!.request.attempt}/${o.call!.request.annotations?.[RESTART_COUNT] ?? '-'}`);
    const want = Array.from({ length: n }, (_, i) => `${i}/${i}`);
    return seen.join(',') === want.join(',') ? null : `attempt/restartCount seen: [${seen.join(', ')}], want [${want.join(', ')}]`;
  });
}

const regular = makePod('attempts-regular', { containers: [ctr('app')] });

export const attemptsRegular: Scenario = {
  name: '05a crash loop of a regular container: attempts 0, 1, 2, 3 with matching restartCount',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer (restartCount) + generateContainerConfig; pkg/kubelet/kuberuntime/labels.go newContainerAnnotations',
  summary: 'CreateContainer app attempts 0,1,2,3 in order, annotation io.kubernetes.container.restartCount = attempt',
  pod: regular.pod,
  fake: { containers: [{ name: 'app', runMs: 300, exitCode: 1 }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 3 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 90_000,
  expect: [seq(annotated('app', 0), annotated('app', 1), annotated('app', 2), annotated('app', 3)), firstAttempts('app', 4), exitCode(0)],
};

const init = makePod('attempts-init', { initContainers: [ctr('init')], containers: [ctr('app')] });

export const attemptsInit: Scenario = {
  name: '05b crash loop of an init container: attempts 0, 1, 2 with matching restartCount',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer (restartCount), pruneInitContainersBeforeStart',
  summary: 'CreateContainer init attempts 0,1,2 in order with matching annotation; app never created',
  pod: init.pod,
  fake: { containers: [{ name: 'init', runMs: 300, exitCode: 1 }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'init', attempt: 2 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: 60_000,
  expect: [seq(annotated('init', 0), annotated('init', 1), annotated('init', 2)), firstAttempts('init', 3), never(call('CreateContainer', { name: 'app' })), exitCode(0)],
};

export default [attemptsRegular, attemptsInit];
