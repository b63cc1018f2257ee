import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  FORCE_DELETE_PRESTOP_BUDGET_MS,
  FORCE_DELETE_STOP_TIMEOUT_SECONDS,
  MIN_GRACE_PERIOD_SECONDS,
  effectiveTerminationGraceSeconds,
  killGracePeriodSeconds,
  killPodTimeoutMs,
  preStopBudgetMs,
  shouldRunPreStop,
  stopTimeoutSeconds,
} from '../../machines/grace.js';
import type { Container, Pod } from '../../src/k8s/types.js';

function pod(opts: { tgps?: number; deletion?: number; container?: Partial<Container> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', deletionGracePeriodSeconds: opts.deletion },
    spec: {
      terminationGracePeriodSeconds: opts.tgps,
      containers: [{ name: 'app', image: 'busybox', ...opts.container }],
    },
  };
}
const probeContainer: Partial<Container> = {
  livenessProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 90 },
  startupProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 5 },
};

describe('killGracePeriodSeconds (§5 step 2 + 4)', () => {
  test('pod terminationGracePeriodSeconds by default', () => {
    const p = pod({ tgps: 30 });
    assert.equal(killGracePeriodSeconds({ pod: p, reason: 'Other' }), 30);
  });
  test('no pod value at all ⇒ 2', () => {
    assert.equal(killGracePeriodSeconds({ pod: pod(), reason: 'Other' }), MIN_GRACE_PERIOD_SECONDS);
  });
  test('deletionGracePeriodSeconds wins over everything but the override', () => {
    const p = pod({ tgps: 30, deletion: 7, container: probeContainer });
    assert.equal(killGracePeriodSeconds({ pod: p, container: p.spec.containers[0], reason: 'LivenessProbe' }), 7);
    assert.equal(killGracePeriodSeconds({ pod: p, reason: 'Deletion' }), 7);
    assert.equal(killGracePeriodSeconds({ pod: pod({ tgps: 30, deletion: 0 }), reason: 'Deletion' }), 0);
  });
  test('liveness kill uses the liveness probe terminationGracePeriodSeconds (may exceed the pod value)', () => {
    const p = pod({ tgps: 30, container: probeContainer });
    assert.equal(killGracePeriodSeconds({ pod: p, container: p.spec.containers[0], reason: 'LivenessProbe' }), 90);
  });
  test('startup kill uses the startup probe value', () => {
    const p = pod({ tgps: 30, container: probeContainer });
    assert.equal(killGracePeriodSeconds({ pod: p, container: p.spec.containers[0], reason: 'StartupProbe' }), 5);
  });
  test('probe given directly', () => {
    const p = pod({ tgps: 30 });
    assert.equal(killGracePeriodSeconds({ pod: p, reason: 'LivenessProbe', probe: { terminationGracePeriodSeconds: 12 } }), 12);
  });
  test('probe without its own value falls back to the pod value', () => {
    const p = pod({ tgps: 30, container: { livenessProbe: { exec: { command: ['true'] } } } });
    assert.equal(killGracePeriodSeconds({ pod: p, container: p.spec.containers[0], reason: 'LivenessProbe' }), 30);
  });
  test('PostStartHook / Other / Deletion kills ignore probe-level grace', () => {
    const p = pod({ tgps: 30, container: probeContainer });
    for (const reason of ['PostStartHook', 'Other', 'Deletion'] as const) {
      assert.equal(killGracePeriodSeconds({ pod: p, container: p.spec.containers[0], reason }), 30, reason);
    }
  });
  test('override replaces the computed value (applied before preStop)', () => {
    const p = pod({ tgps: 30, deletion: 20, container: probeContainer });
    assert.equal(killGracePeriodSeconds({ pod: p, container: p.spec.containers[0], reason: 'LivenessProbe', override: 3 }), 3);
    assert.equal(killGracePeriodSeconds({ pod: pod({ tgps: 30 }), reason: 'Other', override: 0 }), 0);
  });
});

describe('preStop and StopContainer timeout (§5 steps 5–7)', () => {
  test('preStop runs only if defined and grace > 0', () => {
    const withHook = { lifecycle: { preStop: { sleep: { seconds: 1 } } } };
    assert.equal(shouldRunPreStop(withHook, 30), true);
    assert.equal(shouldRunPreStop(withHook, 0), false);
    assert.equal(shouldRunPreStop({}, 30), false);
  });
  test('preStop budget is the grace', () => {
    assert.equal(preStopBudgetMs(30), 30_000);
    assert.equal(preStopBudgetMs(0), 0);
  });
  test('elapsed is truncated to whole seconds and subtracted', () => {
    assert.equal(stopTimeoutSeconds(30, 0), 30);
    assert.equal(stopTimeoutSeconds(30, 4_999), 26);
    assert.equal(stopTimeoutSeconds(30, 5_000), 25);
    assert.equal(stopTimeoutSeconds(30, 10_000, 3_500), 17);
  });
  test('never below 2', () => {
    assert.equal(stopTimeoutSeconds(30, 29_000), 2);
    assert.equal(stopTimeoutSeconds(30, 60_000), 2);
    assert.equal(stopTimeoutSeconds(0, 0), 2);
    assert.equal(stopTimeoutSeconds(1, 0), 2);
  });
  test('liveness kill with probe grace 90 and a 10 s preStop ⇒ StopContainer(80)', () => {
    const p = pod({ tgps: 30, container: probeContainer });
    const g = killGracePeriodSeconds({ pod: p, container: p.spec.containers[0], reason: 'LivenessProbe' });
    assert.equal(stopTimeoutSeconds(g, 10_200), 80);
  });
});

describe('pod termination grace (§6)', () => {
  test('min(status grace, deletion, override), explicit 0 ⇒ 1', () => {
    assert.equal(effectiveTerminationGraceSeconds(pod({ tgps: 30 })), 30);
    assert.equal(effectiveTerminationGraceSeconds(pod({ tgps: 30, deletion: 10 })), 10);
    assert.equal(effectiveTerminationGraceSeconds(pod({ tgps: 30, deletion: 10 }), 4), 4);
    assert.equal(effectiveTerminationGraceSeconds(pod({ tgps: 5 }), 60), 5);
    assert.equal(effectiveTerminationGraceSeconds(pod({ tgps: 30, deletion: 0 })), 1);
    assert.equal(effectiveTerminationGraceSeconds(pod({ tgps: 0 })), 1);
  });
  test('force delete: preStop ≤ 1 s, StopContainer 2', () => {
    const g = effectiveTerminationGraceSeconds(pod({ tgps: 30, deletion: 0 }));
    assert.equal(preStopBudgetMs(g), FORCE_DELETE_PRESTOP_BUDGET_MS);
    assert.equal(stopTimeoutSeconds(g, 1_000), FORCE_DELETE_STOP_TIMEOUT_SECONDS);
    assert.equal(FORCE_DELETE_STOP_TIMEOUT_SECONDS, 2);
  });
  test('killPodNow watchdog: 1.5x grace, min 10 s', () => {
    assert.equal(killPodTimeoutMs(30), 45_000);
    assert.equal(killPodTimeoutMs(2), 10_000);
  });
});
