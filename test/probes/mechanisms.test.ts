// The probe mechanisms against real servers on 127.0.0.1 and the embedded runtime.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createActor, toPromise } from 'xstate';
import { PROBE_USER_AGENT, createProbeActor, runProbeOnce } from '../../src/actors/probe.js';
import { CriClient } from '../../src/cri/client.js';
import type { Container, Probe } from '../../src/k8s/types.js';
import { packageRoot } from '../../src/paths.js';
import type { RunProbeInput } from '../../machines/probe.js';
import { IMAGE, run, runPod, startHarness, type Harness } from '../runtime/helpers.js';
import { pod } from './helpers.js';

function inputFor(p: Probe, container: Partial<Container> = {}, extra: Partial<RunProbeInput> = {}): RunProbeInput {
  const c: Container = { name: 'app', image: 'img', ...container };
  return { type: 'readiness', probe: { timeoutSeconds: 1, ...p }, pod: pod(c), container: c, containerId: 'none', podIP: '127.0.0.1', ...extra };
}

const listen = (server: net.Server): Promise<number> =>
  new Promise((res) => server.listen(0, '127.0.0.1', () => res((server.address() as net.AddressInfo).port)));

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// A client that never talks to a runtime: only exec needs one.
const noClient = undefined as unknown as CriClient;

describe('httpGet probes', () => {
  let server: http.Server;
  let port = 0;
  const seen: http.IncomingHttpHeaders[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      switch (req.url) {
        case '/ok':
          res.end('fine');
          break;
        case '/fail':
          res.statusCode = 500;
          res.end('secret body');
          break;
        case '/same-host':
          res.writeHead(302, { Location: '/ok' }).end();
          break;
        case '/off-host':
          res.writeHead(302, { Location: `http://localhost:${port}/ok` }).end('moved');
          break;
        case '/loop':
          res.writeHead(302, { Location: '/loop' }).end();
          break;
        case '/no-location':
          res.writeHead(301).end('where?');
          break;
        case '/big':
          res.end('y'.repeat(50_000));
          break;
        case '/slow':
          setTimeout(() => res.end('late'), 3_000).unref();
          break;
        default:
          res.statusCode = 404;
          res.end();
      }
    });
    port = await listen(server);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('200 is success with the body as output', async () => {
    const r = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/ok', port, scheme: 'HTTP' } }));
    assert.deepEqual(r, { result: 'success', output: 'fine' });
  });

  test('500 is failure `HTTP probe failed with statuscode: 500`, without the body', async () => {
    const r = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/fail', port } }));
    assert.deepEqual(r, { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  });

  test('a same-host redirect is followed', async () => {
    const before = seen.length;
    const r = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/same-host', port } }));
    assert.deepEqual(r, { result: 'success', output: 'fine' });
    assert.equal(seen.length - before, 2);
  });

  test('an off-host redirect is not followed: warning (counts as success)', async () => {
    const before = seen.length;
    const r = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/off-host', port } }));
    assert.deepEqual(r, { result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
    assert.equal(seen.length - before, 1);
  });

  test('a redirect loop fails after 10 requests (Go: stopped after 10 redirects)', async () => {
    const before = seen.length;
    const r = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/loop', port } }));
    assert.deepEqual(r, { result: 'failure', output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects` });
    assert.equal(seen.length - before, 10);
  });

  test('a 3xx without Location is a warning; a long body is cut at 10 KiB', async () => {
    assert.deepEqual(await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/no-location', port } })), {
      result: 'warning',
      output: 'Probe terminated redirects, Response body: where?',
    });
    const big = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/big', port } }));
    assert.equal(big.result, 'success');
    assert.equal(big.output, 'y'.repeat(10 * 1024));
  });

  test('User-Agent kube-probe/1.34, Accept */*, custom headers, a custom User-Agent wins; one connection per probe', async () => {
    seen.length = 0;
    await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/ok', port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }));
    assert.equal(seen[0]!['user-agent'], 'kube-probe/1.34');
    assert.equal(PROBE_USER_AGENT, 'kube-probe/1.34');
    assert.equal(seen[0]!['accept'], '*/*');
    assert.equal(seen[0]!['x-probe'], 'yes');
    assert.equal(seen[0]!['connection'], 'close');
    await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/ok', port, httpHeaders: [{ name: 'User-Agent', value: 'mine' }] } }));
    assert.equal(seen[1]!['user-agent'], 'mine');
  });

  test('named port resolves through container ports; host defaults to the pod IP', async () => {
    const r = await runProbeOnce(
      { client: noClient },
      inputFor({ httpGet: { path: '/ok', port: 'web' } }, { ports: [{ name: 'web', containerPort: port }] }),
    );
    assert.equal(r.result, 'success');
  });

  test('an unresolvable named port is a probe error (thrown), not a failure', async () => {
    await assert.rejects(runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/ok', port: 'nope' } })), /strconv.Atoi: parsing "nope": invalid syntax/);
  });

  test('timeoutSeconds: no answer in time is failure with Go client text', async () => {
    const t0 = Date.now();
    const r = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/slow', port }, timeoutSeconds: 1 }));
    const took = Date.now() - t0;
    assert.deepEqual(r, {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    assert.ok(took >= 900 && took < 2_500, `took ${took} ms`);
  });

  test('connection refused is failure with Go dial text', async () => {
    const p = await closedPort();
    const r = await runProbeOnce({ client: noClient }, inputFor({ httpGet: { path: '/', port: p } }));
    assert.deepEqual(r, { result: 'failure', output: `Get "http://127.0.0.1:${p}/": dial tcp 127.0.0.1:${p}: connect: connection refused` });
  });
});

describe('tcpSocket probes', () => {
  test('an open port is success; a closed one failure with `connect: connection refused`', async () => {
    const server = net.createServer((s) => s.destroy());
    const port = await listen(server);
    try {
      assert.deepEqual(await runProbeOnce({ client: noClient }, inputFor({ tcpSocket: { port } })), { result: 'success', output: '' });
      assert.deepEqual(
        await runProbeOnce({ client: noClient }, inputFor({ tcpSocket: { port: 'svc' } }, { ports: [{ name: 'svc', containerPort: port }] })),
        { result: 'success', output: '' },
      );
    } finally {
      server.close();
    }
    const closed = await closedPort();
    assert.deepEqual(await runProbeOnce({ client: noClient }, inputFor({ tcpSocket: { port: closed } })), {
      result: 'failure',
      output: `dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    });
  });
});

describe('grpc probes', () => {
  let server: grpc.Server;
  let port = 0;
  const agents: string[] = [];
  before(async () => {
    const def = protoLoader.loadSync(join(packageRoot(), 'proto', 'health.proto'), { enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
    server = new grpc.Server();
    server.addService(pkg.grpc.health.v1.Health.service, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        agents.push(String(call.metadata.get('user-agent')[0] ?? ''));
        const svc = call.request.service;
        if (svc === '') cb(null, { status: 'SERVING' });
        else if (svc === 'down') cb(null, { status: 'NOT_SERVING' });
        else cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      },
    });
    port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? rej(err) : res(p))),
    );
  });
  after(() => {
    server.forceShutdown();
  });

  test('SERVING is success; the user agent is kube-probe/1.34', async () => {
    assert.deepEqual(await runProbeOnce({ client: noClient }, inputFor({ grpc: { port } })), { result: 'success', output: 'service healthy' });
    assert.match(agents.at(-1)!, /^kube-probe\/1\.34 /);
  });

  test('NOT_SERVING is failure `service unhealthy (responded with "NOT_SERVING")`', async () => {
    assert.deepEqual(await runProbeOnce({ client: noClient }, inputFor({ grpc: { port, service: 'down' } })), {
      result: 'failure',
      output: 'service unhealthy (responded with "NOT_SERVING")',
    });
  });

  test('an RPC error is failure with the Go status text', async () => {
    assert.deepEqual(await runProbeOnce({ client: noClient }, inputFor({ grpc: { port, service: 'other' } })), {
      result: 'failure',
      output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  test('nothing listening: failure `timeout: failed to connect service ... within 1s`', async () => {
    const p = await closedPort();
    const t0 = Date.now();
    const r = await runProbeOnce({ client: noClient }, inputFor({ grpc: { port: p } }));
    assert.deepEqual(r, { result: 'failure', output: `timeout: failed to connect service "127.0.0.1:${p}" within 1s: context deadline exceeded` });
    assert.ok(Date.now() - t0 < 2_500);
  });
});

describe('exec probes (embedded runtime)', () => {
  let h: Harness;
  let containerId = '';
  before(async () => {
    h = await startHarness();
    await h.cri.pullImage({ image: { image: IMAGE } });
    const p = await runPod(h, 'probe-exec');
    containerId = await run(h, p, 'app', ['sleep', '60']);
  });
  after(async () => {
    await h.close();
  });

  const exec = (command: string[], extra: Partial<Probe> = {}, container: Partial<Container> = {}) =>
    runProbeOnce({ client: h.cri }, inputFor({ exec: { command }, ...extra }, container, { containerId }));

  test('exit 0 is success with the output', async () => {
    assert.deepEqual(await exec(['sh', '-c', 'echo healthy']), { result: 'success', output: 'healthy\n' });
  });

  test('exit 1 is failure with stdout then stderr', async () => {
    assert.deepEqual(await exec(['sh', '-c', 'echo out; echo err >&2; exit 1']), { result: 'failure', output: 'out\nerr\n' });
  });

  test('output is capped at 10 KiB', async () => {
    const r = await exec(['sh', '-c', 'head -c 20000 /dev/zero | tr "\\0" x; exit 1']);
    assert.equal(r.result, 'failure');
    assert.equal(r.output.length, 10 * 1024);
  });

  test('timeoutSeconds: failure `command "<cmd>" timed out`', async () => {
    const t0 = Date.now();
    const r = await exec(['sleep', '5'], { timeoutSeconds: 1 });
    assert.deepEqual(r, { result: 'failure', output: 'command "sleep 5" timed out' });
    assert.ok(Date.now() - t0 < 3_000);
  });

  test('$(VAR) expands from literal container env values', async () => {
    const r = await exec(['sh', '-c', 'echo $(GREETING) $$(KEEP)'], {}, { env: [{ name: 'GREETING', value: 'hello' }] });
    // $$(KEEP) stays $(KEEP) for the shell, which runs `KEEP` as a command substitution: empty.
    assert.equal(r.result, 'success');
    assert.match(r.output, /^hello/);
  });

  test('a runtime error (no such binary) is a probe error: thrown, stamped with `at` by the actor', async () => {
    await assert.rejects(exec(['no-such-probe-binary']), /executable file not found/);
    const actor = createActor(createProbeActor({ client: h.cri, clock: { now: () => 42, setTimeout, clearTimeout } as never }), {
      input: inputFor({ exec: { command: ['no-such-probe-binary'] } }, {}, { containerId }),
    });
    actor.start();
    const err = await toPromise(actor).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e as { at?: number; details?: string },
    );
    assert.equal(err.at, 42);
    assert.match(err.details ?? '', /executable file not found/);
  });

  test('the actor resolves { result, output, at }', async () => {
    const actor = createActor(createProbeActor({ client: h.cri, clock: { now: () => 7, setTimeout, clearTimeout } as never }), {
      input: inputFor({ exec: { command: ['true'] } }, {}, { containerId }),
    });
    actor.start();
    assert.deepEqual(await toPromise(actor), { result: 'success', output: '', at: 7 });
  });
});
