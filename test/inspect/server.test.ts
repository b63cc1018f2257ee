import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createWebSocketInspector } from '@statelyai/inspect';
import { WebSocket, WebSocketServer } from 'ws';
import { createActor, SimulatedClock, type InspectionEvent } from 'xstate';
import { InspectionHub } from '../../src/inspect/hub.js';
import { PlainStringifier, safeStringify } from '../../src/inspect/serialize.js';
import { isLoopbackHost, startInspectionServer, type InspectionServer } from '../../src/inspect/server.js';
import { demoContainerMachine, demoPodMachine, type DemoContainerInput } from './fixtures.js';
import { record, tryConnect, waitFor, type Msg } from './helpers.js';

const CONTAINERS: DemoContainerInput[] = [
  { name: 'app', runMs: 1000, backOffBaseMs: 500, hookMs: 10, probePeriodMs: 300 },
  { name: 'sidecar', runMs: 3_600_000, backOffBaseMs: 500, hookMs: 10, probePeriodMs: 300 },
];

const servers: InspectionServer[] = [];
async function server(opts: Parameters<typeof startInspectionServer>[0] = {}): Promise<InspectionServer> {
  const s = await startInspectionServer({ port: 0, ...opts });
  servers.push(s);
  return s;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function startPod(inspect: (ev: InspectionEvent) => void, clock = new SimulatedClock()) {
  const pod = createActor(demoPodMachine, { clock, inspect, input: { containers: CONTAINERS } });
  pod.start();
  return { pod, clock };
}

function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const appOf = (msgs: Msg[]): Msg | undefined => msgs.find((m) => m.type === '@xstate.actor' && m.systemId === 'container:app');

describe('inspection server', () => {
  test('forwards @xstate.* messages in the Stately format plus machine and transition messages', async () => {
    const s = await server();
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(s.wsUrl, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const rec = await record(s.wsUrl);
    await rec.waitFor((m) => m.type === '@statelet.synced', 'synced');
    assert.equal(rec.messages[0]?.type, '@statelet.hello');

    const { pod, clock } = startPod(s.inspect);
    clock.increment(10); // postStart hook done
    clock.increment(1000); // app's run ends: guard shouldRestart → crashLoopBackOff
    const backOff = await rec.waitFor(
      (m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'crashLoopBackOff',
      'app snapshot in crashLoopBackOff',
    );

    const podActor = rec.messages.find((m) => m.type === '@xstate.actor' && m.name === 'demoPod');
    const app = appOf(rec.messages);
    assert.ok(podActor && app, 'pod and container announced');
    assert.equal(backOff.sessionId, app.sessionId);
    for (const m of [podActor, app]) {
      assert.equal(m._version, '0.7.2');
      assert.equal(m.id, null);
      assert.equal(typeof m.createdAt, 'string');
      assert.equal(typeof m.definition, 'string');
    }
    assert.equal(podActor.parentId, undefined);
    assert.equal(app.parentId, podActor.sessionId);
    assert.equal(app.rootId, podActor.sessionId);
    assert.equal(app.actorId, 'app');
    assert.equal(app.machineId, 'demoContainer');
    assert.equal(JSON.parse(app.definition).id, 'demoContainer');

    // A probe child under the container.
    const probe = rec.messages.find((m) => m.type === '@xstate.actor' && m.parentId === app.sessionId);
    assert.equal(probe?.machineId, 'demoProbe');

    // One machine message per distinct machine, each before its first actor.
    const machines = rec.messages.filter((m) => m.type === '@statelet.machine');
    assert.deepEqual(machines.map((m) => m.machineId).sort(), ['demoContainer', 'demoPod', 'demoProbe']);
    const idx = (pred: (m: Msg) => boolean): number => rec.messages.findIndex(pred);
    assert.ok(
      idx((m) => m.type === '@statelet.machine' && m.machineId === 'demoContainer') <
        idx((m) => m.type === '@xstate.actor' && m.machineId === 'demoContainer'),
    );
    const containerJson = machines.find((m) => m.machineId === 'demoContainer')?.json;
    assert.equal(containerJson.states.crashLoopBackOff.meta.reason, 'CrashLoopBackOff');

    // Events name their sender; snapshots carry the event behind them.
    const start = rec.messages.find((m) => m.type === '@xstate.event' && m.event?.type === 'START' && m.sessionId === app.sessionId);
    assert.equal(start?.sourceId, podActor.sessionId);
    assert.equal(backOff.event.type, 'xstate.after.runFor.demoContainer.running');
    assert.equal(backOff.snapshot.context.lastExitCode, 1);
    assert.equal(backOff.snapshot.status, 'active');

    // The transition message names the guard and the delay.
    const tr = rec.messages.find(
      (m) => m.type === '@statelet.transition' && m.sessionId === app.sessionId && m.value === 'crashLoopBackOff',
    );
    assert.deepEqual(tr?.transitions, [
      {
        source: 'demoContainer.running',
        targets: ['demoContainer.crashLoopBackOff'],
        eventType: 'xstate.after.runFor.demoContainer.running',
        guard: 'shouldRestart',
        delay: 'runFor',
      },
    ]);

    // The back-off ends after backOffBaseMs (500 ms) of simulated time.
    clock.increment(499);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pod.getSnapshot().children['app']?.getSnapshot().value, 'crashLoopBackOff');
    clock.increment(1);
    const restarted = await rec.waitFor(
      (m) => m.type === '@statelet.transition' && m.sessionId === app.sessionId && m.event === 'xstate.after.backOff.demoContainer.crashLoopBackOff',
      'restart after back-off',
    );
    assert.deepEqual(restarted.value, { running: 'postStart' });
    pod.stop();
    await rec.close();
  });

  test('a late client gets machines, the live actors with current snapshots, and recent history', async () => {
    const s = await server();
    const { pod, clock } = startPod(s.inspect);
    clock.increment(10);
    clock.increment(1000); // app → crashLoopBackOff; its probe is stopped
    assert.equal(pod.getSnapshot().children['app']?.getSnapshot().value, 'crashLoopBackOff');

    const rec = await record(s.wsUrl);
    await rec.waitFor((m) => m.type === '@statelet.synced', 'synced');
    const types = rec.messages.map((m) => m.type);
    assert.equal(types[0], '@statelet.hello');
    assert.equal(types.at(-1), '@statelet.synced');

    const actors = rec.messages.filter((m) => m.type === '@xstate.actor');
    const byName = new Map(actors.map((m) => [m.systemId ?? m.name, m]));
    assert.equal(byName.get('container:app')?.snapshot.value, 'crashLoopBackOff');
    assert.deepEqual(byName.get('container:sidecar')?.snapshot.value, { running: 'up' });
    assert.equal(byName.get('demoPod')?.snapshot.value, 'running');
    // The app's probe was stopped when it left `running`: not replayed. The sidecar's probe is.
    const probes = actors.filter((m) => m.machineId === 'demoProbe');
    assert.equal(probes.length, 1);
    assert.equal(probes[0]?.parentId, byName.get('container:sidecar')?.sessionId);
    assert.equal(rec.messages.at(-1)?.actors, 4);

    // Machines come before actors, parents before children.
    const firstActor = types.indexOf('@xstate.actor');
    assert.deepEqual(
      rec.messages.slice(1, firstActor).map((m) => m.machineId).sort(),
      ['demoContainer', 'demoPod', 'demoProbe'],
    );
    const pos = new Map(actors.map((m, i) => [m.sessionId, i]));
    for (const m of actors) if (m.parentId) assert.ok((pos.get(m.parentId) ?? 99) < (pos.get(m.sessionId) ?? -1));

    // History: the crash-loop transition is replayed, flagged as such.
    const replayed = rec.messages.filter((m) => m.type === '@statelet.transition');
    assert.ok(replayed.every((m) => m.replay === true));
    assert.ok(replayed.some((m) => m.transitions[0]?.guard === 'shouldRestart'));

    // After the replay, the same client receives live messages.
    clock.increment(500);
    await rec.waitFor(
      (m) => m.type === '@xstate.snapshot' && m.sessionId === byName.get('container:app')?.sessionId && m.snapshot.value?.running === 'postStart',
      'live snapshot after replay',
    );

    // Deleting the pod stops everything: a newer client sees no actors.
    pod.send({ type: 'DELETE' });
    assert.equal(s.stats().actors, 0);
    const rec2 = await record(s.wsUrl);
    const synced = await rec2.waitFor((m) => m.type === '@statelet.synced', 'synced');
    assert.equal(synced.actors, 0);
    assert.equal(rec2.messages.filter((m) => m.type === '@xstate.actor').length, 0);
    await Promise.all([rec.close(), rec2.close()]);
  });

  test('refuses non-loopback hosts unless allowRemote, and then warns', async () => {
    await assert.rejects(startInspectionServer({ host: '0.0.0.0' }), /non-loopback host "0\.0\.0\.0".*allowRemote/s);
    await assert.rejects(startInspectionServer({ host: '192.0.2.1' }), /non-loopback/);
    assert.ok(isLoopbackHost('127.0.0.1'));
    assert.ok(isLoopbackHost('localhost'));
    assert.ok(isLoopbackHost('[::1]'));
    assert.ok(!isLoopbackHost('::'));
    assert.ok(!isLoopbackHost('example.com'));

    const logs: string[] = [];
    const s = await server({ host: '0.0.0.0', allowRemote: true, log: (m) => logs.push(m) });
    assert.match(logs.join('\n'), /warning: .*0\.0\.0\.0.*without authentication/);
    assert.match(s.url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
    const port = new URL(s.url).port;
    const rec = await record(`ws://127.0.0.1:${port}/ws`);
    await rec.waitFor((m) => m.type === '@statelet.synced', 'synced');
    await rec.close();

    const quiet: string[] = [];
    await server({ log: (m) => quiet.push(m) });
    assert.deepEqual(quiet, [], 'no warning on loopback');
  });

  test('client messages are never evaluated: garbage, binary and oversized messages do not disturb it', async () => {
    const logs: string[] = [];
    const s = await server({ log: (m) => logs.push(m) });
    const bad = await record(s.wsUrl);
    const good = await record(s.wsUrl);
    await good.waitFor((m) => m.type === '@statelet.synced', 'synced');
    bad.ws.send('not json {');
    bad.ws.send(Buffer.from([0, 1, 2, 255]));
    bad.ws.send(JSON.stringify({ type: '@xstate.event', sessionId: 'x:0', event: { type: 'DELETE' } }));
    bad.ws.send(JSON.stringify({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }));
    bad.ws.send('[]');
    bad.ws.send('null');

    const { pod, clock } = startPod(s.inspect);
    clock.increment(10);
    // A client that floods more than the 64 KiB limit is cut off; others carry on.
    bad.ws.send('x'.repeat(200 * 1024));
    assert.equal(await bad.closed, 1009);
    clock.increment(1000);
    await good.waitFor((m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'crashLoopBackOff', 'live stream continues');
    assert.equal(pod.getSnapshot().value, 'running', 'the DELETE sent by a client reached nothing');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(logs.some((l) => /not JSON/.test(l)));
    const again = await record(s.wsUrl);
    await again.waitFor((m) => m.type === '@statelet.synced', 'a new client still connects');
    pod.stop();
    await Promise.all([good.close(), again.close()]);
  });

  test('serves the visualizer files and nothing else; rejects foreign Host and Origin headers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statelet-vis-'));
    try {
      await writeFile(join(dir, 'index.html'), '<!doctype html><title>vis</title>');
      await writeFile(join(dir, 'main.js'), 'console.log(1)');
      await writeFile(join(dir, 'secret.txt'), 'nope');
      const s = await server({ staticDir: dir });
      const port = new URL(s.url).port;

      const index = await httpGet(s.url);
      assert.equal(index.status, 200);
      assert.match(index.body, /<title>vis<\/title>/);
      assert.match(String(index.headers['content-type']), /text\/html/);
      assert.match(String(index.headers['content-security-policy']), /default-src 'self'/);
      const js = await httpGet(`${s.url}main.js`);
      assert.equal(js.status, 200);
      assert.match(String(js.headers['content-type']), /javascript/);
      assert.equal((await httpGet(`${s.url}secret.txt`)).status, 404, 'unknown file types are not served');
      assert.equal((await httpGet(`${s.url}..%2f..%2fetc%2fpasswd`)).status, 404);
      assert.equal((await httpGet(`${s.url}missing.js`)).status, 404);

      // DNS rebinding: a request addressed to another name is refused.
      assert.equal((await httpGet(s.url, { Host: `evil.example:${port}` })).status, 403);
      assert.equal(await tryConnect(s.wsUrl, { Host: `evil.example:${port}` }), 403);
      // A browser page from another origin cannot open the stream; our own page can.
      assert.equal(await tryConnect(s.wsUrl, { Origin: 'http://evil.example' }), 403);
      assert.equal(await tryConnect(s.wsUrl, { Origin: `http://127.0.0.1:${port}` }), 'open');
      assert.equal(await tryConnect(s.wsUrl), 'open', 'non-browser clients send no Origin');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('close() disconnects clients, frees the port, and turns inspect into a no-op', async () => {
    const s = await startInspectionServer({ port: 0 });
    const rec = await record(s.wsUrl);
    const { pod, clock } = startPod(s.inspect);
    await s.close();
    await rec.closed;
    clock.increment(2000); // events after close must not throw into the actor
    assert.equal(pod.getSnapshot().status, 'active');
    assert.equal(await tryConnect(s.wsUrl), -1);
    pod.stop();
  });
});

describe('inspection hub', () => {
  test('does no serialization while no client is connected', () => {
    let serialized = 0;
    const spy = { toJSON: () => (serialized++, 'spy') };
    const hub = new InspectionHub();
    const clock = new SimulatedClock();
    const actor = createActor(demoContainerMachine, {
      clock,
      inspect: hub.inspect,
      input: { name: 'c', runMs: 100, backOffBaseMs: 50 },
    });
    // Smuggle a spy into an event payload and the snapshot context.
    actor.start();
    actor.send({ type: 'START', spy } as never);
    for (let i = 0; i < 20; i++) clock.increment(60);
    assert.equal(serialized, 0);
    assert.ok(hub.stats().history > 0, 'microsteps are still remembered for late clients');

    const msgs: Msg[] = [];
    hub.addClient({ send: (d) => msgs.push(JSON.parse(d) as Msg) });
    actor.send({ type: 'START', spy } as never);
    assert.ok(serialized > 0, 'serializes once a client listens');
    assert.ok(msgs.some((m) => m.type === '@xstate.event' && m.event.spy === 'spy'));
    actor.stop();
  });

  test('history is a bounded ring and machine.provide() copies count as one machine', () => {
    const hub = new InspectionHub({ historySize: 5 });
    const clock = new SimulatedClock();
    const a = createActor(demoContainerMachine, { clock, inspect: hub.inspect, input: { name: 'a', runMs: 10, backOffBaseMs: 10 } });
    const b = createActor(demoContainerMachine.provide({}), {
      clock,
      inspect: hub.inspect,
      input: { name: 'b', runMs: 10, backOffBaseMs: 10 },
    });
    a.start();
    b.start();
    a.send({ type: 'START' });
    for (let i = 0; i < 30; i++) clock.increment(10);
    const msgs: Msg[] = [];
    hub.addClient({ send: (d) => msgs.push(JSON.parse(d) as Msg) });
    const history = msgs.filter((m) => m.type === '@statelet.transition');
    assert.equal(history.length, 5);
    const seqs = history.map((m) => m.seq as number);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'oldest first');
    const machineIds = msgs.filter((m) => m.type === '@statelet.machine').map((m) => m.machineId as string);
    assert.deepEqual(machineIds.filter((id) => id.startsWith('demoContainer')), ['demoContainer']);
    const actorMsgs = msgs.filter((m) => m.type === '@xstate.actor' && m.machineId === 'demoContainer');
    assert.equal(actorMsgs.length, 2);
    a.stop();
    b.stop();
  });

  test('a client may leave out the per-actor definition (?definitions=0); others still get it', async () => {
    const s = await server();
    const full = await record(s.wsUrl);
    const lean = await record(`${s.wsUrl}?definitions=0`);
    await full.waitFor((m) => m.type === '@statelet.synced', 'synced');
    await lean.waitFor((m) => m.type === '@statelet.synced', 'synced');
    const { pod } = startPod(s.inspect);
    for (const rec of [full, lean]) await rec.waitFor((m) => m.type === '@xstate.actor' && m.systemId === 'container:sidecar', 'sidecar');
    const defs = (rec: typeof full): unknown[] => rec.messages.filter((m) => m.type === '@xstate.actor' && m.machineId).map((m) => m.definition);
    assert.ok(defs(full).length >= 3 && defs(full).every((d) => typeof d === 'string'));
    assert.equal(defs(lean).length, defs(full).length);
    assert.ok(defs(lean).every((d) => d === undefined));
    // Late joiners: the replay follows the same choice.
    const late = await record(`${s.wsUrl}?definitions=0`);
    await late.waitFor((m) => m.type === '@statelet.synced', 'synced');
    assert.ok(late.messages.filter((m) => m.type === '@xstate.actor').every((m) => m.definition === undefined));
    assert.ok(late.messages.some((m) => m.type === '@statelet.machine' && m.machineId === 'demoContainer'));
    pod.stop();
    await Promise.all([full.close(), lean.close(), late.close()]);
  });

  test('the caching stringifier writes exactly what toPlain + JSON.stringify would, across snapshots', () => {
    const big = { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: 'y' }] }] }, n: 1 };
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const deep = { a: { b: { c: { d: { e: 'x' } } } } };
    const values: unknown[] = [
      { context: { pod: big, restartCount: 0 }, value: 'Running' },
      { context: { pod: big, restartCount: 1, when: new Date(0), tags: new Set(['a']), m: new Map([['k', 1]]) }, value: { A: 'B' } },
      { deep, again: { deep } }, // the same object at two depths: cut at one of them
      { circular, err: Object.assign(new Error('boom'), { code: 14 }), f: function named() {}, u: undefined, big: 10n, nan: NaN },
      [1, undefined, 'x'.repeat(50), [deep]],
      { ref: { toJSON: () => ({ xstate$$type: 1, id: 'x:1' }) }, big },
    ];
    const p = new PlainStringifier({ maxDepth: 4, maxString: 20, maxArray: 3 });
    for (let round = 0; round < 2; round++) {
      for (const v of values) assert.equal(p.stringify(v), safeStringify(v, { maxDepth: 4, maxString: 20, maxArray: 3 }));
    }
  });

  test('an inspection bug never breaks the inspected actor', () => {
    const logs: string[] = [];
    const hub = new InspectionHub({ log: (m) => logs.push(m) });
    hub.addClient({
      send() {
        throw new Error('client exploded');
      },
    });
    const hostile = {
      get value() {
        throw new Error('getter exploded');
      },
    };
    const clock = new SimulatedClock();
    const actor = createActor(demoContainerMachine, { clock, inspect: hub.inspect, input: { name: 'c', runMs: 100, backOffBaseMs: 50 } });
    actor.start();
    actor.send({ type: 'START', hostile } as never);
    clock.increment(200);
    assert.equal(actor.getSnapshot().value, 'crashLoopBackOff');
    actor.stop();
  });
});

describe('compatibility with @statelyai/inspect', () => {
  test('our @xstate.* messages carry everything createWebSocketInspector sends', async () => {
    // A plain WebSocket server receiving what Stately's own inspector sends.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const theirs: Msg[] = [];
    wss.on('connection', (ws: WebSocket) => ws.on('message', (d) => theirs.push(JSON.parse(String(d)) as Msg)));
    const port = (wss.address() as { port: number }).port;
    const stately = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });

    const s = await server();
    const rec = await record(s.wsUrl);
    await rec.waitFor((m) => m.type === '@statelet.synced', 'synced');
    const { pod, clock } = startPod((ev) => {
      s.inspect(ev);
      stately.inspect.next?.(ev);
    });
    clock.increment(10);
    clock.increment(1000);
    clock.increment(500);
    await rec.waitFor((m) => m.type === '@statelet.transition' && /xstate\.after\.backOff/.test(m.event), 'restart');
    await waitFor(() => theirs.some((m) => m.type === '@xstate.snapshot' && m.event?.type?.startsWith('xstate.after.backOff')), 'stately stream');
    pod.stop();
    await rec.waitFor((m) => m.type === '@xstate.snapshot' && m.snapshot?.status === 'stopped' && m.sessionId === pod.sessionId, 'stop (ours)');
    await waitFor(() => theirs.filter((m) => m.snapshot?.status === 'stopped').length >= rec.messages.filter((m) => m.type === '@xstate.snapshot' && m.snapshot?.status === 'stopped').length && theirs.some((m) => m.snapshot?.status === 'stopped'), 'stately stop snapshots');
    await new Promise((r) => setTimeout(r, 30));
    stately.stop();
    await new Promise<void>((r) => wss.close(() => r()));

    const ours = rec.messages.filter((m) => typeof m.type === 'string' && m.type.startsWith('@xstate.'));
    for (const type of ['@xstate.actor', '@xstate.event', '@xstate.snapshot']) {
      const t = theirs.filter((m) => m.type === type);
      const o = ours.filter((m) => m.type === type);
      assert.ok(t.length > 0, `stately sent ${type}`);
      const theirKeys = new Set(t.flatMap((m) => Object.keys(m)));
      const ourKeys = new Set(o.flatMap((m) => Object.keys(m)));
      for (const k of theirKeys) assert.ok(ourKeys.has(k), `${type} lacks field ${k}`);
      // Same (session, event, value) facts, in any order.
      const facts = (list: Msg[]): string[] =>
        list.map((m) => JSON.stringify([m.sessionId, m.event?.type ?? null, m.snapshot?.value ?? null, m.parentId ?? null, m.rootId])).sort();
      if (type === '@xstate.actor') {
        const ids = (list: Msg[]): string[] => list.map((m) => `${m.sessionId}<${m.parentId ?? ''} ${m.name}`).sort();
        assert.deepEqual(ids(o), ids(t));
        for (const m of t) {
          const mine = o.find((x) => x.sessionId === m.sessionId);
          assert.deepEqual(JSON.parse(mine?.definition), JSON.parse(m.definition), `definition of ${m.name}`);
        }
      } else {
        assert.deepEqual(facts(o), facts(t), `${type} facts`);
      }
    }
    await rec.close();
  });
});
