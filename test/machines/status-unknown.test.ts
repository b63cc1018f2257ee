// convertToAPIContainerStatuses (kubelet_pods.go): a container the runtime reports UNKNOWN
// while its last status said running is shown terminated ContainerStatusUnknown (137)
// with restartCount + 1 while computePodActions' kill runs; then it restarts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, podYaml } from './harness.js';

const pod = (policy = 'Always') =>
  podYaml(`  restartPolicy: ${policy}
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "3600"]
`);

describe('UNKNOWN after running', () => {
  test('terminated ContainerStatusUnknown 137, restartCount 1, phase Running during the kill; running again with restartCount 1', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], stopDurationMs: () => 2000 }).start();
    const inst = [...h.instances.values()].find((i) => i.name === 'app')!;
    await h.send({ type: 'RUNTIME.CONTAINER', name: 'app', status: { id: inst.id, state: 'unknown' }, at: h.clock.now() });
    assert.equal(h.events.at(-1)?.message, 'Container is in "unknown" state, try killing it before restart');
    const during = h.status();
    const st = during.containerStatuses![0]!;
    assert.deepEqual(st.state, { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } });
    assert.equal(st.restartCount, 1);
    assert.equal(st.ready, false);
    assert.equal(st.started, false);
    assert.equal(during.phase, 'Running');
    await h.advance(2000);
    const after = h.status().containerStatuses![0]!;
    assert.ok(after.state.running, JSON.stringify(after.state));
    assert.equal(after.restartCount, 1);
    assert.equal(h.calls.filter((c) => c.call === 'CreateContainer').at(-1)!.detail!['attempt'], 1);
  });

  test('under Never the pod stays Running meanwhile: the UNKNOWN instance is restarted whatever the policy', async () => {
    const h = await new Harness(pod('Never'), { images: ['busybox:1.36'], stopDurationMs: () => 2000 }).start();
    const inst = [...h.instances.values()].find((i) => i.name === 'app')!;
    await h.send({ type: 'RUNTIME.CONTAINER', name: 'app', status: { id: inst.id, state: 'unknown' }, at: h.clock.now() });
    const during = h.status();
    assert.equal(during.containerStatuses![0]!.state.terminated?.reason, 'ContainerStatusUnknown');
    assert.equal(during.phase, 'Running');
    await h.advance(2000);
    assert.equal(h.status().phase, 'Running');
    assert.ok(h.status().containerStatuses![0]!.state.running);
  });

  test('a kill of a running container for another reason keeps it running in the status', async () => {
    const h = await new Harness(pod(), { images: ['busybox:1.36'], stopDurationMs: () => 2000 }).start();
    await h.send({ type: 'DELETE', at: h.clock.now() });
    const st = h.status().containerStatuses![0]!;
    assert.ok(st.state.running);
    assert.equal(st.restartCount, 0);
  });
});
