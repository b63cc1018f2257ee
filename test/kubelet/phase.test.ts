import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { defaultWaitingReason, getPhase, podConditions } from '../../machines/phase.js';
import type { Container, ContainerStatus, Pod, RestartPolicy } from '../../src/k8s/types.js';

function pod(restartPolicy: RestartPolicy, containers: string[], init: (string | { name: string; sidecar: true })[] = []): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: {
      restartPolicy,
      initContainers: init.map((i): Container =>
        typeof i === 'string' ? { name: i, image: 'x' } : { name: i.name, image: 'x', restartPolicy: 'Always' },
      ),
      containers: containers.map((name) => ({ name, image: 'x' })),
    },
  };
}

function st(name: string, state: 'running' | 'waiting' | 'empty' | number, opts: { last?: number; ready?: boolean; started?: boolean } = {}): ContainerStatus {
  const s: ContainerStatus = {
    name,
    state: {},
    lastState: {},
    ready: opts.ready ?? false,
    started: opts.started,
    restartCount: 0,
    image: 'x',
    imageID: '',
  };
  if (state === 'running') s.state = { running: { startedAt: '2024-01-01T00:00:00Z' } };
  else if (state === 'waiting') s.state = { waiting: { reason: 'CrashLoopBackOff' } };
  else if (typeof state === 'number') s.state = { terminated: { exitCode: state } };
  if (opts.last !== undefined) s.lastState = { terminated: { exitCode: opts.last } };
  return s;
}

describe('getPhase: regular containers (§11)', () => {
  const rows: [string, RestartPolicy, ContainerStatus[], boolean, string][] = [
    ['no statuses yet', 'Always', [], false, 'Pending'],
    ['waiting without history', 'Always', [st('a', 'waiting')], false, 'Pending'],
    ['all running', 'Always', [st('a', 'running'), st('b', 'running')], false, 'Running'],
    ['one running, one unknown', 'Always', [st('a', 'running')], false, 'Pending'],
    ['one running, one waiting fresh', 'Always', [st('a', 'running'), st('b', 'waiting')], false, 'Pending'],
    ['running + crashloop (waiting with lastState)', 'Always', [st('a', 'running'), st('b', 'waiting', { last: 1 })], false, 'Running'],
    ['all exited 0, Always ⇒ restarting', 'Always', [st('a', 0), st('b', 0)], false, 'Running'],
    ['all exited 0, OnFailure', 'OnFailure', [st('a', 0), st('b', 0)], false, 'Succeeded'],
    ['all exited 0, Never', 'Never', [st('a', 0), st('b', 0)], false, 'Succeeded'],
    ['one failed, Never', 'Never', [st('a', 0), st('b', 1)], false, 'Failed'],
    ['one failed, OnFailure ⇒ restarting', 'OnFailure', [st('a', 0), st('b', 1)], false, 'Running'],
    ['crashloop waiting with failed lastState, OnFailure', 'OnFailure', [st('a', 0), st('b', 'waiting', { last: 2 })], false, 'Running'],
    ['terminal pod: all 0 ⇒ Succeeded even under Always', 'Always', [st('a', 0), st('b', 0)], true, 'Succeeded'],
    ['terminal pod: a failure ⇒ Failed under Always', 'Always', [st('a', 0), st('b', 137)], true, 'Failed'],
    ['empty state counts as unknown', 'Always', [st('a', 'running'), st('b', 'empty')], false, 'Pending'],
  ];
  for (const [name, policy, statuses, terminal, want] of rows) {
    test(`${name} → ${want}`, () => {
      assert.equal(getPhase(pod(policy, ['a', 'b']), [], statuses, { podIsTerminal: terminal }), want);
    });
  }
});

describe('getPhase: init containers', () => {
  test('init running / absent / waiting fresh ⇒ Pending', () => {
    const p = pod('Always', ['a'], ['i1', 'i2']);
    assert.equal(getPhase(p, [st('i1', 'running')], []), 'Pending');
    assert.equal(getPhase(p, [], []), 'Pending');
    assert.equal(getPhase(p, [st('i1', 0), st('i2', 'waiting')], []), 'Pending');
  });
  test('init failed under Never ⇒ Failed; under Always/OnFailure ⇒ Pending (restarting)', () => {
    assert.equal(getPhase(pod('Never', ['a'], ['i1']), [st('i1', 1)], [st('a', 'waiting')]), 'Failed');
    assert.equal(getPhase(pod('Never', ['a'], ['i1']), [st('i1', 'waiting', { last: 1 })], []), 'Failed');
    assert.equal(getPhase(pod('Always', ['a'], ['i1']), [st('i1', 'waiting', { last: 1 })], [st('a', 'waiting')]), 'Pending');
    assert.equal(getPhase(pod('OnFailure', ['a'], ['i1']), [st('i1', 1)], [st('a', 'waiting')]), 'Pending');
  });
  test('init done, app running ⇒ Running', () => {
    assert.equal(getPhase(pod('Always', ['a'], ['i1']), [st('i1', 0)], [st('a', 'running')]), 'Running');
  });
});

describe('getPhase: sidecars', () => {
  const p = pod('Always', ['a'], ['i1', { name: 's', sidecar: true }]);
  test('sidecar running but not started ⇒ Pending', () => {
    assert.equal(getPhase(p, [st('i1', 0), st('s', 'running', { started: false })], [st('a', 'waiting')]), 'Pending');
  });
  test('sidecar started, app running ⇒ Running', () => {
    assert.equal(getPhase(p, [st('i1', 0), st('s', 'running', { started: true })], [st('a', 'running')]), 'Running');
  });
  test('sidecar restarting after the pod initialized does not go back to Pending', () => {
    const inits = [st('i1', 0), st('s', 'running', { started: false })];
    assert.equal(getPhase(p, inits, [st('a', 'running')]), 'Running');
    assert.equal(getPhase(p, inits, [st('a', 'running')], { podHasInitialized: false }), 'Pending');
  });
  test('terminated sidecar is ignored: app completed under Never ⇒ Succeeded', () => {
    const q = pod('Never', ['a'], [{ name: 's', sidecar: true }]);
    assert.equal(getPhase(q, [st('s', 137)], [st('a', 0)]), 'Succeeded');
    assert.equal(getPhase(q, [st('s', 'waiting', { last: 1 })], [st('a', 0)]), 'Succeeded');
  });
  test('sidecar still running keeps the pod Running after the app completed', () => {
    const q = pod('Never', ['a'], [{ name: 's', sidecar: true }]);
    assert.equal(getPhase(q, [st('s', 'running', { started: true })], [st('a', 0)]), 'Running');
  });
  test('sidecar without status counts as unknown', () => {
    const q = pod('Never', ['a'], [{ name: 's', sidecar: true }]);
    assert.equal(getPhase(q, [], [st('a', 'running')]), 'Pending');
  });
});

describe('getPhase: terminal phases are sticky', () => {
  test('never leaves Failed/Succeeded', () => {
    const p = pod('Always', ['a']);
    assert.equal(getPhase(p, [], [st('a', 'running')], { previousPhase: 'Failed' }), 'Failed');
    assert.equal(getPhase(p, [], [st('a', 'running')], { previousPhase: 'Succeeded' }), 'Succeeded');
    assert.equal(getPhase(p, [], [st('a', 'running')], { previousPhase: 'Pending' }), 'Running');
  });
});

describe('podConditions', () => {
  const T0 = Date.UTC(2024, 0, 1);
  const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  test('pending with init containers', () => {
    const p = pod('Always', ['a', 'b'], ['i1', 'i2']);
    const conds = podConditions(p, [st('i1', 'running')], [], { phase: 'Pending', sandboxReady: true, nowMs: T0 });
    assert.deepEqual(conds.map((c) => c.type), ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    const byType = Object.fromEntries(conds.map((c) => [c.type, c]));
    assert.equal(byType.PodReadyToStartContainers!.status, 'True');
    assert.deepEqual(
      { s: byType.Initialized!.status, r: byType.Initialized!.reason, m: byType.Initialized!.message },
      { s: 'False', r: 'ContainersNotInitialized', m: 'containers with unknown status: [i2], containers with incomplete status: [i1]' },
    );
    assert.equal(byType.Ready!.reason, 'ContainersNotReady');
    assert.equal(byType.Ready!.message, 'containers with unknown status: [a b]');
    assert.equal(byType.PodScheduled!.status, 'True');
    assert.ok(conds.every((c) => c.lastTransitionTime === at(T0)));
  });
  test('incomplete init message lists all unfinished ones', () => {
    const p = pod('Always', ['a'], ['i1', 'i2']);
    const conds = podConditions(p, [st('i1', 1), st('i2', 'waiting')], [st('a', 'waiting')], { phase: 'Pending', sandboxReady: true, nowMs: T0 });
    assert.equal(conds[1]!.message, 'containers with incomplete status: [i1 i2]');
  });
  test('running with an unready container', () => {
    const p = pod('Always', ['a', 'c'], ['i1']);
    const conds = podConditions(p, [st('i1', 0)], [st('a', 'running', { ready: true }), st('c', 'running')], {
      phase: 'Running',
      sandboxReady: true,
      nowMs: T0,
    });
    const byType = Object.fromEntries(conds.map((c) => [c.type, c]));
    assert.equal(byType.Initialized!.status, 'True');
    assert.equal(byType.ContainersReady!.status, 'False');
    assert.equal(byType.ContainersReady!.reason, 'ContainersNotReady');
    assert.equal(byType.ContainersReady!.message, 'containers with unready status: [c]');
    assert.deepEqual(byType.Ready, { ...byType.ContainersReady, type: 'Ready' });
  });
  test('all ready, sidecar readiness counts', () => {
    const p = pod('Always', ['a'], [{ name: 's', sidecar: true }]);
    const ready = podConditions(p, [st('s', 'running', { ready: true, started: true })], [st('a', 'running', { ready: true })], {
      phase: 'Running', sandboxReady: true, nowMs: T0,
    });
    assert.ok(ready.every((c) => c.status === 'True'));
    const sideUnready = podConditions(p, [st('s', 'running', { started: true })], [st('a', 'running', { ready: true })], {
      phase: 'Running', sandboxReady: true, nowMs: T0,
    });
    assert.equal(sideUnready[2]!.message, 'containers with unready status: [s]');
  });
  test('sidecar not started keeps Initialized False until a regular container started', () => {
    const p = pod('Always', ['a'], [{ name: 's', sidecar: true }]);
    const c1 = podConditions(p, [st('s', 'running', { started: false })], [st('a', 'waiting')], { phase: 'Pending', sandboxReady: true, nowMs: T0 });
    assert.equal(c1[1]!.message, 'containers with incomplete status: [s]');
    const c2 = podConditions(p, [st('s', 'running', { started: false })], [st('a', 'running')], { phase: 'Running', sandboxReady: true, nowMs: T0 });
    assert.equal(c2[1]!.status, 'True');
  });
  test('terminal phases', () => {
    const p = pod('Never', ['a'], ['i1']);
    const done = podConditions(p, [st('i1', 0)], [st('a', 0)], { phase: 'Succeeded', sandboxReady: false, nowMs: T0 });
    const byType = Object.fromEntries(done.map((c) => [c.type, c]));
    assert.equal(byType.PodReadyToStartContainers!.status, 'False');
    assert.deepEqual([byType.Initialized!.status, byType.Initialized!.reason], ['True', 'PodCompleted']);
    assert.deepEqual([byType.Ready!.status, byType.Ready!.reason], ['False', 'PodCompleted']);
    assert.deepEqual([byType.ContainersReady!.status, byType.ContainersReady!.reason], ['False', 'PodCompleted']);
    const failed = podConditions(p, [st('i1', 0)], [st('a', 1)], { phase: 'Failed', sandboxReady: false, nowMs: T0 });
    assert.equal(failed[2]!.reason, 'PodFailed');
  });
  test('lastTransitionTime kept while status is unchanged, updated on change', () => {
    const p = pod('Always', ['a']);
    const first = podConditions(p, [], [st('a', 'running')], { phase: 'Running', sandboxReady: true, nowMs: T0 });
    const second = podConditions(p, [], [st('a', 'running')], { phase: 'Running', sandboxReady: true, nowMs: T0 + 60_000, previous: first });
    assert.ok(second.every((c) => c.lastTransitionTime === at(T0)));
    const third = podConditions(p, [], [st('a', 'running', { ready: true })], {
      phase: 'Running', sandboxReady: true, nowMs: T0 + 120_000, previous: second,
    });
    const byType = Object.fromEntries(third.map((c) => [c.type, c]));
    assert.equal(byType.Ready!.lastTransitionTime, at(T0 + 120_000));
    assert.equal(byType.ContainersReady!.lastTransitionTime, at(T0 + 120_000));
    assert.equal(byType.Initialized!.lastTransitionTime, at(T0));
    assert.equal(byType.Ready!.message, undefined);
  });
  test('defaultWaitingReason', () => {
    assert.equal(defaultWaitingReason(pod('Always', ['a'])), 'ContainerCreating');
    assert.equal(defaultWaitingReason(pod('Always', ['a'], ['i'])), 'PodInitializing');
  });
});

describe('podConditions without an explicit phase', () => {
  test('derives the phase (Succeeded ⇒ PodCompleted)', () => {
    const p = pod('Never', ['a']);
    const conds = podConditions(p, [], [st('a', 0)], { sandboxReady: false, nowMs: 0 });
    assert.equal(conds.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  });
});

describe('getPhase: containers on their way to a new instance (restarting)', () => {
  const gatesOff = { ContainerRestartRules: false };
  test('under Never, a container restarting after an UNKNOWN instance keeps the pod Running (waiting or shown terminated 137)', () => {
    const p = pod('Never', ['app']);
    const restarting = new Set(['app']);
    assert.equal(getPhase(p, [], [st('app', 'waiting', { last: 137 })], { gates: gatesOff }), 'Failed');
    assert.equal(getPhase(p, [], [st('app', 'waiting', { last: 137 })], { gates: gatesOff, restarting }), 'Running');
    assert.equal(getPhase(p, [], [st('app', 137)], { gates: gatesOff }), 'Failed');
    assert.equal(getPhase(p, [], [st('app', 137)], { gates: gatesOff, restarting }), 'Running');
  });
  test('other policies and terminal pods are not affected', () => {
    const restarting = new Set(['app']);
    assert.equal(getPhase(pod('OnFailure', ['app']), [], [st('app', 0)], { gates: gatesOff, restarting }), 'Succeeded');
    assert.equal(getPhase(pod('Never', ['app']), [], [st('app', 137)], { gates: gatesOff, restarting: new Set(['other']) }), 'Failed');
    assert.equal(getPhase(pod('Never', ['app']), [], [st('app', 137)], { previousPhase: 'Failed', restarting }), 'Failed');
  });
});
