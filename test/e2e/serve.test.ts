// End-to-end: `statelet serve` as a separate process on the embedded runtime and,
// when STATELET_CONTAINERD_ENDPOINT is set, on real containerd: a directory of
// manifests, files added, removed, edited and broken, admission, shutdown.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupAll, isRunning, manifest, Node, targets, type Line } from '../node/serve-harness.js';
import { POD_UID_LABEL } from '../../src/kuberuntime/labels.js';

after(cleanupAll);

const runningUids = (lines: Map<string, Line>) => [...lines.values()].filter(isRunning).map((l) => l['metadata']['uid'] as string);

for (const t of targets()) {
  describe(`statelet serve (${t.name})`, { concurrency: false }, () => {
    test('20 manifests come up Running; a file added, removed, edited; an invalid file is reported and the rest run on', async () => {
      const node = new Node(t, 'dir20');
      try {
        for (let i = 0; i < 20; i++) node.write(`p${i}.yaml`, manifest(`p${i}`, t.image));
        const agent = node.serve(['--kill-pods-on-exit']);
        await agent.waitFor(() => runningUids(agent.latest()).length === 20, '20 pods Running', 90_000);
        const names = [...agent.latest().values()].map((l) => l['metadata']['name']).sort();
        assert.ok(names.every((n) => n.endsWith(`-${node.name}`)), 'static pod names carry the node suffix');
        let rt = await node.runtime();
        assert.equal(rt.sandboxes.length, 20);
        assert.equal(new Set(rt.sandboxes.map((s) => s.labels[POD_UID_LABEL])).size, 20);

        // Added.
        node.write('extra.yaml', manifest('extra', t.image));
        const extra = await agent.waitFor((l) => isRunning(l) && l['metadata']['name'] === `extra-${node.name}`, 'added pod Running', 30_000);
        // Removed: deleted gracefully, its sandbox goes.
        const p3 = [...agent.latest().values()].find((l) => l['metadata']['name'] === `p3-${node.name}`)!;
        node.remove('p3.yaml');
        await agent.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Killing' && l['involvedObject']['uid'] === p3['metadata']['uid'], 'Killing for the removed pod');
        await node.untilRuntime((r) => !r.sandboxes.some((s) => s.labels[POD_UID_LABEL] === p3['metadata']['uid']), 'the removed pod gone');
        // Edited: the UID derives from the content, so the old pod is replaced by a new one.
        const p5 = [...agent.latest().values()].find((l) => l['metadata']['name'] === `p5-${node.name}`)!;
        node.write('p5.yaml', manifest('p5', t.image, { cmd: "trap 'exit 0' TERM; while true; do sleep 0.3; done" }));
        const p5b = await agent.waitFor((l) => isRunning(l) && l['metadata']['name'] === `p5-${node.name}` && l['metadata']['uid'] !== p5['metadata']['uid'], 'the edited pod replaced', 30_000);
        await node.untilRuntime((r) => !r.sandboxes.some((s) => s.labels[POD_UID_LABEL] === p5['metadata']['uid']), 'the old p5 gone');
        assert.notEqual(p5b['metadata']['uid'], p5['metadata']['uid']);
        // Invalid: a Warning naming the file and the field, a log line, nothing else touched.
        node.write('broken.yaml', manifest('broken', t.image, { extra: '    ports: [{ containerPort: 99999 }]\n' }));
        const warn = await agent.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'InvalidManifest', 'InvalidManifest event', 10_000);
        assert.equal(warn['type'], 'Warning');
        assert.match(warn['message'], /broken\.yaml: spec\.containers\[0\]\.ports\[0\]\.containerPort/);
        await agent.waitForStderr(/broken\.yaml: invalid manifest, ignored: spec\.containers\[0\]\.ports\[0\]\.containerPort/);
        rt = await node.runtime();
        assert.equal(rt.sandboxes.filter((s) => s.state === 'SANDBOX_READY').length, 20, '19 + extra + new p5 = 20 pods, none from the broken file');
        assert.ok(runningUids(agent.latest()).includes(extra['metadata']['uid']));

        // --kill-pods-on-exit: SIGTERM deletes every pod gracefully, then the agent exits 0.
        agent.kill('SIGTERM');
        assert.equal(await agent.exited, 0, agent.stderr.slice(-2000));
        rt = await node.runtime().catch(() => ({ sandboxes: [], containers: [] }));
        assert.equal(rt.sandboxes.length, 0, 'every pod deleted');
      } finally {
        await node.cleanup();
      }
    });

    test('--max-pods: a pod beyond the capacity is rejected OutOfpods (Failed) and never started', async () => {
      const node = new Node(t, 'maxpods');
      try {
        for (const n of ['a', 'b', 'c']) node.write(`${n}.yaml`, manifest(n, t.image));
        const agent = node.serve(['--max-pods', '2']);
        await agent.waitFor(() => runningUids(agent.latest()).length === 2, 'two pods Running', 60_000);
        const rejected = await agent.waitFor((l) => l['kind'] === 'Pod' && l['status']['reason'] === 'OutOfpods', 'a rejected pod');
        assert.equal(rejected['status']['phase'], 'Failed');
        assert.equal(rejected['status']['message'], "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
        const ev = agent.events('OutOfpods')[0]!;
        assert.equal(ev['type'], 'Warning');
        assert.equal(ev['message'], "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
        assert.equal(ev['involvedObject']['uid'], rejected['metadata']['uid']);
        const rt = await node.runtime();
        assert.equal(rt.sandboxes.length, 2);
        assert.ok(!rt.sandboxes.some((s) => s.labels[POD_UID_LABEL] === rejected['metadata']['uid']), 'the rejected pod has no sandbox');
      } finally {
        await node.cleanup();
      }
    });

    test('SIGTERM stops the agent and leaves the pods running; a restart adopts them without a second sandbox', async () => {
      const node = new Node(t, 'sigterm');
      try {
        node.write('a.yaml', manifest('a', t.image));
        const first = node.serve();
        const run1 = await first.waitFor(isRunning, 'a Running', 60_000);
        first.kill('SIGTERM');
        assert.equal(await first.exited, 0);
        let rt = await node.runtime();
        assert.equal(rt.sandboxes.length, 1);
        assert.equal(rt.containers.filter((c) => c.state === 'CONTAINER_RUNNING').length, 1, 'the container runs on without the agent');
        const second = node.serve();
        const run2 = await second.waitFor(isRunning, 'a Running again', 30_000);
        assert.equal(run2['metadata']['uid'], run1['metadata']['uid']);
        assert.equal(run2['status']['containerStatuses'][0]['containerID'], run1['status']['containerStatuses'][0]['containerID'], 'the same instance, adopted');
        assert.equal(run2['status']['containerStatuses'][0]['restartCount'], 0);
        await second.waitForStderr(/adopted 1 pod\(s\)/);
        rt = await node.runtime();
        assert.equal(rt.sandboxes.length, 1);
        assert.equal(rt.containers.length, 1);
        assert.equal(second.events('Started').length, 0, 'the adopted instance is not started again');
        // One agent per root dir.
        const third = node.serve();
        assert.equal(await third.exited, 1);
        assert.match(third.stderr, /another statelet agent \(pid \d+\) owns/);
        node.agent = second;
      } finally {
        await node.cleanup();
      }
    });
  });
}
