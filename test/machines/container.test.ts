import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, podYaml, T0 } from './harness.js';

const POD = 'web_default(11111111-2222-3333-4444-555555555555)';

const oneContainer = (extra = '', policy = 'Always', tgps = 30) =>
  podYaml(`  restartPolicy: ${policy}
  terminationGracePeriodSeconds: ${tgps}
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "true"]
${extra}`);

describe('startContainer steps', () => {
  test('EnsureImageExists, CreateContainer, StartContainer in the kubelet order, with events', async () => {
    const h = await new Harness(oneContainer()).start();
    assert.deepEqual(h.callNames(), ['RunPodSandbox', 'ImageStatus', 'PullImage', 'CreateContainer', 'StartContainer']);
    assert.deepEqual(h.eventReasons(), ['Pulling', 'Pulled', 'Created', 'Started']);
    assert.equal(h.events[0]!.message, 'Pulling image "busybox:1.36"');
    assert.equal(h.events[2]!.message, 'Created container: app');
    assert.equal(h.events[3]!.message, 'Started container app');
    assert.equal(h.events[3]!.fieldPath, 'spec.containers{app}');
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.calls.find((c) => c.call === 'CreateContainer')!.detail!['attempt'], 0);
    const st = h.status();
    assert.equal(st.phase, 'Running');
    assert.ok(st.containerStatuses![0]!.state.running);
    assert.equal(st.containerStatuses![0]!.ready, true);
  });

  test('IfNotPresent with the image present: no pull, "already present" event', async () => {
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36'] }).start();
    assert.ok(!h.callNames().includes('PullImage'));
    assert.equal(h.events[0]!.reason, 'Pulled');
    assert.equal(h.events[0]!.message, 'Container image "busybox:1.36" already present on machine');
  });

  test('imagePullPolicy Always pulls even when present', async () => {
    const h = await new Harness(oneContainer('    imagePullPolicy: Always\n'), { images: ['busybox:1.36'] }).start();
    assert.ok(h.callNames().includes('PullImage'));
  });

  test('Never with the image absent: ErrImageNeverPull, retried on the pod-worker cadence', async () => {
    const h = await new Harness(oneContainer('    imagePullPolicy: Never\n'), { podWorkerRetryMs: 10_000 }).start();
    assert.equal(h.containerState('app'), 'Waiting.ErrImageNeverPull');
    assert.deepEqual(h.eventReasons(), ['ErrImageNeverPull', 'Failed']);
    assert.equal(h.events[0]!.message, 'Container image "busybox:1.36" is not present with pull policy of Never');
    assert.equal(h.events[1]!.message, 'Error: ErrImageNeverPull');
    const st = h.status();
    assert.equal(st.containerStatuses![0]!.state.waiting?.reason, 'ErrImageNeverPull');
    assert.equal(h.callNames().filter((c) => c === 'ImageStatus').length, 1);
    await h.advance(9_999);
    assert.equal(h.callNames().filter((c) => c === 'ImageStatus').length, 1);
    await h.advance(1);
    assert.equal(h.callNames().filter((c) => c === 'ImageStatus').length, 2);
    h.images.add('busybox:1.36');
    await h.advance(10_000);
    assert.equal(h.containerState('app'), 'Running');
  });

  test('a failed pull: ErrImagePull, then ImagePullBackOff while the back-off lasts', async () => {
    let failPulls = true;
    const h = await new Harness(oneContainer(), {
      podWorkerRetryMs: 5_000,
      // A CRI NotFound, as a registry without the image answers.
      fail: (call) =>
        call === 'PullImage' && failPulls
          ? Object.assign(new Error('rpc'), { code: 5, method: 'ImageService/PullImage', details: 'failed to pull: registry unreachable' })
          : undefined,
    }).start();
    assert.equal(h.containerState('app'), 'Waiting.ErrImagePull');
    assert.deepEqual(h.eventReasons(), ['Pulling', 'Failed', 'Failed']);
    // image_manager.go prints the error with %v: Go's status text.
    assert.equal(h.events[1]!.message, 'Failed to pull image "busybox:1.36": rpc error: code = NotFound desc = failed to pull: registry unreachable');
    assert.equal(h.events[2]!.message, 'Error: ErrImagePull');
    assert.equal(h.status().containerStatuses![0]!.state.waiting?.message, 'rpc error: code = NotFound desc = failed to pull: registry unreachable');
    // The next sync (5 s) is inside the 10 s image back-off: no PullImage.
    await h.advance(5_000);
    assert.equal(h.containerState('app'), 'Waiting.ImagePullBackOff');
    assert.equal(h.callNames().filter((c) => c === 'PullImage').length, 1);
    assert.deepEqual(h.eventReasons().slice(3), ['BackOff', 'Failed']);
    assert.equal(h.events[3]!.message, 'Back-off pulling image "busybox:1.36"');
    assert.equal(h.events[4]!.message, 'Error: ImagePullBackOff');
    // Since 1.32 the waiting message names the last failure; the event above does not.
    assert.equal(
      h.status().containerStatuses![0]!.state.waiting?.message,
      'Back-off pulling image "busybox:1.36": ErrImagePull: rpc error: code = NotFound desc = failed to pull: registry unreachable',
    );
    failPulls = false;
    await h.advance(5_000);
    assert.equal(h.callNames().filter((c) => c === 'PullImage').length, 2);
    assert.equal(h.containerState('app'), 'Running');
  });

  test('CreateContainer failure: CreateContainerError with the runtime message, retried after the pod-worker delay', async () => {
    let fail = true;
    const h = await new Harness(oneContainer(), {
      images: ['busybox:1.36'],
      podWorkerRetryMs: 12_000,
      fail: (call) => (call === 'CreateContainer' && fail ? Object.assign(new Error('x'), { details: 'failed to reserve container name' }) : undefined),
    }).start();
    assert.equal(h.containerState('app'), 'Waiting.CreateContainerError');
    assert.equal(h.events.at(-1)!.message, 'Error: failed to reserve container name');
    assert.equal(h.status().containerStatuses![0]!.state.waiting?.reason, 'CreateContainerError');
    fail = false;
    await h.advance(11_999);
    assert.equal(h.containerState('app'), 'Waiting.CreateContainerError');
    await h.advance(1);
    assert.equal(h.containerState('app'), 'Running');
  });

  test('StartContainer failure: RunContainerError, last state StartError exit 128; the first restart is immediate, then 10 s', async () => {
    let fail = true;
    const h = await new Harness(oneContainer(), {
      images: ['busybox:1.36'],
      podWorkerRetryMs: 10_000,
      fail: (call) => (call === 'StartContainer' && fail ? Object.assign(new Error('x'), { details: 'exec: "/nope": stat /nope: no such file or directory' }) : undefined),
    }).start();
    // The failed instance's exit syncs the pod at once: doBackOff has no entry yet, so
    // attempt 1 follows without a pod-worker wait; its failure then backs off 10 s.
    const creates = h.calls.filter((c) => c.call === 'CreateContainer');
    assert.deepEqual(creates.map((c) => [c.at - T0, c.detail!['attempt']]), [[0, 0], [0, 1]]);
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    const st = h.status().containerStatuses![0]!;
    assert.equal(st.state.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(st.lastState.terminated?.exitCode, 128);
    assert.equal(st.lastState.terminated?.reason, 'StartError');
    fail = false;
    await h.advance(9_750);
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    await h.advance(250);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.containerContext('app').restartCount, 2);
  });
});

describe('CrashLoopBackOff', () => {
  test('no back-off before the first restart, then 10 s doubling to 300 s, restarting exactly at expiry', async () => {
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36'] }).start();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      await h.exit('app', 1);
      const exitedAt = h.clock.now();
      const starts = h.startTimes('app').length;
      if (h.containerState('app') === 'Running') {
        waits.push(0);
        continue;
      }
      assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
      const until = h.containerContext('app').backOffUntil!;
      // One millisecond early: still waiting.
      await h.advance(until - exitedAt - 1, 10_000);
      assert.equal(h.startTimes('app').length, starts, `restart ${i} fired early`);
      await h.advance(1);
      assert.equal(h.startTimes('app').length, starts + 1, `restart ${i} did not fire at expiry`);
      waits.push(h.startTimes('app').at(-1)! - (exitedAt - T0));
    }
    assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    assert.equal(h.containerContext('app').restartCount, 8);
  });

  test('waiting message and BackOff event as the kubelet words them', async () => {
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36'] }).start();
    await h.exit('app', 1); // immediate restart
    await h.exit('app', 1); // 10 s
    await h.advance(10_000);
    await h.exit('app', 1); // 20 s
    await h.advance(20_000);
    await h.exit('app', 1); // 40 s
    await h.advance(40_000);
    await h.exit('app', 1); // 80 s
    const st = h.status().containerStatuses![0]!;
    assert.equal(st.state.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(st.state.waiting?.message, `back-off 1m20s restarting failed container=app pod=${POD}`);
    assert.equal(st.lastState.terminated?.exitCode, 1);
    assert.equal(st.restartCount, 4);
    const backOff = h.events.filter((e) => e.reason === 'BackOff');
    assert.equal(backOff.length, 4);
    assert.equal(backOff[0]!.message, `Back-off restarting failed container app in pod ${POD}`);
    assert.equal(backOff[0]!.type, 'Warning');
  });

  test('the back-off resets after a run of more than 600 s', async () => {
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36'] }).start();
    await h.exit('app', 1);
    await h.exit('app', 1);
    await h.advance(10_000);
    await h.exit('app', 1);
    await h.advance(20_000);
    assert.equal(h.containerState('app'), 'Running');
    await h.advance(601_000, 50_000);
    await h.exit('app', 1);
    // Entry expired: restart at once.
    assert.equal(h.containerState('app'), 'Running');
    await h.exit('app', 1);
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    assert.match(h.status().containerStatuses![0]!.state.waiting!.message!, /^back-off 10s /);
  });

  test('configurable initial and maximum back-off (KEP-4603 knobs)', async () => {
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36'], config: { backOff: { initialMs: 1_000, maxMs: 4_000, resetAfterMs: 600_000 } } }).start();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      await h.exit('app', 1);
      waits.push(h.containerState('app') === 'Running' ? 0 : h.containerContext('app').backOffUntil! - h.clock.now());
      await h.advance(waits.at(-1)!, 500);
    }
    assert.deepEqual(waits, [0, 1_000, 2_000, 4_000, 4_000]);
  });
});

describe('restartPolicy', () => {
  const cases: [string, number, boolean][] = [
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 2, true],
    ['Never', 0, false],
    ['Never', 1, false],
  ];
  for (const [policy, code, restarts] of cases) {
    test(`${policy}, exit ${code}: ${restarts ? 'restart' : 'stays terminated'}`, async () => {
      const h = await new Harness(oneContainer('', policy), { images: ['busybox:1.36'] }).start();
      await h.exit('app', code);
      assert.equal(h.containerState('app'), restarts ? 'Running' : 'Exited');
      assert.equal(h.startTimes('app').length, restarts ? 2 : 1);
      if (!restarts) {
        const st = h.status();
        assert.equal(st.containerStatuses![0]!.state.terminated?.exitCode, code);
        assert.equal(st.phase, code === 0 ? 'Succeeded' : 'Failed');
      }
    });
  }
});

describe('postStart', () => {
  const withHooks = podYaml(`  restartPolicy: Always
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
    lifecycle:
      postStart:
        exec: { command: ["sh", "-c", "exit 3"] }
      preStop:
        exec: { command: ["sh", "-c", "sleep 1"] }
`);
  const hookMessage = `Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "${POD}" failed - error: command 'sh -c exit 3' exited with 3: , message: ""`;

  test('failure: FailedPostStartHook, Killing with message FailedPostStartHook, preStop runs; attempt 1 at once, showing PostStartHookError while its hook runs', async () => {
    let hookCalls = 0;
    const h = await new Harness(withHooks, {
      images: ['busybox:1.36'],
      podWorkerRetryMs: 10_000,
      // The second attempt's hook takes 2 s, so the status during it can be read.
      hookDurationMs: (i) => (i.hook === 'PostStart' && ++hookCalls === 2 ? 2_000 : 0),
      hookError: (i) => (i.hook === 'PostStart' ? hookMessage : undefined),
    }).start();
    assert.deepEqual(h.eventReasons().slice(0, 5), ['Pulled', 'Created', 'Started', 'FailedPostStartHook', 'Killing']);
    assert.equal(h.events[3]!.message, 'PostStartHook failed');
    assert.equal(h.events[3]!.type, 'Warning');
    assert.equal(h.events[4]!.message, 'FailedPostStartHook');
    assert.deepEqual(h.callNames().slice(1, 9), ['ImageStatus', 'CreateContainer', 'StartContainer', 'RunHandler PostStart', 'RunHandler PreStop', 'StopContainer', 'ImageStatus', 'CreateContainer']);
    // Pod grace 30 s, preStop took 0 s: StopContainer gets 30.
    assert.equal(h.calls.find((c) => c.call === 'StopContainer')!.detail!['timeout'], 30);
    // Attempt 1 runs its hook: the kubelet's worker is blocked there, the reason cache shows
    // the first failure.
    assert.deepEqual(h.startTimes('app'), [0, 0]);
    assert.equal(h.containerState('app'), 'PostStartRunning');
    const st = h.status().containerStatuses![0]!;
    assert.equal(st.state.waiting?.reason, 'PostStartHookError');
    assert.equal(st.state.waiting?.message, hookMessage);
    assert.equal(st.started, false);
    assert.equal(h.containerContext('app').restartCount, 1);
    await h.advance(2_000);
    // Attempt 1 failed too: now the back-off (10 s from its exit) holds attempt 2.
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    await h.advance(9_750);
    assert.equal(h.startTimes('app').length, 2);
    await h.advance(250);
    assert.equal(h.startTimes('app').length, 3);
  });

  test('under OnFailure a container that exits 0 on the hook-failure kill is not restarted (kubelet behaviour, cf. kubernetes#109537)', async () => {
    const yaml = withHooks.replace('restartPolicy: Always', 'restartPolicy: OnFailure');
    // The app traps SIGTERM and exits 0.
    const h = await new Harness(yaml, { images: ['busybox:1.36'], stopExitCode: 0, hookError: (i) => (i.hook === 'PostStart' ? hookMessage : undefined) }).start();
    assert.equal(h.containerState('app'), 'Exited');
    assert.equal(h.status().phase, 'Succeeded');
    assert.equal(h.startTimes('app').length, 1);
  });

  test('a running postStart holds back the next container; deletion cancels it (kubernetes#116032)', async () => {
    const yaml = podYaml(`  terminationGracePeriodSeconds: 30
  containers:
  - name: first
    image: busybox:1.36
    command: ["sh"]
    lifecycle:
      postStart:
        exec: { command: ["sleep", "100"] }
  - name: second
    image: busybox:1.36
    command: ["sh"]
`);
    const h = await new Harness(yaml, { images: ['busybox:1.36'], hookDurationMs: (i) => (i.hook === 'PostStart' ? 60_000 : 0) }).start();
    assert.equal(h.containerState('first'), 'PostStartRunning');
    assert.equal(h.containerState('second'), 'Pending');
    await h.advance(30_000, 5_000);
    assert.equal(h.containerState('second'), 'Pending');
    await h.send({ type: 'DELETE', at: h.clock.now() });
    assert.ok(h.callNames().includes('HandlerCancelled PostStart'));
    assert.equal(h.events.find((e) => e.reason === 'Killing')!.message, 'Stopping container first');
    assert.equal(h.podTopState(), 'Removed');
    assert.equal(h.startTimes('second').length, 0);
  });

  test('statelet hookTimeout fails a postStart that runs too long', async () => {
    const h = await new Harness(withHooks, {
      images: ['busybox:1.36'],
      config: { hookTimeoutMs: 5_000 },
      hookDurationMs: (i) => (i.hook === 'PostStart' ? 60_000 : 0),
    }).start();
    await h.advance(4_999, 1_000);
    assert.equal(h.containerState('app'), 'PostStartRunning');
    await h.advance(1);
    // Killed and restarted at once; attempt 1's hook runs, the reason cache shows the timeout.
    assert.equal(h.containerState('app'), 'PostStartRunning');
    assert.equal(h.containerContext('app').restartCount, 1);
    assert.equal(h.status().containerStatuses![0]!.state.waiting!.reason, 'PostStartHookError');
    assert.match(h.status().containerStatuses![0]!.state.waiting!.message!, /timed out after 5000 ms/);
  });
});

describe('killContainer grace arithmetic', () => {
  const preStopPod = (tgps: number) =>
    podYaml(`  terminationGracePeriodSeconds: ${tgps}
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
    lifecycle:
      preStop:
        exec: { command: ["sh", "-c", "sleep 3"] }
`);

  test('Killing first, preStop, then StopContainer with the preStop whole seconds deducted', async () => {
    const h = await new Harness(preStopPod(30), { images: ['busybox:1.36'], hookDurationMs: () => 3_500 }).start();
    await h.send({ type: 'DELETE', at: h.clock.now() });
    const killingIdx = h.events.findIndex((e) => e.reason === 'Killing');
    assert.equal(h.events[killingIdx]!.message, 'Stopping container app');
    assert.deepEqual(h.callNames().slice(-1), ['RunHandler PreStop']);
    await h.advance(3_500, 500);
    const stop = h.calls.find((c) => c.call === 'StopContainer')!;
    assert.equal(stop.detail!['timeout'], 27); // 30 - floor(3.5)
    assert.equal(stop.at - T0, 3_500);
  });

  test('a preStop that outlives the grace period: StopContainer at the deadline with the 2 s minimum', async () => {
    const h = await new Harness(preStopPod(5), { images: ['busybox:1.36'], hookDurationMs: () => 60_000 }).start();
    await h.send({ type: 'DELETE', at: h.clock.now() });
    await h.advance(4_999, 1_000);
    assert.ok(!h.callNames().includes('StopContainer'));
    await h.advance(1);
    const stop = h.calls.find((c) => c.call === 'StopContainer')!;
    assert.equal(stop.detail!['timeout'], 2);
  });

  test('a deletion grace override is applied before preStop (kubernetes PR #115835)', async () => {
    const h = await new Harness(preStopPod(30), { images: ['busybox:1.36'], hookDurationMs: () => 60_000 }).start();
    await h.send({ type: 'DELETE', gracePeriodSeconds: 8, at: h.clock.now() });
    await h.advance(7_999, 1_000);
    assert.ok(!h.callNames().includes('StopContainer'));
    await h.advance(1);
    assert.equal(h.calls.find((c) => c.call === 'StopContainer')!.detail!['timeout'], 2);
  });

  test('force deletion: preStop gets at most 1 s and StopContainer timeout 2', async () => {
    const h = await new Harness(preStopPod(30), { images: ['busybox:1.36'], hookDurationMs: () => 60_000 }).start();
    await h.send({ type: 'DELETE', force: true, at: h.clock.now() });
    await h.advance(1_000, 500);
    const stop = h.calls.find((c) => c.call === 'StopContainer')!;
    assert.equal(stop.at - T0, 1_000);
    assert.equal(stop.detail!['timeout'], 2);
  });

  test('no preStop when the grace period is 0... is clamped: StopContainer never below 2 s', async () => {
    const h = await new Harness(oneContainer('', 'Always', 0), { images: ['busybox:1.36'] }).start();
    await h.send({ type: 'DELETE', at: h.clock.now() });
    assert.equal(h.calls.find((c) => c.call === 'StopContainer')!.detail!['timeout'], 2);
  });
});

describe('spec changes', () => {
  test('an image change kills with "definition changed" and restarts with a fresh back-off', async () => {
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36', 'busybox:1.37'] }).start();
    await h.exit('app', 1);
    await h.exit('app', 1);
    await h.advance(10_000);
    assert.ok(h.containerContext('app').backOff);
    const pod = structuredClone(h.pod);
    pod.spec.containers[0]!.image = 'busybox:1.37';
    await h.send({ type: 'UPDATE', pod, at: h.clock.now() });
    const killing = h.events.filter((e) => e.reason === 'Killing').at(-1)!;
    assert.equal(killing.message, 'Container app definition changed, will be restarted');
    assert.equal(h.containerState('app'), 'Running');
    const creates = h.calls.filter((c) => c.call === 'CreateContainer');
    assert.equal(creates.length, 4);
    // A new hash is a new back-off key: the back-off starts again from 10 s (it was at 20 s).
    await h.exit('app', 1);
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    assert.match(h.status().containerStatuses![0]!.state.waiting!.message!, /^back-off 10s /);
  });
});

describe('snapshot restore', () => {
  test('a pending CrashLoopBackOff survives a persisted snapshot: the restart fires at the original deadline', async () => {
    const { createActor } = await import('xstate');
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36'] }).start();
    await h.exit('app', 1);
    await h.exit('app', 1);
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    const deadline = h.containerContext('app').backOffUntil!;
    await h.advance(4_000, 1_000);
    const persisted = h.actor.getPersistedSnapshot();
    h.actor.stop();
    // A new manager process: restore, then tell the charts what time it is.
    const restored = createActor(h.machine(), { snapshot: persisted, clock: h.clock, input: { pod: h.pod, now: h.clock.now() } });
    h.actor = restored;
    restored.start();
    restored.send({ type: 'RESUME', at: h.clock.now() });
    await new Promise((r) => setImmediate(r));
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    const before = h.startTimes('app').length;
    await h.advance(deadline - h.clock.now() - 1, 1_000);
    assert.equal(h.startTimes('app').length, before);
    await h.advance(1);
    assert.equal(h.startTimes('app').length, before + 1);
  });
});

describe('snapshot restore of a pod-worker retry', () => {
  test('a CreateContainerError retry keeps its original deadline across a restore', async () => {
    const { createActor } = await import('xstate');
    let fail = true;
    const h = await new Harness(oneContainer(), {
      images: ['busybox:1.36'],
      podWorkerRetryMs: 10_000,
      fail: (call) => (call === 'CreateContainer' && fail ? Object.assign(new Error('x'), { details: 'boom' }) : undefined),
    }).start();
    assert.equal(h.containerState('app'), 'Waiting.CreateContainerError');
    await h.advance(6_000, 1_000);
    const persisted = h.actor.getPersistedSnapshot();
    h.actor.stop();
    fail = false;
    h.actor = createActor(h.machine(), { snapshot: persisted, clock: h.clock, input: { pod: h.pod, now: h.clock.now() } });
    h.actor.start();
    h.actor.send({ type: 'RESUME', at: h.clock.now() });
    await h.advance(3_999, 1_000);
    assert.equal(h.containerState('app'), 'Waiting.CreateContainerError');
    await h.advance(1);
    assert.equal(h.containerState('app'), 'Running');
  });
});

describe('instance garbage collection', () => {
  test('older exited instances are removed, the newest exited one is kept (status.lastState)', async () => {
    const h = await new Harness(oneContainer(), { images: ['busybox:1.36'], config: { backOff: { initialMs: 1_000, maxMs: 1_000, resetAfterMs: 600_000 } } }).start();
    const ids = () => h.calls.filter((c) => c.call === 'StartContainer').map((c) => c.detail!['id'] as string);
    for (let i = 0; i < 3; i++) {
      await h.exit('app', 1);
      await h.advance(1_000);
    }
    const started = ids();
    assert.equal(started.length, 4);
    const removed = h.calls.filter((c) => c.call === 'RemoveContainer').map((c) => c.detail!['id']);
    // Running: instance 4; newest exited: instance 3 (kept); instances 1 and 2 removed.
    assert.deepEqual(removed, [started[0], started[1]]);
    assert.equal(h.status().containerStatuses![0]!.lastState.terminated?.containerID, `fake://${started[2]}`);
  });
});
