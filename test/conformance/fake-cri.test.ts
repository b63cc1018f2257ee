// The conformance suite's fake CRI runtime, checked on its own with a plain
// gRPC client: if the fake lies, every scenario built on it lies too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadCriProto } from '../../src/cri/proto.js';
import { FakeCri } from './fake-cri.js';

const dir = mkdtempSync(join(tmpdir(), 'fake-cri-'));
const fake = new FakeCri({
  containers: [
    { name: 'crasher', runMs: 100, exitCode: 3 },
    { name: 'stubborn', ignoreSigterm: true },
    { name: 'polite', sigtermDelayMs: 50, sigtermExitCode: 0 },
  ],
  faults: [{ method: 'StartContainer', name: 'polite', nth: 1, code: 'UNKNOWN', message: 'injected start failure' }],
  images: [
    { ref: 'root:1', uid: 0 },
    { ref: 'named:1', username: 'appuser' },
    { ref: 'absent:1', present: false, pullError: { code: 'NOT_FOUND', message: 'no such image' } },
  ],
  exec: [{ cmd: 'probe', exitCode: 2, stdout: 'bad', times: 1 }],
});

type Client = grpc.Client & Record<string, (...a: any[]) => any>;
let rt: Client;
let img: Client;

function call<T = any>(c: Client, method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) => c[method]!(req, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))));
}

before(async () => {
  const endpoint = await fake.listen(join(dir, 'cri.sock'));
  const { pkg } = loadCriProto();
  rt = new pkg.RuntimeService(endpoint, grpc.credentials.createInsecure()) as unknown as Client;
  img = new pkg.ImageService(endpoint, grpc.credentials.createInsecure()) as unknown as Client;
});

after(async () => {
  rt.close();
  img.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sandbox(name: string): Promise<{ id: string; config: object }> {
  const config = { metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, labels: { 'io.kubernetes.pod.name': name } };
  const res = await call(rt, 'RunPodSandbox', { config });
  return { id: res.podSandboxId, config };
}

async function container(sb: { id: string; config: object }, name: string, image = 'busybox:1.36'): Promise<string> {
  const res = await call(rt, 'CreateContainer', {
    podSandboxId: sb.id,
    config: { metadata: { name, attempt: 0 }, image: { image }, labels: { 'io.kubernetes.container.name': name }, annotations: { 'io.kubernetes.container.restartCount': '0' } },
    sandboxConfig: sb.config,
  });
  return res.containerId;
}

test('GetContainerEvents is UNIMPLEMENTED, as on containerd 1.6', async () => {
  const stream = rt['GetContainerEvents']!({});
  const err = await new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
  assert.equal(err.code, grpc.status.UNIMPLEMENTED);
});

test('sandboxes: status with a 10.88.0.x IP and the labels kept, NOTREADY injection, NotFound for unknown ids', async () => {
  const sb = await sandbox('web');
  const st = await call(rt, 'PodSandboxStatus', { podSandboxId: sb.id });
  assert.equal(st.status.state, 'SANDBOX_READY');
  assert.match(st.status.network.ip, /^10\.88\.0\.\d+$/);
  assert.equal(st.status.labels['io.kubernetes.pod.name'], 'web');
  const listed = await call(rt, 'ListPodSandbox', { filter: { labelSelector: { 'io.kubernetes.pod.name': 'web' } } });
  assert.equal(listed.items.length, 1);
  fake.injectSandboxNotReady();
  assert.equal((await call(rt, 'PodSandboxStatus', { podSandboxId: sb.id })).status.state, 'SANDBOX_NOTREADY');
  await assert.rejects(call(rt, 'PodSandboxStatus', { podSandboxId: 'nope' }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
  await call(rt, 'RemovePodSandbox', { podSandboxId: sb.id });
  assert.equal((await call(rt, 'ListPodSandbox', {})).items.filter((i: any) => i.id === sb.id).length, 0);
});

test('a scripted exit: EXITED with the code, reason Error and ordered timestamps; remove really removes', async () => {
  const sb = await sandbox('crash');
  const id = await container(sb, 'crasher');
  await call(rt, 'StartContainer', { containerId: id });
  await new Promise((r) => setTimeout(r, 200));
  const st = (await call(rt, 'ContainerStatus', { containerId: id })).status;
  assert.equal(st.state, 'CONTAINER_EXITED');
  assert.equal(st.exitCode, 3);
  assert.equal(st.reason, 'Error');
  assert.equal(st.annotations['io.kubernetes.container.restartCount'], '0');
  assert.ok(BigInt(st.createdAt) <= BigInt(st.startedAt) && BigInt(st.startedAt) < BigInt(st.finishedAt));
  assert.deepEqual(
    fake.facts.filter((f) => f.containerId === id).map((f) => f.kind),
    ['created', 'started', 'exited'],
  );
  await call(rt, 'RemoveContainer', { containerId: id });
  await assert.rejects(call(rt, 'ContainerStatus', { containerId: id }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
});

test('SIGTERM ignored: a second StopContainer with a shorter timeout moves the SIGKILL earlier and both calls return', async () => {
  const sb = await sandbox('stubborn');
  const id = await container(sb, 'stubborn');
  await call(rt, 'StartContainer', { containerId: id });
  const t0 = Date.now();
  const first = call(rt, 'StopContainer', { containerId: id, timeout: 30 }).then(() => Date.now() - t0);
  await new Promise((r) => setTimeout(r, 200));
  const second = call(rt, 'StopContainer', { containerId: id, timeout: 1 }).then(() => Date.now() - t0);
  const [a, b] = await Promise.all([first, second]);
  assert.ok(a >= 1100 && a < 3000 && b >= 1100 && b < 3000, `returned after ${a} and ${b} ms`);
  const st = (await call(rt, 'ContainerStatus', { containerId: id })).status;
  assert.equal(st.exitCode, 137);
});

test('faults fire on the nth matching call only; a failed start leaves the container EXITED 128 StartError', async () => {
  const sb = await sandbox('polite');
  const id = await container(sb, 'polite');
  await assert.rejects(call(rt, 'StartContainer', { containerId: id }), (e: grpc.ServiceError) => e.code === grpc.status.UNKNOWN && e.details === 'injected start failure');
  const st = (await call(rt, 'ContainerStatus', { containerId: id })).status;
  assert.equal(st.state, 'CONTAINER_EXITED');
  assert.equal(st.exitCode, 128);
  assert.equal(st.reason, 'StartError');
  const rec = fake.calls.find((c) => c.method === 'StartContainer' && c.request.containerId === id)!;
  assert.equal(rec.request.name, 'polite');
  assert.equal(rec.error?.codeName, 'UNKNOWN');
  // The second StartContainer of 'polite' is not the nth=1 one: it goes through.
  const id2 = (await call(rt, 'CreateContainer', {
    podSandboxId: sb.id,
    config: { metadata: { name: 'polite', attempt: 1 }, image: { image: 'busybox:1.36' } },
    sandboxConfig: sb.config,
  })).containerId;
  await call(rt, 'StartContainer', { containerId: id2 });
  await call(rt, 'StopContainer', { containerId: id2, timeout: 10 });
  assert.equal((await call(rt, 'ContainerStatus', { containerId: id2 })).status.exitCode, 0);
});

test('images: uid / username for runAsNonRoot, absent images, failing pulls', async () => {
  const root = await call(img, 'ImageStatus', { image: { image: 'root:1' } });
  assert.equal(root.image.uid.value, '0');
  const named = await call(img, 'ImageStatus', { image: { image: 'named:1' } });
  assert.equal(named.image.uid, null);
  assert.equal(named.image.username, 'appuser');
  assert.equal((await call(img, 'ImageStatus', { image: { image: 'absent:1' } })).image, null);
  await assert.rejects(call(img, 'PullImage', { image: { image: 'absent:1' } }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND && e.details === 'no such image');
});

test('ExecSync follows its script (times: 1), then the default (exit 0)', async () => {
  const sb = await sandbox('exec');
  const id = await container(sb, 'execer');
  await call(rt, 'StartContainer', { containerId: id });
  const r1 = await call(rt, 'ExecSync', { containerId: id, cmd: ['probe'], timeout: 1 });
  assert.equal(r1.exitCode, 2);
  assert.equal(Buffer.from(r1.stdout).toString(), 'bad');
  const r2 = await call(rt, 'ExecSync', { containerId: id, cmd: ['probe'], timeout: 1 });
  assert.equal(r2.exitCode, 0);
  fake.injectUnknown('execer');
  assert.equal((await call(rt, 'ContainerStatus', { containerId: id })).status.state, 'CONTAINER_UNKNOWN');
});
