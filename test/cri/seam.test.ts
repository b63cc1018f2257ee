// The runtime seam: RuntimeManager, its actors, the PLEG and the hook runner
// depend on the RuntimeService / ImageService interfaces (src/cri/services.ts),
// not on CriClient. Here a plain in-memory object implements both, with no gRPC
// at all, and a pod runs through the manager to completion and removal on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CriNotFoundError } from '../../src/cri/errors.js';
import type { ImageService, RuntimeService } from '../../src/cri/services.js';
import type * as cri from '../../src/cri/types.js';
import { loadPod } from '../../src/k8s/manifest.js';
import { RuntimeManager } from '../../src/manager.js';

interface SandboxRec {
  id: string;
  config: cri.PodSandboxConfig;
  state: cri.PodSandboxState;
}
interface ContainerRec {
  id: string;
  sandboxId: string;
  config: cri.ContainerConfig;
  state: cri.ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
}

const IMAGE_ID = 'sha256:0123456789abcdef';

/**
 * A toy runtime: sandboxes and containers in maps, images pulled on request,
 * every container "runs" its command and exits 0 on the next turn of the event
 * loop, announced on GetContainerEvents as containerd does.
 */
class InMemoryRuntime implements RuntimeService, ImageService {
  readonly calls: string[] = [];
  readonly createRequests: cri.CreateContainerRequest[] = [];
  readonly sandboxes = new Map<string, SandboxRec>();
  readonly containers = new Map<string, ContainerRec>();
  readonly images = new Set<string>();
  private readonly events = new Subject<cri.ContainerEventResponse>();
  private seq = 0;
  private clockNs = 1_700_000_000_000_000_000n;

  private now(): bigint {
    this.clockNs += 1_000_000n;
    return this.clockNs;
  }
  private record(rpc: string): void {
    this.calls.push(rpc);
  }
  private notFound(rpc: string, what: string): CriNotFoundError {
    return new CriNotFoundError(`RuntimeService/${rpc}`, 'memory', GrpcStatus.NOT_FOUND, `${what} not found`);
  }
  private sandboxMetadata(s: SandboxRec): cri.Out<'PodSandboxMetadata'> {
    const md = s.config.metadata;
    return { name: md.name, uid: md.uid, namespace: md.namespace, attempt: Number(md.attempt ?? 0) };
  }
  private containerStatusOf(c: ContainerRec): cri.ContainerStatus {
    return {
      id: c.id,
      metadata: { name: c.config.metadata.name, attempt: Number(c.config.metadata.attempt ?? 0) },
      state: c.state,
      createdAt: String(c.createdAt),
      startedAt: String(c.startedAt),
      finishedAt: String(c.finishedAt),
      exitCode: c.exitCode,
      image: { image: c.config.image.image, annotations: {} },
      imageRef: IMAGE_ID,
      reason: c.reason,
      message: '',
      labels: { ...c.config.labels },
      annotations: { ...c.config.annotations },
      mounts: [],
      logPath: '',
      resources: null,
      stopSignal: 'RUNTIME_DEFAULT',
    };
  }
  private sandbox(id: string, rpc: string): SandboxRec {
    const s = this.sandboxes.get(id);
    if (!s) throw this.notFound(rpc, `sandbox ${id}`);
    return s;
  }
  private container(id: string, rpc: string): ContainerRec {
    const c = this.containers.get(id);
    if (!c) throw this.notFound(rpc, `container ${id}`);
    return c;
  }
  private matches(labels: Record<string, string> | undefined, selector: Record<string, string> | undefined): boolean {
    return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
  }

  // RuntimeService
  async version(): Promise<cri.VersionResponse> {
    this.record('Version');
    return { version: '0.1.0', runtimeName: 'in-memory', runtimeVersion: '1', runtimeApiVersion: 'v1' };
  }
  async status(): Promise<cri.StatusResponse> {
    this.record('Status');
    return { status: { conditions: [] }, info: {} };
  }
  async runPodSandbox(req: cri.RunPodSandboxRequest): Promise<cri.RunPodSandboxResponse> {
    this.record('RunPodSandbox');
    const id = `sb${++this.seq}`;
    this.sandboxes.set(id, { id, config: req.config, state: 'SANDBOX_READY' });
    return { podSandboxId: id };
  }
  async stopPodSandbox(req: cri.StopPodSandboxRequest): Promise<cri.StopPodSandboxResponse> {
    this.record('StopPodSandbox');
    this.sandbox(req.podSandboxId, 'StopPodSandbox').state = 'SANDBOX_NOTREADY';
    return {};
  }
  async removePodSandbox(req: cri.RemovePodSandboxRequest): Promise<cri.RemovePodSandboxResponse> {
    this.record('RemovePodSandbox');
    this.sandboxes.delete(req.podSandboxId);
    for (const [id, c] of this.containers) if (c.sandboxId === req.podSandboxId) this.containers.delete(id);
    return {};
  }
  async podSandboxStatus(req: cri.PodSandboxStatusRequest): Promise<cri.PodSandboxStatusResponse> {
    this.record('PodSandboxStatus');
    const s = this.sandbox(req.podSandboxId, 'PodSandboxStatus');
    return {
      status: {
        id: s.id,
        metadata: this.sandboxMetadata(s),
        state: s.state,
        createdAt: '1',
        network: { ip: '10.88.0.7', additionalIps: [] },
        linux: null,
        labels: { ...s.config.labels },
        annotations: { ...s.config.annotations },
        runtimeHandler: '',
      },
      info: {},
      containersStatuses: [],
      timestamp: String(this.now()),
    };
  }
  async listPodSandbox(req: cri.ListPodSandboxRequest = {}): Promise<cri.ListPodSandboxResponse> {
    this.record('ListPodSandbox');
    const items = [...this.sandboxes.values()]
      .filter((s) => this.matches(s.config.labels, req.filter?.labelSelector))
      .map((s) => ({ id: s.id, metadata: this.sandboxMetadata(s), state: s.state, createdAt: '1', labels: { ...s.config.labels }, annotations: { ...s.config.annotations }, runtimeHandler: '' }));
    return { items };
  }
  async createContainer(req: cri.CreateContainerRequest): Promise<cri.CreateContainerResponse> {
    this.record('CreateContainer');
    this.sandbox(req.podSandboxId, 'CreateContainer');
    if (!this.images.has(req.config.image.image)) throw this.notFound('CreateContainer', `image ${req.config.image.image}`);
    this.createRequests.push(req);
    const id = `c${++this.seq}`;
    this.containers.set(id, { id, sandboxId: req.podSandboxId, config: req.config, state: 'CONTAINER_CREATED', createdAt: this.now(), startedAt: 0n, finishedAt: 0n, exitCode: 0, reason: '' });
    return { containerId: id };
  }
  async startContainer(req: cri.StartContainerRequest): Promise<cri.StartContainerResponse> {
    this.record('StartContainer');
    const c = this.container(req.containerId, 'StartContainer');
    c.state = 'CONTAINER_RUNNING';
    c.startedAt = this.now();
    // The "process" finishes on the next turn: exit 0, as `true` would.
    setImmediate(() => {
      if (c.state !== 'CONTAINER_RUNNING') return;
      Object.assign(c, { state: 'CONTAINER_EXITED', finishedAt: this.now(), exitCode: 0, reason: 'Completed' });
      this.events.next({ containerId: c.id, containerEventType: 'CONTAINER_STOPPED_EVENT', createdAt: String(c.finishedAt), podSandboxStatus: null, containersStatuses: [this.containerStatusOf(c)] });
    });
    return {};
  }
  async stopContainer(req: cri.StopContainerRequest): Promise<cri.StopContainerResponse> {
    this.record('StopContainer');
    const c = this.container(req.containerId, 'StopContainer');
    if (c.state === 'CONTAINER_RUNNING') Object.assign(c, { state: 'CONTAINER_EXITED', finishedAt: this.now(), exitCode: 137, reason: 'Error' });
    return {};
  }
  async removeContainer(req: cri.RemoveContainerRequest): Promise<cri.RemoveContainerResponse> {
    this.record('RemoveContainer');
    this.containers.delete(req.containerId);
    return {};
  }
  async listContainers(req: cri.ListContainersRequest = {}): Promise<cri.ListContainersResponse> {
    this.record('ListContainers');
    const f = req.filter;
    const containers = [...this.containers.values()]
      .filter((c) => (!f?.id || c.id === f.id) && (!f?.podSandboxId || c.sandboxId === f.podSandboxId) && this.matches(c.config.labels, f?.labelSelector))
      .map((c) => {
        const st = this.containerStatusOf(c);
        return { id: c.id, podSandboxId: c.sandboxId, metadata: st.metadata, image: st.image, imageRef: st.imageRef, state: c.state, createdAt: st.createdAt, labels: st.labels, annotations: st.annotations };
      });
    return { containers };
  }
  async containerStatus(req: cri.ContainerStatusRequest): Promise<cri.ContainerStatusResponse> {
    this.record('ContainerStatus');
    return { status: this.containerStatusOf(this.container(req.containerId, 'ContainerStatus')), info: {} };
  }
  async execSync(req: cri.ExecSyncRequest): Promise<cri.ExecSyncResponse> {
    this.record('ExecSync');
    this.container(req.containerId, 'ExecSync');
    return { stdout: Buffer.from(req.cmd.join(' ')), stderr: Buffer.alloc(0), exitCode: 0 };
  }
  async updateContainerResources(req: cri.UpdateContainerResourcesRequest): Promise<cri.UpdateContainerResourcesResponse> {
    this.record('UpdateContainerResources');
    this.container(req.containerId, 'UpdateContainerResources');
    return {};
  }
  async reopenContainerLog(req: cri.ReopenContainerLogRequest): Promise<cri.ReopenContainerLogResponse> {
    this.record('ReopenContainerLog');
    this.container(req.containerId, 'ReopenContainerLog');
    return {};
  }
  async containerStats(req: cri.ContainerStatsRequest): Promise<cri.ContainerStatsResponse> {
    this.record('ContainerStats');
    this.container(req.containerId, 'ContainerStats');
    return { stats: null };
  }
  getContainerEvents(): Observable<cri.ContainerEventResponse> {
    return this.events.asObservable();
  }

  // ImageService
  async listImages(): Promise<cri.ListImagesResponse> {
    this.record('ListImages');
    return { images: [...this.images].map((tag) => this.imageOf(tag)) };
  }
  async imageStatus(req: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse> {
    this.record('ImageStatus');
    return { image: this.images.has(req.image.image) ? this.imageOf(req.image.image) : null, info: {} };
  }
  async pullImage(req: cri.PullImageRequest): Promise<cri.PullImageResponse> {
    this.record('PullImage');
    this.images.add(req.image.image);
    return { imageRef: IMAGE_ID };
  }
  async removeImage(req: cri.RemoveImageRequest): Promise<cri.RemoveImageResponse> {
    this.record('RemoveImage');
    this.images.delete(req.image.image);
    return {};
  }
  async imageFsInfo(): Promise<cri.ImageFsInfoResponse> {
    this.record('ImageFsInfo');
    return { imageFilesystems: [], containerFilesystems: [] };
  }
  private imageOf(tag: string): cri.Image {
    return { id: IMAGE_ID, repoTags: [tag], repoDigests: [], size: '4096', uid: { value: '0' }, username: '', spec: { image: tag, annotations: {} }, pinned: false };
  }
}

/** The calls that change runtime state, in order (the PLEG's List and status polling left out). */
const lifecycleCalls = (calls: string[]) => calls.filter((c) => !/^(List|ContainerStatus|PodSandboxStatus|ImageStatus|ImageFsInfo|Status$|Version$)/.test(c));

test('a pod runs to completion and removal on an in-memory RuntimeService + ImageService (no CriClient, no gRPC)', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'statelet-seam-'));
  const runtime = new InMemoryRuntime();
  const manager = new RuntimeManager({
    client: runtime,
    podLogsDir: join(dir, 'pods'),
    rootDir: join(dir, 'kubelet'),
    relistPeriodMs: 50,
    containerLogMaxSize: 0,
  });
  try {
    await manager.start();
    const pod = loadPod(`apiVersion: v1
kind: Pod
metadata: { name: seam, namespace: default }
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: example.com/app:1
    command: ["true"]
`);
    const uid = pod.metadata.uid!;
    const succeeded = new Promise<void>((resolve) => {
      const sub = manager.status$.subscribe(({ pod: p, status }) => {
        if (p.metadata.uid === uid && status.phase === 'Succeeded') {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    manager.addPod(pod);
    await succeeded;

    const status = manager.getStatus(uid)!;
    const app = status.containerStatuses?.find((c) => c.name === 'app');
    assert.equal(app?.state.terminated?.exitCode, 0);
    assert.equal(app?.state.terminated?.reason, 'Completed');
    assert.equal(app?.imageID, IMAGE_ID);
    assert.equal(status.podIP, '10.88.0.7');
    // The kubelet's order: sandbox, image (absent, so pulled), create, start; nothing twice.
    const steps = new Set(['RunPodSandbox', 'PullImage', 'CreateContainer', 'StartContainer']);
    assert.deepEqual(runtime.calls.filter((c) => steps.has(c)), ['RunPodSandbox', 'PullImage', 'CreateContainer', 'StartContainer']);
    assert.equal(runtime.calls[0], 'Version', 'start() asks the runtime its version first');
    // The request the actors built reached the seam typed as the CRI message.
    const created = runtime.createRequests[0]!;
    assert.equal(created.config.metadata.name, 'app');
    assert.deepEqual(created.config.command, ['true']);
    assert.equal(created.config.labels?.['io.kubernetes.pod.uid'], uid);
    assert.equal(created.sandboxConfig.metadata.uid, uid);

    const final = await manager.deletePod(uid);
    assert.equal(final.phase, 'Succeeded');
    assert.equal(runtime.sandboxes.size, 0, 'the sandbox was removed through the seam');
    assert.equal(runtime.containers.size, 0);
    const tail = lifecycleCalls(runtime.calls);
    assert.ok(tail.indexOf('StopPodSandbox') > tail.indexOf('StartContainer'), tail.join(' '));
    assert.ok(tail.indexOf('RemovePodSandbox') > tail.indexOf('StopPodSandbox'), tail.join(' '));
  } finally {
    await manager.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
