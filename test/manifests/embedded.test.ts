// Volumes and the other honoured fields on the embedded runtime, through the
// manager: a config with mounts fails CreateContainer there (a CreateContainerError
// naming the mount, whose retries aggregate into one event); the fields it cannot
// honour are reported in one Warning per pod; env, fieldRef and $(VAR) work; the pod
// directory goes with the pod.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPod } from '../../src/k8s/manifest.js';
import type { Event, PodStatus } from '../../src/k8s/types.js';
import { RuntimeManager } from '../../src/manager.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../src/runtime/index.js';
import { CriClient } from '../../src/cri/index.js';

const TEST_IMAGE = 'busybox:1.36';

describe('the embedded runtime and volumes', () => {
  let rt: EmbeddedRuntime;
  let manager: RuntimeManager;
  let dir: string;
  const events: Event[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'statelet-emb-vols-'));
    rt = await startEmbeddedRuntime({ autoPullImages: true, killOnClose: true, stateDir: join(dir, 'state') });
    manager = new RuntimeManager({ endpoint: rt.endpoint, podLogsDir: join(dir, 'pods'), rootDir: join(dir, 'kubelet'), relistPeriodMs: 200, podWorkerRetryMs: 150, random: () => 0 });
    manager.events$.subscribe((e) => events.push(e));
    await manager.start();
  });
  after(async () => {
    await manager.close();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitFor = (uid: string, pred: (s: PodStatus) => boolean, ms = 10_000): Promise<PodStatus> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; last status ${JSON.stringify(manager.getStatus(uid))}`)), ms);
      const check = (s: PodStatus | undefined) => {
        if (s && pred(s)) {
          clearTimeout(t);
          sub.unsubscribe();
          resolve(s);
        }
      };
      const sub = manager.status$.subscribe(({ pod, status }) => pod.metadata.uid === uid && check(status));
      check(manager.getStatus(uid));
    });

  test('CreateContainer with a volume mount fails with a CreateContainerError naming the mount; the events aggregate', async () => {
    const pod = loadPod(`apiVersion: v1
kind: Pod
metadata: { name: emb-vol }
spec:
  volumes: [{ name: cache, emptyDir: {} }]
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, "sleep 5"]
    resources: { limits: { memory: 64Mi } }
    securityContext: { readOnlyRootFilesystem: true }
    volumeMounts: [{ name: cache, mountPath: /cache }]
`);
    const uid = manager.addPod(pod);
    const st = await waitFor(uid, (s) => s.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerError');
    const msg = st.containerStatuses![0]!.state.waiting!.message!;
    const cacheDir = join(dir, 'kubelet', 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'cache');
    assert.equal(msg, `the embedded runtime cannot mount "${cacheDir}" at "/cache" for container "app": it runs containers as host processes, without a mount namespace; run pods with volumes on containerd`);
    // Retries every 150 ms: one Failed event whose count grows (no fresh container ID in the message).
    await new Promise((r) => setTimeout(r, 700));
    const failed = manager.events(uid).filter((e) => e.reason === 'Failed' && e.message.includes('cannot mount'));
    assert.equal(failed.length, 1);
    assert.ok(failed[0]!.count >= 2, `count ${failed[0]!.count}`);
    const warn = events.filter((e) => e.involvedObject.uid === uid && e.reason === 'UnsupportedFields');
    assert.equal(warn.length, 1);
    assert.equal(warn[0]!.type, 'Warning');
    assert.equal(
      warn[0]!.message,
      'The embedded runtime cannot honour these fields, which are ignored: spec.containers[0].resources (no cgroups); spec.containers[0].securityContext.readOnlyRootFilesystem',
    );
    assert.ok(existsSync(cacheDir));
    await manager.deletePod(uid, { gracePeriodSeconds: 0 });
    await manager.close(); // waits for the volume teardown
    assert.equal(existsSync(join(dir, 'kubelet', 'pods', uid)), false, 'the pod directory is removed with the pod');
    manager = new RuntimeManager({ endpoint: rt.endpoint, podLogsDir: join(dir, 'pods'), rootDir: join(dir, 'kubelet'), relistPeriodMs: 200, podWorkerRetryMs: 150 });
    manager.events$.subscribe((e) => events.push(e));
    await manager.start();
  });

  test('env from fieldRef and resourceFieldRef, and $(VAR) expansion, work there', async () => {
    const pod = loadPod(`apiVersion: v1
kind: Pod
metadata: { name: emb-env, labels: { app: env } }
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'echo "$(GREETING) ip=$POD_IP app=$APP mem=$MEM"']
    env:
    - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
    - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
    - { name: APP, valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }
    - { name: MEM, valueFrom: { resourceFieldRef: { resource: requests.memory } } }
    - { name: GREETING, value: "hello $(POD_NAME)" }
`);
    const uid = manager.addPod(pod);
    await waitFor(uid, (s) => s.phase === 'Succeeded');
    const log = readFileSync(join(dir, 'pods', `default_emb-env_${uid}`, 'app', '0.log'), 'utf8');
    assert.match(log, /hello emb-env ip=127\.0\.0\.1 app=env mem=0\n/);
    assert.ok(!events.some((e) => e.involvedObject.uid === uid && e.reason === 'UnsupportedFields'), 'nothing to report');
    await manager.deletePod(uid);
  });

  test('CRI: a config with any mount is refused, one without is not', async () => {
    const client = new CriClient({ endpoint: rt.endpoint });
    try {
      const config = { metadata: { name: 'm', uid: 'm-uid', namespace: 'default', attempt: 0 } };
      const { podSandboxId } = await client.runPodSandbox({ config });
      const c = { metadata: { name: 'c' }, image: { image: TEST_IMAGE }, command: ['true'] };
      await client.pullImage({ image: { image: TEST_IMAGE } });
      await assert.rejects(
        client.createContainer({ podSandboxId, sandboxConfig: config, config: { ...c, mounts: [{ containerPath: '/etc/hosts', hostPath: '/tmp/h' }, { containerPath: '/x', hostPath: '/y' }] } }),
        /cannot mount "\/tmp\/h" at "\/etc\/hosts" \(and 1 more\) for container "c"/,
      );
      const { containerId } = await client.createContainer({ podSandboxId, sandboxConfig: config, config: c });
      assert.ok(containerId);
      await client.removeContainer({ containerId });
      await client.stopPodSandbox({ podSandboxId });
      await client.removePodSandbox({ podSandboxId });
    } finally {
      client.close();
    }
  });
});
