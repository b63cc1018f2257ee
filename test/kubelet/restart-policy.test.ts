import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  containerRole,
  initFailureFailsPod,
  isInitContainerFailed,
  restartAfterKill,
  shouldContainerBeRestarted,
  shouldRestart,
  type ContainerRole,
  type RuntimeContainerStatus,
} from '../../machines/restart-policy.js';
import type { Pod, RestartPolicy } from '../../src/k8s/types.js';

const S = {
  none: undefined,
  running: { state: 'running' },
  created: { state: 'created' },
  unknown: { state: 'unknown' },
  exit0: { state: 'exited', exitCode: 0 },
  exit1: { state: 'exited', exitCode: 1 },
  oom0: { state: 'exited', exitCode: 0, reason: 'OOMKilled' },
  oom137: { state: 'exited', exitCode: 137, reason: 'OOMKilled' },
} satisfies Record<string, RuntimeContainerStatus | undefined>;
type S = keyof typeof S;

// [role, status, deleting, Always, OnFailure, Never]
const TABLE: [ContainerRole, S, boolean, boolean, boolean, boolean][] = [
  // regular containers: ShouldContainerBeRestarted
  ['regular', 'none', true, false, false, false],
  ['regular', 'exit1', true, false, false, false],
  ['regular', 'none', false, true, true, true],
  ['regular', 'running', false, false, false, false],
  ['regular', 'unknown', false, true, true, true],
  ['regular', 'created', false, true, true, true],
  ['regular', 'exit0', false, true, false, false],
  ['regular', 'exit1', false, true, true, false],
  ['regular', 'oom137', false, true, true, false],
  // sidecars: restart whenever not running, any pod policy
  ['sidecar', 'none', false, true, true, true],
  ['sidecar', 'running', false, false, false, false],
  ['sidecar', 'exit0', false, true, true, true],
  ['sidecar', 'exit1', false, true, true, true],
  ['sidecar', 'unknown', false, true, true, true],
  ['sidecar', 'created', false, true, true, true],
  ['sidecar', 'exit1', true, false, false, false],
  // regular init containers
  ['init', 'none', false, true, true, true],
  ['init', 'running', false, false, false, false],
  ['init', 'exit0', false, false, false, false],
  ['init', 'exit1', false, true, true, false],
  ['init', 'unknown', false, true, true, false],
  ['init', 'oom0', false, true, true, false],
  ['init', 'created', false, true, true, true],
  ['init', 'exit1', true, false, false, false],
  // ephemeral containers: start once, never restarted
  ['ephemeral', 'none', false, true, true, true],
  ['ephemeral', 'exit1', false, false, false, false],
  ['ephemeral', 'exit0', false, false, false, false],
  ['ephemeral', 'none', true, false, false, false],
];

describe('shouldRestart decision table', () => {
  const policies: RestartPolicy[] = ['Always', 'OnFailure', 'Never'];
  for (const [role, st, deleting, ...want] of TABLE) {
    test(`${role} ${st}${deleting ? ' deleting' : ''} → ${want.join('/')}`, () => {
      policies.forEach((restartPolicy, i) => {
        assert.equal(shouldRestart({ role, restartPolicy, deleting, status: S[st] }), want[i], restartPolicy);
      });
    });
  }
});

describe('isInitContainerFailed', () => {
  test('non-zero exit, UNKNOWN or OOMKilled', () => {
    assert.equal(isInitContainerFailed(S.exit1), true);
    assert.equal(isInitContainerFailed(S.unknown), true);
    assert.equal(isInitContainerFailed(S.oom0), true);
    assert.equal(isInitContainerFailed(S.exit0), false);
    assert.equal(isInitContainerFailed(S.running), false);
    assert.equal(isInitContainerFailed(S.created), false);
  });
  test('failure under Never fails the pod', () => {
    assert.equal(initFailureFailsPod(S.exit1, 'Never'), true);
    assert.equal(initFailureFailsPod(S.exit1, 'OnFailure'), false);
    assert.equal(initFailureFailsPod(S.exit0, 'Never'), false);
  });
});

describe('restartAfterKill (liveness/startup/hash kills)', () => {
  test('regular: unless Never; sidecar: always', () => {
    assert.equal(restartAfterKill('regular', 'Always'), true);
    assert.equal(restartAfterKill('regular', 'OnFailure'), true);
    assert.equal(restartAfterKill('regular', 'Never'), false);
    assert.equal(restartAfterKill('sidecar', 'Never'), true);
    assert.equal(restartAfterKill('ephemeral', 'Always'), false);
  });
});

describe('shouldContainerBeRestarted over a Pod', () => {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: {
      restartPolicy: 'OnFailure',
      initContainers: [
        { name: 'init', image: 'i' },
        { name: 'side', image: 's', restartPolicy: 'Always' },
      ],
      containers: [{ name: 'app', image: 'a' }],
      ephemeralContainers: [{ name: 'dbg', image: 'd' }],
    },
  };
  test('roles', () => {
    assert.equal(containerRole(pod, 'init'), 'init');
    assert.equal(containerRole(pod, 'side'), 'sidecar');
    assert.equal(containerRole(pod, 'app'), 'regular');
    assert.equal(containerRole(pod, 'dbg'), 'ephemeral');
    assert.equal(containerRole(pod, 'nope'), undefined);
  });
  test('uses pod policy and deletionTimestamp', () => {
    assert.equal(shouldContainerBeRestarted(pod, 'app', S.exit0), false);
    assert.equal(shouldContainerBeRestarted(pod, { name: 'app' }, S.exit1), true);
    assert.equal(shouldContainerBeRestarted(pod, 'side', S.exit0), true);
    assert.equal(shouldContainerBeRestarted(pod, 'app', S.exit1, { deleting: true }), false);
    const deleting = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
    assert.equal(shouldContainerBeRestarted(deleting, 'app', S.none), false);
    assert.throws(() => shouldContainerBeRestarted(pod, 'nope', S.none), /not in the pod spec/);
  });
});
