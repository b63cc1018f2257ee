// Real CRI runtimes for tests: the embedded runtime (always) and containerd
// (when STATELET_CONTAINERD_ENDPOINT is set, which scripts/run-tests.mjs does
// after scripts/containerd-up.sh). Suites loop over runtimeTargets() so one
// set of assertions runs against both.
//
//   for (const target of runtimeTargets()) {
//     describe(`... on ${target.name}`, () => {
//       let rt: RuntimeEnv;
//       before(async () => { rt = await target.setup(); });
//       after(() => rt.teardown());
//       test('...', async () => { const pod = await rt.runSandbox('web'); ... });
//     });
//   }
//
// Every sandbox built by sandboxConfig() carries a label unique to this
// setup(), so teardown() finds and removes exactly the sandboxes (and their
// containers) this environment created, even when a test failed halfway.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CriClient } from '../../src/cri/index.js';
import type {
  ContainerConfig,
  ContainerState,
  ContainerStatus,
  PodSandboxConfig,
  StringMap,
} from '../../src/cri/types.js';
import type { FaultController } from '../../src/runtime/index.js';

export type RuntimeName = 'embedded' | 'containerd';

/** The image both runtimes know: imported by containerd-up.sh, pulled (recorded) on the embedded runtime. */
export const TEST_IMAGE = 'localhost/busybox:local';
/** Label put on every test sandbox; its value is unique per setup(). */
export const OWNER_LABEL = 'statelet.test/owner';

export interface SandboxOptions {
  /** Host network: containerd then needs hostname '' (runc cannot set a hostname without a UTS namespace). */
  hostNetwork?: boolean;
  labels?: StringMap;
  annotations?: StringMap;
  attempt?: number;
  /** Defaults to a fresh directory under this environment's temp dir. */
  logDirectory?: string;
}

export interface RunningSandbox {
  id: string;
  config: PodSandboxConfig;
}

export interface RuntimeEnv {
  name: RuntimeName;
  client: CriClient;
  endpoint: string;
  /** Image to put in ContainerConfig.image. */
  image: string;
  /** A per-environment temp dir (log directories live under it); removed by teardown(). */
  tmpDir: string;
  /** A unique, kubelet-shaped sandbox config (unique name, uid, log directory, owner label). */
  sandboxConfig(name: string, opts?: SandboxOptions): PodSandboxConfig;
  /**
   * A kubelet-shaped container config: `cmd` is the command (the embedded runtime
   * needs one; it runs host processes), pid namespace CONTAINER so the process
   * is PID 1 of its own namespace on containerd and the stop grace period
   * applies as under the kubelet, log path `<name>_<attempt>.log`.
   */
  containerConfig(name: string, cmd: string[], extra?: Partial<ContainerConfig>): ContainerConfig;
  /** sandboxConfig() + RunPodSandbox. */
  runSandbox(name: string, opts?: SandboxOptions): Promise<RunningSandbox>;
  /** CreateContainer (always with sandbox_config) + StartContainer; returns the container ID. */
  runContainer(pod: RunningSandbox, config: ContainerConfig): Promise<string>;
  /** CreateContainer only (always with sandbox_config). */
  createContainer(pod: RunningSandbox, config: ContainerConfig): Promise<string>;
  /** Polls ContainerStatus (every 20 ms) until the state is reached. */
  waitForState(containerId: string, state: ContainerState, timeoutMs?: number): Promise<ContainerStatus>;
  /** Polls the container's CRI log file until a line's message contains `text`. */
  waitForLog(pod: RunningSandbox, config: ContainerConfig, text: string, timeoutMs?: number): Promise<string>;
  /** Absolute path of a container's CRI log file. */
  logFile(pod: RunningSandbox, config: ContainerConfig): string;
  /** Fault injection (embedded runtime only). */
  faults?: FaultController;
  /** Stops and removes this environment's sandboxes and containers, closes the client (and the embedded runtime). */
  teardown(): Promise<void>;
}

export interface RuntimeTarget {
  name: RuntimeName;
  setup(): Promise<RuntimeEnv>;
}

/** The containerd endpoint the tests should use, if any. */
export function containerdEndpoint(): string | undefined {
  const e = process.env.STATELET_CONTAINERD_ENDPOINT?.trim();
  return e ? e : undefined;
}

/** embedded always; containerd when STATELET_CONTAINERD_ENDPOINT is set. */
export function runtimeTargets(): RuntimeTarget[] {
  const targets: RuntimeTarget[] = [{ name: 'embedded', setup: setupEmbedded }];
  const endpoint = containerdEndpoint();
  if (endpoint) targets.push({ name: 'containerd', setup: () => setupContainerd(endpoint) });
  return targets;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setupEmbedded(): Promise<RuntimeEnv> {
  const tmp = mkdtempSync(join(tmpdir(), 'statelet-rt-embedded-'));
  let rt: Awaited<ReturnType<typeof import('../../src/runtime/index.js').startEmbeddedRuntime>> | undefined;
  let client: CriClient | undefined;
  try {
    // Loaded lazily so a missing or broken embedded runtime fails its own
    // tests and not the containerd half of the same file.
    const { startEmbeddedRuntime } = await import('../../src/runtime/index.js');
    rt = await startEmbeddedRuntime({ stateDir: join(tmp, 'state'), killOnClose: true });
    client = new CriClient({ endpoint: rt.endpoint, runtimeRequestTimeoutMs: 20_000 });
    // containerd has the image imported; the embedded runtime knows an image
    // only once PullImage recorded it, so record it up front to start both alike.
    await client.pullImage({ image: { image: TEST_IMAGE } });
  } catch (err) {
    client?.close();
    await rt?.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const runtime = rt;
  return makeEnv('embedded', client, runtime.endpoint, tmp, runtime.faults, () => runtime.close());
}

async function setupContainerd(endpoint: string): Promise<RuntimeEnv> {
  const tmp = mkdtempSync(join(tmpdir(), 'statelet-rt-containerd-'));
  const client = new CriClient({ endpoint, runtimeRequestTimeoutMs: 20_000 });
  const img = await client.imageStatus({ image: { image: TEST_IMAGE } }).catch((err: unknown) => {
    client.close();
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  });
  if (!img.image) {
    client.close();
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`containerd at ${endpoint} has no ${TEST_IMAGE}; it cannot pull, run scripts/containerd-up.sh (it imports the image)`);
  }
  return makeEnv('containerd', client, endpoint, tmp, undefined, async () => {});
}

let seq = 0;

function makeEnv(
  name: RuntimeName,
  client: CriClient,
  endpoint: string,
  tmpDir: string,
  faults: FaultController | undefined,
  closeRuntime: () => Promise<void>,
): RuntimeEnv {
  const owner = `${name}-${process.pid}-${randomBytes(4).toString('hex')}`;

  const sandboxConfig = (podName: string, opts: SandboxOptions = {}): PodSandboxConfig => {
    const n = ++seq;
    const uniqueName = `${podName}-${n}`;
    const logDirectory = opts.logDirectory ?? join(tmpDir, 'pods', `${uniqueName}`);
    mkdirSync(logDirectory, { recursive: true });
    const network = opts.hostNetwork ? 'NODE' : 'POD';
    return {
      metadata: { name: uniqueName, uid: `${owner}-${n}`, namespace: 'statelet-test', attempt: opts.attempt ?? 0 },
      // The kubelet sends '' for host-network pods; containerd fails the
      // sandbox otherwise ("unable to set hostname without a private UTS namespace").
      hostname: opts.hostNetwork ? '' : uniqueName.slice(0, 63),
      logDirectory,
      labels: { ...opts.labels, [OWNER_LABEL]: owner },
      annotations: { ...opts.annotations },
      linux: { securityContext: { namespaceOptions: { network, pid: 'POD', ipc: 'POD' } } },
    };
  };

  const containerConfig = (cname: string, cmd: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig => {
    const { linux, ...rest } = extra;
    return {
      metadata: { name: cname, attempt: 0 },
      image: { image: TEST_IMAGE },
      command: cmd,
      logPath: `${cname}_${extra.metadata?.attempt ?? 0}.log`,
      ...rest,
      linux: {
        ...linux,
        securityContext: {
          ...linux?.securityContext,
          // pid CONTAINER is what the kubelet sends unless shareProcessNamespace
          // is set; with containerd's default (POD) the pause process is PID 1
          // and the app dies on SIGTERM whatever its handlers.
          namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', ...linux?.securityContext?.namespaceOptions },
        },
      },
    };
  };

  const createContainer = async (pod: RunningSandbox, config: ContainerConfig): Promise<string> => {
    // Always send sandbox_config: containerd 1.6.20 panics without it.
    const { containerId } = await client.createContainer({ podSandboxId: pod.id, config, sandboxConfig: pod.config });
    return containerId;
  };

  const logFile = (pod: RunningSandbox, config: ContainerConfig): string =>
    join(pod.config.logDirectory ?? '', config.logPath ?? '');

  const env: RuntimeEnv = {
    name,
    client,
    endpoint,
    image: TEST_IMAGE,
    tmpDir,
    faults,
    sandboxConfig,
    containerConfig,
    async runSandbox(podName, opts) {
      const config = sandboxConfig(podName, opts);
      const { podSandboxId } = await client.runPodSandbox({ config });
      return { id: podSandboxId, config };
    },
    createContainer,
    async runContainer(pod, config) {
      const id = await createContainer(pod, config);
      await client.startContainer({ containerId: id });
      return id;
    },
    async waitForState(containerId, state, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { status } = await client.containerStatus({ containerId });
        if (status?.state === state) return status;
        if (Date.now() > deadline) {
          throw new Error(`container ${containerId} on ${name}: still ${status?.state} after ${timeoutMs} ms (wanted ${state})`);
        }
        await sleep(20);
      }
    },
    logFile,
    async waitForLog(pod, config, text, timeoutMs = 10_000) {
      const file = logFile(pod, config);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let content = '';
        try {
          content = readFileSync(file, 'utf8');
        } catch {
          /* not created yet */
        }
        if (content.split('\n').some((l) => l.split(' ').slice(3).join(' ').includes(text))) return content;
        if (Date.now() > deadline) throw new Error(`${file} on ${name}: no line containing ${JSON.stringify(text)} after ${timeoutMs} ms; content: ${JSON.stringify(content)}`);
        await sleep(20);
      }
    },
    async teardown() {
      try {
        const { items } = await client.listPodSandbox({ filter: { labelSelector: { [OWNER_LABEL]: owner } } });
        for (const sb of items) {
          // The kubelet's order: containers first (no grace needed here), then the sandbox.
          const { containers } = await client.listContainers({ filter: { podSandboxId: sb.id } }).catch(() => ({ containers: [] }));
          for (const c of containers) {
            await client.stopContainer({ containerId: c.id, timeout: 0 }).catch(() => {});
            await client.removeContainer({ containerId: c.id }).catch(() => {});
          }
          await client.stopPodSandbox({ podSandboxId: sb.id }).catch(() => {});
          await client.removePodSandbox({ podSandboxId: sb.id }).catch(() => {});
        }
      } finally {
        client.close();
        await closeRuntime();
        rmSync(tmpDir, { recursive: true, force: true });
      }
    },
  };
  return env;
}
