// The probe machine (kubelet prober worker) under a SimulatedClock with a scripted runProbe.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { MAX_PROBE_RETRIES, initialProbeResult } from '../../machines/probe.js';
import { T0, input, probe, start } from './helpers.js';

describe('probe machine: scheduling', () => {
  test('no probe of this type: the actor is done at once and never probes', async () => {
    const run = await start(input('liveness', undefined), ['success']);
    assert.equal(run.actor.getSnapshot().context.done, true);
    await run.advanceTo(30_000);
    assert.deepEqual(run.script.calls, []);
  });

  test('initialDelaySeconds: first probe at startedAt + delay, then every periodSeconds', async () => {
    const run = await start(input('liveness', probe({ initialDelaySeconds: 5, periodSeconds: 10 })), ['success']);
    assert.equal(run.childState(), 'Delaying');
    await run.advanceTo(4_900);
    assert.deepEqual(run.script.calls, []);
    await run.advanceTo(5_000);
    assert.deepEqual(run.script.calls, [5_000]);
    await run.advanceTo(34_900);
    assert.deepEqual(run.script.calls, [5_000, 15_000, 25_000]);
    await run.advanceTo(35_000);
    assert.deepEqual(run.script.calls, [5_000, 15_000, 25_000, 35_000]);
  });

  test('initial delay counts from the container start, not from the actor start', async () => {
    // The actor comes up 3 s after the container started; 5 s delay leaves 2 s.
    const run = await start(input('readiness', probe({ initialDelaySeconds: 5, periodSeconds: 1 }), { startedAt: T0 - 3_000 }), ['success']);
    await run.advanceTo(1_900);
    assert.deepEqual(run.script.calls, []);
    await run.advanceTo(2_000);
    assert.deepEqual(run.script.calls, [2_000]);
  });

  test('a stale `now` (older than the container start) does not delay the first probe', async () => {
    // The parent's clock reads 5 s before the container start it reports: probe at once, not 5 s later.
    const run = await start(input('readiness', probe({ periodSeconds: 1 }), { now: T0 - 5_000 }), ['success']);
    assert.deepEqual(run.script.calls, [-5_000]);
    await run.advanceTo(-4_000);
    assert.deepEqual(run.script.calls, [-5_000, -4_000]);
  });

  test('no initial delay: the first probe runs at once', async () => {
    const run = await start(input('readiness', probe({ periodSeconds: 2 })), ['success']);
    assert.deepEqual(run.script.calls, [0]);
    await run.advanceTo(6_000);
    assert.deepEqual(run.script.calls, [0, 2_000, 4_000, 6_000]);
  });
});

describe('probe machine: tick grid', () => {
  test('ticks keep the container-start phase: startedAt + initialDelay + k * period', async () => {
    const run = await start(input('liveness', probe({ periodSeconds: 1 }), { startedAt: T0 + 1_234, now: T0 + 1_234 }), ['success']);
    await run.advanceTo(4_500);
    assert.deepEqual(run.script.calls, [1_234, 2_234, 3_234, 4_234]);
  });
});

describe('probe machine: results and thresholds', () => {
  test('initial results: readiness failure, liveness success, startup unknown', () => {
    assert.equal(initialProbeResult('readiness'), 'failure');
    assert.equal(initialProbeResult('liveness'), 'success');
    assert.equal(initialProbeResult('startup'), 'unknown');
  });

  test('liveness: failures below failureThreshold record Unhealthy but publish nothing; the third publishes failure and holds', async () => {
    const run = await start(input('liveness', probe({ periodSeconds: 1, failureThreshold: 3 })), ['failure']);
    await run.advanceTo(1_000);
    assert.deepEqual(run.results(), []);
    assert.deepEqual(run.records(), [
      { t: 0, reason: 'Unhealthy', message: 'Liveness probe failed: out 0' },
      { t: 1_000, reason: 'Unhealthy', message: 'Liveness probe failed: out 1' },
    ]);
    await run.advanceTo(2_000);
    assert.deepEqual(run.results(), [{ t: 2_000, result: 'failure' }]);
    const sent = run.actor.getSnapshot().context.sent.find((e) => e.type === 'PROBE.RESULT');
    assert.deepEqual(sent, { type: 'PROBE.RESULT', probe: 'liveness', result: 'failure', output: 'out 2', at: T0 + 2_000, t: 2_000 });
    // onHold: no more probing for this container instance.
    assert.equal(run.actor.getSnapshot().context.done, true);
    await run.advanceTo(10_000);
    assert.deepEqual(run.script.calls, [0, 1_000, 2_000]);
  });

  test('liveness: a success resets the failure run; successes publish nothing (initial result is success)', async () => {
    const steps = ['failure', 'failure', 'success', 'failure', 'failure', 'success'] as const;
    const run = await start(input('liveness', probe({ periodSeconds: 1, failureThreshold: 3 })), [...steps]);
    await run.advanceTo(8_000);
    assert.equal(run.script.calls.length, 9);
    assert.deepEqual(run.results(), []);
    assert.equal(run.records().length, 4);
    assert.equal(run.childState(), 'Waiting');
  });

  test('readiness: successThreshold successes in a row publish success; one failure (threshold 1) publishes failure; repeats publish nothing; never holds', async () => {
    const steps = ['success', 'failure', 'success', 'success', 'failure', 'failure', 'success', 'success'] as const;
    const run = await start(input('readiness', probe({ periodSeconds: 1, successThreshold: 2, failureThreshold: 1 })), [...steps]);
    await run.advanceTo(7_000);
    assert.deepEqual(run.results(), [
      { t: 3_000, result: 'success' },
      { t: 4_000, result: 'failure' },
      { t: 7_000, result: 'success' },
    ]);
    assert.equal(run.childState(), 'Waiting');
    await run.advanceTo(10_000);
    assert.equal(run.script.calls.length, 11);
  });

  test('readiness: the first success after start is published (initial result is failure); failures before it publish nothing', async () => {
    const run = await start(input('readiness', probe({ periodSeconds: 1, failureThreshold: 1 })), ['failure', 'failure', 'success']);
    await run.advanceTo(3_000);
    assert.deepEqual(run.results(), [{ t: 2_000, result: 'success' }]);
    assert.deepEqual(run.records().map((r) => r.message), ['Readiness probe failed: out 0', 'Readiness probe failed: out 1']);
  });

  test('a warning records ProbeWarning and counts as success', async () => {
    const run = await start(input('readiness', probe({ periodSeconds: 1 })), ['warning']);
    assert.deepEqual(run.results(), [{ t: 0, result: 'success' }]);
    assert.deepEqual(run.records(), [{ t: 0, reason: 'ProbeWarning', message: 'Readiness probe warning: out 0' }]);
  });

  test('startup: failures below threshold, then success publishes success and the probe stops', async () => {
    const run = await start(input('startup', probe({ periodSeconds: 1, failureThreshold: 5 })), ['failure', 'failure', 'success']);
    await run.advanceTo(2_000);
    assert.deepEqual(run.results(), [{ t: 2_000, result: 'success' }]);
    assert.equal(run.actor.getSnapshot().context.done, true);
    await run.advanceTo(10_000);
    assert.deepEqual(run.script.calls, [0, 1_000, 2_000]);
  });

  test('startup: failureThreshold failures publish failure and hold', async () => {
    const run = await start(input('startup', probe({ periodSeconds: 2, failureThreshold: 2 })), ['failure']);
    await run.advanceTo(10_000);
    assert.deepEqual(run.results(), [{ t: 2_000, result: 'failure' }]);
    assert.deepEqual(run.script.calls, [0, 2_000]);
    assert.equal(run.actor.getSnapshot().context.done, true);
  });
});

describe('probe machine: slow probes', () => {
  test('a probe that overruns its period is followed on the next grid tick (missed ticks dropped)', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const run = await start(input('liveness', probe({ periodSeconds: 1 })), ['success'], { clock, latencyMs: (n) => (n === 0 ? 2_500 : 0) });
    await run.advanceTo(4_000);
    // The first attempt ran 0 → 2.5 s; ticks at 1 s and 2 s were missed; the next is at 3 s.
    assert.deepEqual(run.script.calls, [0, 3_000, 4_000]);
  });
});

describe('probe machine: errors', () => {
  test(`an error is retried within the tick (up to ${MAX_PROBE_RETRIES} attempts); a later success counts once`, async () => {
    const run = await start(input('readiness', probe({ periodSeconds: 1 })), ['error', 'error', 'success']);
    assert.deepEqual(run.script.calls, [0, 0, 0]);
    assert.deepEqual(run.results(), [{ t: 0, result: 'success' }]);
    assert.deepEqual(run.records(), []);
    assert.equal(run.childContext().probes, 1);
  });

  test('three errors: `errored and resulted in unknown state`, result discarded (does not count toward the threshold)', async () => {
    // error, error, error | failure | error x3 | failure : with failureThreshold 2 the two failures are consecutive.
    const steps = ['error', 'error', 'error', 'failure', 'error', 'error', 'error', 'failure'] as const;
    const run = await start(input('liveness', probe({ periodSeconds: 1, failureThreshold: 2 })), [...steps]);
    assert.deepEqual(run.records(), [{ t: 0, reason: 'Unhealthy', message: 'Liveness probe errored and resulted in unknown state: boom 2' }]);
    assert.deepEqual(run.results(), []);
    await run.advanceTo(2_000);
    assert.deepEqual(run.results(), []);
    await run.advanceTo(3_000);
    assert.deepEqual(run.script.calls, [0, 0, 0, 1_000, 2_000, 2_000, 2_000, 3_000]);
    assert.deepEqual(run.results(), [{ t: 3_000, result: 'failure' }]);
    assert.deepEqual(
      run.records().map((r) => r.message),
      [
        'Liveness probe errored and resulted in unknown state: boom 2',
        'Liveness probe failed: out 3',
        'Liveness probe errored and resulted in unknown state: boom 6',
        'Liveness probe failed: out 7',
      ],
    );
  });
});

describe('probe machine: startup gating', () => {
  test('gated readiness waits for UNGATE, then probes at once (the kubelet triggers unready readiness workers)', async () => {
    const run = await start(input('readiness', probe({ periodSeconds: 10 }), { gated: true }), ['success']);
    assert.equal(run.childState(), 'Gated');
    await run.advanceTo(7_000);
    assert.deepEqual(run.script.calls, []);
    run.actor.send({ type: 'UNGATE', at: T0 + 7_000 });
    await run.advanceTo(7_000);
    assert.deepEqual(run.script.calls, [7_000]);
    assert.deepEqual(run.results(), [{ t: 7_000, result: 'success' }]);
    await run.advanceTo(17_000);
    assert.deepEqual(run.script.calls, [7_000, 17_000]);
  });

  test('gated liveness resumes on its tick grid after UNGATE', async () => {
    const run = await start(input('liveness', probe({ periodSeconds: 10 }), { gated: true }), ['success']);
    await run.advanceTo(7_000);
    run.actor.send({ type: 'UNGATE', at: T0 + 7_000 });
    await run.advanceTo(9_900);
    assert.deepEqual(run.script.calls, []);
    await run.advanceTo(10_000);
    assert.deepEqual(run.script.calls, [10_000]);
  });

  test('UNGATE before the initial delay has passed waits for it', async () => {
    const run = await start(input('liveness', probe({ periodSeconds: 1, initialDelaySeconds: 20 }), { gated: true }), ['success']);
    await run.advanceTo(3_000);
    run.actor.send({ type: 'UNGATE', at: T0 + 3_000 });
    await run.advanceTo(19_900);
    assert.deepEqual(run.script.calls, []);
    await run.advanceTo(20_000);
    assert.deepEqual(run.script.calls, [20_000]);
  });

  test('the startup probe itself is never gated', async () => {
    const run = await start(input('startup', probe({ periodSeconds: 1 }), { gated: true }), ['success']);
    assert.deepEqual(run.script.calls, [0]);
    assert.deepEqual(run.results(), [{ t: 0, result: 'success' }]);
  });
});

describe('probe machine: snapshot restore', () => {
  test('RESUME after a persisted snapshot re-arms the period from the absolute deadline and keeps the failure run', async () => {
    const inp = input('liveness', probe({ periodSeconds: 10, failureThreshold: 3 }));
    const first = await start(inp, ['failure']);
    await first.advanceTo(13_000);
    assert.deepEqual(first.script.calls, [0, 10_000]);
    const snap = first.actor.getPersistedSnapshot();
    first.actor.stop();

    // A new process, 4 s later: the next tick is still due at T0 + 20 s.
    const clock = new SimulatedClock();
    clock.set(T0 + 17_000);
    const second = await start(inp, ['failure'], { clock, snapshot: snap as never });
    assert.equal(second.childState(), 'Waiting');
    second.actor.send({ type: 'RESUME', at: T0 + 17_000 });
    await second.advanceTo(19_900);
    assert.deepEqual(second.script.calls, []);
    await second.advanceTo(20_000);
    assert.deepEqual(second.script.calls, [20_000]);
    // The two failures before the restore count: the third publishes failure.
    assert.deepEqual(second.results(), [{ t: 20_000, result: 'failure' }]);
  });

  test('RESUME past the deadline probes at once; RESUME during the initial delay keeps it', async () => {
    const inp = input('readiness', probe({ periodSeconds: 10, initialDelaySeconds: 30 }));
    const first = await start(inp, ['success']);
    await first.advanceTo(5_000);
    assert.equal(first.childState(), 'Delaying');
    const snap = first.actor.getPersistedSnapshot();
    first.actor.stop();

    const clock = new SimulatedClock();
    clock.set(T0 + 12_000);
    const second = await start(inp, ['success'], { clock, snapshot: snap as never });
    second.actor.send({ type: 'RESUME', at: T0 + 12_000 });
    await second.advanceTo(29_900);
    assert.deepEqual(second.script.calls, []);
    await second.advanceTo(30_000);
    assert.deepEqual(second.script.calls, [30_000]);
    await second.advanceTo(35_000);
    const snap2 = second.actor.getPersistedSnapshot();
    second.actor.stop();

    const clock3 = new SimulatedClock();
    clock3.set(T0 + 55_000);
    const third = await start(inp, ['success'], { clock: clock3, snapshot: snap2 as never });
    third.actor.send({ type: 'RESUME', at: T0 + 55_000 });
    await third.advanceTo(55_000);
    assert.deepEqual(third.script.calls, [55_000]);
    // Missed ticks (40 s, 50 s) are dropped; the grid (every 10 s from 30 s) is kept.
    await third.advanceTo(70_000);
    assert.deepEqual(third.script.calls, [55_000, 60_000, 70_000]);
  });
});
