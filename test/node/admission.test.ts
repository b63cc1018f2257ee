// Admission by pod count (lifecycle/predicate.go) and the rejected pod's status (kubelet rejectPod).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPodCount, rejectedStatus } from '../../src/node/admission.js';
import { loadPod } from '../../src/k8s/manifest.js';

describe('admission: --max-pods', () => {
  test('admits up to the capacity', () => {
    assert.deepEqual(admitPodCount(0, 1), { admit: true });
    assert.deepEqual(admitPodCount(109, 110), { admit: true });
  });

  test('beyond it: OutOfpods with the predicate message', () => {
    const r = admitPodCount(2, 2);
    assert.equal(r.admit, false);
    assert.equal(r.reason, 'OutOfpods');
    assert.equal(r.message, "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
  });

  test('a rejected pod is Failed with the reason; the status message is prefixed as rejectPod does', () => {
    const pod = loadPod('apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n  - { name: a, image: busybox:1.36, command: ["true"] }\n');
    const s = rejectedStatus(pod, 'OutOfpods', "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'OutOfpods');
    assert.equal(s.message, "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
    assert.equal(s.qosClass, 'BestEffort');
    assert.equal(s.containerStatuses, undefined, 'nothing ran');
  });
});
