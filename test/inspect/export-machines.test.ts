import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { and, createMachine, not, setup, stateIn } from 'xstate';
import { exportMachines, toMermaid } from '../../src/cli/export-machines.js';
import { describeEventType, guardLabel, machineToJSON, transitionLabel } from '../../src/inspect/chart.js';
import { demoContainerMachine, demoPodMachine } from './fixtures.js';

describe('export-machines', () => {
  test('mermaid: initial, nested, final, guards and delays', async () => {
    const { text, files } = await exportMachines({ container: demoContainerMachine }, { format: 'mermaid' });
    assert.deepEqual(files, []);
    const mmd = text.container ?? '';
    const lines = mmd.trim().split('\n').map((l) => l.trim());
    assert.equal(lines[0], 'stateDiagram-v2');
    for (const expected of [
      '[*] --> waiting',
      'waiting --> running : START',
      'state running {',
      '[*] --> postStart',
      'postStart --> up : after hookTime',
      'running --> crashLoopBackOff : after runFor [shouldRestart]',
      'running --> terminated : after runFor',
      'crashLoopBackOff --> running : after backOff',
      'running --> terminated : STOP',
      'terminated --> [*]',
    ]) {
      assert.ok(lines.includes(expected), `missing line: ${expected}\n${mmd}`);
    }
    // The nested transition is written inside its composite, before it closes.
    const open = lines.indexOf('state running {');
    const close = lines.indexOf('}', open);
    const inner = lines.indexOf('postStart --> up : after hookTime');
    assert.ok(open < inner && inner < close);
    // Top-level transitions are outside it.
    assert.ok(lines.indexOf('waiting --> running : START') > close);
  });

  test('mermaid: parallel regions, root transitions, duplicate keys, combinator guards, always', () => {
    const m = setup({
      guards: { a: () => true, b: () => true },
    }).createMachine({
      id: 'pod',
      type: 'parallel',
      on: { RESET: { target: '.main.idle', guard: not('a') } },
      states: {
        main: {
          initial: 'idle',
          states: {
            idle: { on: { GO: { target: 'busy', guard: and(['a', not('b')]) } } },
            busy: { after: { 1500: 'idle' }, always: { target: '#pod.side.idle', guard: stateIn({ main: 'busy' }) } },
          },
        },
        side: { initial: 'idle', states: { idle: {}, end: { type: 'final' } } },
      },
    });
    const mmd = toMermaid(machineToJSON(m));
    const lines = mmd.trim().split('\n').map((l) => l.trim());
    assert.ok(lines.includes('[*] --> pod'), mmd);
    assert.ok(lines.includes('state pod {'));
    assert.ok(lines.includes('--'), 'regions are separated');
    // Two states named "idle": path-based ids with the key as label.
    assert.ok(lines.includes('state "idle" as main_idle'), mmd);
    assert.ok(lines.includes('state "idle" as side_idle'));
    assert.ok(lines.includes('pod --> main_idle : RESET [!a]'), mmd);
    assert.ok(lines.includes('main_idle --> busy : GO [a && !b]'), mmd);
    assert.ok(lines.includes('busy --> main_idle : after 1500ms'), mmd);
    assert.ok(lines.includes('busy --> side_idle : always [in({"main":"busy"})]'), mmd);
    assert.ok(lines.includes('end_ --> [*]'), 'reserved word "end" is renamed');
  });

  test('json: writes <name>.json = machine.toJSON() with readable guards, and <name>.mmd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statelet-export-'));
    try {
      const res = await exportMachines({ container: demoContainerMachine, pod: demoPodMachine }, { format: 'json', outDir: dir });
      assert.deepEqual(res.files, [join(dir, 'container.json'), join(dir, 'pod.json')]);
      const json = JSON.parse(await readFile(join(dir, 'container.json'), 'utf8'));
      const plain = JSON.parse(JSON.stringify(demoContainerMachine.toJSON()));
      assert.equal(json.id, 'demoContainer');
      assert.deepEqual(Object.keys(json.states), Object.keys(plain.states));
      assert.deepEqual(json.states.running.on, plain.states.running.on);
      const guarded = json.states.running.transitions.filter((t: { guard?: string }) => t.guard);
      assert.deepEqual(guarded.map((t: { guard?: string; eventType: string }) => [t.eventType, t.guard]), [
        ['xstate.after.runFor.demoContainer.running', 'shouldRestart'],
      ]);
      assert.equal(json.states.crashLoopBackOff.meta.reason, 'CrashLoopBackOff');
      // Eventless transitions, which toJSON leaves out, are added.
      const pod = JSON.parse(await readFile(join(dir, 'pod.json'), 'utf8'));
      assert.deepEqual(pod.states.terminating.always[0].target, ['#demoPod.deleted']);

      const mm = await exportMachines({ container: demoContainerMachine }, { format: 'mermaid', outDir: join(dir, 'sub') });
      assert.deepEqual(mm.files, [join(dir, 'sub', 'container.mmd')]);
      assert.equal(await readFile(mm.files[0] ?? '', 'utf8'), mm.text.container);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('rejects unusable names and formats', async () => {
    const m = createMachine({ id: 'x', initial: 'a', states: { a: {} } });
    await assert.rejects(exportMachines({ '../evil': m }, { format: 'json' }), /not usable as a file name/);
    await assert.rejects(exportMachines({ x: m }, { format: 'yaml' as never }), /unknown export format/);
  });
});

describe('chart helpers', () => {
  test('event and guard labels', () => {
    assert.deepEqual(describeEventType('xstate.after.backOff.demoContainer.crashLoopBackOff', 'demoContainer.crashLoopBackOff'), {
      kind: 'after',
      delay: 'backOff',
      label: 'after backOff',
    });
    assert.equal(describeEventType('xstate.after.200.m.a').delay, 200);
    assert.equal(describeEventType('xstate.after.my.dotted.delay.m.s', 'm.s').delay, 'my.dotted.delay');
    assert.equal(describeEventType('').label, 'always');
    assert.equal(
      describeEventType('xstate.error.actor.0.m.running', { id: 'm.running', key: 'running', type: 'atomic', invoke: [{ id: '0.m.running', src: 'runContainer' }] }).label,
      'error: runContainer',
    );
    assert.equal(transitionLabel({ eventType: 'EXIT', guard: 'shouldRestart' }), 'EXIT [shouldRestart]');
    assert.equal(guardLabel(not(and(['a', 'b']))), '!(a && b)');
    assert.equal(guardLabel({ type: 'named', params: { x: 1 } }), 'named');
    assert.equal(guardLabel(() => true), 'inline');
    assert.equal(guardLabel(undefined), undefined);
  });
});
