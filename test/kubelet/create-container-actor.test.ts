// The createContainer actor as startContainer step 2 (kubelet 1.34): getTargetID for an
// ephemeral container with targetContainerName, then getImageUser (ImageStatus) and
// verifyRunAsNonRoot before the config is generated; every failure there is a
// CreateContainerConfigError and CreateContainer is never called. First against a
// fake client that records the calls, then against the embedded runtime.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { createActor, toPromise } from 'xstate';
import { createRuntimeActors } from '../../src/actors/index.js';
import { CriClient, toCriError } from '../../src/cri/index.js';
import type * as cri from '../../src/cri/types.js';
import type { Container, EphemeralContainer, Pod } from '../../src/k8s/types.js';
import { useEmbeddedRuntime } from '../helpers/embedded.js';
import { errorInfo, type CreateContainerInput, type SandboxInfo } from '../../machines/types.js';

const P = 'web_default(1234)';

function makePod(over: { app?: Partial<Container>; spec?: Partial<Pod['spec']>; debug?: Partial<EphemeralContainer> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: '1234' },
    spec: {
      containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '60'], ...over.app }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36', command: ['sh'], targetContainerName: 'app', ...over.debug }],
      ...over.spec,
    },
  };
}

const SANDBOX: SandboxInfo = { id: 'sb1', ip: '127.0.0.1', attempt: 0, config: { metadata: { name: 'web', namespace: 'default', uid: '1234', attempt: 0 } } };

function inputFor(pod: Pod, which: 'app' | 'debug', sandbox: SandboxInfo = SANDBOX): CreateContainerInput {
  const container = which === 'app' ? pod.spec.containers[0]! : pod.spec.ephemeralContainers![0]!;
  const fieldPath = which === 'app' ? 'spec.containers{app}' : 'spec.ephemeralContainers{debug}';
  return { pod, container, fieldPath, sandbox, restartCount: 0 };
}

interface Calls {
  imageStatus: cri.ImageStatusRequest[];
  listContainers: cri.ListContainersRequest[];
  createContainer: cri.CreateContainerRequest[];
}

function fakeClient(opts: { image?: Partial<cri.Image> | null; imageError?: unknown; containers?: Partial<cri.Container>[] }) {
  const calls: Calls = { imageStatus: [], listContainers: [], createContainer: [] };
  const client = {
    async imageStatus(req: cri.ImageStatusRequest) {
      calls.imageStatus.push(req);
      if (opts.imageError) throw opts.imageError;
      const image = opts.image === null ? null : { id: 'sha256:1', repoTags: [], repoDigests: [], size: '1', uid: null, username: '', spec: null, pinned: false, ...opts.image };
      return { image, info: {} };
    },
    async listContainers(req: cri.ListContainersRequest) {
      calls.listContainers.push(req);
      return { containers: (opts.containers ?? []) as cri.Container[] };
    },
    async createContainer(req: cri.CreateContainerRequest) {
      calls.createContainer.push(req);
      return { containerId: 'new-id' };
    },
  };
  return { client: client as unknown as CriClient, calls };
}

async function runCreate(client: CriClient, input: CreateContainerInput): Promise<{ containerId?: string; error?: unknown }> {
  const actors = createRuntimeActors({ client, podLogsDir: tmpdir() });
  const actor = createActor(actors.createContainer, { input });
  actor.start();
  try {
    return await toPromise(actor);
  } catch (error) {
    return { error };
  }
}

const uid = (n: number) => ({ uid: { value: String(n) } });

describe('createContainer actor: runAsNonRoot (fake client)', () => {
  test('image uid 0 under runAsNonRoot: CreateContainerConfigError with the kubelet message, no CreateContainer', async () => {
    const { client, calls } = fakeClient({ image: uid(0) });
    const pod = makePod({ app: { securityContext: { runAsNonRoot: true } } });
    const { error } = await runCreate(client, inputFor(pod, 'app'));
    assert.equal((error as Error).name, 'CreateContainerConfigError');
    assert.equal(errorInfo(error).message, `container has runAsNonRoot and image will run as root (pod: "${P}", container: app)`);
    assert.equal(typeof errorInfo(error).at, 'number');
    assert.deepEqual(calls.imageStatus, [{ image: { image: 'busybox:1.36' } }]);
    assert.equal(calls.createContainer.length, 0);
  });

  test('an image user name, and an explicit runAsUser 0 inherited from the pod', async () => {
    const named = fakeClient({ image: { username: 'nginx' } });
    const r1 = await runCreate(named.client, inputFor(makePod({ spec: { securityContext: { runAsNonRoot: true } } }), 'app'));
    assert.equal(errorInfo(r1.error).message, `container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root (pod: "${P}", container: app)`);
    const root = fakeClient({ image: uid(1000) });
    const r2 = await runCreate(root.client, inputFor(makePod({ spec: { securityContext: { runAsNonRoot: true, runAsUser: 0 } } }), 'app'));
    assert.equal((r2.error as Error).name, 'CreateContainerConfigError');
    assert.equal(errorInfo(r2.error).message, `container's runAsUser breaks non-root policy (pod: "${P}", container: app)`);
    assert.equal(root.calls.createContainer.length, 0);
  });

  test('a non-root image uid, or no runAsNonRoot at all (even with a root image): CreateContainer runs', async () => {
    const ok = fakeClient({ image: uid(1000) });
    const r1 = await runCreate(ok.client, inputFor(makePod({ app: { securityContext: { runAsNonRoot: true } } }), 'app'));
    assert.deepEqual(r1, { containerId: 'new-id' });
    assert.equal(ok.calls.createContainer.length, 1);
    const plain = fakeClient({ image: null });
    const r2 = await runCreate(plain.client, inputFor(makePod(), 'app'));
    assert.deepEqual(r2, { containerId: 'new-id' });
    assert.equal(plain.calls.listContainers.length, 0, 'a regular container looks up no target');
    assert.deepEqual(plain.calls.createContainer[0]!.config.linux?.securityContext?.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  });

  test("ImageStatus failing in getImageUser: CreateContainerConfigError with the runtime's bare message", async () => {
    const { client, calls } = fakeClient({ imageError: toCriError('ImageService/ImageStatus', 'e', { code: 14, details: 'connection refused' }) });
    const { error } = await runCreate(client, inputFor(makePod(), 'app'));
    assert.equal((error as Error).name, 'CreateContainerConfigError');
    assert.equal(errorInfo(error).message, 'connection refused');
    assert.equal(calls.createContainer.length, 0);
  });
});

describe('createContainer actor: ephemeral container with targetContainerName (fake client)', () => {
  test("pid TARGET with the target's newest instance, found by the pod UID and container name labels", async () => {
    const { client, calls } = fakeClient({
      image: uid(0),
      containers: [
        { id: 'old', state: 'CONTAINER_EXITED', createdAt: '1000000000000000000' },
        { id: 'cur', state: 'CONTAINER_RUNNING', createdAt: '1000000005000000000' },
      ],
    });
    const { containerId } = await runCreate(client, inputFor(makePod(), 'debug'));
    assert.equal(containerId, 'new-id');
    assert.deepEqual(calls.listContainers, [{ filter: { labelSelector: { 'io.kubernetes.pod.uid': '1234', 'io.kubernetes.container.name': 'app' } } }]);
    assert.deepEqual(calls.createContainer[0]!.config.linux?.securityContext?.namespaceOptions, { network: 'POD', pid: 'TARGET', ipc: 'POD', targetId: 'cur' });
  });

  test('the target is read from the pod spec when the input container lacks it; no target keeps CONTAINER', async () => {
    const pod = makePod();
    const input = inputFor(pod, 'debug');
    const { targetContainerName: _dropped, ...bare } = input.container as EphemeralContainer;
    const { client, calls } = fakeClient({ containers: [{ id: 'cur', state: 'CONTAINER_RUNNING', createdAt: '5' }] });
    await runCreate(client, { ...input, container: bare });
    assert.equal(calls.createContainer[0]!.config.linux?.securityContext?.namespaceOptions?.targetId, 'cur');
    const untargeted = fakeClient({});
    await runCreate(untargeted.client, inputFor(makePod({ debug: { targetContainerName: undefined } }), 'debug'));
    assert.equal(untargeted.calls.listContainers.length, 0);
    assert.equal(untargeted.calls.createContainer[0]!.config.linux?.securityContext?.namespaceOptions?.pid, 'CONTAINER');
  });

  test('no instance of the target: `unable to find target container app`, a CreateContainerConfigError', async () => {
    const { client, calls } = fakeClient({ containers: [] });
    const { error } = await runCreate(client, inputFor(makePod(), 'debug'));
    assert.equal((error as Error).name, 'CreateContainerConfigError');
    assert.equal(errorInfo(error).message, 'unable to find target container app');
    assert.equal(calls.imageStatus.length, 0, 'getTargetID runs before generateContainerConfig');
    assert.equal(calls.createContainer.length, 0);
  });
});

describe('createContainer actor on the embedded runtime', () => {
  const env = useEmbeddedRuntime('statelet-create-actor-');

  test("ImageStatus reports the runtime's own uid; runAsNonRoot is judged against it", async () => {
    const st = await env.client.imageStatus({ image: { image: 'busybox:1.36' } });
    const myUid = process.getuid?.();
    assert.deepEqual(st.image?.uid, myUid === undefined ? null : { value: String(myUid) });
    const actors = createRuntimeActors({ client: env.client, podLogsDir: env.logs });
    const pod = makePod({ app: { securityContext: { runAsNonRoot: true } } });
    pod.metadata.uid = 'nonroot-1';
    const sandbox = await toPromise(createActor(actors.runPodSandbox, { input: { pod, attempt: 0 } }).start());
    const run = createActor(actors.createContainer, { input: inputFor(pod, 'app', sandbox) }).start();
    if (myUid === 0) {
      await assert.rejects(toPromise(run), (e: Error) => e.name === 'CreateContainerConfigError' && e.message === `container has runAsNonRoot and image will run as root (pod: "web_default(nonroot-1)", container: app)`);
    } else {
      assert.ok((await toPromise(run)).containerId);
    }
  });
});
