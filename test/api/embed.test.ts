// The library API as an embedder uses it: the package entry, a manager on the
// embedded runtime, and .provide()-style actor swaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromPromise } from 'xstate';
import * as statelet from '../../src/index.js';

test('the package entry exports the machines, the manager, the client and the runtime', () => {
  for (const name of ['containerMachine', 'podMachine', 'probeMachine', 'RuntimeManager', 'CriClient', 'startEmbeddedRuntime', 'loadPod', 'createRuntimeActors', 'startInspectionServer']) {
    assert.ok(name in statelet, name);
  }
  assert.equal(statelet.containerMachine.id, 'container');
});

test('an embedder swaps the hook runner and sees its own actor run for postStart and preStop', async () => {
  const runtime = await statelet.startEmbeddedRuntime({ killOnClose: true });
  const hooks: string[] = [];
  const manager = new statelet.RuntimeManager({
    endpoint: runtime.endpoint,
    relistPeriodMs: 200,
    actors: {
      runHandler: fromPromise(async ({ input }: { input: statelet.RunHandlerInput }) => {
        hooks.push(`${input.hook}:${input.container.name}`);
        return { startedAt: Date.now(), finishedAt: Date.now() };
      }),
    },
  });
  await manager.start();
  const pod = statelet.loadPod(`apiVersion: v1
kind: Pod
metadata: { name: embed }
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      postStart: { httpGet: { port: 1 } }
      preStop: { exec: { command: ["false"] } }
`);
  const running = new Promise<void>((resolve) => {
    manager.status$.subscribe(({ status }) => {
      if (status.containerStatuses?.[0]?.state.running) resolve();
    });
  });
  manager.addPod(pod);
  await running;
  const final = await manager.deletePod(pod.metadata.uid!);
  await manager.close();
  await runtime.close();
  // The real hooks would have failed (nothing listens on port 1; `false` exits 1): ours ran instead.
  assert.deepEqual(hooks, ['PostStart:app', 'PreStop:app']);
  assert.equal(final.phase, 'Succeeded');
  assert.ok(!manager.events().some((e) => e.reason === 'FailedPostStartHook'));
});
