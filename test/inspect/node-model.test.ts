// The visualizer's model at node scale (no browser): many pods in several
// namespaces through a real InspectionHub, the pod statuses the server adds,
// the actor list grouped and filtered, every container's timeline with probe
// failures. The browser side of the same is node-scale.browser.test.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createActor, SimulatedClock, type AnyActorRef } from 'xstate';
import { InspectionHub } from '../../src/inspect/hub.js';
import type { PodStatusMessage } from '../../src/inspect/protocol.js';
import { InspectorModel, type TreeGroup } from '../../src/inspect/view-model.js';
import { demoPodMachine, type DemoContainerInput } from './fixtures.js';

const NAMESPACES = ['shop', 'batch', 'infra'];
const PODS_PER_NAMESPACE = 10;

function containers(crashing: boolean): DemoContainerInput[] {
  return [
    { name: 'app', runMs: crashing ? 100 : 3_600_000, backOffBaseMs: 1000, hookMs: 10, probePeriodMs: 50_000 },
    { name: 'sidecar', runMs: 3_600_000, backOffBaseMs: 1000, hookMs: 10, probePeriodMs: 50_000 },
    { name: 'metrics', runMs: 3_600_000, backOffBaseMs: 1000, hookMs: 10, probePeriodMs: 50_000 },
  ];
}

function node() {
  const hub = new InspectionHub();
  const model = new InspectorModel();
  const received: string[] = [];
  hub.addClient({
    send(d) {
      received.push(d);
      model.apply(JSON.parse(d));
    },
  });
  const clock = new SimulatedClock();
  const pods: Array<{ ns: string; name: string; actor: ReturnType<typeof createActor<typeof demoPodMachine>>; crashing: boolean }> = [];
  for (const ns of NAMESPACES) {
    for (let i = 0; i < PODS_PER_NAMESPACE; i++) {
      const crashing = ns === 'batch' && i < 3;
      // statelet names pod actors `<namespace>/<name>`.
      const actor = createActor(demoPodMachine, { id: `${ns}/web-${i}`, clock, inspect: hub.inspect, input: { containers: containers(crashing) } });
      actor.start();
      pods.push({ ns, name: `web-${i}`, actor, crashing });
    }
  }
  clock.increment(10); // postStart hooks
  clock.increment(100); // the crashing apps exit into their back-off
  return { hub, model, clock, pods, received };
}

const names = (groups: TreeGroup[]): string[] => groups.flatMap((g) => g.nodes.map((n) => n.actor.actorId));

describe('visualizer model at node scale', () => {
  test('pods grouped by namespace with their containers; filtered by name, namespace and state', () => {
    const { model, pods } = node();
    const all = model.groupedTree();
    assert.deepEqual(all.map((g) => [g.namespace, g.total, g.nodes.length]), [
      ['batch', 10, 10],
      ['infra', 10, 10],
      ['shop', 10, 10],
    ]);
    const first = all[0]!.nodes[0]!;
    assert.deepEqual(first.children.map((c) => c.actor.actorId), ['app', 'sidecar', 'metrics'], 'containers under their pod, in creation order');
    assert.equal(pods.length, 30);

    // Name: a pod's own name (every container listed), or a container's (only it).
    assert.deepEqual(names(model.groupedTree({ name: 'WEB-7' })), ['batch/web-7', 'infra/web-7', 'shop/web-7']);
    const byContainer = model.groupedTree({ name: 'metric', namespace: 'infra' });
    assert.equal(byContainer.find((g) => g.namespace === 'infra')?.nodes.length, 10);
    assert.deepEqual(byContainer.find((g) => g.namespace === 'infra')?.nodes[0]?.children.map((c) => c.actor.actorId), ['metrics']);
    // Namespace: only that group has nodes; the others keep their totals.
    const infra = model.groupedTree({ namespace: 'infra' });
    assert.deepEqual(infra.map((g) => [g.namespace, g.nodes.length, g.total]), [['batch', 0, 10], ['infra', 10, 10], ['shop', 0, 10]]);
    // State: the pods with a container in its back-off, with just that container.
    const backingOff = model.groupedTree({ state: 'crashloopbackoff' });
    assert.deepEqual(names(backingOff), ['batch/web-0', 'batch/web-1', 'batch/web-2']);
    for (const n of backingOff.flatMap((g) => g.nodes)) assert.deepEqual(n.children.map((c) => c.actor.actorId), ['app']);
    // A kubelet reason from the chart's meta matches too (the state is named differently).
    assert.deepEqual(names(model.groupedTree({ state: 'CrashLoopBackOff', name: 'web-1' })), ['batch/web-1']);
    assert.deepEqual(names(model.groupedTree({ state: 'no such state' })), []);
  });

  test('pod phase, readiness and restarts from @statelet.podStatus, kept by the hub for late joiners', () => {
    const { hub, model, pods, clock } = node();
    const crashing = pods.find((p) => p.crashing)!;
    // Without a status, restarts add up the containers' context.restartCount.
    clock.increment(1000); // back-off over: restarted once
    assert.equal(model.podView(crashing.actor.sessionId).restarts, 1);
    assert.equal(model.podView(crashing.actor.sessionId).phase, undefined);
    assert.equal(model.podView(crashing.actor.sessionId).namespace, 'batch');

    const status = (phase: string, restarts: number): PodStatusMessage => ({
      type: '@statelet.podStatus',
      sessionId: crashing.actor.sessionId,
      uid: 'uid-batch-0',
      name: crashing.name,
      namespace: crashing.ns,
      time: Date.now(),
      status: {
        phase,
        containerStatuses: [
          { name: 'app', ready: false, restartCount: restarts },
          { name: 'sidecar', ready: true, restartCount: 0 },
          { name: 'metrics', ready: true, restartCount: 0 },
        ],
      },
    });
    hub.retain('pod:uid-batch-0', crashing.actor.sessionId, status('Pending', 0));
    hub.retain('pod:uid-batch-0', crashing.actor.sessionId, status('Running', 4));
    const view = model.podView(crashing.actor.sessionId);
    assert.deepEqual([view.phase, view.restarts, view.ready, view.uid], ['Running', 4, '2/3', 'uid-batch-0']);
    assert.deepEqual(names(model.groupedTree({ state: 'running', name: 'web-0', namespace: 'batch' })), ['batch/web-0'], 'the phase matches a state filter');

    // A client that connects now gets the latest status, after the actors.
    const late: Array<Record<string, unknown>> = [];
    hub.addClient({ send: (d) => late.push(JSON.parse(d)) });
    const statuses = late.filter((m) => m.type === '@statelet.podStatus');
    assert.equal(statuses.length, 1);
    assert.equal((statuses[0]!.status as { phase: string }).phase, 'Running');
    const lateModel = new InspectorModel();
    for (const m of late) lateModel.apply(m);
    assert.equal(lateModel.podView(crashing.actor.sessionId).restarts, 4);
    assert.ok(late.findIndex((m) => m.type === '@statelet.podStatus') > late.findIndex((m) => m.type === '@xstate.actor' && m.sessionId === crashing.actor.sessionId));
    // The pod ends: its status is not given to later clients.
    crashing.actor.send({ type: 'DELETE' });
    const later: Array<Record<string, unknown>> = [];
    hub.addClient({ send: (d) => later.push(JSON.parse(d)) });
    assert.equal(later.filter((m) => m.type === '@statelet.podStatus').length, 0);
    assert.equal(hub.stats().retained, 0);
    for (const p of pods) p.actor.stop();
  });

  test('the timelines of a pod: every container, with exits, back-off windows and probe failures', () => {
    const { model, pods, clock } = node();
    const crashing = pods.find((p) => p.crashing)!;
    const kids = model.childrenOf(crashing.actor.sessionId);
    const idOf = (id: string): string | undefined => model.actors.get(id)?.actorId;
    const app = kids.find((id) => idOf(id) === 'app')!;
    // Selecting any container (or the pod) shows all three of its pod.
    for (const sel of [crashing.actor.sessionId, app]) {
      assert.deepEqual(model.timelineActors(sel).map(idOf), ['app', 'sidecar', 'metrics']);
    }
    const tl = model.timelines.get(app)!;
    assert.ok(tl.segments.some((s) => s.category === 'backoff'), 'a back-off window');
    assert.ok(tl.markers.some((m) => m.kind === 'backoff'));
    assert.ok(tl.markers.some((m) => m.kind === 'exit'));

    // A probe's published failure reaching its container marks the timeline once.
    const ref = (crashing.actor.getSnapshot().context.containers as AnyActorRef[]).find((c) => c.id === 'sidecar')!;
    const at = Date.now();
    ref.send({ type: 'PROBE.RESULT', probe: 'liveness', result: 'failure', at } as never);
    ref.send({ type: 'PROBE.RESULT', probe: 'liveness', result: 'failure', at } as never);
    ref.send({ type: 'PROBE.RESULT', probe: 'readiness', result: 'success', at } as never);
    // Each failed attempt's Unhealthy record (the kubelet's event) is one too.
    ref.send({ type: 'PROBE.RECORD', probe: 'readiness', event: { type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: nope' } } as never);
    const sidecar = kids.find((id) => idOf(id) === 'sidecar')!;
    const probes = model.timelines.get(sidecar)!.markers.filter((m) => m.kind === 'probe');
    assert.deepEqual(probes.map((m) => m.label), ['liveness probe failed', 'Readiness probe failed']);
    assert.equal(probes[0]!.time, at);
    // A replayed marker (a recorded Unhealthy event) lands on the same timeline.
    model.apply({ type: '@statelet.marker', sessionId: sidecar, time: at + 5, kind: 'probe', label: 'Liveness probe failed' });
    assert.equal(model.timelines.get(sidecar)!.markers.filter((m) => m.kind === 'probe').length, 3);
    clock.increment(10);
    for (const p of pods) p.actor.stop();
  });
});
