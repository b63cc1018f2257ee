// End-to-end: a Deferred in-place resize (KEP-1287) through a real `statelet serve` on the
// embedded runtime. Static pods whose manifests set metadata.uid keep it across an edit, so
// an edit of their resources is a resize, not a new pod. Pins (kubernetes/kubernetes):
// pkg/kubelet/allocation/allocation_manager.go handlePodResourcesResize (canAdmitPod with the
// other pods' allocations; SetPodResizePendingCondition; the ResizeDeferred event) and
// retryPendingResizes (re-judged when a pod is removed); pkg/kubelet/lifecycle/predicate.go
// InsufficientResourceError (`Node didn't have enough resource: cpu, requested: …, used: …,
// capacity: …`); pkg/kubelet/events podResizeMessage.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { cleanupAll, containerStatus, isRunning, manifest, Node, targets, type Line } from '../node/serve-harness.js';

after(cleanupAll);

describe('statelet serve: a Deferred resize (embedded)', () => {
  test('a resize that fits the node but not next to another pod waits (PodResizePending Deferred, ResizeDeferred); removing that pod lets it through', async () => {
    const t = targets()[0]!;
    const node = new Node(t, 'deferred');
    const capacity = cpus().length * 1000;
    const milli = (f: number) => Math.floor(capacity * f);
    const pod = (name: string, cpu: number) =>
      manifest(name, t.image, { uid: `deferred-${name}`, extra: `    resources:\n      requests: { cpu: ${cpu}m, memory: 32Mi }\n      limits: { cpu: ${cpu}m, memory: 32Mi }\n` });
    try {
      node.write('a.yaml', pod('a', milli(0.6)));
      node.write('b.yaml', pod('b', milli(0.1)));
      const agent = node.serve(['--kill-pods-on-exit']);
      await agent.waitFor(() => [...agent.latest().values()].filter(isRunning).length === 2, 'both pods Running', 60_000);
      const b = (l: Line) => l['kind'] === 'Pod' && l['metadata']['uid'] === 'deferred-b';
      const pending = (l: Line) => (l['status']['conditions'] ?? []).find((c: Line) => c['type'] === 'PodResizePending');

      node.write('b.yaml', pod('b', milli(0.6)));
      const held = await agent.waitFor((l) => b(l) && pending(l)?.['reason'] === 'Deferred', 'PodResizePending Deferred');
      const message = `Node didn't have enough resource: cpu, requested: ${milli(0.6)}, used: ${milli(0.6)}, capacity: ${capacity}`;
      assert.equal(pending(held)['message'], message);
      assert.deepEqual(containerStatus(held, 'app')!['allocatedResources'], { cpu: `${milli(0.1)}m`, memory: '32Mi' });
      const deferred = agent.events('ResizeDeferred');
      assert.equal(deferred.length, 1);
      assert.equal(deferred[0]!['type'], 'Warning');
      assert.equal(deferred[0]!['involvedObject']['uid'], 'deferred-b');
      assert.match(deferred[0]!['message'], new RegExp(`^Pod resize Deferred: \\{"containers":\\[\\{"name":"app","resources":\\{"limits":\\{"cpu":"${milli(0.6)}m","memory":"32Mi"\\},"requests":\\{"cpu":"${milli(0.6)}m","memory":"32Mi"\\}\\}\\}\\],"generation":0,"error":"${message}"\\}$`));
      assert.equal(agent.events('ResizeStarted').length, 0);

      // a goes away: the Deferred resize is judged again and made, on the same container.
      const before = containerStatus(held, 'app')!['containerID'];
      node.remove('a.yaml');
      const done = await agent.waitFor((l) => b(l) && !pending(l) && containerStatus(l, 'app')?.['allocatedResources']?.['cpu'] === `${milli(0.6)}m`, 'the resize made', 30_000);
      assert.equal(containerStatus(done, 'app')!['containerID'], before);
      assert.equal(containerStatus(done, 'app')!['restartCount'], 0);
      await agent.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'ResizeCompleted', 'ResizeCompleted');
      assert.equal(agent.events('ResizeStarted').length, 1);

      agent.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr.slice(-2000));
    } finally {
      await node.cleanup();
    }
  });
});
