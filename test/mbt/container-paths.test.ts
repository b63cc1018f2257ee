// Model-based tests: xstate/graph generates the shortest path to every state of
// the container chart; each path is then executed for real against the embedded
// runtime, with fault injection steering the run down that path, and invariants
// are checked at every step.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getShortestPaths } from 'xstate/graph';
import type { InspectionEvent } from 'xstate';
import { containerMachine } from '../../machines/container/index.js';
import { loadPod } from '../../src/k8s/manifest.js';
import type { Pod } from '../../src/k8s/types.js';
import { CriClient } from '../../src/cri/client.js';
import { RuntimeManager, stateString } from '../../src/manager.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../src/runtime/index.js';
import { activeStateMeta } from '../../src/status.js';
import { loggingClient, type LoggedCall } from './steer.js';

const T = 1_000_000;
const work = mkdtempSync(join(tmpdir(), 'statelet-mbt-'));

function manifest(name: string, ctl: string): Pod {
  return loadPod(`apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: busybox:1.36
    imagePullPolicy: Always
    command: ["sh", "-c", "trap 'exit 0' TERM; while [ ! -f ${ctl}/exit ]; do sleep 0.02; done; rm -f ${ctl}/exit; exit 1"]
    lifecycle:
      postStart: { exec: { command: ["sh", "-c", "echo post-start"] } }
      preStop: { exec: { command: ["sh", "-c", "echo pre-stop"] } }
`);
}

/** The chart's abstract events, each of which the real run can be steered into. */
function modelEvents(pod: Pod) {
  const sandbox = { id: 'sb', ip: '127.0.0.1', attempt: 0, config: { metadata: { name: pod.metadata.name, uid: pod.metadata.uid!, namespace: 'default' } } };
  const exited = { id: 'c', state: 'exited' as const, exitCode: 1, finishedAt: T };
  return [
    { type: 'START', sandbox, at: T },
    { type: 'xstate.done.actor.inspectImage', output: { present: false } },
    { type: 'xstate.done.actor.pullImage', output: { imageRef: 'i', size: 1, pullMs: 1, totalMs: 1 } },
    { type: 'xstate.error.actor.pullImage', error: new Error('injected') },
    { type: 'xstate.done.actor.createContainer', output: { containerId: 'c' } },
    { type: 'xstate.error.actor.createContainer', error: new Error('injected') },
    { type: 'xstate.done.actor.startContainer', output: { startedAt: T } },
    { type: 'xstate.error.actor.startContainer', error: new Error('injected') },
    { type: 'xstate.done.actor.runHandler', output: { startedAt: T, finishedAt: T } },
    { type: 'xstate.error.actor.runHandler', error: new Error('injected') },
    { type: 'xstate.done.actor.stopContainer', output: exited },
    { type: 'RUNTIME.STATUS', status: exited, at: T },
    { type: 'DELETE', at: T },
  ];
}

/** The CRI method behind each invoked actor: a fault there makes the actor fail. */
const CRI_METHOD: Record<string, string> = {
  inspectImage: 'ImageStatus',
  pullImage: 'PullImage',
  createContainer: 'CreateContainer',
  startContainer: 'StartContainer',
  runHandler: 'ExecSync',
  stopContainer: 'StopContainer',
};

const pathPod = loadPod(`apiVersion: v1
kind: Pod
metadata: { name: model, uid: model-uid }
spec:
  containers:
  - name: app
    image: busybox:1.36
    imagePullPolicy: Always
    command: ["sh"]
    lifecycle:
      postStart: { exec: { command: ["true"] } }
      preStop: { exec: { command: ["true"] } }
`);

const paths = getShortestPaths(containerMachine, {
  events: modelEvents(pathPod) as never,
  input: { pod: pathPod, container: pathPod.spec.containers[0]!, role: 'regular', now: T },
  // Distinguish first runs from restarts (back-off), and what a kill leads to.
  serializeState: (s) => `${stateString(s.value)}|${s.context.restartCount > 0}|${!!s.context.backOff}|${s.context.kill?.then ?? ''}|${s.context.deleting}`,
});

describe('model-based: shortest paths through the container chart, run against the embedded runtime', { concurrency: false }, () => {
  let runtime: EmbeddedRuntime;
  before(async () => {
    runtime = await startEmbeddedRuntime({ stateDir: join(work, 'rt'), killOnClose: true });
  });
  after(async () => {
    await runtime.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('the graph reaches every state of the chart', () => {
    // Top-level states, and the waits by their reason (`Waiting.CrashLoopBackOff`).
    const reached = new Set(paths.map((p) => stateString(p.state.value).split('.').slice(0, stateString(p.state.value).startsWith('Waiting.') ? 2 : 1).join('.')));
    for (const s of ['Pending', 'Pulling', 'Waiting.ErrImagePull', 'Creating', 'Waiting.CreateContainerError', 'Created', 'PostStartRunning', 'Running', 'Terminating', 'Waiting.CrashLoopBackOff', 'Exited']) {
      assert.ok(reached.has(s), `no path reaches ${s}`);
    }
    // RunContainerError and PostStartHookError are decisions, not waits: the failed
    // instance's exit syncs the pod at once (facts §13), so no path rests in them. The
    // paths that pass through them end in CrashLoopBackOff or the next attempt.
    const through = paths.filter((p) => p.steps.some((st) => ['xstate.error.actor.startContainer', 'xstate.error.actor.runHandler'].includes(st.event.type)));
    assert.ok(through.length >= 2, 'no path goes through a failed StartContainer and a failed postStart');
  });

  let n = 0;
  // A container only rests in Pending before its pod's sandbox exists; a deletion then
  // removes the pod before any container actor is spawned, so that path cannot be steered.
  for (const path of paths.filter((p) => p.steps[1]?.event.type !== 'DELETE')) {
    const expected = path.steps.map((s) => stateString(s.state.value));
    const label = path.steps.slice(1).map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(initial)';
    test(`path to ${stateString(path.state.value)}: ${label}`, async () => {
      const name = `mbt-${++n}`;
      const ctl = join(work, name);
      mkdirSync(ctl, { recursive: true });
      const pod = manifest(name, ctl);
      const calls: LoggedCall[] = [];
      const client = loggingClient(runtime.endpoint, calls);
      runtime.faults.clear();
      const observed: string[] = [];
      const statusMismatches: string[] = [];
      let stepIndex = 0; // index into path.steps of the last state reached
      let manager!: RuntimeManager;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const external: Promise<unknown>[] = [];
      const early = new Set<number>();

      /** Before the next step's event can happen, arrange for it. */
      const arrange = (i: number) => {
        const next = path.steps[i + 1];
        if (!next) return done();
        const type = next.event.type;
        const m = /^xstate\.error\.actor\.(\w+)$/.exec(type);
        // Under imagePullPolicy Always the pull follows the step into Pulling at once (no
        // ImageStatus first): a failure of that pull is arranged one step early.
        const after = path.steps[i + 2];
        if (expected[i + 1] === 'Pulling.Pulling' && String(after?.event.type) === 'xstate.error.actor.pullImage') {
          runtime.faults.add({ method: 'PullImage', times: 1, code: 'UNKNOWN', message: 'injected pullImage failure' });
          early.add(i + 1);
        }
        if (m && early.has(i)) {
          // already arranged
        } else if (m) {
          // A failed start leaves the container as containerd does (EXITED 128 StartError).
          runtime.faults.add({ method: CRI_METHOD[m[1]!]!, times: 1, code: 'UNKNOWN', message: `injected ${m[1]} failure`, leaveExited: m[1] === 'startContainer' });
        } else if (type === 'RUNTIME.STATUS') {
          writeFileSync(join(ctl, 'exit'), '1');
        } else if (type === 'DELETE') {
          external.push(manager.deletePod(pod.metadata.uid!));
        }
        // An event that leaves the state value as it is (a deletion noted while a CRI
        // call is in flight) is taken once it has been sent.
        if (!m && expected[i + 1] === expected[i]) {
          stepIndex = i + 1;
          arrange(i + 1);
        }
      };

      const inspect = (ev: InspectionEvent) => {
        if (ev.type !== '@xstate.snapshot') return;
        const ref = ev.actorRef as unknown as { id: string };
        if (ref.id !== 'container:app') return;
        const snap = ev.snapshot as { value?: unknown; status: string };
        if (snap.value === undefined || snap.status !== 'active') return;
        const value = stateString(snap.value);
        if (observed.at(-1) === value) return;
        observed.push(value);
        if (stepIndex + 1 < expected.length && value === expected[stepIndex + 1]) {
          stepIndex++;
          arrange(stepIndex);
        }
      };

      manager = new RuntimeManager({ client, relistPeriodMs: 100, podWorkerRetryMs: 60_000, backOff: { initialMs: 60_000 }, inspect, podLogsDir: join(ctl, 'logs') });
      await manager.start();
      // Step 0 is the initial state (Pending); START arrives as soon as the sandbox is up.
      observed.push('Pending');
      manager.addPod(pod);
      arrange(0);
      const timeout = setTimeout(done, 15_000);
      await finished;
      clearTimeout(timeout);
      // Invariant: the manager's status agrees with the chart's state.
      const snap = manager.getActor(pod.metadata.uid!)?.getSnapshot();
      const cref = snap?.context.refs['app'];
      if (cref) {
        const meta = activeStateMeta(cref.getSnapshot());
        const cs = manager.getStatus(pod.metadata.uid!)!.containerStatuses![0]!;
        if (meta.status === 'running' && !cs.state.running) statusMismatches.push(`running state but status ${JSON.stringify(cs.state)}`);
        if (meta.status === 'waiting' && !cs.state.waiting) statusMismatches.push(`waiting state but status ${JSON.stringify(cs.state)}`);
        if (meta.status === 'waiting' && meta.reason && meta.reason !== 'ContainerCreating' && cs.state.waiting?.reason !== meta.reason) {
          statusMismatches.push(`waiting ${meta.reason} but status reason ${cs.state.waiting?.reason}`);
        }
      }
      // Clean up: delete the pod (if the path did not) and wait until it is gone.
      await Promise.all(external);
      if (manager.getActor(pod.metadata.uid!)?.getSnapshot().status === 'active') await manager.deletePod(pod.metadata.uid!, { force: true });
      await manager.close();

      const distinct = expected.filter((v, i) => i === 0 || v !== expected[i - 1]);
      assert.deepEqual(observed.slice(0, distinct.length), distinct, `observed ${observed.join(' > ')}`);
      assert.deepEqual(statusMismatches, []);
      // Invariant: StopContainer timeout is never below 2 s.
      for (const c of calls.filter((c) => c.method === 'stopContainer')) assert.ok((c.req['timeout'] as number) >= 2, `StopContainer timeout ${c.req['timeout']}`);
      // Invariant: preStop runs before StopContainer for a kill of a running container with a preStop.
      const firstStop = calls.findIndex((c) => c.method === 'stopContainer');
      if (firstStop >= 0 && expected.some((s) => s.startsWith('Terminating.PreStop'))) {
        const preStop = calls.findIndex((c) => c.method === 'execSync' && JSON.stringify(c.req['cmd']).includes('pre-stop'));
        assert.ok(preStop >= 0 && preStop < firstStop, 'preStop ExecSync before StopContainer');
      }
      // Invariant: never two running instances of one container, at any StartContainer.
      let running = 0;
      for (const c of calls) {
        if (c.method === 'startContainer') running++;
        if (c.method === 'stopContainer') running = Math.max(0, running - 1);
      }
      const starts = calls.filter((c) => c.method === 'startContainer').length;
      const createsPerAttempt = new Map<number, number>();
      for (const c of calls.filter((c) => c.method === 'createContainer')) {
        const attempt = ((c.req['config'] as { metadata: { attempt: number } }).metadata.attempt);
        createsPerAttempt.set(attempt, (createsPerAttempt.get(attempt) ?? 0) + 1);
      }
      for (const [attempt, count] of createsPerAttempt) {
        // A retry after CreateContainerError reuses the attempt; a restart never does.
        assert.ok(count === 1 || expected.some((e) => e.endsWith('CreateContainerError')), `attempt ${attempt} created ${count} times`);
      }
      void starts;
      void running;
    });
  }
});

describe('model-based: runtime instance invariant', () => {
  test('never two running instances of one container across a crash loop', async () => {
    const runtime = await startEmbeddedRuntime({ stateDir: join(tmpdir(), `statelet-mbt-inv-${process.pid}`), killOnClose: true });
    const client = new CriClient({ endpoint: runtime.endpoint });
    const ctl = mkdtempSync(join(tmpdir(), 'statelet-mbt-ctl-'));
    const pod = manifest('mbt-inv', ctl);
    const manager = new RuntimeManager({ client, relistPeriodMs: 50, backOff: { initialMs: 100, maxMs: 200 }, podLogsDir: join(ctl, 'logs') });
    await manager.start();
    manager.addPod(pod);
    let maxRunning = 0;
    for (let i = 0; i < 40; i++) {
      if (i % 8 === 4) writeFileSync(join(ctl, 'exit'), '1');
      const list = await client.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' }, labelSelector: { 'io.kubernetes.pod.uid': pod.metadata.uid! } } });
      maxRunning = Math.max(maxRunning, list.containers.length);
      await new Promise((r) => setTimeout(r, 50));
    }
    const restarts = manager.getStatus(pod.metadata.uid!)!.containerStatuses![0]!.restartCount;
    await manager.deletePod(pod.metadata.uid!, { force: true });
    await manager.close();
    client.close();
    await runtime.close();
    rmSync(ctl, { recursive: true, force: true });
    assert.ok(restarts >= 2, `expected restarts, got ${restarts}`);
    assert.equal(maxRunning, 1);
  });
});
