// In-place pod resize (KEP-1287, GA 1.35): the per-container decision
// (computePodResizeAction), the PodResizePending / PodResizeInProgress conditions, the
// resources a ContainerStatus reports (toKubeContainerStatus, convertContainerStatusResources),
// and UpdateContainerResources through the actor against the embedded runtime, which takes
// and reports the values without enforcing them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, toPromise } from 'xstate';
import {
  changedResources,
  podResizeInProgressCondition,
  podResizePendingCondition,
  resizeDecision,
  resizeInfeasibleMessage,
} from '../../machines/resize.js';
import { createRuntimeActors } from '../../src/actors/index.js';
import type { Container, Pod, PodStatus } from '../../src/k8s/types.js';
import {
  bytesBinaryString,
  containerStatusResources,
  generateLinuxContainerResources,
  milliCPUString,
  quotaToMilliCPU,
  runtimeResourceValues,
  sharesToMilliCPU,
} from '../../src/kuberuntime/resources.js';
import { hostNodeInfo } from '../../src/kuberuntime/node.js';
import { CriNotFoundError } from '../../src/cri/errors.js';
import { useEmbeddedRuntime } from '../helpers/embedded.js';
import { RuntimeManager } from '../../src/manager.js';

const res = (cpu: string, memory: string): Container['resources'] => ({ requests: { cpu, memory }, limits: { cpu, memory } });
const app = (over: Partial<Container> = {}): Container => ({ name: 'app', image: 'busybox:1.36', command: ['sleep', '60'], resources: res('500m', '128Mi'), ...over });

describe('resizeDecision (computePodResizeAction)', () => {
  test('a cpu or memory change is an in-place resize by default (resizePolicy NotRequired)', () => {
    assert.equal(resizeDecision(app(), app({ resources: res('1', '128Mi') })), 'resize');
    assert.equal(resizeDecision(app(), app({ resources: res('500m', '256Mi') })), 'resize');
    assert.equal(resizeDecision(app(), app({ resizePolicy: [{ resourceName: 'memory', restartPolicy: 'NotRequired' }], resources: res('500m', '256Mi') })), 'resize');
  });
  test('RestartContainer for a changed resource restarts; for an unchanged one it does not', () => {
    const policy: Container['resizePolicy'] = [
      { resourceName: 'cpu', restartPolicy: 'NotRequired' },
      { resourceName: 'memory', restartPolicy: 'RestartContainer' },
    ];
    assert.equal(resizeDecision(app({ resizePolicy: policy }), app({ resizePolicy: policy, resources: res('500m', '256Mi') })), 'restart');
    assert.equal(resizeDecision(app({ resizePolicy: policy }), app({ resizePolicy: policy, resources: res('1', '128Mi') })), 'resize');
    // Both change, the policies differ: RestartContainer wins.
    assert.equal(resizeDecision(app({ resizePolicy: policy }), app({ resizePolicy: policy, resources: res('1', '256Mi') })), 'restart');
  });
  test('equal quantities written differently, or resizePolicy alone, change nothing', () => {
    assert.equal(resizeDecision(app(), app({ resources: res('0.5', '134217728') })), 'none');
    assert.equal(resizeDecision(app(), app({ resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'RestartContainer' }] })), 'none');
    assert.equal(resizeDecision(app(), app({ image: 'busybox:1.37' })), 'none');
  });
  test('another field or another resource is invalid', () => {
    assert.equal(resizeDecision(app(), app({ command: ['sleep', '61'], resources: res('1', '128Mi') })), 'invalid');
    assert.equal(resizeDecision(app(), app({ resources: { ...res('500m', '128Mi'), limits: { cpu: '500m', memory: '128Mi', 'ephemeral-storage': '1Gi' } } })), 'invalid');
    assert.equal(resizeDecision(app(), { ...app(), name: 'other' }), 'invalid');
    assert.deepEqual(changedResources(app(), app({ resources: { requests: { cpu: '250m' } } })), { changed: ['cpu', 'memory'], other: false });
  });
});

describe('resize conditions', () => {
  test('PodResizePending: True, Deferred or Infeasible with a message and observedGeneration', () => {
    assert.deepEqual(podResizePendingCondition('Infeasible', 'Node didn\'t have enough capacity: cpu, requested: 8000, capacity: 4000', { observedGeneration: 3 }), {
      type: 'PodResizePending',
      status: 'True',
      reason: 'Infeasible',
      message: "Node didn't have enough capacity: cpu, requested: 8000, capacity: 4000",
      observedGeneration: 3,
    });
    assert.equal(podResizePendingCondition('Deferred', 'later').reason, 'Deferred');
  });
  test('PodResizeInProgress: no reason while all goes well, Error with the message when actuating failed', () => {
    assert.deepEqual(podResizeInProgressCondition({ observedGeneration: 2 }), { type: 'PodResizeInProgress', status: 'True', observedGeneration: 2 });
    assert.deepEqual(podResizeInProgressCondition({ error: 'rpc error: code = Unknown desc = boom' }), {
      type: 'PodResizeInProgress',
      status: 'True',
      reason: 'Error',
      message: 'rpc error: code = Unknown desc = boom',
    });
  });
  test('a resize beyond the node is Infeasible with the allocation manager\'s message (memory first)', () => {
    const pod: Pick<Pod, 'spec'> = {
      spec: {
        initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '1' } } }],
        containers: [app({ resources: res('3', '1Gi') })],
      },
    };
    const node = { cpuMillis: 4000, memoryBytes: 2 * 1024 ** 3 };
    assert.equal(resizeInfeasibleMessage(pod, node), undefined);
    assert.equal(resizeInfeasibleMessage(pod, { ...node, cpuMillis: 3500 }), "Node didn't have enough capacity: cpu, requested: 4000, capacity: 3500");
    assert.equal(resizeInfeasibleMessage(pod, { cpuMillis: 1000, memoryBytes: 1000 }), `Node didn't have enough capacity: memory, requested: ${1024 ** 3}, capacity: 1000`);
  });
});

describe('containerStatuses[].resources from the runtime (toKubeContainerStatus)', () => {
  test('quota/period, shares and the memory limit read back as quantities', () => {
    assert.equal(quotaToMilliCPU(50_000, 100_000), 500);
    assert.equal(quotaToMilliCPU(-1, 100_000), -1);
    assert.equal(sharesToMilliCPU(512), 500);
    assert.equal(sharesToMilliCPU(2), 0);
    assert.equal(milliCPUString(1500), '1500m');
    assert.equal(milliCPUString(2000), '2');
    assert.equal(bytesBinaryString(256 * 1024 * 1024), '256Mi');
    assert.equal(bytesBinaryString(1000), '1000');
    assert.deepEqual(runtimeResourceValues({ cpuPeriod: '100000', cpuQuota: '100000', cpuShares: '1024', memoryLimitInBytes: '268435456' }), {
      cpuLimit: '1',
      cpuRequest: '1',
      memoryLimit: '256Mi',
    });
  });
  test('the runtime\'s values over the allocated ones; what it does not report stays as allocated', () => {
    const allocated = { requests: { cpu: '500m', memory: '128Mi', 'ephemeral-storage': '1Gi' }, limits: { cpu: '500m', memory: '128Mi' } };
    assert.deepEqual(containerStatusResources(allocated, { cpuPeriod: '100000', cpuQuota: '100000', cpuShares: '1024', memoryLimitInBytes: '268435456' }), {
      requests: { cpu: '1', memory: '128Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '1', memory: '256Mi' },
    });
    assert.deepEqual(containerStatusResources(allocated, null), allocated);
    assert.equal(containerStatusResources(undefined, null), undefined);
  });
});

describe('updateContainerResources actor on the embedded runtime (accepted and reported, not enforced)', () => {
  const env = useEmbeddedRuntime('statelet-resize-actor-');

  test('CreateContainer\'s resources, then the resized ones, in ContainerStatus.resources', async () => {
    const actors = createRuntimeActors({ client: env.client, podLogsDir: env.logs });
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'resize', namespace: 'default', uid: 'resize-1' }, spec: { containers: [app()] } };
    const sandbox = await toPromise(createActor(actors.runPodSandbox, { input: { pod, attempt: 0 } }).start());
    const { containerId } = await toPromise(createActor(actors.createContainer, { input: { pod, container: pod.spec.containers[0]!, fieldPath: 'spec.containers{app}', sandbox, restartCount: 0 } }).start());
    await env.client.startContainer({ containerId });
    const created = (await env.client.containerStatus({ containerId })).status!;
    assert.deepEqual(runtimeResourceValues(created.resources?.linux), { cpuLimit: '500m', cpuRequest: '500m', memoryLimit: '128Mi' });

    const resized = { ...pod.spec.containers[0]!, resources: res('1', '256Mi') };
    const out = await toPromise(createActor(actors.updateContainerResources, { input: { containerId, pod: { ...pod, spec: { containers: [resized] } }, container: resized } }).start());
    assert.deepEqual(out.resources, generateLinuxContainerResources(pod, resized, hostNodeInfo()));
    const now = (await env.client.containerStatus({ containerId })).status!;
    assert.equal(now.state, 'CONTAINER_RUNNING', 'no restart');
    assert.equal(now.id, containerId);
    assert.deepEqual(runtimeResourceValues(now.resources?.linux), { cpuLimit: '1', cpuRequest: '1', memoryLimit: '256Mi' });
    assert.deepEqual(containerStatusResources(resized.resources, now.resources?.linux), { requests: { cpu: '1', memory: '256Mi' }, limits: { cpu: '1', memory: '256Mi' } });

    // Given resources are sent as they are; only their non-zero fields replace the container's.
    await toPromise(createActor(actors.updateContainerResources, { input: { containerId, resources: { memoryLimitInBytes: 64 * 1024 * 1024 } } }).start());
    assert.deepEqual(runtimeResourceValues((await env.client.containerStatus({ containerId })).status!.resources?.linux), { cpuLimit: '1', cpuRequest: '1', memoryLimit: '64Mi' });

    // An unknown container: NotFound, as containerd.
    await assert.rejects(toPromise(createActor(actors.updateContainerResources, { input: { containerId: 'nope', resources: {} } }).start()), (e: unknown) => e instanceof CriNotFoundError);
    await env.client.stopContainer({ containerId, timeout: 0 });
  });
});

describe('Deferred resizes across pods (RuntimeManager on the embedded runtime)', () => {
  const env = useEmbeddedRuntime('statelet-resize-deferred-');

  test('a resize that fits the node but not next to another pod waits (Deferred), and is made once that pod is gone', async () => {
    const node = hostNodeInfo();
    const m = new RuntimeManager({ endpoint: env.rt.endpoint, podLogsDir: env.logs, relistPeriodMs: 200 });
    try {
      m.start();
      // A holds 60 % of the node's cpu; B asks for 50 % more than its 10 %: fits the node alone, not next to A.
      const milli = (f: number): string => `${Math.floor(node.cpuMillis * f)}m`;
      const mk = (name: string, cpu: string): Pod => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', uid: `deferred-${name}` },
        spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [app({ resources: res(cpu, '32Mi'), imagePullPolicy: 'IfNotPresent' })] },
      });
      const statuses = new Map<string, PodStatus>();
      m.status$.subscribe(({ pod, status }) => statuses.set(pod.metadata.name, status));
      const until = async (what: string, f: () => boolean, ms = 15_000): Promise<void> => {
        const t0 = Date.now();
        while (!f()) {
          if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(statuses.get('b')?.conditions)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const running = (n: string) => statuses.get(n)?.containerStatuses?.[0]?.state.running !== undefined;
      const a = mk('a', milli(0.6));
      const b = mk('b', milli(0.1));
      m.addPod(a);
      m.addPod(b);
      await until('both running', () => running('a') && running('b'));
      const pending = () => statuses.get('b')?.conditions?.find((c) => c.type === 'PodResizePending');
      m.updatePod(mk('b', milli(0.6)));
      await until('PodResizePending Deferred', () => pending()?.reason === 'Deferred');
      assert.match(pending()!.message!, new RegExp(`^Node didn't have enough resource: cpu, requested: ${Math.floor(node.cpuMillis * 0.6)}, used: ${Math.floor(node.cpuMillis * 0.6)}, capacity: ${node.cpuMillis}$`));
      assert.deepEqual(statuses.get('b')!.containerStatuses![0]!.allocatedResources, { cpu: milli(0.1), memory: '32Mi' });
      await m.deletePod(a.metadata.uid!);
      await until('the resize made', () => !pending() && statuses.get('b')!.containerStatuses![0]!.allocatedResources?.['cpu'] === milli(0.6));
      assert.equal(statuses.get('b')!.containerStatuses![0]!.restartCount, 0);
      await m.deletePod(b.metadata.uid!);
    } finally {
      await m.close();
    }
  });
});
