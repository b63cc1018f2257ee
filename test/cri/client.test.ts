// CriClient behaviour that does not depend on a runtime's semantics: errors
// when the runtime is unreachable, cancellation, the deadlines the kubelet
// sets, UNIMPLEMENTED, reconnecting after a runtime restart, and the
// GetContainerEvents stream. Most tests talk to a tiny gRPC server started
// here on a unix socket, which records what the client sent (deadlines) or
// never answers; a few also run against containerd when
// STATELET_CONTAINERD_ENDPOINT is set, and against the embedded runtime.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { firstValueFrom, toArray, lastValueFrom } from 'rxjs';
import {
  CriAbortedError,
  CriClient,
  CriDeadlineExceededError,
  CriError,
  CriNotFoundError,
  CriUnavailableError,
  CriUnimplementedError,
  ExecTimeoutError,
  loadCriProto,
  type ContainerEventResponse,
} from '../../src/cri/index.js';
import { runtimeTargets, type RuntimeEnv } from '../helpers/runtimes.js';

type Handler = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void;
type StreamHandler = (call: grpc.ServerWritableStream<unknown, unknown>) => void;

interface FakeRuntime {
  endpoint: string;
  path: string;
  /** Every call the server received: method name, and ms from receipt to the call's deadline (Infinity = none). */
  calls: { method: string; deadlineInMs: number; cancelled: () => boolean }[];
  stop(): Promise<void>;
}

let dir: string;
let sockSeq = 0;
const nextSocketPath = () => join(dir, `fake-${++sockSeq}.sock`);

/**
 * A RuntimeService + ImageService server implementing only the given methods
 * (grpc-js answers the rest with UNIMPLEMENTED, as containerd 1.6 does for
 * GetContainerEvents).
 */
async function startFake(
  handlers: Record<string, Handler>,
  streams: Record<string, StreamHandler> = {},
  path = nextSocketPath(),
): Promise<FakeRuntime> {
  const { pkg } = loadCriProto();
  const server = new grpc.Server();
  const calls: FakeRuntime['calls'] = [];
  const record = (method: string, call: { getDeadline(): grpc.Deadline; cancelled: boolean }) => {
    const d = call.getDeadline();
    const deadlineInMs = d instanceof Date ? d.getTime() - Date.now() : d === Infinity ? Infinity : d - Date.now();
    calls.push({ method, deadlineInMs, cancelled: () => call.cancelled });
  };
  const impl = (svc: grpc.ServiceDefinition) => {
    const out: grpc.UntypedServiceImplementation = {};
    for (const name of Object.keys(svc)) {
      if (handlers[name]) {
        const h = handlers[name];
        out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          record(name, call);
          h(call, cb);
        }) as grpc.handleUnaryCall<unknown, unknown>;
      } else if (streams[name]) {
        const h = streams[name];
        out[name] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
          record(name, call);
          h(call);
        }) as grpc.handleServerStreamingCall<unknown, unknown>;
      }
    }
    return out;
  };
  server.addService(pkg.RuntimeService.service, impl(pkg.RuntimeService.service));
  server.addService(pkg.ImageService.service, impl(pkg.ImageService.service));
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return {
    endpoint: `unix://${path}`,
    path,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

const VERSION = { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '0.0.1', runtimeApiVersion: 'v1' };
const answerVersion: Handler = (_call, cb) => cb(null, VERSION);
const neverAnswer: Handler = () => {};
const ok: Handler = (_call, cb) => cb(null, {});

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'statelet-client-test-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('unreachable runtime', () => {
  test('no socket at the path: CriUnavailableError naming the endpoint and the call, within a second', async () => {
    const path = join(dir, 'nobody-listens-here.sock');
    const client = new CriClient({ endpoint: path });
    assert.equal(client.endpoint, `unix://${path}`, 'a bare path is normalised to unix://');
    try {
      for (const [call, method] of [
        [() => client.version(), 'RuntimeService/Version'],
        [() => client.listContainers(), 'RuntimeService/ListContainers'],
        [() => client.imageStatus({ image: { image: 'x' } }), 'ImageService/ImageStatus'],
      ] as const) {
        const t0 = Date.now();
        const err = await call().then(
          () => assert.fail('the call succeeded'),
          (e: unknown) => e,
        );
        const took = Date.now() - t0;
        assert.ok(err instanceof CriUnavailableError, `got ${String(err)}`);
        assert.equal(err.method, method);
        assert.equal(err.endpoint, `unix://${path}`);
        assert.equal(err.codeName, 'UNAVAILABLE');
        assert.ok(err.message.includes(path) && err.message.includes(method), err.message);
        assert.ok(took < 1000, `${method} failed after ${took} ms; it must not hang`);
      }
    } finally {
      client.close();
    }
  });

  test('a path that is a regular file, not a socket: CriUnavailableError, quickly', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'x');
    const client = new CriClient({ endpoint: `unix:${path}` });
    try {
      const t0 = Date.now();
      await assert.rejects(client.status(), (e: unknown) => e instanceof CriUnavailableError && e.method === 'RuntimeService/Status');
      assert.ok(Date.now() - t0 < 1000);
    } finally {
      client.close();
    }
  });
});

describe('cancellation', () => {
  test('aborting the signal cancels an in-flight call: CriAbortedError, and the server sees the cancel', async () => {
    const fake = await startFake({ Version: neverAnswer });
    const client = new CriClient({ endpoint: fake.endpoint });
    try {
      const ac = new AbortController();
      const p = client.version(undefined, { signal: ac.signal });
      // Wait until the server holds the call, then abort.
      for (let i = 0; i < 200 && fake.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(fake.calls.length, 1);
      const t0 = Date.now();
      ac.abort();
      const err = await p.then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CriAbortedError, String(err));
      assert.equal(err.codeName, 'CANCELLED');
      assert.equal(err.method, 'RuntimeService/Version');
      assert.ok(Date.now() - t0 < 500, 'rejected promptly');
      for (let i = 0; i < 100 && !fake.calls[0]!.cancelled(); i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(fake.calls[0]!.cancelled(), true, 'the server saw the cancellation');
    } finally {
      client.close();
      await fake.stop();
    }
  });

  test('an already-aborted signal rejects without sending anything', async () => {
    const fake = await startFake({ Version: answerVersion });
    const client = new CriClient({ endpoint: fake.endpoint });
    try {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(client.version(undefined, { signal: ac.signal }), CriAbortedError);
      assert.equal(fake.calls.length, 0);
      assert.deepEqual(await client.version(), VERSION, 'the client still works');
    } finally {
      client.close();
      await fake.stop();
    }
  });
});

describe('deadlines', () => {
  const T = 10_000; // runtimeRequestTimeoutMs
  let fake: FakeRuntime;
  let client: CriClient;
  before(async () => {
    fake = await startFake({
      Version: answerVersion,
      RunPodSandbox: (_c, cb) => cb(null, { podSandboxId: 'p' }),
      StopContainer: ok,
      ExecSync: (call, cb) => {
        const req = call.request as { cmd: string[] };
        if (req.cmd[0] === 'timeout') cb({ code: grpc.status.DEADLINE_EXCEEDED, details: 'timeout 1s exceeded: context deadline exceeded' });
        else cb(null, { stdout: Buffer.from('x'), stderr: Buffer.alloc(0), exitCode: 0 });
      },
      PullImage: (_c, cb) => cb(null, { imageRef: 'sha256:1' }),
      ContainerStatus: (_c, cb) => cb({ code: grpc.status.NOT_FOUND, details: 'container "c" not found' }),
    });
    client = new CriClient({ endpoint: fake.endpoint, runtimeRequestTimeoutMs: T });
  });
  after(async () => {
    client.close();
    await fake.stop();
  });
  const lastDeadline = (method: string) => {
    const c = fake.calls.filter((x) => x.method === method).at(-1);
    assert.ok(c, `server saw ${method}`);
    return c.deadlineInMs;
  };
  const near = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) < 1000, `deadline ${actual} ms, expected about ${expected} ms`);

  test('ordinary calls carry the runtime request timeout; RunPodSandbox twice it', async () => {
    await client.version();
    near(lastDeadline('Version'), T);
    await client.runPodSandbox({ config: { metadata: { name: 'p', uid: 'u', namespace: 'n' } } });
    near(lastDeadline('RunPodSandbox'), 2 * T);
  });

  test('StopContainer: the stop timeout plus the request timeout', async () => {
    await client.stopContainer({ containerId: 'c', timeout: 5 });
    near(lastDeadline('StopContainer'), 5000 + T);
    await client.stopContainer({ containerId: 'c', timeout: 0 });
    near(lastDeadline('StopContainer'), T);
  });

  test('ExecSync: timeout 0 means no deadline at all; otherwise timeout plus the request timeout', async () => {
    await client.execSync({ containerId: 'c', cmd: ['x'], timeout: 0 });
    assert.equal(lastDeadline('ExecSync'), Infinity, 'no grpc-timeout sent');
    await client.execSync({ containerId: 'c', cmd: ['x'] });
    assert.equal(lastDeadline('ExecSync'), Infinity, 'an omitted timeout is 0');
    await client.execSync({ containerId: 'c', cmd: ['x'], timeout: 3 });
    near(lastDeadline('ExecSync'), 3000 + T);
  });

  test('PullImage has no deadline; a per-call timeoutMs overrides the computed one', async () => {
    await client.pullImage({ image: { image: 'x' } });
    assert.equal(lastDeadline('PullImage'), Infinity);
    await client.version(undefined, { timeoutMs: 500 });
    near(lastDeadline('Version'), 500);
  });

  test("ExecSync's DEADLINE_EXCEEDED is an ExecTimeoutError; NOT_FOUND a CriNotFoundError with the runtime's message", async () => {
    const err = await client.execSync({ containerId: 'c', cmd: ['timeout'], timeout: 1 }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ExecTimeoutError, String(err));
    assert.equal(err.codeName, 'DEADLINE_EXCEEDED');
    assert.match(err.details, /timeout 1s exceeded/);
    const nf = await client.containerStatus({ containerId: 'c' }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(nf instanceof CriNotFoundError);
    assert.equal(nf.details, 'container "c" not found');
  });

  test('a call the runtime never answers fails with CriDeadlineExceededError at the request timeout', async () => {
    const hang = await startFake({ Version: neverAnswer, ExecSync: neverAnswer });
    const short = new CriClient({ endpoint: hang.endpoint, runtimeRequestTimeoutMs: 200 });
    try {
      const t0 = Date.now();
      await assert.rejects(short.version(), (e: unknown) => e instanceof CriDeadlineExceededError && e.codeName === 'DEADLINE_EXCEEDED');
      const took = Date.now() - t0;
      assert.ok(took >= 150 && took < 1500, `failed after ${took} ms`);
      // The client-side deadline of an exec (1 s + 200 ms here) also maps to ExecTimeoutError.
      await assert.rejects(short.execSync({ containerId: 'c', cmd: ['x'], timeout: 1 }), ExecTimeoutError);
    } finally {
      short.close();
      await hang.stop();
    }
  });
});

describe('UNIMPLEMENTED', () => {
  test('a runtime that implements only Version: other calls give CriUnimplementedError', async () => {
    const fake = await startFake({ Version: answerVersion });
    const client = new CriClient({ endpoint: fake.endpoint });
    try {
      assert.deepEqual(await client.version(), VERSION);
      await assert.rejects(client.status(), (e: unknown) => e instanceof CriUnimplementedError && e.method === 'RuntimeService/Status');
      await assert.rejects(client.imageFsInfo(), CriUnimplementedError);
      await assert.rejects(firstValueFrom(client.getContainerEvents()), CriUnimplementedError);
    } finally {
      client.close();
      await fake.stop();
    }
  });
});

describe('reconnect', () => {
  test('UNAVAILABLE while the runtime is down, success again within seconds once it is back on the same socket', async () => {
    const path = nextSocketPath();
    let fake = await startFake({ Version: answerVersion }, {}, path);
    const client = new CriClient({ endpoint: `unix://${path}` });
    try {
      assert.deepEqual(await client.version(), VERSION);
      await fake.stop();
      // The socket file is gone with the listener.
      await assert.rejects(client.version(), CriUnavailableError);
      await assert.rejects(client.version(), CriUnavailableError, 'still down');

      fake = await startFake({ Version: answerVersion }, {}, path);
      const t0 = Date.now();
      let okAfter = -1;
      while (Date.now() - t0 < 6000) {
        try {
          await client.version(undefined, { timeoutMs: 1000 });
          okAfter = Date.now() - t0;
          break;
        } catch (e) {
          assert.ok(e instanceof CriUnavailableError || e instanceof CriDeadlineExceededError, String(e));
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(okAfter >= 0, 'the client reconnected');
      // The kubelet's backoff caps at 3 s, so recovery takes at most about that.
      assert.ok(okAfter < 4000, `reconnected after ${okAfter} ms`);
    } finally {
      client.close();
      await fake.stop();
    }
  });
});

describe('getContainerEvents', () => {
  const EVENT = (id: string, type: string) => ({
    containerId: id,
    containerEventType: type,
    createdAt: '1',
    containersStatuses: [],
  });

  test('emits the streamed events and completes when the stream ends', async () => {
    const fake = await startFake({}, {
      GetContainerEvents: (call) => {
        call.write(EVENT('a', 'CONTAINER_CREATED_EVENT'));
        call.write(EVENT('a', 'CONTAINER_STARTED_EVENT'));
        call.end();
      },
    });
    const client = new CriClient({ endpoint: fake.endpoint });
    try {
      const events = await lastValueFrom(client.getContainerEvents().pipe(toArray()));
      assert.deepEqual(
        events.map((e: ContainerEventResponse) => [e.containerId, e.containerEventType]),
        [['a', 'CONTAINER_CREATED_EVENT'], ['a', 'CONTAINER_STARTED_EVENT']],
      );
    } finally {
      client.close();
      await fake.stop();
    }
  });

  test('a stream error becomes a typed CriError; unsubscribing cancels the stream on the server', async () => {
    const fake = await startFake({}, {
      GetContainerEvents: (call) => {
        call.write(EVENT('b', 'CONTAINER_STOPPED_EVENT'));
        if ((fake.calls.length ?? 0) === 1) call.emit('error', { code: grpc.status.INTERNAL, details: 'boom' });
        // later subscriptions: stay open until cancelled
      },
    });
    const client = new CriClient({ endpoint: fake.endpoint });
    try {
      const seen: string[] = [];
      const err = await new Promise<unknown>((resolve) => {
        client.getContainerEvents().subscribe({ next: (e) => seen.push(e.containerEventType), error: resolve, complete: () => resolve('completed') });
      });
      assert.deepEqual(seen, ['CONTAINER_STOPPED_EVENT']);
      assert.ok(err instanceof CriError, String(err));
      assert.equal(err.codeName, 'INTERNAL');
      assert.equal(err.details, 'boom');
      assert.equal(err.method, 'RuntimeService/GetContainerEvents');

      let errored = false;
      const first = new Promise<void>((resolve) => {
        const sub = client.getContainerEvents().subscribe({
          next: () => {
            sub.unsubscribe();
            resolve();
          },
          error: () => (errored = true),
        });
      });
      await first;
      const call = fake.calls.at(-1)!;
      for (let i = 0; i < 100 && !call.cancelled(); i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(call.cancelled(), true, 'the server saw the cancellation');
      assert.equal(errored, false, 'unsubscribing is not an error');
    } finally {
      client.close();
      await fake.stop();
    }
  });
});

// The same client behaviour against the real runtimes.
for (const target of runtimeTargets()) {
  describe(`client against ${target.name}`, () => {
    let rt: RuntimeEnv;
    before(async () => {
      rt = await target.setup();
    });
    after(async () => {
      await rt?.teardown();
    });

    test('the endpoint answers Version; a wrong socket beside it is UNAVAILABLE', async () => {
      const v = await rt.client.version();
      assert.equal(v.runtimeApiVersion, 'v1');
      const wrong = new CriClient({ endpoint: `${rt.endpoint}.wrong` });
      try {
        await assert.rejects(wrong.version(), (e: unknown) => e instanceof CriUnavailableError && e.message.includes(`${rt.endpoint}.wrong`));
      } finally {
        wrong.close();
      }
    });

    if (target.name === 'embedded') {
      test('a call hung by an injected fault: the AbortSignal cancels it, a short request timeout ends it', async () => {
        const faults = rt.faults!;
        const id = faults.add({ method: 'ListContainers', hang: true });
        try {
          const ac = new AbortController();
          const p = rt.client.listContainers({}, { signal: ac.signal });
          for (let i = 0; i < 200 && faults.list().find((f) => f.id === id)!.hits === 0; i++) await new Promise((r) => setTimeout(r, 5));
          assert.equal(faults.list().find((f) => f.id === id)!.hits, 1, 'the call reached the runtime');
          ac.abort();
          await assert.rejects(p, (e: unknown) => e instanceof CriAbortedError && e.method === 'RuntimeService/ListContainers');
          const short = new CriClient({ endpoint: rt.endpoint, runtimeRequestTimeoutMs: 200 });
          try {
            await assert.rejects(short.listContainers(), CriDeadlineExceededError);
          } finally {
            short.close();
          }
        } finally {
          faults.remove(id);
        }
        assert.ok(Array.isArray((await rt.client.listContainers()).containers), 'calls work again without the fault');
      });

      test('GetContainerEvents streams a container life cycle, and completes when the runtime closes', async () => {
        // A runtime of its own: closing it must end the stream.
        const own = await target.setup();
        const events: [string, string][] = [];
        let ended: 'complete' | CriError | undefined;
        const sub = own.client.getContainerEvents().subscribe({
          next: (e) => events.push([e.containerId, e.containerEventType]),
          error: (e: CriError) => (ended = e),
          complete: () => (ended = 'complete'),
        });
        try {
          // The stream has no "subscribed" ack: run sandboxes until one's
          // event arrives, then the stream is surely live.
          let pod = await own.runSandbox('events');
          for (let i = 0; i < 20 && !events.some(([c]) => c === pod.id); i++) {
            await new Promise((r) => setTimeout(r, 100));
            if (!events.some(([c]) => c === pod.id)) pod = await own.runSandbox('events');
          }
          const id = await own.runContainer(pod, own.containerConfig('app', ['sh', '-c', 'exit 0']));
          await own.waitForState(id, 'CONTAINER_EXITED');
          await own.client.removeContainer({ containerId: id });
          const deadline = Date.now() + 3000;
          while (events.filter(([c]) => c === id).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          assert.deepEqual(
            events.filter(([c]) => c === id).map(([, t]) => t),
            ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT'],
          );
          assert.ok(events.some(([c, t]) => c === pod.id && t === 'CONTAINER_CREATED_EVENT'), 'the sandbox has events too');
        } finally {
          await own.teardown();
        }
        const deadline = Date.now() + 3000;
        while (!ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        sub.unsubscribe();
        // Either a clean end of stream or UNAVAILABLE (the server went away) is a proper end.
        assert.ok(ended === 'complete' || ended instanceof CriUnavailableError, `stream ended with ${String(ended)}`);
      });
    } else {
      test('containerd 1.6: GetContainerEvents fails at once with CriUnimplementedError', async () => {
        const t0 = Date.now();
        await assert.rejects(firstValueFrom(rt.client.getContainerEvents()), (e: unknown) => e instanceof CriUnimplementedError);
        assert.ok(Date.now() - t0 < 1000);
      });
    }
  });
}
