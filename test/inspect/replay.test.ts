// `statelet visualize`: a recorded --output json run rebuilt into the stream
// the visualizer folds. The toy charts of fixtures.ts stand for statelet's
// (their shape: meta.reason, a final state for the pod); the real charts and a
// real recording are covered by replay.browser.test.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { machineToJSON } from '../../src/inspect/chart.js';
import type { MachineJSON, ReplayData } from '../../src/inspect/protocol.js';
import { buildReplay, inferTransitions, parseGoDuration, valueFromPath } from '../../src/inspect/replay.js';
import { InspectorModel } from '../../src/inspect/view-model.js';
import { stateValueToString } from '../../src/inspect/chart.js';
import { demoContainerMachine, demoPodMachine, demoProbeMachine } from './fixtures.js';

const machines: Record<string, MachineJSON> = {
  demoPod: machineToJSON(demoPodMachine),
  demoContainer: machineToJSON(demoContainerMachine),
  demoProbe: machineToJSON(demoProbeMachine),
};

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const iso = (ms: number): string => new Date(T0 + ms).toISOString();
const secs = (ms: number): string => new Date(Math.floor((T0 + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const meta = { name: 'web', namespace: 'shop', uid: 'u-1' };
const transition = (ms: number, actor: string, from: string, to: string, event: string) =>
  ({ kind: 'Transition', actor, from, to, event, timestamp: iso(ms) });
const pod = (phase: string, app: Record<string, unknown>) => ({ kind: 'Pod', apiVersion: 'v1', metadata: meta, status: { phase, containerStatuses: [{ name: 'app', ready: false, ...app }] } });
const event = (ms: number, type: string, reason: string, message: string, count = 1) => ({
  kind: 'Event',
  apiVersion: 'v1',
  type,
  reason,
  message,
  involvedObject: { kind: 'Pod', name: 'web', namespace: 'shop', uid: 'u-1', fieldPath: 'spec.containers{app}' },
  count,
  firstTimestamp: secs(ms),
  lastTimestamp: secs(ms),
});

/** A crash loop of the toy container, as `statelet run --output json` would write it. */
function recording(): string {
  const lines: unknown[] = [
    pod('Pending', { restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} }),
    transition(0, 'shop/web', '', 'running', 'xstate.init'),
    transition(2, 'shop/web/app', '', 'waiting', 'xstate.init'),
    transition(3, 'shop/web/app', 'waiting', 'running.postStart', 'START'),
    transition(13, 'shop/web/app', 'running.postStart', 'running.up', 'xstate.after.hookTime.demoContainer.running.postStart'),
    pod('Running', { restartCount: 0, ready: true, state: { running: { startedAt: secs(13) } }, lastState: {} }),
    event(400, 'Warning', 'Unhealthy', 'Liveness probe failed: connection refused'),
    transition(1003, 'shop/web/app', 'running.up', 'crashLoopBackOff', 'xstate.after.runFor.demoContainer.running'),
    pod('Running', {
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 500ms restarting failed container=app pod=web_shop(u-1)' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: secs(1003), containerID: 'cri://c1' } },
    }),
    event(1004, 'Warning', 'BackOff', 'Back-off restarting failed container app in pod web_shop(u-1)'),
    'not json at all',
    { kind: 'Something', else: true },
    transition(1503, 'shop/web/app', 'crashLoopBackOff', 'running.postStart', 'xstate.after.backOff.demoContainer.crashLoopBackOff'),
    transition(1513, 'shop/web/app', 'running.postStart', 'running.up', 'xstate.after.hookTime.demoContainer.running.postStart'),
    // A probe of the container: its label says nothing of which container it belongs to.
    transition(1600, 'shop/web/liveness', 'idle', 'probing', 'xstate.after.period.demoProbe.idle'),
    pod('Running', { restartCount: 1, ready: true, state: { running: { startedAt: secs(1513) } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: secs(1003), containerID: 'cri://c1' } } }),
    transition(2000, 'shop/web', 'running', 'deleted', 'DELETE'),
  ];
  return lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
}

function build(text = recording()): ReplayData {
  return buildReplay(text, { machines, prefer: { root: ['demoPod'], child: ['demoContainer'] }, source: 'run.ndjson' });
}

/** The model as the page has it with the scrubber at `t` ms into the run. */
function modelAt(data: ReplayData, t: number): InspectorModel {
  const m = new InspectorModel();
  for (const msg of data.preamble) m.apply(msg);
  for (const { at, msg } of data.entries) {
    if (at > T0 + t) break;
    m.nowOverride = at;
    m.apply(msg);
  }
  m.nowOverride = T0 + t;
  return m;
}

describe('replay of a recorded run', () => {
  test('Go durations and dotted state values', () => {
    assert.equal(parseGoDuration('1m20s'), 80_000);
    assert.equal(parseGoDuration('500ms'), 500);
    assert.equal(parseGoDuration('2h0m0s'), 7_200_000);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.equal(parseGoDuration('soon'), undefined);
    assert.equal(valueFromPath('Running'), 'Running');
    assert.deepEqual(valueFromPath('Terminating.PreStop.WithinGrace'), { Terminating: { PreStop: 'WithinGrace' } });
    assert.deepEqual(valueFromPath('p.a.x, p.b.y'), { p: { a: 'x', b: 'y' } });
    for (const v of ['a', 'a.b', 'a.b.c']) assert.equal(stateValueToString(valueFromPath(v)), v);
  });

  test('the chart path between two recorded values: the event first, then eventless steps; guards from the chart', () => {
    const c = machines.demoContainer!;
    // The run ends: of the two `runFor` transitions, the guarded one leads to the back-off.
    assert.deepEqual(inferTransitions(c, 'running.up', 'crashLoopBackOff', 'xstate.after.runFor.demoContainer.running'), [
      { source: 'demoContainer.running', targets: ['demoContainer.crashLoopBackOff'], eventType: 'xstate.after.runFor.demoContainer.running', guard: 'shouldRestart', delay: 'runFor' },
    ]);
    // Entering a compound state ends in its initial child.
    const restart = inferTransitions(c, 'crashLoopBackOff', 'running.postStart', 'xstate.after.backOff.demoContainer.crashLoopBackOff');
    assert.deepEqual(restart?.map((t) => [t.source, t.targets]), [['demoContainer.crashLoopBackOff', ['demoContainer.running']]]);
    // The first value of an actor: no transition, the initial state.
    assert.deepEqual(inferTransitions(c, '', 'waiting', 'xstate.init'), []);
    // Nothing in the chart leads there on that event.
    assert.equal(inferTransitions(c, 'waiting', 'terminated', 'START'), undefined);
    assert.equal(inferTransitions(c, 'nowhere', 'waiting', 'START'), undefined);
  });

  test('Transition, Pod and Event lines become actors, snapshots, inferred transitions, statuses and timeline facts', () => {
    const data = build();
    assert.equal(data.type, 'statelet.replay');
    assert.equal(data.source, 'run.ndjson');
    assert.equal(data.start, T0);
    assert.equal(data.end, T0 + 2000);
    assert.equal(data.stats.skipped, 2, 'a line that is not JSON and one of an unknown kind');
    assert.equal(data.stats.events, 2);
    assert.equal(data.stats.statuses, 4);
    // The probe's line is left out (its label names no container of the pod); every change
    // but the two initial states gets its chart path.
    assert.equal(data.stats.transitions, 8);
    assert.equal(data.stats.inferred, 6);
    assert.deepEqual(
      data.preamble.map((m) => m.type),
      ['@statelet.hello', '@statelet.machine', '@statelet.machine', '@statelet.synced'],
    );
    const times = data.entries.map((e) => e.at);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'entries in time order');
    const actors = data.entries.filter((e) => e.msg.type === '@xstate.actor').map((e) => e.msg as { sessionId: string; parentId?: string; machineId?: string });
    assert.deepEqual(actors.map((a) => [a.sessionId, a.parentId, a.machineId]), [
      ['replay:shop/web', undefined, 'demoPod'],
      ['replay:shop/web/app', 'replay:shop/web', 'demoContainer'],
    ]);
    // A Pod line has no time of its own: it takes the time of the line before it.
    const statuses = data.entries.filter((e) => e.msg.type === '@statelet.podStatus');
    assert.deepEqual(statuses.map((e) => e.at - T0), [0, 13, 1003, 1600]);
    // An Event has whole seconds only: it is placed no earlier than the line before it.
    assert.deepEqual(data.events.map((e) => e.at - T0), [13, 1003]);

    // With the scrubber 0.5 s in: up and running, a probe failure on the timeline.
    let m = modelAt(data, 500);
    assert.equal(stateValueToString(m.actors.get('replay:shop/web/app')?.value), 'running.up');
    assert.equal(m.podView('replay:shop/web').phase, 'Running');
    assert.equal(m.podView('replay:shop/web').namespace, 'shop');
    const probe = m.timelines.get('replay:shop/web/app')?.markers.find((x) => x.kind === 'probe');
    assert.equal(probe?.label, 'Liveness probe failed');

    // 1.2 s in: in the back-off, with the exit and its period from the status.
    m = modelAt(data, 1200);
    const app = 'replay:shop/web/app';
    assert.equal(stateValueToString(m.actors.get(app)?.value), 'crashLoopBackOff');
    const row = m.log.findLast((r) => r.sessionId === app);
    assert.equal(row?.guard, 'shouldRestart');
    assert.equal(row?.inferred, true);
    const bo = m.backOff(app, m.serverNow());
    assert.equal(bo?.backOffMs, 500);
    assert.equal(bo?.until, T0 + 1003 + 500);
    assert.equal(bo?.remainingMs, 303);
    // (The toy chart has no meta.status, so leaving `running` is marked as an exit too.)
    const exit = m.timelines.get(app)?.markers.find((x) => x.kind === 'exit' && x.label === 'exited 1 (Error)');
    assert.ok(exit, 'the exit from the status, with its code and reason');
    assert.equal(exit?.time, T0 + 1003, 'placed where the exit first showed up, not at the status\'s whole second');
    assert.equal(m.podView('replay:shop/web').restarts, 1);

    // 1.6 s in: restarted; one exit, not one per status line that repeats it.
    m = modelAt(data, 1600);
    assert.equal(stateValueToString(m.actors.get(app)?.value), 'running.up');
    assert.equal(m.timelines.get(app)?.markers.filter((x) => x.label === 'exited 1 (Error)').length, 1);

    // The end: the pod reached its final state; its container stopped with it.
    m = modelAt(data, 2000);
    assert.equal(m.actors.get('replay:shop/web')?.status, 'done');
    assert.equal(m.actors.get(app)?.status, 'stopped');
  });

  test('a recording without Pod lines keeps every child actor that fits a chart; an empty one gives no lines', () => {
    const text = [
      transition(0, 'ns/p', '', 'running', 'xstate.init'),
      transition(1, 'ns/p/liveness', '', 'idle', 'xstate.init'),
      transition(5, 'ns/p/liveness', 'idle', 'probing', 'xstate.after.period.demoProbe.idle'),
    ].map((l) => JSON.stringify(l)).join('\n');
    const data = build(text);
    const probe = data.entries.find((e) => e.msg.type === '@xstate.actor' && e.msg.sessionId === 'replay:ns/p/liveness')?.msg as { machineId?: string } | undefined;
    assert.equal(probe?.machineId, 'demoProbe', 'the chart whose states fit');
    assert.equal(build('').stats.lines, 0);
  });
});
