// InspectionHub unit tests: what a client that connects late is told, read through
// XState's public API only (Actor.options.parent, the parent's snapshot.children, the
// snapshot status): parents of invoked and spawned children, and no stopped actor.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assign, createActor, createMachine, fromPromise, setup, type AnyActorRef } from 'xstate';
import { InspectionHub } from '../../src/inspect/hub.js';

interface ActorMsg {
  type: string;
  sessionId: string;
  parentId?: string;
  name?: string;
  machineId?: string;
}

function join(hub: InspectionHub): ActorMsg[] {
  const got: ActorMsg[] = [];
  const remove = hub.addClient({ send: (data) => got.push(JSON.parse(data) as ActorMsg) });
  remove();
  return got.filter((m) => m.type === '@xstate.actor');
}

const child = createMachine({ id: 'child', initial: 'Idle', states: { Idle: { on: { STOP: 'Done' } }, Done: { type: 'final' } } });

const parent = setup({
  types: { context: {} as { spawned: AnyActorRef | undefined } },
  actors: { child, wait: fromPromise(() => new Promise<void>(() => {})) },
}).createMachine({
  id: 'parent',
  context: { spawned: undefined },
  initial: 'Working',
  states: {
    Working: {
      invoke: [{ id: 'invoked', src: 'child' }, { id: 'pending', src: 'wait' }],
      entry: assign({ spawned: ({ spawn }) => spawn('child', { id: 'spawned' }) }),
      on: { NEXT: 'Later' },
    },
    Later: {},
  },
});

describe('InspectionHub: late joiners', () => {
  test('each child names its parent; invoked children of a state that was left are gone', async () => {
    const hub = new InspectionHub({ historySize: 0 });
    const root = createActor(parent, { inspect: hub.inspect }).start();
    await new Promise((r) => setImmediate(r));

    const before = join(hub);
    const byName = new Map(before.map((m) => [m.name, m]));
    assert.equal(byName.get('parent')?.parentId, undefined);
    assert.equal(byName.get('invoked')?.parentId, root.sessionId);
    assert.equal(byName.get('spawned')?.parentId, root.sessionId);
    assert.equal(byName.get('pending')?.parentId, root.sessionId);
    // Machines are recognised as such (a machine id), promise logic is not.
    assert.ok(byName.get('invoked')?.machineId);
    assert.equal(byName.get('pending')?.machineId, undefined);

    // Leaving Working stops the invoked children (promise and machine); the spawned one stays.
    root.send({ type: 'NEXT' });
    await new Promise((r) => setImmediate(r));
    const after = join(hub).map((m) => m.name).sort();
    assert.deepEqual(after, ['parent', 'spawned']);

    root.stop();
    assert.deepEqual(join(hub), []);
    hub.close();
  });

  test('an actor stopped before it ever started is not announced', () => {
    const hub = new InspectionHub({ historySize: 0 });
    const root = createActor(parent, { inspect: hub.inspect }).start();
    const never = createActor(child, { inspect: hub.inspect });
    // A root that is not started yet is not announced; stopped before its start, it never is.
    assert.ok(!join(hub).some((m) => m.sessionId === never.sessionId));
    never.stop();
    assert.ok(!join(hub).some((m) => m.sessionId === never.sessionId));
    assert.ok(join(hub).some((m) => m.sessionId === root.sessionId));
    root.stop();
    assert.equal(join(hub).length, 0);
    hub.close();
  });
});
