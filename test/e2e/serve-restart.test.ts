// End-to-end: `statelet serve` SIGKILLed at the worst moments, then started again
// with the same --root-dir, on the embedded runtime and (STATELET_CONTAINERD_ENDPOINT)
// real containerd. After each restart the runtime is read through the CRI: no
// duplicate sandbox or container, the same restart counts, no second postStart, the
// back-off honoured, the deletion completed; and orphans of this node removed.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cleanupAll, containerStatus, isRunning, manifest, Node, sleep, targets } from '../node/serve-harness.js';
import { CONTAINER_NAME_LABEL, MANAGED_BY_LABEL, POD_UID_LABEL } from '../../src/kuberuntime/labels.js';
import type { ContainerStatus } from '../../src/cri/types.js';

after(cleanupAll);

const ms = (ns: string | number) => Number(BigInt(ns) / 1_000_000n);
const of = (cs: ContainerStatus[], uid: string) => cs.filter((c) => c.labels[POD_UID_LABEL] === uid);

for (const t of targets()) {
  describe(`statelet serve survives SIGKILL (${t.name})`, { concurrency: false }, () => {
    test('during a postStart hook: the instance is adopted, the hook is not run again', async () => {
      const node = new Node(t, 'poststart');
      const marker = `/tmp/statelet-hook-${randomBytes(4).toString('hex')}`;
      try {
        node.write('h.yaml', manifest('h', t.image, { postStart: `echo ran >> ${marker}; sleep 4` }));
        const first = node.serve();
        const created = await first.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Started', 'container started', 60_000);
        const uid = created['involvedObject']['uid'];
        // The hook has begun (its first line is written) when the agent dies.
        const c = node.client();
        const id = (await node.untilRuntime((r) => of(r.containers, uid).some((x) => x.state === 'CONTAINER_RUNNING'), 'running')).containers[0]!.id;
        for (let i = 0; ; i++) {
          const out = await c.execSync({ containerId: id, cmd: ['cat', marker], timeout: 5 }).catch(() => null);
          if (out && out.stdout.toString().includes('ran')) break;
          if (i > 100) throw new Error('the hook never started');
          await sleep(50);
        }
        first.kill('SIGKILL');
        await first.exited;
        const second = node.serve();
        const st = await second.waitFor(isRunning, 'Running after the restart', 30_000);
        assert.equal(containerStatus(st, 'app')!['containerID'].replace(/^[a-z]+:\/\//, ''), id, 'the same instance');
        assert.equal(containerStatus(st, 'app')!['restartCount'], 0);
        await sleep(1500);
        const out = await c.execSync({ containerId: id, cmd: ['cat', marker], timeout: 5 });
        assert.equal(out.stdout.toString().trim().split('\n').length, 1, 'postStart ran once');
        const rt = await node.runtime();
        assert.equal(rt.sandboxes.length, 1, 'one sandbox');
        assert.equal(rt.containers.length, 1, 'one container');
        assert.equal(rt.containers[0]!.state, 'CONTAINER_RUNNING');
      } finally {
        await node.cleanup();
      }
    });

    test('during a CrashLoopBackOff wait: the restart count is kept and the back-off deadline honoured', async () => {
      const node = new Node(t, 'backoff');
      try {
        node.write('c.yaml', manifest('c', t.image, { cmd: 'sleep 0.2; exit 3' }));
        const first = node.serve(['--backoff-initial', '6', '--backoff-max', '6']);
        // First exit: immediate restart; second exit: CrashLoopBackOff (6 s).
        const waiting = await first.waitFor((l) => l['kind'] === 'Pod' && containerStatus(l, 'app')?.['state']?.['waiting']?.['reason'] === 'CrashLoopBackOff', 'CrashLoopBackOff', 60_000);
        const uid = waiting['metadata']['uid'];
        const restarts = containerStatus(waiting, 'app')!['restartCount'] as number;
        await sleep(1000);
        first.kill('SIGKILL');
        await first.exited;
        const before = of((await node.runtime()).containers, uid);
        const lastExit = Math.max(...before.map((c) => ms(c.finishedAt)));
        const maxAttempt = Math.max(...before.map((c) => c.metadata?.attempt ?? 0));
        await sleep(500);
        const second = node.serve(['--backoff-initial', '6', '--backoff-max', '6']);
        const back = await second.waitFor((l) => l['kind'] === 'Pod' && containerStatus(l, 'app')?.['state']?.['waiting']?.['reason'] === 'CrashLoopBackOff', 'CrashLoopBackOff after the restart', 30_000);
        assert.equal(containerStatus(back, 'app')!['restartCount'], restarts, 'the same restart count');
        const rt = await node.untilRuntime((r) => of(r.containers, uid).some((c) => (c.metadata?.attempt ?? 0) > maxAttempt), 'the next attempt', 30_000);
        const next = of(rt.containers, uid).find((c) => c.metadata?.attempt === maxAttempt + 1)!;
        assert.ok(next, `attempt ${maxAttempt + 1} follows ${maxAttempt}: no skip, no duplicate`);
        const waited = ms(next.createdAt) - lastExit;
        assert.ok(waited >= 5500, `restarted ${waited} ms after the exit: the 6 s back-off was kept`);
        assert.ok(waited < 6000 + 4000, `restarted ${waited} ms after the exit: not later than the deadline plus a relist`);
        assert.equal(rt.sandboxes.length, 1);
        assert.equal(new Set(of(rt.containers, uid).map((c) => c.metadata!.attempt)).size, of(rt.containers, uid).length, 'one instance per attempt');
      } finally {
        await node.cleanup();
      }
    });

    test('during a graceful deletion (preStop running): the deletion completes after the restart', async () => {
      const node = new Node(t, 'prestop');
      try {
        node.write('d.yaml', manifest('d', t.image, { preStop: 'sleep 3', grace: 10 }));
        const first = node.serve();
        const st = await first.waitFor(isRunning, 'Running', 60_000);
        const uid = st['metadata']['uid'];
        node.remove('d.yaml');
        await first.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Killing', 'Killing (preStop starts)', 20_000);
        await sleep(700);
        first.kill('SIGKILL');
        await first.exited;
        assert.equal((await node.runtime()).sandboxes.length, 1, 'the pod is still there when the agent dies');
        const t0 = Date.now();
        const second = node.serve();
        await node.untilRuntime((r) => !r.sandboxes.some((s) => s.labels[POD_UID_LABEL] === uid), 'the deletion completed', 30_000);
        assert.ok(Date.now() - t0 < 30_000);
        await second.waitForStderr(/no source holds it/);
      } finally {
        await node.cleanup();
      }
    });

    test('while 20 pods are starting: after the restart every pod runs once, nothing is duplicated', async () => {
      const node = new Node(t, 'start20');
      try {
        for (let i = 0; i < 20; i++) node.write(`s${i}.yaml`, manifest(`s${i}`, t.image, { postStart: 'sleep 0.5' }));
        const first = node.serve();
        await first.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Started', 'the first start', 60_000);
        await sleep(300);
        first.kill('SIGKILL');
        await first.exited;
        // What ran before the kill: those instances must be the ones running afterwards.
        const before = (await node.runtime()).containers.filter((c) => c.state === 'CONTAINER_RUNNING');
        const second = node.serve();
        await second.waitFor(() => [...second.latest().values()].filter(isRunning).length === 20, '20 Running after the restart', 90_000);
        const rt = await node.runtime();
        const uids = new Set(rt.sandboxes.map((s) => s.labels[POD_UID_LABEL]));
        assert.equal(uids.size, 20);
        assert.equal(rt.sandboxes.length, 20, 'one sandbox per pod');
        for (const uid of uids) {
          const cs = of(rt.containers, uid);
          const story = () =>
            [first, second]
              .map((a, n) => `agent ${n + 1}:\n` + a.lines.filter((l) => (l['involvedObject']?.['uid'] ?? l['metadata']?.['uid']) === uid && l['kind'] === 'Event').map((l) => `  ${l['reason']}: ${l['message']}`).join('\n'))
              .join('\n');
          const what = `pod ${uid}: ${cs.map((c) => `${c.metadata?.attempt}:${c.state}:${c.exitCode}:${c.reason}`).join(' ')}\n${story()}`;
          assert.equal(cs.filter((c) => c.state === 'CONTAINER_RUNNING').length, 1, `one running instance, ${what}`);
          assert.equal(new Set(cs.map((c) => c.metadata?.attempt)).size, cs.length, `one instance per attempt, ${what}`);
          // An instance whose StartContainer the kill cut short ended as StartError (the runtime
          // says so): its restart is the only one allowed.
          for (const c of cs) if (c.state !== 'CONTAINER_RUNNING') assert.equal(c.reason, 'StartError', what);
        }
        for (const b of before) {
          const now = rt.containers.find((c) => c.id === b.id);
          assert.equal(now?.state, 'CONTAINER_RUNNING', `instance ${b.id.slice(0, 12)} that ran before the kill runs on, adopted`);
        }
      } finally {
        await node.cleanup();
      }
    });

    test('orphan cleanup: a pod this node created that no source holds is removed; other pods are never touched', async () => {
      const node = new Node(t, 'orphan');
      try {
        node.write('keep.yaml', manifest('keep', t.image));
        node.write('gone.yaml', manifest('gone', t.image));
        const first = node.serve();
        await first.waitFor(() => [...first.latest().values()].filter(isRunning).length === 2, 'two Running', 60_000);
        const gone = [...first.latest().values()].find((l) => l['metadata']['name'] === `gone-${node.name}`)!;
        first.kill('SIGKILL');
        await first.exited;
        // A pod of another tool on the same runtime (statelet-managed, but not this node's).
        const c = node.client();
        const foreign = await c.runPodSandbox({
          config: {
            metadata: { name: `foreign-${node.name}`, namespace: 'default', uid: `foreign-${randomBytes(4).toString('hex')}`, attempt: 0 },
            hostname: '',
            logDirectory: '',
            labels: { [MANAGED_BY_LABEL]: 'true', [POD_UID_LABEL]: 'foreign' },
            annotations: {},
            linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
          } as never,
        });
        try {
          node.remove('gone.yaml');
          const t0 = Date.now();
          const second = node.serve();
          const killing = await second.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Killing' && l['involvedObject']['uid'] === gone['metadata']['uid'], 'Killing for the orphan', 30_000);
          assert.equal(killing['message'], 'Stopping container app');
          await node.untilRuntime((r) => !r.sandboxes.some((s) => s.labels[POD_UID_LABEL] === gone['metadata']['uid']), 'the orphan removed', 30_000);
          assert.ok(Date.now() - t0 < 30_000, 'within 30 s of the restart');
          const rt = await node.runtime();
          assert.equal(rt.sandboxes.length, 1, 'the pod the source still holds stays');
          const st = await c.podSandboxStatus({ podSandboxId: foreign.podSandboxId });
          assert.equal(st.status?.state, 'SANDBOX_READY', 'a pod this node did not create is left alone');
          assert.ok(!rt.containers.some((x) => x.labels[CONTAINER_NAME_LABEL] === undefined));
        } finally {
          await c.stopPodSandbox({ podSandboxId: foreign.podSandboxId }).catch(() => {});
          await c.removePodSandbox({ podSandboxId: foreign.podSandboxId }).catch(() => {});
        }
      } finally {
        await node.cleanup();
      }
    });
  });
}
