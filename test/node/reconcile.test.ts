// Reconciliation (src/node/reconcile.ts) driven through the real charts and a real
// runtime: one manager runs a pod and goes away (close() leaves the runtime alone, as
// a SIGKILL does), a second one adopts it, from its checkpoint or from the runtime
// alone. This is the test that fails when the charts change under reconcile.ts.
// Runs on the embedded runtime and (STATELET_CONTAINERD_ENDPOINT) containerd.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeTargets, type RuntimeEnv } from '../helpers/runtimes.js';
import { RuntimeManager } from '../../src/manager.js';
import { loadPod } from '../../src/k8s/manifest.js';
import type { Pod, PodStatus } from '../../src/k8s/types.js';
import { AdoptingCriClient, AdoptionRegistry, adoptionActors } from '../../src/node/adoption.js';
import { addPlanned, reconcileEnv } from '../../src/node/adopt.js';
import { planAdoption } from '../../src/node/reconcile.js';
import { runtimePod } from '../../src/node/runtime-view.js';
import { CHECKPOINT_VERSION, type PodCheckpoint } from '../../src/node/checkpoint.js';
import { POD_UID_LABEL } from '../../src/kuberuntime/labels.js';
import { randomBytes } from 'node:crypto';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Mgr {
  manager: RuntimeManager;
  client: AdoptingCriClient;
  registry: AdoptionRegistry;
  events: { reason: string; message: string; fieldPath?: string }[];
  close(): Promise<void>;
}

function makeManager(env: RuntimeEnv, logs: string): Mgr {
  const registry = new AdoptionRegistry();
  const client = new AdoptingCriClient({ endpoint: env.endpoint, runtimeRequestTimeoutMs: 20_000, registry });
  const manager = new RuntimeManager({ client, podLogsDir: logs, relistPeriodMs: 250, backOff: { initialMs: 3000, maxMs: 3000 }, wrapActors: adoptionActors(registry) });
  const events: Mgr['events'] = [];
  manager.events$.subscribe((e) => events.push({ reason: e.reason, message: e.message, fieldPath: e.involvedObject.fieldPath }));
  return {
    manager,
    client,
    registry,
    events,
    async close() {
      await manager.close();
      client.close();
    },
  };
}

function until(m: RuntimeManager, uid: string, pred: (s: PodStatus) => boolean, what: string, ms = 30_000): Promise<PodStatus> {
  const now = m.getStatus(uid);
  if (now && pred(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`timed out waiting for ${what}; last status ${JSON.stringify(m.getStatus(uid))?.slice(0, 1500)}`));
    }, ms);
    const sub = m.status$.subscribe(({ pod, status }) => {
      if (pod.metadata.uid === uid && pred(status)) {
        clearTimeout(t);
        sub.unsubscribe();
        resolve(status);
      }
    });
  });
}

const cs = (s: PodStatus, name: string) => [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])].find((c) => c.name === name)!;

function podYaml(image: string, body: string): Pod {
  return loadPod(`apiVersion: v1
kind: Pod
metadata: { name: rec-${randomBytes(3).toString('hex')}, uid: rec-${randomBytes(8).toString('hex')} }
spec:
  terminationGracePeriodSeconds: 1
${body.replaceAll('IMAGE', image)}`);
}

for (const target of runtimeTargets()) {
  describe(`adoption by a second manager (${target.name})`, { concurrency: false }, () => {
    let env: RuntimeEnv;
    let logs: string;
    before(async () => {
      env = await target.setup();
      logs = mkdtempSync(join(tmpdir(), 'statelet-rec-'));
    });
    after(async () => {
      await env.teardown();
      rmSync(logs, { recursive: true, force: true });
    });

    async function finish(m: Mgr, uid: string) {
      if (m.manager.hasPod(uid)) await m.manager.deletePod(uid, { gracePeriodSeconds: 1 });
      await m.close();
    }

    test('without a checkpoint: rebuilt from the runtime; init not re-run, the running app adopted, restart counts kept', async () => {
      const pod = podYaml(env.image, `  initContainers:
  - { name: init, image: IMAGE, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "exit 0"] }
  containers:
  - name: app
    image: IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    lifecycle: { postStart: { exec: { command: ["sh", "-c", "true"] } } }
  - { name: crash, image: IMAGE, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "sleep 0.3; exit 2"] }
`);
      const uid = pod.metadata.uid!;
      const a = makeManager(env, logs);
      await a.manager.start();
      a.manager.addPod(pod);
      const before = await until(a.manager, uid, (s) => !!cs(s, 'app')?.state.running && cs(s, 'crash')?.restartCount >= 1 && !!cs(s, 'crash')?.state.waiting, 'app running, crash restarted once', 40_000);
      await a.close(); // the runtime is left as it is, as after a SIGKILL
      const rp = (await runtimePod(env.client, uid))!;
      const initInstances = rp.instances.filter((i) => i.name === 'init').length;

      const b = makeManager(env, logs);
      try {
        await b.manager.connect();
        const plan = await planAdoption(pod, rp, undefined, reconcileEnv(b.manager, logs));
        assert.equal(plan.kind, 'restore');
        assert.equal(plan.from, 'runtime');
        addPlanned(b.manager, b.registry, pod, plan);
        await b.manager.start();
        const st = await until(b.manager, uid, (s) => !!cs(s, 'app')?.state.running && s.phase === 'Running', 'adopted app running');
        assert.equal(cs(st, 'app').containerID, cs(before, 'app').containerID, 'the same app instance');
        assert.equal(cs(st, 'app').restartCount, 0);
        assert.equal(cs(st, 'init').state.terminated?.exitCode, 0);
        assert.ok(cs(st, 'crash').restartCount >= cs(before, 'crash').restartCount, 'the restart count goes on from where it was');
        assert.ok(!b.events.some((e) => e.reason === 'Started' && e.fieldPath === 'spec.containers{app}'), 'the adopted app is not started again');
        await sleep(1000);
        const after = (await runtimePod(env.client, uid))!;
        assert.equal(after.sandboxes.length, 1, 'no second sandbox');
        assert.equal(after.instances.filter((i) => i.name === 'init').length, initInstances, 'the init container is not run again');
        assert.equal(after.instances.filter((i) => i.name === 'app').length, 1, 'one app instance');
        const crashAttempts = after.instances.filter((i) => i.name === 'crash').map((i) => i.attempt);
        assert.equal(new Set(crashAttempts).size, crashAttempts.length, 'one instance per attempt');
      } finally {
        await finish(b, uid);
      }
    });

    test('from a checkpoint: a pending CrashLoopBackOff keeps its deadline', async () => {
      const pod = podYaml(env.image, `  containers:
  - { name: crash, image: IMAGE, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "sleep 0.2; exit 2"] }
`);
      const uid = pod.metadata.uid!;
      const a = makeManager(env, logs);
      await a.manager.start();
      a.manager.addPod(pod);
      const waiting = await until(a.manager, uid, (s) => cs(s, 'crash')?.state.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff', 40_000);
      const cp: PodCheckpoint = { version: CHECKPOINT_VERSION, uid, pod, source: 'test', nodeName: 'n', snapshot: a.manager.getActor(uid)!.getPersistedSnapshot(), startTime: Date.now(), lastStatus: waiting, savedAt: Date.now() };
      await a.close();
      await sleep(500);
      const rp = (await runtimePod(env.client, uid))!;
      const lastExit = Math.max(...rp.instances.map((i) => i.status.finishedAt ?? 0));
      const maxAttempt = Math.max(...rp.instances.map((i) => i.attempt));
      const b = makeManager(env, logs);
      try {
        await b.manager.connect();
        const plan = await planAdoption(pod, rp, cp, reconcileEnv(b.manager, logs));
        assert.equal(plan.from, 'checkpoint');
        addPlanned(b.manager, b.registry, pod, plan);
        await b.manager.start();
        const st = b.manager.getStatus(uid)!;
        assert.equal(cs(st, 'crash').state.waiting?.reason, 'CrashLoopBackOff');
        assert.equal(cs(st, 'crash').restartCount, cs(waiting, 'crash').restartCount);
        for (let i = 0; i < 100; i++) {
          const now = (await runtimePod(env.client, uid))!;
          const next = now.instances.find((x) => x.attempt === maxAttempt + 1);
          if (next) {
            const waited = (next.status.createdAt ?? 0) - lastExit;
            assert.ok(waited >= 2500, `restarted ${waited} ms after the exit: the 3 s back-off was kept`);
            assert.ok(waited < 3000 + 2500, `restarted ${waited} ms after the exit`);
            return;
          }
          await sleep(100);
        }
        assert.fail('never restarted');
      } finally {
        await finish(b, uid);
      }
    });

    test('two ready sandboxes for one pod: the other one is stopped and removed (with Killing for what ran in it)', async () => {
      const pod = podYaml(env.image, `  containers:
  - { name: app, image: IMAGE, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"] }
`);
      const uid = pod.metadata.uid!;
      const a = makeManager(env, logs);
      await a.manager.start();
      a.manager.addPod(pod);
      const first = await until(a.manager, uid, (s) => !!cs(s, 'app')?.state.running, 'running', 30_000);
      await a.close();
      // A stray duplicate: the same pod's sandbox, made again (as a killed `statelet run` used to leave).
      const dup = await env.client.runPodSandbox({
        config: {
          metadata: { name: pod.metadata.name, namespace: 'default', uid, attempt: 7 },
          hostname: '',
          logDirectory: join(logs, 'dup'),
          labels: { [POD_UID_LABEL]: uid, 'io.statelet.managed': 'true' },
          annotations: {},
          linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
        } as never,
      });
      const rp = (await runtimePod(env.client, uid))!;
      assert.equal(rp.sandboxes.filter((s) => s.ready).length, 2);
      const b = makeManager(env, logs);
      try {
        await b.manager.connect();
        const plan = await planAdoption(pod, rp, undefined, reconcileEnv(b.manager, logs));
        assert.equal(plan.discard.length, 1);
        assert.deepEqual(plan.discard[0]!.sandboxes.map((s) => s.id), [dup.podSandboxId], 'the newer, empty duplicate goes, the one with the app stays');
      } finally {
        await env.client.stopPodSandbox({ podSandboxId: dup.podSandboxId }).catch(() => {});
        await env.client.removePodSandbox({ podSandboxId: dup.podSandboxId }).catch(() => {});
        await b.manager.connect();
        addPlanned(b.manager, b.registry, pod, { ...(await planAdoption(pod, (await runtimePod(env.client, uid))!, undefined, reconcileEnv(b.manager, logs))) });
        await b.manager.start();
        const st = await until(b.manager, uid, (s) => !!cs(s, 'app')?.state.running, 'adopted', 30_000);
        assert.equal(cs(st, 'app').containerID, cs(first, 'app').containerID);
        await finish(b, uid);
      }
    });

    test('a pod that completed (restartPolicy Never) is adopted as done: nothing runs again', async () => {
      const pod = podYaml(env.image, `  restartPolicy: Never
  containers:
  - { name: job, image: IMAGE, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "exit 0"] }
`);
      const uid = pod.metadata.uid!;
      const a = makeManager(env, logs);
      await a.manager.start();
      a.manager.addPod(pod);
      await until(a.manager, uid, (s) => s.phase === 'Succeeded', 'Succeeded', 30_000);
      await a.close();
      const rp = (await runtimePod(env.client, uid))!;
      const b = makeManager(env, logs);
      try {
        await b.manager.connect();
        addPlanned(b.manager, b.registry, pod, await planAdoption(pod, rp, undefined, reconcileEnv(b.manager, logs)));
        await b.manager.start();
        const st = await until(b.manager, uid, (s) => s.phase === 'Succeeded', 'Succeeded after adoption', 30_000);
        assert.equal(cs(st, 'job').state.terminated?.exitCode, 0);
        await sleep(800);
        const after = (await runtimePod(env.client, uid))!;
        assert.equal(after.instances.length, 1, 'the job is not run again');
      } finally {
        await finish(b, uid);
      }
    });
  });
}
