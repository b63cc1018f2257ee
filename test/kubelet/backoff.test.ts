import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  CRASHLOOP_BACKOFF,
  IMAGE_PULL_BACKOFF,
  REDUCED_CRASHLOOP_BACKOFF,
  crashLoopKey,
  imagePullBackOff,
  imagePullKey,
  makeBackOffPolicy,
  nextBackOff,
  restartDelay,
  type BackOffEntry,
  type BackOffPolicy,
} from '../../machines/backoff.js';
import { crashLoopBackOffMessage } from '../../src/k8s/messages.js';
import { goDuration } from '../../src/k8s/format.js';

/**
 * Simulates a container that always crashes `runMs` after it starts. Each loop is one kubelet
 * start attempt: check doBackOff against the last exit; if in back-off wait exactly the
 * remaining delay (a 1.35-style requeue at expiry); then Next() and start.
 * Returns the wait before each restart and the back-off value shown while waiting.
 */
function simulate(restarts: number, runMs: number, policy: BackOffPolicy = CRASHLOOP_BACKOFF) {
  let now = 0;
  let entry: BackOffEntry | undefined;
  const waits: number[] = [];
  const shown: string[] = [];
  // first start (no exit yet): no back-off check at all
  entry = undefined;
  let finishedAt = now + runMs;
  now = finishedAt;
  for (let i = 0; i < restarts; i++) {
    const check = restartDelay(entry, finishedAt, now, policy);
    waits.push(check.delayMs);
    if (check.inBackOff) {
      shown.push(goDuration(check.currentBackoffMs));
      now += check.delayMs;
      // at expiry the check passes
      assert.equal(restartDelay(entry, finishedAt, now, policy).inBackOff, false);
    }
    entry = nextBackOff(entry, now, policy, finishedAt);
    finishedAt = now + runMs;
    now = finishedAt;
  }
  return { waits, shown, entry };
}

describe('CrashLoopBackOff sequence', () => {
  test('delays 0, 10, 20, 40, 80, 160, 300, 300 s', () => {
    const { waits } = simulate(8, 1_000);
    assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });
  test('waiting messages 10s, 20s, 40s, 1m20s, 2m40s, 5m0s', () => {
    const { shown } = simulate(8, 1_000);
    assert.deepEqual(shown, ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s']);
    assert.equal(
      crashLoopBackOffMessage(80_000, 'app', 'p_ns(u)'),
      'back-off 1m20s restarting failed container=app pod=p_ns(u)',
    );
  });
  test('first exit: no entry ⇒ restart at once and entry becomes initial', () => {
    const check = restartDelay(undefined, 5_000, 5_000);
    assert.deepEqual(check, { inBackOff: false, delayMs: 0, currentBackoffMs: 0 });
    assert.deepEqual(nextBackOff(undefined, 5_000), { backoffMs: 10_000, lastUpdateMs: 5_000 });
  });
  test('remaining delay is measured from FinishedAt, not from now', () => {
    const entry: BackOffEntry = { backoffMs: 40_000, lastUpdateMs: 100_000 };
    const check = restartDelay(entry, 110_000, 125_000);
    assert.equal(check.inBackOff, true);
    assert.equal(check.delayMs, 25_000); // due at 150 s
    assert.equal(check.currentBackoffMs, 40_000);
    assert.equal(restartDelay(entry, 110_000, 149_999).inBackOff, true);
    assert.equal(restartDelay(entry, 110_000, 150_000).inBackOff, false);
  });
  test('a run longer than 600 s resets the back-off', () => {
    // entry at max after a long crash loop
    const entry: BackOffEntry = { backoffMs: 300_000, lastUpdateMs: 1_000_000 };
    // ran exactly 600 s: not reset yet (strictly greater is required)
    assert.equal(restartDelay(entry, 1_600_000, 1_600_000).inBackOff, true);
    assert.equal(nextBackOff(entry, 1_900_000, CRASHLOOP_BACKOFF, 1_600_000).backoffMs, 300_000);
    // ran 601 s: entry treated as absent, immediate restart, next back-off = initial
    const check = restartDelay(entry, 1_601_000, 1_601_000);
    assert.deepEqual(check, { inBackOff: false, delayMs: 0, currentBackoffMs: 0 });
    assert.deepEqual(nextBackOff(entry, 1_601_000, CRASHLOOP_BACKOFF, 1_601_000), { backoffMs: 10_000, lastUpdateMs: 1_601_000 });
  });
  test('simulated long-running container never backs off', () => {
    const { waits } = simulate(5, 601_000);
    assert.deepEqual(waits, [0, 0, 0, 0, 0]);
  });
  test('probe-driven restart is immediate when the previous exit is older than the back-off', () => {
    // previous instance finished at 0 with back-off 20 s; the current one is killed at 100 s
    const entry: BackOffEntry = { backoffMs: 20_000, lastUpdateMs: 0 };
    assert.equal(restartDelay(entry, 0, 100_000).inBackOff, false);
  });
  test('reduced decay policy 1,2,4,...,60', () => {
    const { waits } = simulate(9, 100, REDUCED_CRASHLOOP_BACKOFF);
    assert.deepEqual(waits, [0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });
});

describe('makeBackOffPolicy (KEP-4603 knob)', () => {
  test('defaults', () => assert.deepEqual(makeBackOffPolicy(), { ...CRASHLOOP_BACKOFF }));
  test('max below initial lowers initial', () => {
    assert.deepEqual(makeBackOffPolicy({ maxMs: 5_000 }), { initialMs: 5_000, maxMs: 5_000, resetAfterMs: 600_000 });
    const { waits } = simulate(4, 100, makeBackOffPolicy({ maxMs: 5_000 }));
    assert.deepEqual(waits, [0, 5_000, 5_000, 5_000]);
  });
  test('max above initial keeps initial', () => {
    assert.deepEqual(makeBackOffPolicy({ initialMs: 1_000, maxMs: 30_000 }), { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 600_000 });
  });
});

describe('image pull back-off', () => {
  test('10, 20, 40 ... 300 s after each failed pull; no wait before the first pull', () => {
    let now = 0;
    let entry: BackOffEntry | undefined;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const check = imagePullBackOff(entry, now);
      waits.push(check.delayMs);
      now += check.delayMs;
      assert.equal(imagePullBackOff(entry, now).inBackOff, false);
      now += 2_000; // the pull takes 2 s and fails
      entry = nextBackOff(entry, now, IMAGE_PULL_BACKOFF);
    }
    assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });
  test('measured from the last failure (lastUpdate), with the remaining delay', () => {
    const entry: BackOffEntry = { backoffMs: 20_000, lastUpdateMs: 50_000 };
    assert.deepEqual(imagePullBackOff(entry, 55_000), { inBackOff: true, delayMs: 15_000, currentBackoffMs: 20_000 });
    assert.equal(imagePullBackOff(entry, 70_000).inBackOff, false);
  });
  test('idle for more than 600 s resets', () => {
    const entry: BackOffEntry = { backoffMs: 300_000, lastUpdateMs: 0 };
    assert.equal(nextBackOff(entry, 600_000, IMAGE_PULL_BACKOFF).backoffMs, 300_000);
    assert.equal(nextBackOff(entry, 600_001, IMAGE_PULL_BACKOFF).backoffMs, 10_000);
    assert.equal(imagePullBackOff(entry, 600_001).inBackOff, false);
  });
  test('entries are plain serialisable data', () => {
    const e = nextBackOff(nextBackOff(undefined, 1), 2);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
  });
  test('keys', () => {
    assert.equal(imagePullKey('uid-1', 'busybox:1.36'), 'uid-1_busybox:1.36');
    assert.equal(crashLoopKey({ name: 'p', namespace: 'ns', uid: 'u' }, 'c', 'abc'), 'p_ns_u_c_abc');
  });
});
