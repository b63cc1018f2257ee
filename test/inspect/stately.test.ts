// Stately's inspector, proven with @statelyai/inspect's own code:
// - its relay (`createInspectorServer`) receives what `statelet run
//   --stately-url` sends through its `createWebSocketInspector`;
// - its `createWebSocketReceiver` reads statelet's own `--inspect` stream,
//   and a late joiner first gets the live actors;
// - the `--stately` bridge: loopback only, foreign Host and Origin refused;
// - the flags, and the package's own server behind --inspect-allow-remote.
// The bridge page itself, in Chromium, is stately.browser.test.ts.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createWebSocketReceiver } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { Command } from 'commander';
import { createActor, SimulatedClock } from 'xstate';
import { addInspectOptions, inspectOptionsFrom } from '../../src/cli/inspect-flags.js';
import { stateValueToString } from '../../src/inspect/chart.js';
import { InspectionHub } from '../../src/inspect/hub.js';
import { startInspection } from '../../src/inspect/session.js';
import { startStatelyBridge, startStatelySender, STATELY_INSPECTOR_URL } from '../../src/inspect/stately.js';
import { root, startCli, type Cli } from './browser.js';
import { containerChart } from './chart-facts.js';
import { demoPodMachine } from './fixtures.js';
import { record, tryConnect, waitFor, type Msg } from './helpers.js';

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen({ port: 0, host: '127.0.0.1' }, () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
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

/** The container's snapshot values in order, as dotted paths, with consecutive repeats dropped. */
function values(msgs: Msg[], sessionId: string): string[] {
  const out: string[] = [];
  for (const m of msgs) {
    if (m.type !== '@xstate.snapshot' || m.sessionId !== sessionId) continue;
    const v = stateValueToString(m.snapshot?.value);
    if (v && out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

/** Running → CrashLoopBackOff → … → Running: the crash loop of examples/crashloop.yaml, in chart terms. */
function assertCrashLoop(seq: string[], where: string): void {
  const chart = containerChart();
  const clbo = chart.path(chart.crashLoop.id);
  const running = chart.path(chart.running.id);
  const firstRun = seq.indexOf(running);
  const backOff = seq.indexOf(clbo, firstRun + 1);
  assert.ok(firstRun >= 0, `${where}: the container ran (${seq.join(' → ')})`);
  assert.ok(backOff > firstRun, `${where}: then backed off (${seq.join(' → ')})`);
  assert.ok(seq.indexOf(running, backOff) > backOff, `${where}: and ran again after the back-off (${seq.join(' → ')})`);
}

describe('Stately inspector, through @statelyai/inspect itself', () => {
  let relay: { stop(): void } | undefined;
  let relayClient: Awaited<ReturnType<typeof record>> | undefined;
  let cli: Cli | undefined;
  let inspectWs = '';
  const early: Msg[] = [];

  before(async () => {
    const port = await freePort();
    // The package's documented relay, as a user would start it (no browser).
    relay = createInspectorServer({ port, autoOpen: false });
    for (let i = 0; (await tryConnect(`ws://127.0.0.1:${port}`)) !== 'open'; i++) {
      if (i > 100) throw new Error('the relay does not listen');
      await new Promise((r) => setTimeout(r, 50));
    }
    relayClient = await record(`ws://127.0.0.1:${port}`);
    cli = startCli(['run', 'examples/crashloop.yaml', '--stately-url', `ws://127.0.0.1:${port}`, '--inspect', '0', '--backoff-initial', '1', '--backoff-max', '2']);
    inspectWs = await cli.waitStderr(/statelet: inspector: http:\/\/127\.0\.0\.1:\d+\/ \(WebSocket (ws:\/\/127\.0\.0\.1:\d+\/ws)\)/, 'the inspector URL');
    // The package's receiver on statelet's own stream, from the start (the second test reads it).
    createWebSocketReceiver({ server: inspectWs }).subscribe((m) => early.push(m as unknown as Msg));
    await cli.waitStderr(/stately inspector: sending to ws:\/\/127\.0\.0\.1:\d+ /, 'the --stately-url line');
  });
  after(async () => {
    await cli?.stop();
    await relayClient?.close().catch(() => {});
    relay?.stop();
  });

  test('a createInspectorServer relay receives from `statelet run --stately-url` the pod, its container and the crash loop', { timeout: 40_000 }, async () => {
    const msgs = relayClient!.messages;
    const pod = await relayClient!.waitFor((m) => m.type === '@xstate.actor' && m.name === 'default/crashloop', 'the pod actor', 15_000);
    const container = await relayClient!.waitFor((m) => m.type === '@xstate.actor' && m.parentId === pod.sessionId && m.name === 'container:crasher', 'the container actor', 15_000);
    // The package's own message format (its convertXStateEvent).
    for (const m of [pod, container]) {
      assert.equal(m._version, '0.7.2');
      assert.equal(m.id, null);
      assert.equal(typeof m.createdAt, 'string');
      assert.equal(typeof m.definition, 'string');
    }
    assert.equal(JSON.parse(container.definition).id, containerChart().json.id);
    assert.equal(container.rootId, pod.sessionId);
    await waitFor(
      () => {
        try {
          assertCrashLoop(values(msgs, container.sessionId), 'relay');
          return true;
        } catch {
          return false;
        }
      },
      'the crash loop on the relay',
      25_000,
    ).catch(() => assertCrashLoop(values(msgs, container.sessionId), 'relay'));
    assert.ok(values(msgs, pod.sessionId).length >= 2, 'pod snapshots too');
    // Events name what happened: the runtime's exit report reached the container.
    assert.ok(msgs.some((m) => m.type === '@xstate.event' && m.sessionId === container.sessionId && typeof m.event?.type === 'string'));
    // Nothing but Stately's own message types: this is the package's stream, not ours.
    assert.deepEqual([...new Set(msgs.map((m) => m.type))].sort(), ['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
  });

  test('createWebSocketReceiver reads the --inspect stream; a late joiner first gets the live actors', { timeout: 40_000 }, async () => {
    const container = await waitFor(() => early.find((m) => m.type === '@xstate.actor' && m.actorId === 'container:crasher'), 'the container through the receiver', 15_000);
    const loops = (): boolean => {
      try {
        assertCrashLoop(values(early, container.sessionId), 'receiver');
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(loops, 'the crash loop through the receiver', 25_000).catch(() => assertCrashLoop(values(early, container.sessionId), 'receiver'));

    const late: Msg[] = [];
    createWebSocketReceiver({ server: inspectWs }).subscribe((m) => late.push(m as unknown as Msg));
    await waitFor(() => late.some((m) => m.type === '@statelet.synced'), 'the late joiner synced', 5000);
    const stately = late.filter((m) => typeof m.type === 'string' && m.type.startsWith('@xstate.'));
    // Before any live event: the pod and its container, each with its current snapshot.
    const firstOther = stately.findIndex((m) => m.type !== '@xstate.actor');
    const announced = stately.slice(0, firstOther < 0 ? stately.length : firstOther);
    const names = announced.map((m) => m.name);
    assert.ok(names.includes('default/crashloop') && names.includes('container:crasher'), `live actors first: ${names.join(', ')}`);
    const now = announced.find((m) => m.sessionId === container.sessionId)!;
    assert.equal(now.snapshot.status, 'active');
    assert.ok(now.snapshot.context.restartCount >= 2, 'the current snapshot, not the first one');
    assert.ok(containerChart().states.some((st) => containerChart().path(st.id) === stateValueToString(now.snapshot.value)), 'a state of the chart');
    assert.equal(typeof now.definition, 'string', 'with the definition Stately draws from');
  });
});

describe('--stately-url to a server that is not up yet', () => {
  test('sends the live actors once it answers, and nothing holds the process before that', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const logs: string[] = [];
    const sender = await startStatelySender(url, { retryMs: 100, log: (m) => logs.push(m) });
    const clock = new SimulatedClock();
    const pod = createActor(demoPodMachine, { id: 'shop/web', clock, inspect: sender.inspect, input: { containers: [{ name: 'app', runMs: 100, backOffBaseMs: 50 }] } });
    pod.start();
    clock.increment(10);
    clock.increment(100); // the app's probe ends: it is not live any more when the server comes
    const relay = createInspectorServer({ port, autoOpen: false });
    try {
      for (let i = 0; (await tryConnect(url)) !== 'open'; i++) {
        if (i > 100) throw new Error('the relay does not listen');
        await new Promise((r) => setTimeout(r, 20));
      }
      const viewer = await record(url);
      const app = await viewer.waitFor((m) => m.type === '@xstate.actor' && m.name === 'app', 'the container, once the server answers', 5000);
      assert.equal(app.snapshot.value, 'crashLoopBackOff', 'announced with its current snapshot');
      await viewer.waitFor((m) => m.type === '@xstate.actor' && m.name === 'shop/web', 'the pod');
      assert.ok(!viewer.messages.some((m) => m.type === '@xstate.actor' && m.name === 'liveness'), 'not the probe that ended');
      assert.match(logs.join('\n'), /answers now/);
      await viewer.close();
    } finally {
      pod.stop();
      await sender.close();
      relay.stop();
    }
  });
});

describe('the --stately bridge server', () => {
  test('binds 127.0.0.1 only, and refuses a foreign Host or Origin', async () => {
    const hub = new InspectionHub();
    const bridge = await startStatelyBridge({ hub, port: 0, inspectorUrl: 'https://inspector.example/inspect' });
    try {
      assert.match(bridge.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(bridge.wsUrl, bridge.url.replace('http:', 'ws:'));
      const port = new URL(bridge.url).port;
      // Not reachable on another address of this machine.
      const other = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4');
      if (other) assert.equal(await tryConnect(`ws://${other.address}:${port}/`), -1, `not listening on ${other.address}`);

      const page = await httpGet(bridge.url);
      assert.equal(page.status, 200);
      assert.match(page.body, /<iframe id="inspector" src="https:\/\/inspector\.example\/inspect"/);
      const csp = String(page.headers['content-security-policy']);
      assert.match(csp, /frame-src https:\/\/inspector\.example(;|$)/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, new RegExp(`connect-src ws://127\\.0\\.0\\.1:${port}`));
      assert.equal((await httpGet(`${bridge.url}bridge.js`)).status, 200);
      assert.equal((await httpGet(`${bridge.url}secret`)).status, 404);
      // DNS rebinding: another name for this address is refused, on HTTP and on the WebSocket.
      assert.equal((await httpGet(bridge.url, { Host: `evil.example:${port}` })).status, 403);
      assert.equal(await tryConnect(bridge.wsUrl, { Host: `evil.example:${port}` }), 403);
      // A page from another origin cannot read the stream; the bridge page (same origin) and non-browsers can.
      assert.equal(await tryConnect(bridge.wsUrl, { Origin: 'http://evil.example' }), 403);
      assert.equal(await tryConnect(bridge.wsUrl, { Origin: 'https://inspector.example' }), 403, 'not even the inspector\'s own origin');
      assert.equal(await tryConnect(bridge.wsUrl, { Origin: `http://127.0.0.1:${port}` }), 'open');
      assert.equal(await tryConnect(bridge.wsUrl), 'open');

      // The port is taken: the flag is named in the error.
      await assert.rejects(startStatelyBridge({ hub, port: Number(port) }), /--stately: port \d+ on 127\.0\.0\.1 is in use/);
      await assert.rejects(startStatelyBridge({ hub, port: 0, inspectorUrl: 'javascript:alert(1)' }), /http\(s\) URL/);
    } finally {
      await bridge.close();
      hub.close();
    }
  });

  test('sends Stately\'s messages only, with definitions; a page that connects late first gets the live actors', async () => {
    const hub = new InspectionHub();
    const bridge = await startStatelyBridge({ hub, port: 0 });
    const early = await record(bridge.wsUrl);
    const clock = new SimulatedClock();
    const pod = createActor(demoPodMachine, { id: 'shop/web', clock, inspect: hub.inspect, input: { containers: [{ name: 'app', runMs: 100, backOffBaseMs: 50 }] } });
    pod.start();
    clock.increment(10);
    clock.increment(100);
    try {
      await early.waitFor((m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'crashLoopBackOff', 'the back-off');
      const late = await record(bridge.wsUrl);
      await late.waitFor((m) => m.type === '@xstate.actor' && m.actorId === 'app', 'the container, replayed');
      for (const rec of [early, late]) {
        assert.ok(rec.messages.every((m) => String(m.type).startsWith('@xstate.')), 'no @statelet.* messages for Stately');
        assert.ok(rec.messages.filter((m) => m.type === '@xstate.actor').every((m) => typeof m.definition === 'string'));
      }
      // (The app's probe stopped when the app left `running`: it is not live, not replayed.)
      assert.deepEqual(late.messages.slice(0, 2).map((m) => [m.type, m.actorId]), [
        ['@xstate.actor', 'shop/web'],
        ['@xstate.actor', 'app'],
      ]);
      assert.equal(late.messages.find((m) => m.actorId === 'app')?.snapshot.value, 'crashLoopBackOff');
      await Promise.all([early.close(), late.close()]);
    } finally {
      pod.stop();
      await bridge.close();
      hub.close();
    }
  });
});

describe('inspection flags (run and serve)', () => {
  const parse = (...args: string[]) => {
    const cmd = addInspectOptions(new Command().exitOverride());
    cmd.parse(args, { from: 'user' });
    return inspectOptionsFrom(cmd.opts());
  };

  test('--stately, --stately-url, --no-open and the loopback rule', () => {
    assert.deepEqual(parse(), { inspectHost: '127.0.0.1', allowRemote: false, open: true, statelyInspectorUrl: STATELY_INSPECTOR_URL });
    assert.equal(parse('--stately').stately, true, 'no port: the default (8080)');
    assert.equal(parse('--stately', '0').stately, 0);
    assert.equal(parse('--stately', '9090', '--no-open').open, false);
    assert.equal(parse('--inspect').inspect, true);
    assert.equal(parse('--stately-url', 'ws://localhost:8080').statelyUrl, 'ws://localhost:8080');
    assert.equal(parse('--stately-inspector-url', 'http://127.0.0.1:9/x').statelyInspectorUrl, 'http://127.0.0.1:9/x');
    assert.throws(() => parse('--stately', 'lots'), /--stately: expected a port number/);
    assert.throws(() => parse('--stately-url', 'http://localhost:8080'), /--stately-url: expected a ws:\/\/ or wss:\/\/ URL/);
    assert.throws(() => parse('--stately-inspector-url', 'file:///etc/passwd'), /--stately-inspector-url: expected an http\(s\) URL/);
    assert.throws(() => parse('--inspect', '--inspect-host', '0.0.0.0'), /not a loopback address.*--inspect-allow-remote/);
    assert.equal(parse('--inspect', '--inspect-host', '0.0.0.0', '--inspect-allow-remote').allowRemote, true);
    assert.throws(() => parse('--inspect', '9000', '--stately', '9000'), /different ports/);
  });

  test('statelet run rejects a bad flag before anything starts (exit 2, the flag named)', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'statelet.js'), 'run', 'examples/crashloop.yaml', '--stately-url', 'localhost:8080'], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--stately-url: expected a ws:\/\/ or wss:\/\/ URL/);
    assert.doesNotMatch(r.stderr, /statelet: embedded runtime on/, 'nothing was started');
  });

  test('--stately opens the bridge page unless --no-open; no flag starts nothing', async () => {
    const none = await startInspection({}, { log: () => {} });
    assert.equal(none.inspect, undefined, 'no inspection: the manager pays nothing');
    await none.close();
    const opened: string[] = [];
    const openUrl = async (u: string): Promise<void> => void opened.push(u);
    const logs: string[] = [];
    const s = await startInspection({ stately: 0 }, { log: (m) => logs.push(m), openUrl });
    try {
      assert.deepEqual(opened, [s.stately!.url]);
      assert.match(logs.join('\n'), /stately inspector: http:\/\/127\.0\.0\.1:\d+\/ \(WebSocket ws:\/\/127\.0\.0\.1:\d+\/; embeds https:\/\/stately\.ai\/inspect, which needs internet in the browser\)/);
    } finally {
      await s.close();
    }
    const quiet = await startInspection({ stately: 0, open: false }, { log: () => {}, openUrl });
    assert.equal(opened.length, 1);
    await quiet.close();
  });

  test('--stately --inspect-allow-remote runs the package\'s own createInspectorServer, fed by createWebSocketInspector', async () => {
    const logs: string[] = [];
    const s = await startInspection({ stately: 0, allowRemote: true, open: false }, { log: (m) => logs.push(m) });
    try {
      assert.match(logs.join('\n'), /warning: .*@statelyai\/inspect's own server on port \d+ of every interface/);
      assert.equal(s.hub, undefined);
      const url = s.stately!.url;
      assert.match(url, /^http:\/\/localhost:\d+\/$/);
      const port = new URL(url).port;
      const page = await httpGet(`http://127.0.0.1:${port}/`);
      assert.match(page.body, /<iframe id="inspector" src="https:\/\/stately\.ai\/inspect">/, 'the package\'s bridge page');
      const viewer = await record(`ws://127.0.0.1:${port}`);
      const clock = new SimulatedClock();
      const pod = createActor(demoPodMachine, { id: 'shop/web', clock, inspect: s.inspect, input: { containers: [{ name: 'app', runMs: 100, backOffBaseMs: 50 }] } });
      pod.start();
      await viewer.waitFor((m) => m.type === '@xstate.actor' && m.name === 'app', 'the container through the package\'s relay', 8000);
      pod.stop();
      await s.close();
      // Closing also ends the connections the package's server would keep open.
      assert.equal(await Promise.race([viewer.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 3000))]), 'closed');
    } finally {
      await s.close();
    }
  });
});
