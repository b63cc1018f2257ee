import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, podYaml } from './harness.js';

const initSidecarPod = (policy = 'Never') =>
  podYaml(`  restartPolicy: ${policy}
  terminationGracePeriodSeconds: 30
  initContainers:
  - name: init-a
    image: busybox:1.36
    command: ["true"]
  - name: init-b
    image: busybox:1.36
    command: ["true"]
  - name: sidecar-1
    image: busybox:1.36
    restartPolicy: Always
    command: ["sleep", "inf"]
  - name: sidecar-2
    image: busybox:1.36
    restartPolicy: Always
    command: ["sleep", "inf"]
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
  - name: worker
    image: busybox:1.36
    command: ["sh"]
`);

const starts = (h: Harness) => h.calls.filter((c) => c.call === 'StartContainer').map((c) => c.detail!['name']);

describe('pod start order', () => {
  test('init containers one at a time, sidecars started and kept running, then app containers in spec order', async () => {
    const h = await new Harness(initSidecarPod(), { images: ['busybox:1.36'] }).start();
    assert.deepEqual(starts(h), ['init-a']);
    assert.equal(h.status().phase, 'Pending');
    const init = h.status().conditions!.find((c) => c.type === 'Initialized')!;
    assert.equal(init.status, 'False');
    assert.equal(init.reason, 'ContainersNotInitialized');
    await h.exit('init-a', 0);
    assert.deepEqual(starts(h), ['init-a', 'init-b']);
    await h.exit('init-b', 0);
    assert.deepEqual(starts(h), ['init-a', 'init-b', 'sidecar-1', 'sidecar-2', 'app', 'worker']);
    const st = h.status();
    assert.equal(st.phase, 'Running');
    assert.equal(st.conditions!.find((c) => c.type === 'Initialized')!.status, 'True');
    assert.equal(st.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
    assert.equal(st.initContainerStatuses![0]!.state.terminated?.reason, 'Completed');
    assert.ok(st.initContainerStatuses![2]!.state.running, 'sidecar keeps running');
    // The app's waiting reason while init ran was PodInitializing.
  });

  test('app containers wait with PodInitializing while init containers run', async () => {
    const h = await new Harness(initSidecarPod(), { images: ['busybox:1.36'] }).start();
    assert.equal(h.status().containerStatuses![0]!.state.waiting?.reason, 'PodInitializing');
  });

  test('a failed init container under Never fails the pod and nothing else starts', async () => {
    const h = await new Harness(initSidecarPod('Never'), { images: ['busybox:1.36'] }).start();
    await h.exit('init-a', 1);
    assert.deepEqual(starts(h), ['init-a']);
    assert.equal(h.status().phase, 'Failed');
    assert.ok(h.callNames().includes('StopPodSandbox'));
  });

  test('a failed init container under OnFailure restarts with back-off and then the pod goes on', async () => {
    const h = await new Harness(initSidecarPod('OnFailure'), { images: ['busybox:1.36'] }).start();
    await h.exit('init-a', 1); // restarted at once
    assert.deepEqual(starts(h), ['init-a', 'init-a']);
    await h.exit('init-a', 1); // back-off 10 s
    assert.equal(h.containerState('init-a'), 'Waiting.CrashLoopBackOff');
    await h.advance(10_000);
    await h.exit('init-a', 0);
    assert.deepEqual(starts(h), ['init-a', 'init-a', 'init-a', 'init-b']);
  });
});

describe('pod termination', () => {
  test('deletion: every kill starts at once (Killing for all), sidecars stop after the regular containers in reverse order, then StopPodSandbox and RemovePodSandbox', async () => {
    const h = await new Harness(initSidecarPod(), { images: ['busybox:1.36'] }).start();
    await h.exit('init-a', 0);
    await h.exit('init-b', 0);
    await h.send({ type: 'DELETE', at: h.clock.now() });
    const stops = h.calls.filter((c) => c.call === 'StopContainer').map((c) => c.detail!['name']);
    assert.deepEqual(stops, ['app', 'worker', 'sidecar-2', 'sidecar-1']);
    const tail = h.callNames().slice(-2);
    assert.deepEqual(tail, ['StopPodSandbox', 'RemovePodSandbox']);
    assert.equal(h.podTopState(), 'Removed');
    const killing = h.events.filter((e) => e.reason === 'Killing').map((e) => e.fieldPath);
    // kuberuntime_termination_order.go: killContainer runs for every container at once, so all
    // Killing events come with the deletion; only the sidecars' StopContainer waits.
    assert.deepEqual([...killing].sort(), ['spec.containers{app}', 'spec.containers{worker}', 'spec.initContainers{sidecar-1}', 'spec.initContainers{sidecar-2}']);
    // Since 1.27 a deleted pod reports a terminal phase.
    assert.ok(['Failed', 'Succeeded'].includes(h.status().phase!));
  });

  test('the pod completes when every regular container ends under Never: sidecars are stopped, phase Succeeded', async () => {
    const h = await new Harness(initSidecarPod(), { images: ['busybox:1.36'] }).start();
    await h.exit('init-a', 0);
    await h.exit('init-b', 0);
    await h.exit('app', 0);
    assert.equal(h.status().phase, 'Running');
    await h.exit('worker', 0);
    assert.equal(h.podTopState(), 'Finished');
    assert.equal(h.status().phase, 'Succeeded');
    const stops = h.calls.filter((c) => c.call === 'StopContainer').map((c) => c.detail!['name']);
    assert.deepEqual(stops, ['sidecar-2', 'sidecar-1']);
    assert.ok(!h.callNames().includes('RemovePodSandbox'), 'RemovePodSandbox waits for the deletion');
    await h.send({ type: 'DELETE', at: h.clock.now() });
    assert.equal(h.podTopState(), 'Removed');
    assert.equal(h.callNames().at(-1), 'RemovePodSandbox');
    assert.equal(h.status().phase, 'Succeeded');
  });

  test('a regular container failing under Never makes the pod Failed', async () => {
    const h = await new Harness(initSidecarPod(), { images: ['busybox:1.36'] }).start();
    await h.exit('init-a', 0);
    await h.exit('init-b', 0);
    await h.exit('app', 0);
    await h.exit('worker', 2);
    assert.equal(h.status().phase, 'Failed');
  });
});

describe('sandbox', () => {
  const simple = (policy: string) =>
    podYaml(`  restartPolicy: ${policy}
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`);

  test('RunPodSandbox failure: FailedCreatePodSandBox, retried on the pod-worker cadence, pod stays Pending', async () => {
    let fail = true;
    const h = await new Harness(simple('Always'), {
      images: ['busybox:1.36'],
      podWorkerRetryMs: 10_000,
      fail: (call) =>
        call === 'RunPodSandbox' && fail
          ? Object.assign(new Error('x'), { code: 2, method: 'RuntimeService/RunPodSandbox', details: 'network plugin not ready' })
          : undefined,
    }).start();
    assert.equal(h.podTopState(), 'SandboxCreateFailed');
    assert.equal(h.events[0]!.reason, 'FailedCreatePodSandBox');
    // SyncPod step 4 prints the CRI error with %v.
    assert.equal(h.events[0]!.message, 'Failed to create pod sandbox: rpc error: code = Unknown desc = network plugin not ready');
    assert.equal(h.events[0]!.fieldPath, undefined);
    const st = h.status();
    assert.equal(st.phase, 'Pending');
    assert.equal(st.containerStatuses![0]!.state.waiting?.reason, 'ContainerCreating');
    fail = false;
    await h.advance(10_000);
    assert.equal(h.containerState('app'), 'Running');
  });

  test('a dead sandbox is re-created with the next attempt, and the container restarts', async () => {
    const h = await new Harness(simple('Always'), { images: ['busybox:1.36'] }).start();
    await h.send({ type: 'RUNTIME.SANDBOX', sandboxId: 'sb1', ready: false, at: h.clock.now() });
    assert.ok(h.events.some((e) => e.reason === 'SandboxChanged' && e.message === 'Pod sandbox changed, it will be killed and re-created.'));
    const sandboxes = h.calls.filter((c) => c.call === 'RunPodSandbox').map((c) => c.detail!['attempt']);
    assert.deepEqual(sandboxes, [0, 1]);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.containerContext('app').restartCount, 1);
    const lastCreate = h.calls.filter((c) => c.call === 'CreateContainer').at(-1)!;
    assert.equal(lastCreate.detail!['sandbox'], 'sb2');
    assert.equal(lastCreate.detail!['attempt'], 1);
  });

  test('under Never a dead sandbox ends the pod instead', async () => {
    const h = await new Harness(simple('Never'), { images: ['busybox:1.36'] }).start();
    await h.exit('app', 0);
    assert.equal(h.podTopState(), 'Finished');
    const h2 = await new Harness(simple('Never'), { images: ['busybox:1.36'] }).start();
    await h2.send({ type: 'RUNTIME.SANDBOX', sandboxId: 'sb1', ready: false, at: h2.clock.now() });
    assert.deepEqual(h2.calls.filter((c) => c.call === 'RunPodSandbox').length, 1);
    assert.equal(h2.podTopState(), 'Finished');
    assert.equal(h2.status().phase, 'Failed');
  });
});

describe('ephemeral containers', () => {
  test('an ephemeral container added by an update starts once and is never restarted', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Always
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    const pod = structuredClone(h.pod);
    pod.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox:1.36', command: ['sh'] }];
    await h.send({ type: 'UPDATE', pod, at: h.clock.now() });
    assert.equal(h.containerState('debug'), 'Running');
    await h.exit('debug', 1);
    assert.equal(h.containerState('debug'), 'Exited');
    assert.equal(h.status().ephemeralContainerStatuses![0]!.state.terminated?.exitCode, 1);
    assert.equal(h.events.find((e) => e.reason === 'Started' && e.fieldPath === 'spec.ephemeralContainers{debug}')?.message, 'Started container debug');
  });
});
