import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder, containerFieldPath, describeAge, describeEvents, podReference } from '../../src/k8s/events.js';
import type { Pod } from '../../src/k8s/types.js';
import { EventReason, backOffRestartMessage, createdMessage } from '../../src/k8s/messages.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
  spec: {
    initContainers: [{ name: 'setup', image: 'x' }],
    containers: [{ name: 'app', image: 'x' }],
    ephemeralContainers: [{ name: 'dbg', image: 'x' }],
  },
};
const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);

function clock() {
  let t = T0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('references', () => {
  test('fieldPath per container kind, none for pod-level', () => {
    assert.equal(podReference(pod, 'app').fieldPath, 'spec.containers{app}');
    assert.equal(podReference(pod, 'setup').fieldPath, 'spec.initContainers{setup}');
    assert.equal(podReference(pod, 'dbg').fieldPath, 'spec.ephemeralContainers{dbg}');
    assert.equal(podReference(pod).fieldPath, undefined);
    assert.equal(containerFieldPath('init', 'x'), 'spec.initContainers{x}');
    assert.deepEqual(podReference(pod), { kind: 'Pod', apiVersion: 'v1', name: 'web', namespace: 'default', uid: 'uid-1' });
  });
});

describe('EventRecorder', () => {
  test('records a core/v1 Event', () => {
    const c = clock();
    const rec = new EventRecorder({ now: c.now });
    const ev = rec.record(pod, 'Normal', EventReason.Created, createdMessage('app'), 'app');
    assert.equal(ev.kind, 'Event');
    assert.equal(ev.apiVersion, 'v1');
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.reason, 'Created');
    assert.equal(ev.message, 'Created container: app');
    assert.deepEqual(ev.involvedObject, { kind: 'Pod', apiVersion: 'v1', name: 'web', namespace: 'default', uid: 'uid-1', fieldPath: 'spec.containers{app}' });
    assert.equal(ev.count, 1);
    assert.equal(ev.firstTimestamp, '2024-01-01T00:00:00Z');
    assert.equal(ev.lastTimestamp, '2024-01-01T00:00:00Z');
    assert.deepEqual(ev.source, { component: 'kubelet' });
    assert.match(ev.metadata.name, /^web\.[0-9a-f]+$/);
    assert.equal(ev.metadata.namespace, 'default');
  });
  test('identical events aggregate: count++, lastTimestamp moves, same name', () => {
    const c = clock();
    const rec = new EventRecorder({ now: c.now });
    const msg = backOffRestartMessage('app', 'web_default(uid-1)');
    const e1 = rec.record(pod, 'Warning', EventReason.BackOff, msg, 'app');
    c.advance(10_000);
    const e2 = rec.record(pod, 'Warning', EventReason.BackOff, msg, 'app');
    c.advance(20_000);
    const e3 = rec.record(pod, 'Warning', EventReason.BackOff, msg, 'app');
    assert.deepEqual([e1.count, e2.count, e3.count], [1, 2, 3]);
    assert.equal(e3.firstTimestamp, '2024-01-01T00:00:00Z');
    assert.equal(e3.lastTimestamp, '2024-01-01T00:00:30Z');
    assert.equal(e3.metadata.name, e1.metadata.name);
    assert.equal(e1.count, 1, 'returned objects are snapshots');
    assert.equal(rec.list().length, 1);
  });
  test('different message, type, reason or fieldPath ⇒ separate events', () => {
    const rec = new EventRecorder({ now: clock().now });
    rec.record(pod, 'Normal', 'Killing', 'Stopping container app', 'app');
    rec.record(pod, 'Normal', 'Killing', 'Stopping container setup', 'setup');
    rec.record(pod, 'Normal', 'Killing', 'Stopping container app', 'setup');
    rec.record(pod, 'Warning', 'Killing', 'Stopping container app', 'app');
    rec.record(pod, 'Normal', 'Other', 'Stopping container app', 'app');
    rec.record(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    const all = rec.list();
    assert.equal(all.length, 6);
    assert.ok(all.every((e) => e.count === 1));
    assert.equal(new Set(all.map((e) => e.metadata.name)).size, 6, 'names unique even at the same instant');
  });
  test('list is ordered by lastTimestamp and filters by pod', () => {
    const c = clock();
    const rec = new EventRecorder({ now: c.now });
    const other: Pod = { ...pod, metadata: { name: 'db', namespace: 'default', uid: 'uid-2' } };
    rec.record(pod, 'Normal', 'Pulling', 'a', 'app');
    c.advance(1_000);
    rec.record(other, 'Normal', 'Pulling', 'b', 'app');
    c.advance(1_000);
    rec.record(pod, 'Normal', 'Pulled', 'c', 'app');
    c.advance(1_000);
    rec.record(pod, 'Normal', 'Pulling', 'a', 'app'); // aggregated: moves to the end
    assert.deepEqual(rec.list({ uid: 'uid-1' }).map((e) => e.message), ['c', 'a']);
    assert.deepEqual(rec.list({ name: 'db' }).map((e) => e.message), ['b']);
    rec.forget('uid-1');
    assert.deepEqual(rec.list().map((e) => e.message), ['b']);
  });
  test('maxEvents drops the oldest', () => {
    const rec = new EventRecorder({ now: clock().now, maxEvents: 2 });
    rec.record(pod, 'Normal', 'A', '1');
    rec.record(pod, 'Normal', 'A', '2');
    rec.record(pod, 'Normal', 'A', '3');
    assert.deepEqual(rec.list().map((e) => e.message), ['2', '3']);
    assert.equal(rec.size, 2);
  });
});

describe('describe output', () => {
  test('age column and table', () => {
    const c = clock();
    const rec = new EventRecorder({ now: c.now });
    rec.record(pod, 'Normal', 'Started', 'Started container app', 'app');
    c.advance(10_000);
    rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container app in pod web_default(uid-1)', 'app');
    c.advance(30_000);
    rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container app in pod web_default(uid-1)', 'app');
    c.advance(5_000);
    const evs = rec.list();
    assert.equal(describeAge(evs[0]!, c.now()), '45s');
    assert.equal(describeAge(evs[1]!, c.now()), '5s (x2 over 35s)');
    const out = describeEvents(evs, c.now());
    assert.equal(
      out,
      [
        'Events:',
        '  Type     Reason   Age               From     Message',
        '  ----     ------   ----              ----     -------',
        '  Normal   Started  45s               kubelet  Started container app',
        '  Warning  BackOff  5s (x2 over 35s)  kubelet  Back-off restarting failed container app in pod web_default(uid-1)',
      ].join('\n'),
    );
    assert.equal(describeEvents([], c.now()), 'Events:  <none>');
  });
});
