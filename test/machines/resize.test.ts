// In-place resize (KEP-1287) in the container chart, on the simulated runtime: one test
// per decision of resizeDecision (resize, restart, invalid, none), the actor failing and
// its retry a pod-worker period later, and an edit made while postStart ran.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/k8s/types.js';
import { DEFAULT_FEATURE_GATES } from '../../machines/features.js';
import { Harness, podYaml } from './harness.js';

const pod = (extra = '') =>
  podYaml(`  restartPolicy: Always
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: 500m, memory: 128Mi}
      limits: {cpu: 500m, memory: 128Mi}
${extra}`);

const res = (cpu: string, memory: string) => ({ requests: { cpu, memory }, limits: { cpu, memory } });

/** The pod with its container edited. */
function edited(h: Harness, edit: (c: Pod['spec']['containers'][number]) => void): Pod {
  const next = structuredClone(h.pod);
  edit(next.spec.containers[0]!);
  return next;
}

const condition = (h: Harness, type: string) => h.status().conditions?.find((c) => c.type === type);

describe('in-place resize (KEP-1287)', () => {
  test('resize: UpdateContainerResources on the running instance; status reports the new resources; PodResizeInProgress while it runs', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], updateDurationMs: 500 }).start();
    assert.deepEqual(h.status().containerStatuses![0]!.resources, res('500m', '128Mi'));
    const creates = h.callNames().filter((c) => c === 'CreateContainer').length;
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '256Mi'))), at: h.clock.now() });
    const update = h.calls.filter((c) => c.call === 'UpdateContainerResources');
    assert.equal(update.length, 1);
    assert.deepEqual(update[0]!.detail, { name: 'app', cpuLimit: '1', memoryLimit: '256Mi' });
    // While the runtime has not answered: the old values run, the new ones are allocated.
    assert.deepEqual(h.status().containerStatuses![0]!.resources, res('500m', '128Mi'));
    assert.deepEqual(h.status().containerStatuses![0]!.allocatedResources, { cpu: '1', memory: '256Mi' });
    const inProgress = condition(h, 'PodResizeInProgress');
    assert.equal(inProgress?.status, 'True');
    assert.equal(inProgress?.reason, undefined);
    await h.advance(500);
    assert.deepEqual(h.status().containerStatuses![0]!.resources, res('1', '256Mi'));
    assert.equal(condition(h, 'PodResizeInProgress'), undefined);
    assert.equal(condition(h, 'PodResizePending'), undefined);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.status().containerStatuses![0]!.restartCount, 0);
    assert.ok(!h.callNames().includes('StopContainer'));
    assert.equal(h.callNames().filter((c) => c === 'CreateContainer').length, creates);
    assert.ok(!h.eventReasons().includes('Killing'));
  });

  test('restart: resizePolicy RestartContainer for memory kills with "resize requires restart" and starts a new instance at once', async () => {
    const h = await new Harness(
      pod(`    resizePolicy:
    - {resourceName: cpu, restartPolicy: NotRequired}
    - {resourceName: memory, restartPolicy: RestartContainer}
`),
      { images: ['busybox:1.36'] },
    ).start();
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('500m', '256Mi'))), at: h.clock.now() });
    assert.equal(h.events.filter((e) => e.reason === 'Killing').at(-1)?.message, 'Container app resize requires restart');
    assert.ok(!h.callNames().includes('UpdateContainerResources'));
    const creates = h.calls.filter((c) => c.call === 'CreateContainer');
    assert.equal(creates.length, 2);
    assert.equal(creates[1]!.detail!['attempt'], 1);
    assert.equal(h.containerState('app'), 'Running');
    const st = h.status().containerStatuses![0]!;
    assert.equal(st.restartCount, 1);
    assert.deepEqual(st.resources, res('500m', '256Mi'));
    assert.ok(!h.eventReasons().includes('BackOff'));
  });

  test('a cpu-only change under the same policy is in place (RestartContainer is per resource)', async () => {
    const h = await new Harness(pod(`    resizePolicy:
    - {resourceName: memory, restartPolicy: RestartContainer}
`), { images: ['busybox:1.36'] }).start();
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '128Mi'))), at: h.clock.now() });
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 1);
    assert.ok(!h.callNames().includes('StopContainer'));
  });

  test('invalid: another field of a running container is refused with Warning InvalidManifest; the container keeps its spec', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'] }).start();
    const before = h.calls.length;
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = { ...res('1', '256Mi'), limits: { cpu: '1', memory: '256Mi', 'ephemeral-storage': '1Gi' } })), at: h.clock.now() });
    const warn = h.events.filter((e) => e.reason === 'InvalidManifest');
    assert.equal(warn.length, 1);
    assert.equal(warn[0]!.type, 'Warning');
    assert.match(warn[0]!.message, /only cpu and memory resources are mutable/);
    assert.equal(warn[0]!.fieldPath, 'spec.containers{app}');
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.env = [{ name: 'X', value: '1' }])), at: h.clock.now() });
    assert.match(h.events.filter((e) => e.reason === 'InvalidManifest')[1]!.message, /may not change fields other than/);
    assert.equal(h.calls.length, before, 'no CRI call');
    assert.deepEqual(h.containerContext('app').container.resources, res('500m', '128Mi'));
    assert.equal(h.containerContext('app').container.env, undefined);
  });

  test('none: a resizePolicy-only edit is applied without a call', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'] }).start();
    const before = h.calls.length;
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resizePolicy = [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }])), at: h.clock.now() });
    assert.equal(h.calls.length, before);
    assert.equal(h.containerContext('app').container.resizePolicy?.[0]?.restartPolicy, 'RestartContainer');
    assert.ok(!h.eventReasons().includes('InvalidManifest'));
    assert.equal(condition(h, 'PodResizeInProgress'), undefined);
  });

  test('UpdateContainerResources fails: PodResizeInProgress reason Error; retried a pod-worker period later', async () => {
    let failing = true;
    const h = await new Harness(pod(), {
      images: ['busybox:1.36'],
      podWorkerRetryMs: 10_000,
      fail: (call) => (call === 'UpdateContainerResources' && failing ? new Error('rpc error: code = Unknown desc = cgroup write failed') : undefined),
    }).start();
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '256Mi'))), at: h.clock.now() });
    const failed = condition(h, 'PodResizeInProgress');
    assert.equal(failed?.reason, 'Error');
    assert.match(failed?.message ?? '', /cgroup write failed/);
    assert.deepEqual(h.status().containerStatuses![0]!.resources, res('500m', '128Mi'), 'the old values still run');
    await h.advance(9_750);
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 1, 'not before the retry period');
    failing = false;
    await h.advance(250);
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 2);
    assert.equal(condition(h, 'PodResizeInProgress'), undefined);
    assert.deepEqual(h.status().containerStatuses![0]!.resources, res('1', '256Mi'));
    await h.advance(30_000);
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 2, 'no retry once accepted');
  });

  test('an edit back to the running values cancels a failed resize', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], fail: (call) => (call === 'UpdateContainerResources' ? new Error('boom') : undefined) }).start();
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '256Mi'))), at: h.clock.now() });
    assert.equal(condition(h, 'PodResizeInProgress')?.reason, 'Error');
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('500m', '128Mi'))), at: h.clock.now() });
    assert.equal(condition(h, 'PodResizeInProgress'), undefined);
    await h.advance(20_000);
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 1);
  });

  test('an edit while postStart runs is actuated once the container runs', async () => {
    const h = await new Harness(
      pod(`    lifecycle:
      postStart: {exec: {command: ["true"]}}
`),
      { images: ['busybox:1.36'], hookDurationMs: () => 1000 },
    ).start();
    assert.equal(h.containerState('app'), 'PostStartRunning');
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '256Mi'))), at: h.clock.now() });
    assert.ok(!h.callNames().includes('UpdateContainerResources'));
    await h.advance(1000);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 1);
    assert.deepEqual(h.status().containerStatuses![0]!.resources, res('1', '256Mi'));
  });

  test('Infeasible: requests beyond the node are not allocated (PodResizePending), the container keeps its resources; an edit that fits resizes', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], node: { cpuMillis: 2000, memoryBytes: 512 * 1024 * 1024 } }).start();
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '1Gi'))), at: h.clock.now() });
    const pending = condition(h, 'PodResizePending');
    assert.equal(pending?.status, 'True');
    assert.equal(pending?.reason, 'Infeasible');
    assert.equal(pending?.message, `Node didn't have enough capacity: memory, requested: ${1024 ** 3}, capacity: ${512 * 1024 * 1024}`);
    assert.ok(!h.callNames().includes('UpdateContainerResources'));
    assert.deepEqual(h.status().containerStatuses![0]!.allocatedResources, { cpu: '500m', memory: '128Mi' });
    assert.equal(condition(h, 'PodResizeInProgress'), undefined);
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '256Mi'))), at: h.clock.now() });
    assert.equal(condition(h, 'PodResizePending'), undefined);
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 1);
    assert.deepEqual(h.status().containerStatuses![0]!.resources, res('1', '256Mi'));
  });

  test('Deferred: a resize that fits the node but not next to the other pods waits (PodResizePending Deferred); RESIZE.RETRY with room resizes', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], node: { cpuMillis: 2000, memoryBytes: 1024 ** 3 } }).start();
    // Other pods hold 1500m: 1 cpu more does not fit (the predicate checks cpu first).
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '256Mi'))), nodeUsed: { cpuMillis: 1500, memoryBytes: 0 }, at: h.clock.now() });
    const pending = condition(h, 'PodResizePending');
    assert.equal(pending?.reason, 'Deferred');
    assert.equal(pending?.message, "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000");
    // allocation_manager.go: a Warning ResizeDeferred with the desired resources and the reason's message.
    const resizeEvents = () => h.events.filter((e) => e.reason.startsWith('Resize')).map((e) => `${e.type} ${e.reason} ${e.message}`);
    const desired = '{"containers":[{"name":"app","resources":{"limits":{"cpu":"1","memory":"256Mi"},"requests":{"cpu":"1","memory":"256Mi"}}}],"generation":0';
    assert.deepEqual(resizeEvents(), [`Warning ResizeDeferred Pod resize Deferred: ${desired},"error":"Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000"}`]);
    assert.ok(!h.callNames().includes('UpdateContainerResources'));
    assert.deepEqual(h.status().containerStatuses![0]!.allocatedResources, { cpu: '500m', memory: '128Mi' });
    // Still no room: the message follows what the others hold now, nothing is actuated.
    await h.send({ type: 'RESIZE.RETRY', nodeUsed: { cpuMillis: 1200, memoryBytes: 0 }, at: h.clock.now() });
    assert.equal(condition(h, 'PodResizePending')?.message, "Node didn't have enough resource: cpu, requested: 1000, used: 1200, capacity: 2000");
    assert.ok(!h.callNames().includes('UpdateContainerResources'));
    // A pod went away: it fits, the resize is allocated and actuated.
    await h.send({ type: 'RESIZE.RETRY', nodeUsed: { cpuMillis: 500, memoryBytes: 0 }, at: h.clock.now() });
    assert.equal(condition(h, 'PodResizePending'), undefined);
    assert.equal(h.callNames().filter((c) => c === 'UpdateContainerResources').length, 1);
    assert.deepEqual(h.status().containerStatuses![0]!.allocatedResources, { cpu: '1', memory: '256Mi' });
    // The still-deferred retry changed the message (one more ResizeDeferred), then Started and Completed.
    assert.deepEqual(resizeEvents().slice(1).map((e) => e.split(':')[0]), ['Warning ResizeDeferred Pod resize Deferred', 'Normal ResizeStarted Pod resize started', 'Normal ResizeCompleted Pod resize completed']);
    assert.equal(resizeEvents().at(-1), `Normal ResizeCompleted Pod resize completed: ${desired}}`);
    // A retry with nothing deferred changes nothing.
    await h.send({ type: 'RESIZE.RETRY', nodeUsed: { cpuMillis: 1900, memoryBytes: 0 }, at: h.clock.now() });
    assert.equal(condition(h, 'PodResizePending'), undefined);
  });

  test('Deferred is judged after Infeasible: beyond the node itself is Infeasible whatever the others hold', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], node: { cpuMillis: 2000, memoryBytes: 1024 ** 3 } }).start();
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('500m', '2Gi'))), nodeUsed: { cpuMillis: 1900, memoryBytes: 0 }, at: h.clock.now() });
    assert.equal(condition(h, 'PodResizePending')?.reason, 'Infeasible');
    // Memory short next to the others (cpu fits): Deferred on memory.
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('500m', '512Mi'))), nodeUsed: { cpuMillis: 0, memoryBytes: 768 * 1024 * 1024 }, at: h.clock.now() });
    assert.equal(condition(h, 'PodResizePending')?.message, `Node didn't have enough resource: memory, requested: ${512 * 1024 * 1024}, used: ${768 * 1024 * 1024}, capacity: ${1024 ** 3}`);
  });

  test('observedGeneration: the conditions carry the metadata.generation of the edit', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], node: { cpuMillis: 1000, memoryBytes: 1024 ** 3 }, updateDurationMs: 500 }).start();
    const tooMuch = edited(h, (c) => (c.resources = res('2', '128Mi')));
    tooMuch.metadata.generation = 2;
    await h.send({ type: 'UPDATE', pod: tooMuch, at: h.clock.now() });
    assert.equal(condition(h, 'PodResizePending')?.observedGeneration, 2);
    assert.match(condition(h, 'PodResizePending')?.message ?? '', /^Node didn't have enough capacity: cpu, requested: 2000, capacity: 1000$/);
    const fits = edited(h, (c) => (c.resources = res('1', '128Mi')));
    fits.metadata.generation = 3;
    await h.send({ type: 'UPDATE', pod: fits, at: h.clock.now() });
    assert.equal(condition(h, 'PodResizeInProgress')?.observedGeneration, 3);
  });

  test('InPlacePodVerticalScaling off: resources are immutable (refused), and the status has no resources fields', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], config: { featureGates: { ...DEFAULT_FEATURE_GATES, InPlacePodVerticalScaling: false } } }).start();
    await h.send({ type: 'UPDATE', pod: edited(h, (c) => (c.resources = res('1', '256Mi'))), at: h.clock.now() });
    assert.ok(!h.callNames().includes('UpdateContainerResources'));
    assert.equal(h.events.filter((e) => e.reason === 'InvalidManifest').length, 1);
    const st = h.status().containerStatuses![0]!;
    assert.equal(st.resources, undefined);
    assert.equal(st.allocatedResources, undefined);
  });
});
