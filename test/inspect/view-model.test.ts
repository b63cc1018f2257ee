// The visualizer's model and chart layout over statelet's real charts (pod,
// container, probe), driven by the fake runtime of test/machines/harness.ts on
// a simulated clock: hub → JSON → InspectorModel, in process.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import elkModule from 'elkjs/lib/elk.bundled.js';
import { createActor } from 'xstate';
import { containerMachine } from '../../machines/container/index.js';
import { podMachine } from '../../machines/pod/index.js';
import { probeMachine } from '../../machines/probe.js';
import { indexStates, machineToJSON, metaCategory, stateTransitions } from '../../src/inspect/chart.js';
import { InspectionHub } from '../../src/inspect/hub.js';
import { buildChartModel, type ElkNodeIn } from '../../src/inspect/layout.js';
import { InspectorModel } from '../../src/inspect/view-model.js';
import { flush, Harness, podYaml } from '../machines/harness.js';
import { demoContainerMachine, demoPodMachine } from './fixtures.js';

const CRASHER = podYaml(`  restartPolicy: Always
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "exit 1"]
`);
const PROBED = podYaml(`  restartPolicy: Always
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "sleep 1; exit 1"]
    livenessProbe:
      exec: { command: ["true"] }
      periodSeconds: 10
    readinessProbe:
      exec: { command: ["true"] }
      periodSeconds: 10
`);

/** The harness's pod, created as the manager creates it (id `<namespace>/<name>`) and inspected. */
class InspectedHarness extends Harness {
  readonly hub = new InspectionHub({ now: () => this.clock.now() });
  readonly model = new InspectorModel();

  constructor(manifest: string) {
    super(manifest, { images: ['busybox:1.36'] });
  }

  connect(): void {
    this.hub.addClient({ send: (d) => this.model.apply(JSON.parse(d), this.clock.now()) });
  }

  override async start(): Promise<this> {
    this.actor = createActor(this.machine(), {
      id: 'default/web',
      input: { pod: this.pod, now: this.clock.now(), config: { container: {}, podWorkerRetryMs: 10_000 } },
      clock: this.clock,
      inspect: this.hub.inspect,
    });
    this.actor.start();
    await flush();
    return this;
  }

  /** Session id of the container actor `container:<name>`. */
  container(name: string): string {
    const a = [...this.model.actors.values()].find((x) => x.actorId === `container:${name}` && x.status === 'active');
    assert.ok(a, `container:${name} known to the model`);
    return a.sessionId;
  }

  rows(sessionId: string) {
    return this.model.log.filter((r) => r.sessionId === sessionId);
  }
}

describe('visualizer model over the real charts', () => {
  test('actor tree: pod → container → probes, labelled without the machine prefix; calls only while they run', async () => {
    const h = new InspectedHarness(PROBED);
    h.connect();
    await h.start();
    const { model } = h;
    const tree = model.tree();
    assert.equal(tree.length, 1);
    const pod = tree[0]!;
    assert.equal(pod.actor.actorId, 'default/web');
    assert.equal(pod.actor.machineId, 'pod');
    assert.equal(model.label(pod.actor.sessionId), 'default/web');
    assert.deepEqual(pod.children.map((c) => [c.actor.actorId, model.label(c.actor.sessionId), c.actor.machineId]), [['container:app', 'app', 'container']]);
    const app = pod.children[0]!;
    // Running has a prober per configured probe (the fake runtime has no probe mechanism: they only exist).
    const probes = (node: typeof app) => node.children.filter((c) => c.actor.machineId === 'probe' && c.actor.status === 'active');
    assert.deepEqual(probes(app).map((c) => model.label(c.actor.sessionId)).sort(), ['livenessProbe', 'readinessProbe']);
    const firstProbes = new Set(probes(app).map((c) => c.actor.sessionId));
    // The CRI calls were actors too (with their logic's name), but they ended: not in the tree.
    const calls = [...model.actors.values()].filter((a) => !a.machineId);
    assert.deepEqual([...new Set(calls.map((a) => a.src))].sort(), ['createContainer', 'inspectImage', 'runPodSandbox', 'runProbe', 'startContainer']);
    assert.ok(calls.every((a) => a.status !== 'active'));
    const walk = (n: typeof app): boolean => !!n.actor.machineId && n.children.every(walk);
    assert.ok(walk(pod), 'only machines in the tree');

    // A restart brings new probers: they replace the old (stopped) ones in the tree, and pruning forgets the old.
    await h.advance(1000);
    await h.exit('app', 1);
    assert.equal(h.containerState('app'), 'Running');
    const after = probes(model.tree()[0]!.children[0]!);
    assert.equal(after.length, 2);
    assert.ok(after.every((c) => !firstProbes.has(c.actor.sessionId)));
    for (const id of firstProbes) assert.equal(model.actors.get(id)?.status, 'stopped');
    assert.equal(model.tree()[0]!.children[0]!.children.filter((c) => c.actor.machineId === 'probe').length, 2, 'stopped probers are hidden');
    assert.ok(model.prune(h.clock.now() + 3_100));
    for (const id of firstProbes) assert.equal(model.actors.has(id), false);
    assert.equal([...model.actors.values()].filter((a) => !a.machineId).length, 0);
    assert.deepEqual(model.timelineActors(pod.actor.sessionId).map((id) => model.label(id)), ['app']);
    h.actor.stop();
  });

  test('meta classifies states; exits come from lastTermination; the countdown from backOffUntil', async () => {
    const h = new InspectedHarness(CRASHER);
    h.connect();
    await h.start();
    const { model } = h;
    const app = h.container('app');
    assert.deepEqual(model.classify(app), { category: 'running', reason: undefined, status: 'running' });
    assert.equal(model.backOff(app, h.clock.now()), undefined);

    await h.advance(3000);
    await h.exit('app', 1); // first exit: restarted at once (no back-off yet)
    assert.equal(h.containerState('app'), 'Running');
    await h.advance(2000);
    const exitedAt = h.clock.now();
    await h.exit('app', 1); // second: CrashLoopBackOff 10 s
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    assert.deepEqual(model.classify(app), { category: 'backoff', reason: 'CrashLoopBackOff', status: 'waiting' });
    assert.deepEqual(model.lastExit(app), { id: 'c2-app', exitCode: 1, reason: 'Error', finishedAt: exitedAt });
    const bo = model.backOff(app, h.clock.now());
    assert.equal(bo?.until, exitedAt + 10_000);
    assert.equal(bo?.remainingMs, 10_000);
    assert.equal(bo?.backOffMs, 10_000);
    assert.equal(bo?.reason, 'CrashLoopBackOff');
    await h.advance(4000);
    assert.equal(model.backOff(app, h.clock.now())?.remainingMs, 6000);
    await h.advance(5999);
    assert.equal(model.backOff(app, h.clock.now())?.remainingMs, 1);
    await h.advance(1);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(model.backOff(app, h.clock.now()), undefined);

    // Timeline: starts, exits at the instances' finishedAt (with code and reason), the back-off.
    const tl = model.timelines.get(app)!;
    assert.deepEqual(
      tl.markers.map((m) => [m.kind, m.label]),
      [
        ['start', 'started'],
        ['exit', 'exited 1 (Error)'],
        ['start', 'started'],
        ['exit', 'exited 1 (Error)'],
        ['backoff', 'CrashLoopBackOff 10s'],
        ['start', 'started'],
      ],
    );
    assert.equal(tl.markers[3]!.time, exitedAt);
    const cats = tl.segments.map((s) => s.category);
    for (const c of ['waiting', 'running', 'exited', 'backoff'] as const) assert.ok(cats.includes(c), `${c} in ${cats}`);
    const backoffSeg = tl.segments.find((s) => s.category === 'backoff')!;
    assert.equal(backoffSeg.valueText, 'Waiting.CrashLoopBackOff');
    assert.equal(backoffSeg.end! - backoffSeg.start, 10_000);
    // Transient states (ExitDecision, BackOffCheck) pass in zero time; waiting states keep their reason.
    assert.equal(tl.segments.find((s) => s.valueText === 'ExitDecision')?.category, 'exited');
    assert.equal(tl.segments.find((s) => s.valueText === 'Pulling.Inspecting')?.reason, 'ContainerCreating');

    // The log names events, guards and delays as the chart defines them.
    const rows = h.rows(app);
    const expiry = rows.find((r) => r.source === 'container.Waiting.CrashLoopBackOff');
    assert.deepEqual(
      expiry && [expiry.eventType, expiry.kind, expiry.eventLabel, expiry.delay, expiry.targets],
      ['xstate.after.backOffRemaining.container.Waiting.CrashLoopBackOff', 'after', 'after backOffRemaining', 'backOffRemaining', ['container.Restarting']],
    );
    const exit = rows.find((r) => r.eventType === 'RUNTIME.STATUS' && r.targets[0] === 'container.ExitDecision');
    assert.equal(exit?.guard, 'instanceExited');
    const toBackOff = rows.find((r) => r.targets[0] === 'container.Waiting.CrashLoopBackOff');
    assert.deepEqual(toBackOff && [toBackOff.eventType, toBackOff.kind, toBackOff.guard, toBackOff.event], ['', 'always', 'inCrashLoopBackOff', 'RUNTIME.STATUS']);
    const done = rows.find((r) => r.eventType === 'xstate.done.actor.createContainer');
    assert.equal(done?.eventLabel, 'done: createContainer');
    h.actor.stop();
  });

  test('a late client gets the picture from the replay: state, exit, countdown, history', async () => {
    const h = new InspectedHarness(CRASHER);
    await h.start();
    await h.exit('app', 1);
    await h.advance(1000);
    await h.exit('app', 1);
    await h.advance(2500);
    assert.equal(h.containerState('app'), 'Waiting.CrashLoopBackOff');
    h.connect();
    const { model } = h;
    assert.ok(model.synced);
    const app = h.container('app');
    assert.deepEqual(model.actors.get(app)?.value, { Waiting: 'CrashLoopBackOff' });
    assert.equal(model.backOff(app, h.clock.now())?.remainingMs, 7500);
    assert.ok(h.rows(app).some((r) => r.replay && r.guard === 'inCrashLoopBackOff'));
    // The exit is known from the context even though the history covered it too.
    assert.equal(model.timelines.get(app)?.markers.filter((m) => m.kind === 'exit').length, 2);
    assert.equal(model.label(app), 'app');
    h.actor.stop();
  });

  test('charts without meta or context fields: names and numeric after delays still give a countdown', () => {
    const model = new InspectorModel();
    const t0 = 1_700_000_000_000;
    model.apply({ type: '@statelet.hello', protocol: 1, serverTime: t0 }, t0);
    model.apply({
      type: '@statelet.machine',
      machineId: 'm',
      id: 'm',
      json: {
        id: 'm',
        key: 'm',
        type: 'compound',
        states: {
          waitingBackOff: {
            id: 'm.waitingBackOff',
            key: 'waitingBackOff',
            type: 'atomic',
            transitions: [{ eventType: 'xstate.after.2000.m.waitingBackOff', target: ['#m.go'] }],
          },
          go: { id: 'm.go', key: 'go', type: 'atomic' },
        },
      },
    }, t0);
    model.apply({ type: '@xstate.actor', sessionId: 'x:1', name: 'c', machineId: 'm', createdAt: String(t0), snapshot: { status: 'active', value: 'go', context: {} } }, t0);
    model.apply({ type: '@statelet.synced', actors: 1 }, t0);
    model.apply({ type: '@xstate.snapshot', sessionId: 'x:1', createdAt: String(t0 + 100), snapshot: { status: 'active', value: 'waitingBackOff', context: {} } }, t0 + 100);
    assert.equal(model.backOff('x:1', t0 + 600)?.remainingMs, 1500);
    assert.ok(model.isContainerLike('x:1'), 'a back-off state makes it container-like');
    // Garbage does not throw.
    for (const g of [null, 1, 'x', [], { type: '@xstate.snapshot' }, { type: '@statelet.transition', sessionId: 'x:1', transitions: [null, 5] }]) {
      model.apply(g);
    }
  });

  test('metaCategory: back-off reasons first, then the kubelet status', () => {
    assert.equal(metaCategory('CrashLoopBackOff', 'waiting'), 'backoff');
    assert.equal(metaCategory('ImagePullBackOff', 'waiting'), 'backoff');
    assert.equal(metaCategory('ErrImagePull', 'waiting'), 'waiting');
    assert.equal(metaCategory(undefined, 'running'), 'running');
    assert.equal(metaCategory(undefined, 'terminated'), 'exited');
    assert.equal(metaCategory('Completed', undefined), 'exited');
    assert.equal(metaCategory(undefined, undefined), undefined);
  });
});

type Laid = ElkNodeIn & { edges: Array<{ id: string; sections?: unknown[] }> };

async function layOut(json: ReturnType<typeof machineToJSON>, direction: 'RIGHT' | 'DOWN' = 'RIGHT') {
  // CommonJS module: its module.exports is the constructor, also exposed as `.default`.
  const elk = new elkModule.default();
  const cm = buildChartModel(json, undefined, direction);
  const laid = (await elk.layout(cm.graph as never)) as unknown as Laid;
  const boxes = new Map<string, { x: number; y: number; w: number; h: number }>();
  const walk = (n: ElkNodeIn): void => {
    boxes.set(n.id, { x: n.x ?? 0, y: n.y ?? 0, w: n.width ?? 0, h: n.height ?? 0 });
    n.children?.forEach(walk);
  };
  laid.children?.forEach(walk);
  const inside = (child: string, parent: string): boolean => {
    const c = boxes.get(child);
    const p = boxes.get(parent);
    return !!c && !!p && c.x >= p.x && c.y >= p.y && c.x + c.w <= p.x + p.w && c.y + c.h <= p.y + p.h;
  };
  return { cm, laid, boxes, inside };
}

describe('statechart layout', () => {
  test('the container chart: every state placed and nested, parallel transitions merged, fan-ins folded', async () => {
    const json = machineToJSON(containerMachine);
    const { cm, laid, boxes, inside } = await layOut(json, 'DOWN');
    assert.equal([...cm.nodes.values()].filter((n) => n.kind !== 'initial').length, 38);
    for (const info of cm.nodes.values()) {
      const b = boxes.get(info.id);
      assert.ok(b && b.w > 0 && b.h > 0, `${info.id} placed`);
    }
    for (const s of ['Deciding', 'PreStop', 'Ordering', 'AwaitingTurn', 'Stopping', 'KillFailed', 'Stopped']) assert.ok(inside(`container.Terminating.${s}`, 'container.Terminating'), s);
    for (const s of ['WithinGrace', 'Forced']) assert.ok(inside(`container.Terminating.PreStop.${s}`, 'container.Terminating.PreStop'), s);
    for (const s of ['Inspecting', 'Pulling']) assert.ok(inside(`container.Pulling.${s}`, 'container.Pulling'), s);
    assert.equal(cm.nodes.get('container.Waiting.CrashLoopBackOff')?.reason, 'CrashLoopBackOff');
    assert.equal(cm.nodes.get('container.ExitDecision')?.status, 'terminated');

    // Running → Terminating: one edge, one label line per transition.
    const kill = cm.edges.filter((e) => e.source === 'container.Running' && e.target === 'container.Terminating');
    assert.equal(kill.length, 1);
    for (const line of ['KILL', 'DELETE', 'RUNTIME.STATUS [instanceUnknown]', 'PROBE.RESULT [isLivenessFailure]']) {
      assert.ok(kill[0]!.label.split('\n').includes(line), `${line} in ${kill[0]!.label}`);
    }
    // DELETE → Exited is declared once on the Waiting parent (and on the two steps before a
    // container exists): three edges, nothing left to fold.
    const deleteSources = cm.edges
      .filter((e) => e.target === 'container.Exited' && e.transitions.some((t) => t.eventType === 'DELETE'))
      .map((e) => e.source)
      .sort();
    assert.deepEqual(deleteSources, ['container.Pending', 'container.Pulling', 'container.Waiting']);
    assert.equal(cm.folded.filter((f) => f.eventType === 'DELETE' && f.target === 'container.Exited').length, 0);
    // Eventless edges are labelled by their guard; the back-off expiry by its named delay.
    assert.ok(cm.edges.some((e) => e.source === 'container.BackOffCheck' && e.label === '[inCrashLoopBackOff]'));
    const expiry = cm.edges.find((e) => e.source === 'container.Waiting.CrashLoopBackOff' && e.target === 'container.Restarting');
    assert.deepEqual(
      expiry?.transitions.map((t) => [t.label, t.delay]),
      [['SPEC_UPDATE [hashChanged]', undefined], ['after backOffRemaining', 'backOffRemaining']],
    );

    // Declaration order is the flow: Pending at the top, Exited at the bottom, restarts drawn as back edges.
    assert.ok(boxes.get('container.Pending')!.y < boxes.get('container.Creating')!.y);
    assert.ok(boxes.get('container.Creating')!.y < boxes.get('container.Running')!.y);
    assert.ok(boxes.get('container.Running')!.y < boxes.get('container.Waiting.CrashLoopBackOff')!.y);
    assert.equal(cm.edges.find((e) => e.source === 'container.Restarting' && e.target === 'container.Pulling')?.reversed, true);
    for (const e of laid.edges) assert.ok(e.sections?.length, `edge ${e.id} routed`);
    // Every transition with a target is drawn, merged or folded.
    let defined = 0;
    for (const s of indexStates(json).values()) for (const t of stateTransitions(s)) defined += (t.target ?? []).length;
    const drawn = cm.edges.reduce((n, e) => n + e.transitions.length, 0) + cm.folded.reduce((n, f) => n + f.sources.length, 0);
    assert.ok(defined > 80);
    assert.equal(drawn, defined);
  });

  test('the pod and probe charts, and small charts drawn literally (no folding)', async () => {
    for (const machine of [podMachine, probeMachine]) {
      const { cm, laid, boxes } = await layOut(machineToJSON(machine), 'DOWN');
      for (const info of cm.nodes.values()) assert.ok((boxes.get(info.id)?.w ?? 0) > 0, `${info.id} placed`);
      for (const e of laid.edges) assert.ok(e.sections?.length, `${machine.id}: edge ${e.id} routed`);
    }
    const { cm, inside } = await layOut(machineToJSON(demoContainerMachine));
    assert.ok(inside('demoContainer.running.up', 'demoContainer.running'));
    assert.deepEqual(cm.folded, []);
    assert.ok(cm.edges.some((e) => e.target === 'demoContainer.crashLoopBackOff' && e.label === 'after runFor [shouldRestart]'));
    const pod = await layOut(machineToJSON(demoPodMachine));
    assert.ok(pod.cm.edges.some((e) => e.label === 'always' && e.target === 'demoPod.deleted'));
  });
});
