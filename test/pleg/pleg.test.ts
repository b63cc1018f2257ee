// The PLEG: exits reach the charts through GetContainerEvents when the runtime has it
// (no relist needed), and through the relist otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { CriClient } from '../../src/cri/client.js';
import { realClock } from '../../src/clock.js';
import { Pleg } from '../../src/pleg.js';
import { startEmbeddedRuntime } from '../../src/runtime/index.js';
import { generateContainerConfig, generatePodSandboxConfig } from '../../src/kuberuntime/config.js';
import { loadPod } from '../../src/k8s/manifest.js';

const pod = loadPod(`apiVersion: v1
kind: Pod
metadata: { name: pleg, uid: pleg-uid }
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "sleep 0.3; exit 4"]
`);

async function runOne(client: CriClient): Promise<string> {
  await client.pullImage({ image: { image: 'busybox:1.36' } });
  const config = generatePodSandboxConfig(pod, 0, '/tmp/statelet-pleg-test');
  const sb = await client.runPodSandbox({ config });
  const c = await client.createContainer({ podSandboxId: sb.podSandboxId, config: generateContainerConfig(pod, pod.spec.containers[0]!, 0, 'busybox:1.36'), sandboxConfig: config });
  await client.startContainer({ containerId: c.containerId });
  return c.containerId;
}

for (const periodMs of [60_000, 100]) {
  test(`an exit reaches the PLEG stream with its exit code (${periodMs === 60_000 ? 'evented, no relist in time' : 'relist every 100 ms'})`, async () => {
    const runtime = await startEmbeddedRuntime({ killOnClose: true });
    const client = new CriClient({ endpoint: runtime.endpoint });
    const pleg = new Pleg({ client, clock: realClock, periodMs });
    pleg.start();
    try {
      const id = await runOne(client);
      const ev = await firstValueFrom(
        pleg.events$.pipe(
          filter((e) => e.kind === 'container' && e.status.id === id),
          timeout(5_000),
        ),
      );
      assert.equal(ev.kind, 'container');
      if (ev.kind !== 'container') return;
      assert.equal(ev.podUid, 'pleg-uid');
      assert.equal(ev.containerName, 'app');
      assert.equal(ev.status.state, 'exited');
      assert.equal(ev.status.exitCode, 4);
      if (periodMs === 60_000) assert.equal(pleg.eventedMode, 'on');
    } finally {
      pleg.stop();
      client.close();
      await runtime.close();
    }
  });
}
