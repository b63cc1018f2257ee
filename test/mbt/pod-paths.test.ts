// Model-based tests over the pod chart: xstate/graph gives the shortest path to
// every pod state (sandbox failures, sandbox death and re-creation, deletion);
// each is run against the embedded runtime, steered with fault injection and
// by stopping the sandbox behind the pod's back. A real pod passes through
// more states than the abstract path (its containers take time), so the path's
// states must appear in order within what is observed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getShortestPaths } from 'xstate/graph';
import type { InspectionEvent } from 'xstate';
import { podMachine } from '../../machines/pod/index.js';
import { loadPod } from '../../src/k8s/manifest.js';
import { RuntimeManager, stateString } from '../../src/manager.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../src/runtime/index.js';
import { loggingClient, type LoggedCall } from './steer.js';

const T = 1_000_000;
const work = mkdtempSync(join(tmpdir(), 'statelet-mbt-pod-'));

const podYaml = (name: string, uid = '') => `apiVersion: v1
kind: Pod
metadata: { name: ${name}${uid ? `, uid: ${uid}` : ''} }
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done"]
`;

const model = loadPod(podYaml('model', 'model-uid'));
const sandbox = { id: 'sb', ip: '127.0.0.1', attempt: 0, config: { metadata: { name: 'model', uid: 'model-uid', namespace: 'default' } } };
const paths = getShortestPaths(podMachine, {
  events: [
    { type: 'xstate.done.actor.runPodSandbox', output: sandbox },
    { type: 'xstate.error.actor.runPodSandbox', error: new Error('injected') },
    { type: 'CONTAINER.STARTED', name: 'app' },
    { type: 'RUNTIME.SANDBOX', sandboxId: 'sb', ready: false, at: T },
    { type: 'xstate.done.actor.stopPodSandbox' },
    { type: 'xstate.done.actor.removePodSandbox' },
    { type: 'DELETE', at: T },
  ] as never,
  input: { pod: model, now: T },
  // Container actors are spawned into context: leave them out of the state's identity.
  serializeState: (s) => `${stateString(s.value)}|${Math.min(s.context.sandboxAttempt, 2)}|${s.context.appIndex}|${!!s.context.deletion}`,
  limit: 5000,
}).filter((p) => p.steps.length <= 7); // keep the suite short: at most two sandbox re-creations

describe('model-based: shortest paths through the pod chart, run against the embedded runtime', { concurrency: false }, () => {
  let runtime: EmbeddedRuntime;
  before(async () => {
    runtime = await startEmbeddedRuntime({ stateDir: join(work, 'rt'), killOnClose: true });
  });
  after(async () => {
    await runtime.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('the graph reaches every pod state that does not need a container to finish', () => {
    const reached = new Set(paths.map((p) => stateString(p.state.value).split('.')[0]));
    for (const s of ['CreatingSandbox', 'SandboxCreateFailed', 'StartingContainers', 'Running', 'StoppingOldSandbox', 'Terminating', 'Removing', 'Removed']) {
      assert.ok(reached.has(s), `no path reaches ${s}`);
    }
  });

  let n = 0;
  for (const path of paths) {
    const expected = path.steps.map((s) => stateString(s.state.value)).filter((v, i, a) => i === 0 || v !== a[i - 1]);
    const label = path.steps.slice(1).map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(initial)';
    test(`path to ${stateString(path.state.value)}: ${label}`, async () => {
      const calls: LoggedCall[] = [];
      const client = loggingClient(runtime.endpoint, calls);
      runtime.faults.clear();
      const pod = loadPod(podYaml(`mbt-pod-${++n}`));
      const uid = pod.metadata.uid!;
      const observed: string[] = [];
      let j = 0;
      let manager!: RuntimeManager;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const external: Promise<unknown>[] = [];
      const stepEvents: string[] = path.steps.map((s) => s.event.type);

      // The events the path sends while in each distinct state (a deletion noted during
      // RunPodSandbox, say, does not change the state value).
      const eventsIn: string[][] = expected.map(() => []);
      {
        let k = 0;
        for (let i = 1; i < path.steps.length; i++) {
          eventsIn[k]!.push(stepEvents[i]!);
          if (stateString(path.steps[i]!.state.value) !== expected[k]) k++;
        }
      }

      /** Arranges for the events the path sends from expected[stateIdx]. */
      const arrange = (stateIdx: number) => {
        for (const type of eventsIn[stateIdx] ?? []) {
          if (type === 'xstate.error.actor.runPodSandbox') {
            runtime.faults.add({ method: 'RunPodSandbox', times: 1, code: 'UNKNOWN', message: 'injected sandbox failure' });
          } else if (type === 'RUNTIME.SANDBOX') {
            const sb = manager.getActor(uid)?.getSnapshot().context.sandbox?.id;
            if (sb) external.push(client.stopPodSandbox({ podSandboxId: sb }));
          } else if (type === 'DELETE') {
            external.push(manager.deletePod(uid));
          }
        }
        if (stateIdx >= expected.length - 1) done();
      };

      const inspect = (ev: InspectionEvent) => {
        if (ev.type !== '@xstate.snapshot' || ev.actorRef.sessionId !== ev.rootId) return;
        const snap = ev.snapshot as { value?: unknown; status: string };
        if (snap.value === undefined) return;
        const value = stateString(snap.value);
        if (observed.at(-1) === value) return;
        observed.push(value);
        if (j + 1 < expected.length && value === expected[j + 1]) {
          j++;
          arrange(j);
        }
      };

      manager = new RuntimeManager({ client, relistPeriodMs: 100, podWorkerRetryMs: 300, backOff: { initialMs: 60_000 }, inspect, podLogsDir: join(work, 'logs') });
      await manager.start();
      // The first RunPodSandbox starts with the actor: what the path does there is arranged up front.
      const early = (eventsIn[0] ?? []).filter((t) => t === 'xstate.error.actor.runPodSandbox');
      for (const _ of early) runtime.faults.add({ method: 'RunPodSandbox', times: 1, code: 'UNKNOWN', message: 'injected sandbox failure' });
      eventsIn[0] = (eventsIn[0] ?? []).filter((t) => t !== 'xstate.error.actor.runPodSandbox');
      manager.addPod(pod);
      arrange(0);
      const timeout = setTimeout(done, 15_000);
      await finished;
      clearTimeout(timeout);
      await Promise.all(external);
      const actor = manager.getActor(uid);
      if (actor?.getSnapshot().status === 'active') await manager.deletePod(uid, { force: true });
      // A removed pod is released by the manager; its final status stays answerable here.
      const final = await manager.whenRemoved(uid);
      await manager.close();

      // The path's states, in order, within what the real pod went through.
      let k = 0;
      for (const v of observed) if (v === expected[k]) k++;
      assert.equal(k, expected.length, `expected ${expected.join(' > ')} in order; observed ${observed.join(' > ')}`);
      // Invariants: sandbox attempts increase one by one; StopPodSandbox precedes RemovePodSandbox;
      // nothing of the pod is left in the runtime once it is removed; a removed pod has a terminal phase.
      const attempts = calls.filter((c) => c.method === 'runPodSandbox').map((c) => (c.req['config'] as { metadata: { attempt: number } }).metadata.attempt);
      attempts.forEach((a, i) => assert.ok(a === i || a === attempts[i - 1], `sandbox attempts ${attempts}`));
      const firstRemove = calls.findIndex((c) => c.method === 'removePodSandbox');
      if (firstRemove >= 0) assert.ok(calls.findIndex((c) => c.method === 'stopPodSandbox') < firstRemove, 'StopPodSandbox before RemovePodSandbox');
      const left = await client.listPodSandbox({ filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } } });
      assert.deepEqual(left.items.map((s) => s.id), []);
      assert.ok(final && ['Succeeded', 'Failed'].includes(final.phase!), `final phase ${final?.phase}`);
      client.close();
    });
  }
});
