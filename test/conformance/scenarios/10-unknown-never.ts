// Issue 8, point 10: an UNKNOWN container under restartPolicy Never is killed
// and restarted.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/container/helpers.go ShouldContainerBeRestarted: "Always
//   restart container in the unknown, or in the created state" — checked
//   before the restartPolicy Never rule.
// - pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions: a
//   not-running container that should be restarted and is UNKNOWN is also put
//   in ContainersToKill with message
//   `Container is in "unknown" state, try killing it before restart`
//   (Killing event), then started with restartCount + 1. doBackOff only looks
//   at EXITED instances, so there is no back-off. keepCount/ContainersToStart
//   are non-empty, so no KillPod: the pod keeps running.
import { makePod, type Scenario } from '../runner.js';
import { action, call, event, exitCode, noPod, phaseOf, seq } from '../dsl.js';
import { ctr, fp } from './common.js';

const p = makePod('unknown-never', { restartPolicy: 'Never', containers: [ctr('app')] });

export const unknownUnderNever: Scenario = {
  name: '10 container UNKNOWN under Never: Killing "unknown" state, StopContainer, attempt 1 created, the pod keeps running',
  pins: 'pkg/kubelet/container/helpers.go ShouldContainerBeRestarted; pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (ContainerStateUnknown)',
  summary: 'Killing `Container is in "unknown" state, try killing it before restart`, StopContainer app#0, CreateContainer app#1, no terminal phase before the SIGTERM',
  pod: p.pod,
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  actions: [
    { label: 'unknown', when: call('StartContainer', { name: 'app', attempt: 0, error: false }), delayMs: 2000, do: { unknown: 'app' } },
    // Leave it running a while: it must not end by itself.
    { label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 4000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 40_000,
  expect: [
    seq(
      action('unknown'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container is in "unknown" state, try killing it before restart' }).within(0, 3000, 'unknown'),
      call('StopContainer', { name: 'app', attempt: 0 }).within(0, 3000, 'unknown'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, 4000, 'unknown'),
      call('StartContainer', { name: 'app', attempt: 1, error: false }),
    ),
    noPod('a terminal phase before the SIGTERM', (l) => phaseOf(l) === 'Failed' || phaseOf(l) === 'Succeeded', { to: 'stop' }),
    exitCode(0, { within: [0, 6000], of: 'stop' }),
  ],
};

export default [unknownUnderNever];
