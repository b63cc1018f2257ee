// The failure and termination paths traced through the kubelet source (release-1.34),
// driven with a simulated clock. The black-box twins of these tests are the scenarios in
// test/conformance/; these pin the chart decisions one by one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, podYaml, T0 } from './harness.js';

const creates = (h: Harness, name = 'app') =>
  h.calls.filter((c) => c.call === 'CreateContainer' && c.detail!['name'] === name).map((c) => ({ at: c.at - T0, attempt: c.detail!['attempt'] as number }));

const liveness = (policy: string) =>
  podYaml(`  restartPolicy: ${policy}
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
    livenessProbe:
      exec: { command: ["false"] }
`);

async function livenessFailure(h: Harness): Promise<void> {
  await h.send({ type: 'PROBE.RESULT', name: 'app', probe: 'liveness', result: 'failure', at: h.clock.now() });
}

describe('kill-and-restart uses the snapshot before the kill (doBackOff, kuberuntime_manager.go)', () => {
  test('the first two probe-driven restarts are immediate; the third waits when the previous exit was recent', async () => {
    const h = await new Harness(liveness('Always'), { images: ['busybox:1.36'] }).start();
    await livenessFailure(h);
    // Killed instance 0 was Running in the snapshot: no exited instance, no back-off, no Next().
    assert.deepEqual(creates(h).map((c) => c.attempt), [0, 1]);
    assert.equal(h.containerContext('app').backOff, undefined);
    await h.advance(30_000, 1_000);
    await livenessFailure(h);
    // Instance 0 exited 30 s ago and there is no entry yet: Next() and restart at once.
    assert.deepEqual(creates(h).map((c) => c.attempt), [0, 1, 2]);
    assert.ok(!h.events.some((e) => e.reason === 'BackOff'));
    await h.advance(3_000, 1_000);
    await livenessFailure(h);
    // Instance 1 exited 3 s ago, inside the 10 s entry: CrashLoopBackOff, 10 s from instance 2's exit.
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    assert.ok(h.events.some((e) => e.reason === 'BackOff'));
    const killedAt = h.clock.now() - T0;
    await h.advance(9_750, 250);
    assert.equal(creates(h).length, 3);
    await h.advance(250, 250);
    assert.deepEqual(creates(h).at(-1), { at: killedAt + 10_000, attempt: 3 });
  });

  test('OnFailure: a kill-and-restart held by back-off whose container exited 0 is not restarted; the pod ends Succeeded (kubernetes#109537)', async () => {
    const h = await new Harness(liveness('OnFailure'), { images: ['busybox:1.36'], stopExitCode: 0 }).start();
    await livenessFailure(h);
    await h.advance(2_000, 1_000);
    await livenessFailure(h);
    await h.advance(2_000, 1_000);
    await livenessFailure(h);
    // The kill sync finds the restart in back-off (BackOff); the sync its exit triggers
    // then sees exit 0 under OnFailure: nothing to start, the pod completes at once.
    assert.ok(h.events.some((e) => e.reason === 'BackOff'));
    assert.equal(h.containerState('app'), 'Exited');
    assert.equal(creates(h).length, 3);
    assert.equal(h.status().phase, 'Succeeded');
  });
});

describe('attempt numbers', () => {
  test('a sandbox re-creation after a restart decision does not skip an attempt', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Always
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    await h.exit('app', 1);
    await h.exit('app', 1);
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    // The sandbox dies while the back-off runs: the restart happens in the new sandbox.
    await h.send({ type: 'RUNTIME.SANDBOX', sandboxId: 'sb1', ready: false, at: h.clock.now() });
    assert.deepEqual(creates(h).map((c) => c.attempt), [0, 1, 2]);
    assert.equal(h.status().containerStatuses![0]!.restartCount, 2);
  });

  test('an init container in a crash loop counts 0, 1, 2', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Always
  initContainers:
  - name: init
    image: busybox:1.36
    command: ["false"]
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    await h.exit('init', 1);
    await h.exit('init', 1);
    await h.advance(10_000, 1_000);
    assert.deepEqual(creates(h, 'init').map((c) => c.attempt), [0, 1, 2]);
  });
});

describe('sandbox re-creation purges init containers (SyncPod step 2, purgeInitContainers)', () => {
  test('killPod, StopPodSandbox, RemoveContainer of every init instance, then RunPodSandbox attempt 1', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Always
  initContainers:
  - name: init
    image: busybox:1.36
    command: ["true"]
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    await h.exit('init', 0);
    const initId = [...h.instances.values()].find((i) => i.name === 'init')!.id;
    await h.send({ type: 'RUNTIME.SANDBOX', sandboxId: 'sb1', ready: false, at: h.clock.now() });
    const names = h.callNames();
    const stopSb = names.indexOf('StopPodSandbox');
    const removeInit = h.calls.findIndex((c) => c.call === 'RemoveContainer' && c.detail!['id'] === initId);
    const runSb = names.lastIndexOf('RunPodSandbox');
    assert.ok(names.indexOf('StopContainer') < stopSb && stopSb < removeInit && removeInit < runSb, names.join(', '));
    assert.deepEqual(creates(h, 'init').map((c) => c.attempt), [0, 1]);
    await h.exit('init', 0);
    assert.deepEqual(creates(h, 'app').map((c) => c.attempt), [0, 1]);
  });
});

describe('force deletion cuts what is in flight', () => {
  const preStop = podYaml(`  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
    lifecycle:
      preStop:
        exec: { command: ["sleep", "100"] }
`);

  test('during preStop: at most 1 s more, then StopContainer(id, 2)', async () => {
    const h = await new Harness(preStop, { images: ['busybox:1.36'], hookDurationMs: () => 100_000 }).start();
    await h.send({ type: 'DELETE', at: h.clock.now() });
    await h.advance(5_000, 500);
    assert.ok(!h.callNames().includes('StopContainer'));
    await h.send({ type: 'DELETE', force: true, gracePeriodSeconds: 0, at: h.clock.now() });
    await h.advance(1_000, 250);
    const stop = h.calls.find((c) => c.call === 'StopContainer')!;
    assert.equal(stop.at - T0, 6_000);
    assert.equal(stop.detail!['timeout'], 2);
    assert.equal(h.podTopState(), 'Removed');
  });
});

describe('termination ordering with sidecars (kuberuntime_termination_order.go)', () => {
  test('Killing and preStop for every container at once; the sidecar stops after the app with grace − preStop s − waited s', async () => {
    const h = await new Harness(
      podYaml(`  terminationGracePeriodSeconds: 30
  initContainers:
  - name: proxy
    image: busybox:1.36
    restartPolicy: Always
    command: ["sh"]
    lifecycle:
      preStop:
        exec: { command: ["sleep", "1"] }
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'], hookDurationMs: () => 1_200, stopDurationMs: (n) => (n === 'app' ? 4_000 : 0) },
    ).start();
    await h.send({ type: 'DELETE', at: h.clock.now() });
    const killing = h.events.filter((e) => e.reason === 'Killing').map((e) => e.fieldPath).sort();
    assert.deepEqual(killing, ['spec.containers{app}', 'spec.initContainers{proxy}']);
    assert.deepEqual(h.calls.filter((c) => c.call === 'RunHandler PreStop').map((c) => c.at - T0), [0]);
    await h.advance(6_000, 100);
    const stops = h.calls.filter((c) => c.call === 'StopContainer');
    assert.deepEqual(stops.map((c) => c.detail!['name']), ['app', 'proxy']);
    // app: StopContainer(30) at 0, exits at 4 s. proxy: preStop 1.2 s (1 whole second), then
    // waits 2.8 s (2 whole seconds): 30 − 1 − 2 = 27, called when the app is down.
    assert.equal(stops[1]!.at - T0, 4_000);
    assert.equal(stops[1]!.detail!['timeout'], 27);
    assert.equal(h.podTopState(), 'Removed');
  });
});

describe('kill failure during deletion (killPodWithSyncResult)', () => {
  test('StopPodSandbox right away, FailedKillPod with the aggregate message, the kill again at the next sync with a new Killing', async () => {
    let failures = 1;
    const h = await new Harness(
      podYaml(`  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      {
        images: ['busybox:1.36'],
        podWorkerRetryMs: 12_000,
        fail: (call) =>
          call === 'StopContainer' && failures-- > 0
            ? Object.assign(new Error('x'), { code: 4, details: 'context deadline exceeded', method: 'RuntimeService/StopContainer' })
            : undefined,
      },
    ).start();
    await h.send({ type: 'DELETE', at: h.clock.now() });
    const stopSb = h.calls.find((c) => c.call === 'StopPodSandbox')!;
    assert.equal(stopSb.at - T0, 0);
    const failed = h.events.find((e) => e.reason === 'FailedKillPod')!;
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.fieldPath, undefined);
    assert.equal(failed.message, 'error killing pod: failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"');
    assert.equal(h.events.filter((e) => e.reason === 'Killing').length, 1);
    await h.advance(12_000, 1_000);
    assert.equal(h.events.filter((e) => e.reason === 'Killing').length, 2);
    const stops = h.calls.filter((c) => c.call === 'StopContainer');
    assert.equal(stops.length, 2);
    assert.equal(stops[1]!.at - T0, 12_000);
    assert.equal(h.podTopState(), 'Removed');
  });
});

describe('one rule for a failed init container (restart-policy.ts isInitContainerFailed)', () => {
  test('under Never an init container OOMKilled with exit 0 fails the pod; the app never starts', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Never
  initContainers:
  - name: init
    image: busybox:1.36
    command: ["true"]
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    await h.exit('init', 0, 'OOMKilled');
    assert.deepEqual(creates(h), []);
    assert.equal(h.podTopState(), 'Finished');
    assert.equal(h.status().phase, 'Failed');
  });
});

describe('UNKNOWN and readiness', () => {
  test('an UNKNOWN container is killed and restarted even under Never; the pod keeps running', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    const inst = [...h.instances.values()].find((i) => i.name === 'app')!;
    await h.send({ type: 'RUNTIME.CONTAINER', name: 'app', status: { ...inst, state: 'unknown' }, at: h.clock.now() });
    assert.equal(h.events.find((e) => e.reason === 'Killing')!.message, 'Container is in "unknown" state, try killing it before restart');
    assert.deepEqual(creates(h).map((c) => c.attempt), [0, 1]);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.status().phase, 'Running');
  });

  test('a regular init container is ready only once it exited 0 (prober_manager.go UpdatePodStatus)', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Always
  initContainers:
  - name: init
    image: busybox:1.36
    command: ["true"]
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    assert.equal(h.status().initContainerStatuses![0]!.ready, false);
    await h.exit('init', 1);
    await h.exit('init', 0);
    assert.equal(h.status().initContainerStatuses![0]!.ready, true);
  });
});

describe('status while postStart runs (kuberuntime_container.go startContainer step 4)', () => {
  test('waiting ContainerCreating, started false, pod Pending until the hook returns', async () => {
    const h = await new Harness(
      podYaml(`  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
    lifecycle:
      postStart:
        exec: { command: ["sleep", "4"] }
`),
      { images: ['busybox:1.36'], hookDurationMs: () => 4_000 },
    ).start();
    const st = h.status();
    assert.equal(st.phase, 'Pending');
    assert.equal(st.containerStatuses![0]!.state.waiting?.reason, 'ContainerCreating');
    assert.equal(st.containerStatuses![0]!.started, false);
    await h.advance(4_000, 500);
    assert.equal(h.status().phase, 'Running');
    assert.ok(h.status().containerStatuses![0]!.state.running);
  });
});

describe('activeDeadlineSeconds (pkg/kubelet/active_deadline.go)', () => {
  test('at startTime + activeDeadlineSeconds: Normal DeadlineExceeded, killPod, phase Failed with the reason and message', async () => {
    const h = await new Harness(
      podYaml(`  restartPolicy: Always
  activeDeadlineSeconds: 30
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
      { images: ['busybox:1.36'] },
    ).start();
    // Restarts do not move the deadline: it is held from the pod's start.
    await h.advance(10_000, 1_000);
    await h.exit('app', 1);
    await h.advance(19_000, 1_000);
    assert.equal(h.status().phase, 'Running');
    assert.ok(!h.events.some((e) => e.reason === 'DeadlineExceeded'));
    await h.advance(1_000, 250);
    const ev = h.events.find((e) => e.reason === 'DeadlineExceeded')!;
    assert.deepEqual([ev.type, ev.message, ev.fieldPath], ['Normal', 'Pod was active on the node longer than the specified deadline', undefined]);
    assert.equal(h.calls.filter((c) => c.call === 'StopContainer').at(-1)!.at - T0, 30_000);
    assert.equal(h.podTopState(), 'Finished');
    const st = h.status();
    assert.deepEqual([st.phase, st.reason, st.message], ['Failed', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline']);
  });
});
