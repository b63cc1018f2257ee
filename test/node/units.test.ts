// Small pieces of the node agent: the sinks' objects, the "reserved for" parse,
// a pod rebuilt from runtime annotations, the adoption actors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromPromise, toPromise } from 'xstate';
import { eventLine, NdjsonSink, podLine, TextSink } from '../../src/node/sinks.js';
import { AdoptionRegistry, adoptionActors, reservedHolder } from '../../src/node/adoption.js';
import { podFromRuntime } from '../../src/node/orphans.js';
import { EventRecorder } from '../../src/k8s/events.js';
import { loadPod } from '../../src/k8s/manifest.js';
import type { RuntimeActors } from '../../src/actors/index.js';

const pod = loadPod('apiVersion: v1\nkind: Pod\nmetadata: { name: p, uid: u1 }\nspec:\n  containers:\n  - { name: a, image: busybox:1.36, command: ["true"] }\n');

describe('sinks', () => {
  test('NDJSON: the Pod and Event objects of statelet run --output json, one per line', () => {
    const out: string[] = [];
    const sink = new NdjsonSink((l) => out.push(l));
    const ev = new EventRecorder({ now: () => Date.UTC(2026, 0, 1) }).record(pod, 'Normal', 'Started', 'Started container a', 'a');
    sink.podStatus(pod, { phase: 'Running' });
    sink.event(ev);
    assert.ok(out.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    assert.deepEqual(JSON.parse(out[0]!), podLine(pod, { phase: 'Running' }));
    const e = JSON.parse(out[1]!);
    assert.deepEqual(e, eventLine(ev));
    assert.deepEqual(e.involvedObject, { kind: 'Pod', apiVersion: 'v1', name: 'p', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{a}' });
    assert.equal(e.count, 1);
  });

  test('text: a line when a pod\'s line changes, not when it repeats', () => {
    const out: string[] = [];
    const sink = new TextSink((l) => out.push(l));
    const st = { phase: 'Running' as const, containerStatuses: [{ name: 'a', state: { running: {} }, lastState: {}, ready: true, started: true, restartCount: 0, image: 'x', imageID: '' }] };
    sink.podStatus(pod, st);
    sink.podStatus(pod, st);
    assert.equal(out.length, 1);
    assert.match(out[0]!, / pod default\/p Running a=Running restarts=0 ready=yes\n$/);
  });
});

describe('adoption pieces', () => {
  test('the holder of a reserved name, from containerd\'s message', () => {
    const msg = 'failed to reserve sandbox name "web_default_u1_0": name "web_default_u1_0" is reserved for "0f3a9c"';
    assert.equal(reservedHolder(new Error(msg)), '0f3a9c');
    assert.equal(reservedHolder(new Error('something else')), undefined);
  });

  test('an orphan whose spec is lost is rebuilt from labels and annotations (grace, preStop)', () => {
    const p = podFromRuntime({
      uid: 'u9',
      name: 'web-n1',
      namespace: 'ns',
      sandboxes: [],
      instances: [
        {
          id: 'c1',
          sandboxId: 's',
          name: 'app',
          attempt: 0,
          status: { id: 'c1', state: 'running' },
          image: 'busybox:1.36',
          labels: {},
          annotations: { 'io.kubernetes.pod.terminationGracePeriod': '7', 'io.kubernetes.container.preStopHandler': '{"exec":{"command":["sleep","1"]}}' },
          logPath: '',
        },
      ],
    });
    assert.equal(p.metadata.uid, 'u9');
    assert.equal(p.metadata.name, 'web-n1');
    assert.equal(p.spec.terminationGracePeriodSeconds, 7);
    assert.deepEqual(p.spec.containers[0]!.lifecycle?.preStop, { exec: { command: ['sleep', '1'] } });
    assert.equal(p.spec.restartPolicy, 'Never', 'nothing of an orphan is restarted');
  });

  test('adopted instances: no StartContainer, no second postStart; an interrupted preStop is skipped once', async () => {
    const calls: string[] = [];
    const base = {
      startContainer: fromPromise(async ({ input }: { input: { containerId: string } }) => (calls.push(`start ${input.containerId}`), { startedAt: 1 })),
      runHandler: fromPromise(async ({ input }: { input: { hook: string; containerId: string } }) => (calls.push(`${input.hook} ${input.containerId}`), { startedAt: 1, finishedAt: 2 })),
    } as unknown as RuntimeActors;
    const reg = new AdoptionRegistry();
    reg.running.set('old', 1234);
    reg.skipPreStop.add('old');
    const w = adoptionActors(reg, () => 99)(base);
    const run = <T>(logic: unknown, input: unknown) => toPromise(createActor(logic as never, { input } as never).start() as never) as Promise<T>;
    assert.deepEqual(await run(w.startContainer, { containerId: 'old' }), { startedAt: 1234 });
    assert.deepEqual(await run(w.runHandler, { hook: 'PostStart', containerId: 'old' }), { startedAt: 99, finishedAt: 99 });
    assert.deepEqual(await run(w.runHandler, { hook: 'PreStop', containerId: 'old' }), { startedAt: 99, finishedAt: 99 });
    await run(w.runHandler, { hook: 'PreStop', containerId: 'old' });
    await run(w.startContainer, { containerId: 'new' });
    await run(w.runHandler, { hook: 'PostStart', containerId: 'new' });
    assert.deepEqual(calls, ['PreStop old', 'start new', 'PostStart new'], 'only what was not adopted reaches the runtime; the preStop skip is used once');
  });
});
