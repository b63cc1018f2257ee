// Issue 8, point 11: an ephemeral container with targetContainerName shares
// the target's pid namespace.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/kuberuntime_container.go startSpec.getTargetID:
//   podStatus.FindContainerStatusByName(targetContainerName).ID (the newest
//   instance), passed to generateContainerConfig as nsTarget.
// - pkg/kubelet/kuberuntime/kuberuntime_container_linux.go
//   generateLinuxContainerConfig => NamespacesForPod
//   (pkg/kubelet/kuberuntime/util/util.go): pid = NamespaceMode_TARGET,
//   target_id = that container ID.
// - kuberuntime_manager.go computePodActions: an ephemeral container with no
//   status is started (once).
import { makePod, type Scenario } from '../runner.js';
import { action, call, exitCode, seq } from '../dsl.js';
import { ctr, IMAGE } from './common.js';

const p = makePod('ephemeral-target', { containers: [ctr('app')] });

export const ephemeralTarget: Scenario = {
  name: '11 ephemeral container with targetContainerName: pid namespace TARGET with the target container ID',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go getTargetID + generateContainerConfig; pkg/kubelet/kuberuntime/util/util.go NamespacesForPod',
  summary: 'CreateContainer debug: linux.securityContext.namespaceOptions {pid: TARGET, targetId: <app container id>}',
  pod: p.pod,
  fake: {
    containers: [
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'debug', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [
    {
      label: 'edit',
      when: call('StartContainer', { name: 'app', error: false }),
      delayMs: 1500,
      do: {
        edit: (pod) => ({
          ...pod,
          spec: { ...pod['spec'], ephemeralContainers: [{ name: 'debug', image: IMAGE, command: ['sh', '-c', 'debug'], targetContainerName: 'app' }] },
        }),
      },
    },
    { label: 'stop', when: call('StartContainer', { name: 'debug', error: false }), delayMs: 1000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: 30_000,
  expect: [
    seq(
      call('CreateContainer', { name: 'app', attempt: 0, error: false }).as('app0'),
      action('edit'),
      call('CreateContainer', {
        name: 'debug',
        where: (c, labels) => {
          const ns = c.request.raw['config']?.['linux']?.['securityContext']?.['namespaceOptions'];
          const appId = labels.get('app0')?.call?.response?.['containerId'];
          return ns?.['pid'] === 'TARGET' && !!appId && ns?.['targetId'] === appId;
        },
        whereDesc: 'namespaceOptions.pid=TARGET, targetId=<id of app0>',
      }).within(0, 5000, 'edit'),
    ),
    exitCode(0),
  ],
};

export default [ephemeralTarget];
