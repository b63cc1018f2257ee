// A scripted CRI v1 runtime (RuntimeService + ImageService) for the kubelet
// conformance suite. It runs inside the test process on a unix socket, keeps
// a consistent model of sandboxes, containers and images, answers every list
// and status call from that model, and records each call and each container
// lifecycle fact with a time relative to the scenario start.
//
// What is scripted, and why:
// - containers: how long an instance runs before it exits on its own, with
//   which code, and what it does on SIGTERM (exit after a delay, or ignore it
//   so StopContainer has to SIGKILL at its deadline, exit 137) — the inputs
//   behind every restart, back-off and grace-period rule of the kubelet;
// - faults per method: a gRPC error, a delay, or a call that never answers;
// - images: present or absent, the pull result, and the image user
//   (ImageStatus uid/username) behind the kubelet's verifyRunAsNonRoot;
// - ExecSync per command: hooks and exec probes;
// - injections: a container turning UNKNOWN, a sandbox turning NOTREADY.
//
// GetContainerEvents answers UNIMPLEMENTED, as containerd 1.6 does, so the
// client under test falls back to its 1 s relisting PLEG (the kubelet's
// generic PLEG).
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { loadCriProto } from '../../src/cri/proto.js';

type Req = Record<string, any>;

export type GrpcCodeName = keyof typeof grpc.status;

// ------------------------------------------------------------------ scripts

export interface ContainerScript {
  /** Container name (metadata.name of the CreateContainer config). */
  name: string;
  /** Only this attempt (metadata.attempt); absent: every attempt. */
  attempt?: number;
  /** The process exits on its own this long after StartContainer. Absent or null: runs until stopped. */
  runMs?: number | null;
  /** Exit code of that exit (default 0). */
  exitCode?: number;
  /** On SIGTERM (StopContainer with a timeout > 0): exit after this delay (default 0)... */
  sigtermDelayMs?: number;
  /** ...with this code (default 143, a process killed by SIGTERM). */
  sigtermExitCode?: number;
  /** Ignore SIGTERM: StopContainer waits its whole timeout, then SIGKILL (137). */
  ignoreSigterm?: boolean;
}

export interface FaultRule {
  /** CRI method name, e.g. 'StopContainer', 'PullImage'. */
  method: string;
  /** Container name (container methods) or pod name (sandbox methods). */
  name?: string;
  attempt?: number;
  image?: string;
  /** Fire only on the nth call that matches the filters above (1-based). */
  nth?: number;
  /** Fire at most this many times. */
  times?: number;
  /** Answer with this gRPC code (name, e.g. 'NOT_FOUND', or number). */
  code?: GrpcCodeName | number;
  message?: string;
  /** Wait this long first (a cancelled call stops waiting). */
  delayMs?: number;
  /** Never answer; the call ends only when the client cancels it. */
  hang?: boolean;
  /**
   * With `code`: the container the call names is gone as well (removed behind
   * the kubelet's back), so e.g. a StopContainer NOT_FOUND tells the truth.
   */
  vanish?: boolean;
}

export interface ImageScript {
  /** The image reference as the pod spec names it. */
  ref: string;
  /** Present at start (default true). */
  present?: boolean;
  /** PullImage result: absent = success; else the gRPC error it fails with. */
  pullError?: { code: GrpcCodeName | number; message: string };
  /** ImageStatus `uid` (Int64Value); absent/null: unset. */
  uid?: number | null;
  /** ImageStatus `username`. */
  username?: string;
}

export interface ExecScript {
  /** Matches the command joined by spaces (string: exact; RegExp: test). */
  cmd: string | RegExp;
  /** Only in this container (name) / attempt. */
  container?: string;
  attempt?: number;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  delayMs?: number;
  /** Never answers (until cancelled). */
  hang?: boolean;
  /** Applies at most this many times, then the next matching script is used. */
  times?: number;
}

export interface FakeOptions {
  containers?: ContainerScript[];
  faults?: FaultRule[];
  images?: ImageScript[];
  exec?: ExecScript[];
  /** An image the scripts do not name is present (default true). */
  imagesPresentByDefault?: boolean;
  /**
   * StopPodSandbox force-stops the sandbox's running containers (default
   * true: the CRI contract, and containerd). false models a runtime whose
   * sandbox stop leaves containers running.
   */
  stopPodSandboxKillsContainers?: boolean;
  /**
   * What a failed StartContainer leaves behind: 'exited' (containerd:
   * EXITED, exit 128, reason StartError) or 'created'.
   */
  startFailureLeaves?: 'exited' | 'created';
}

// ------------------------------------------------------------------ records

export interface CallRecord {
  seq: number;
  method: string;
  /** ms since scenario start when the call arrived. */
  t: number;
  /** ms since scenario start when it was answered (or cancelled). */
  tEnd?: number;
  request: {
    /** Container name / attempt (from the config, or resolved from the container id). */
    name?: string;
    attempt?: number;
    containerId?: string;
    sandboxId?: string;
    /** Pod name of a sandbox call. */
    podName?: string;
    sandboxAttempt?: number;
    timeout?: number;
    image?: string;
    cmd?: string[];
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    /** The decoded request as received. */
    raw: Req;
  };
  response?: Req;
  error?: { code: number; codeName: string; message: string };
  cancelled?: boolean;
  /** A fault rule that fired (index in FakeOptions.faults). */
  fault?: number;
}

export type FactKind = 'created' | 'started' | 'exited' | 'unknown' | 'removed' | 'sandbox-ready' | 'sandbox-notready' | 'sandbox-removed';

export interface FactRecord {
  seq: number;
  kind: FactKind;
  t: number;
  containerId?: string;
  sandboxId?: string;
  name?: string;
  attempt?: number;
  exitCode?: number;
  reason?: string;
}

// ------------------------------------------------------------------ model

type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

interface FakeSandbox {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  state: SandboxState;
  createdAt: bigint;
  ip: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
  containers: Set<string>;
}

interface FakeContainer {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  /** LinuxContainerResources as CreateContainer and UpdateContainerResources set them (KEP-1287). */
  resources: Req | null;
  /** ContainerConfig.stop_signal (KEP-4960). */
  stopSignal: string;
  script: ContainerScript | undefined;
  /** Pending self-exit / SIGTERM-exit / SIGKILL timers. */
  exitTimer: NodeJS.Timeout | null;
  /** When the current pending exit fires (performance.now()). */
  exitAt: number;
  exitCodePending: number;
  exited: Promise<void>;
  resolveExited: () => void;
}

interface FakeImage {
  ref: string;
  id: string;
  present: boolean;
  script: ImageScript | undefined;
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const codeOf = (c: GrpcCodeName | number | undefined): number => (typeof c === 'number' ? c : c ? grpc.status[c] : grpc.status.UNKNOWN);
const codeName = (n: number): string => (grpc.status[n] as string | undefined) ?? String(n);
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const copyMap = (m: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (m && typeof m === 'object') for (const [k, v] of Object.entries(m as Record<string, unknown>)) out[k] = str(v);
  return out;
};
const hex = (n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Methods that are only status traffic (relists); the timeline hides them. */
export const NOISE_METHODS = new Set(['ListPodSandbox', 'ListContainers', 'ContainerStatus', 'PodSandboxStatus', 'Version', 'Status', 'ImageFsInfo', 'ListImages', 'ContainerStats', 'ListContainerStats']);

export class FakeCri {
  readonly calls: CallRecord[] = [];
  readonly facts: FactRecord[] = [];
  /** Called after every new call or fact record (the runner re-evaluates triggers). */
  onRecord: (() => void) | null = null;

  private server: grpc.Server | null = null;
  private seq = 0;
  private readonly t0: number;
  private readonly sandboxes = new Map<string, FakeSandbox>();
  private readonly containers = new Map<string, FakeContainer>();
  private readonly images = new Map<string, FakeImage>();
  private readonly faultFired: number[];
  private readonly faultMatched: number[];
  private readonly execUsed: number[];
  private sandboxCount = 0;
  private readonly opts: Required<Pick<FakeOptions, 'imagesPresentByDefault' | 'stopPodSandboxKillsContainers' | 'startFailureLeaves'>> & FakeOptions;

  constructor(opts: FakeOptions = {}, t0 = performance.now()) {
    this.t0 = t0;
    this.opts = { imagesPresentByDefault: true, stopPodSandboxKillsContainers: true, startFailureLeaves: 'exited', ...opts };
    this.faultFired = (opts.faults ?? []).map(() => 0);
    this.faultMatched = (opts.faults ?? []).map(() => 0);
    this.execUsed = (opts.exec ?? []).map(() => 0);
    for (const im of opts.images ?? []) this.images.set(im.ref, { ref: im.ref, id: `sha256:${hex(64)}`, present: im.present ?? true, script: im });
  }

  now(): number {
    return performance.now() - this.t0;
  }

  // ---------------------------------------------------------------- server

  async listen(socketPath: string): Promise<string> {
    const server = new grpc.Server();
    const { pkg } = loadCriProto();
    server.addService(pkg.RuntimeService.service, this.runtimeImpl());
    server.addService(pkg.ImageService.service, this.imageImpl());
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    this.server = server;
    return `unix://${socketPath}`;
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) if (c.exitTimer) clearTimeout(c.exitTimer);
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        s.forceShutdown();
        resolve();
      }, 1000);
      s.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- injections

  /** Marks the (newest) container with this name UNKNOWN. Returns its id, or undefined. */
  injectUnknown(name: string): string | undefined {
    const c = this.newestContainer(name);
    if (!c) return undefined;
    if (c.exitTimer) clearTimeout(c.exitTimer);
    c.exitTimer = null;
    c.state = 'CONTAINER_UNKNOWN';
    this.fact({ kind: 'unknown', containerId: c.id, sandboxId: c.sandboxId, name: c.name, attempt: c.attempt });
    return c.id;
  }

  /** Marks the newest READY sandbox NOTREADY (its containers keep running). */
  injectSandboxNotReady(): string | undefined {
    const sb = [...this.sandboxes.values()].filter((s) => s.state === 'SANDBOX_READY').sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
    if (!sb) return undefined;
    sb.state = 'SANDBOX_NOTREADY';
    this.fact({ kind: 'sandbox-notready', sandboxId: sb.id, name: sb.name, attempt: sb.attempt });
    return sb.id;
  }

  /** The current (newest) instance of a container name. */
  newestContainer(name: string): FakeContainer | undefined {
    let best: FakeContainer | undefined;
    for (const c of this.containers.values()) if (c.name === name && (!best || c.createdAt >= best.createdAt)) best = c;
    return best;
  }

  containerById(id: string): FakeContainer | undefined {
    return this.containers.get(id);
  }

  // ---------------------------------------------------------------- recording

  private fact(f: Omit<FactRecord, 'seq' | 't'>): void {
    this.facts.push({ seq: ++this.seq, t: this.now(), ...f });
    this.onRecord?.();
  }

  /** What a call is about, for records and fault filters. */
  private subject(method: string, r: Req): CallRecord['request'] {
    const out: CallRecord['request'] = { raw: r };
    const byId = (id: string) => {
      out.containerId = id;
      const c = this.containers.get(id);
      if (c) {
        out.name = c.name;
        out.attempt = c.attempt;
        out.sandboxId = c.sandboxId;
        out.image = c.image;
      }
    };
    const bySandbox = (id: string) => {
      out.sandboxId = id;
      const sb = this.sandboxes.get(id);
      if (sb) {
        out.podName = sb.name;
        out.name = sb.name;
        out.sandboxAttempt = sb.attempt;
      }
    };
    switch (method) {
      case 'RunPodSandbox': {
        const md = r.config?.metadata ?? {};
        out.podName = str(md.name);
        out.name = out.podName;
        out.sandboxAttempt = Number(md.attempt ?? 0);
        out.attempt = out.sandboxAttempt;
        out.labels = copyMap(r.config?.labels);
        out.annotations = copyMap(r.config?.annotations);
        break;
      }
      case 'CreateContainer': {
        const md = r.config?.metadata ?? {};
        out.name = str(md.name);
        out.attempt = Number(md.attempt ?? 0);
        out.sandboxId = str(r.podSandboxId);
        out.image = str(r.config?.image?.image);
        out.labels = copyMap(r.config?.labels);
        out.annotations = copyMap(r.config?.annotations);
        break;
      }
      case 'StartContainer':
      case 'RemoveContainer':
      case 'ContainerStatus':
      case 'ContainerStats':
      case 'UpdateContainerResources':
        byId(str(r.containerId));
        break;
      case 'StopContainer':
        byId(str(r.containerId));
        out.timeout = Number(r.timeout ?? 0);
        break;
      case 'ExecSync':
        byId(str(r.containerId));
        out.cmd = ((r.cmd as unknown[] | undefined) ?? []).map(str);
        out.timeout = Number(r.timeout ?? 0);
        break;
      case 'StopPodSandbox':
      case 'RemovePodSandbox':
      case 'PodSandboxStatus':
        bySandbox(str(r.podSandboxId));
        break;
      case 'PullImage':
      case 'ImageStatus':
      case 'RemoveImage':
        out.image = str(r.image?.image);
        break;
    }
    return out;
  }

  private matchFault(method: string, sub: CallRecord['request']): { rule: FaultRule; index: number } | undefined {
    const rules = this.opts.faults ?? [];
    for (let i = 0; i < rules.length; i++) {
      const f = rules[i]!;
      if (f.method !== method) continue;
      if (f.name !== undefined && f.name !== sub.name) continue;
      if (f.attempt !== undefined && f.attempt !== sub.attempt) continue;
      if (f.image !== undefined && f.image !== sub.image) continue;
      this.faultMatched[i]!++;
      if (f.nth !== undefined && this.faultMatched[i] !== f.nth) continue;
      if (f.times !== undefined && this.faultFired[i]! >= f.times) continue;
      this.faultFired[i]!++;
      return { rule: f, index: i };
    }
    return undefined;
  }

  private unary(method: string, fn: (r: Req, rec: CallRecord, cancelled: Promise<void>) => Promise<Req> | Req): grpc.handleUnaryCall<Req, Req> {
    return (call, callback) => {
      const req = call.request ?? {};
      const rec: CallRecord = { seq: ++this.seq, method, t: this.now(), request: this.subject(method, req) };
      this.calls.push(rec);
      this.onRecord?.();
      let isCancelled = false;
      const cancelled = new Promise<void>((r) =>
        call.once('cancelled', () => {
          isCancelled = true;
          r();
        }),
      );
      const finish = (err: RpcError | null, res?: Req) => {
        rec.tEnd = this.now();
        if (isCancelled) {
          rec.cancelled = true;
          this.onRecord?.();
          return;
        }
        if (err) {
          rec.error = { code: err.code, codeName: codeName(err.code), message: err.message };
          callback({ code: err.code, details: err.message } as grpc.ServiceError);
        } else {
          rec.response = res;
          callback(null, res);
        }
        this.onRecord?.();
      };
      (async () => {
        const hit = this.matchFault(method, rec.request);
        if (hit) {
          rec.fault = hit.index;
          const f = hit.rule;
          if (f.delayMs) await Promise.race([sleep(f.delayMs), cancelled]);
          if (isCancelled) return finish(null);
          if (f.hang) {
            await cancelled;
            return finish(null);
          }
          if (f.code !== undefined) {
            const err = new RpcError(codeOf(f.code), f.message ?? `injected ${method} failure`);
            if (f.vanish) this.vanish(str(req.containerId));
            this.afterFault(method, req, err);
            return finish(err);
          }
        }
        const res = await fn(req, rec, cancelled);
        finish(null, res);
      })().catch((err: unknown) => {
        finish(err instanceof RpcError ? err : new RpcError(grpc.status.UNKNOWN, err instanceof Error ? err.message : String(err)));
      });
    };
  }

  /** A container disappears without an exit (FaultRule.vanish). */
  private vanish(id: string): void {
    const c = this.containers.get(id);
    if (!c) return;
    if (c.exitTimer) clearTimeout(c.exitTimer);
    c.exitTimer = null;
    this.containers.delete(id);
    this.sandboxes.get(c.sandboxId)?.containers.delete(id);
    c.resolveExited();
    this.fact({ kind: 'removed', containerId: id, sandboxId: c.sandboxId, name: c.name, attempt: c.attempt });
  }

  /** Side effects a runtime leaves behind when a call fails (containerd's failed start). */
  private afterFault(method: string, req: Req, err: RpcError): void {
    if (method !== 'StartContainer') return;
    const c = this.containers.get(str(req.containerId));
    if (!c || c.state !== 'CONTAINER_CREATED') return;
    if (this.opts.startFailureLeaves === 'exited') {
      c.state = 'CONTAINER_EXITED';
      c.startedAt = 0n;
      c.finishedAt = nowNs();
      c.exitCode = 128;
      c.reason = 'StartError';
      c.message = err.message;
      c.resolveExited();
      this.fact({ kind: 'exited', containerId: c.id, sandboxId: c.sandboxId, name: c.name, attempt: c.attempt, exitCode: 128, reason: 'StartError' });
    }
  }

  // ---------------------------------------------------------------- runtime service

  private runtimeImpl(): grpc.UntypedServiceImplementation {
    return {
      Version: this.unary('Version', () => ({ version: '0.1.0', runtimeName: 'fake-cri', runtimeVersion: '1.0.0', runtimeApiVersion: 'v1' })),
      Status: this.unary('Status', () => ({
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: '' },
            { type: 'NetworkReady', status: true, reason: '', message: '' },
          ],
        },
        info: {},
      })),
      RunPodSandbox: this.unary('RunPodSandbox', (r) => this.runPodSandbox(r)),
      StopPodSandbox: this.unary('StopPodSandbox', (r) => this.stopPodSandbox(str(r.podSandboxId))),
      RemovePodSandbox: this.unary('RemovePodSandbox', (r) => this.removePodSandbox(str(r.podSandboxId))),
      PodSandboxStatus: this.unary('PodSandboxStatus', (r) => {
        const sb = this.mustSandbox(str(r.podSandboxId));
        return { status: this.sandboxStatus(sb), info: {}, containersStatuses: [...sb.containers].map((id) => this.containerStatus(this.containers.get(id)!)), timestamp: nowNs().toString() };
      }),
      ListPodSandbox: this.unary('ListPodSandbox', (r) => ({ items: this.listSandboxes(r.filter) })),
      CreateContainer: this.unary('CreateContainer', (r) => this.createContainer(r)),
      StartContainer: this.unary('StartContainer', (r) => this.startContainer(str(r.containerId))),
      StopContainer: this.unary('StopContainer', (r, _rec, cancelled) => this.stopContainer(str(r.containerId), Number(r.timeout ?? 0), cancelled)),
      RemoveContainer: this.unary('RemoveContainer', (r) => this.removeContainer(str(r.containerId))),
      ListContainers: this.unary('ListContainers', (r) => ({ containers: this.listContainers(r.filter) })),
      ContainerStatus: this.unary('ContainerStatus', (r) => ({ status: this.containerStatus(this.mustContainer(str(r.containerId))), info: {} })),
      // KEP-1287: containerd applies the request's non-zero fields over the container's resources.
      UpdateContainerResources: this.unary('UpdateContainerResources', (r) => {
        const c = this.mustContainer(str(r.containerId));
        const cur: Req = { ...(c.resources ?? {}) };
        for (const [k, v] of Object.entries((r.linux as Req | null | undefined) ?? {})) {
          if (v !== '0' && v !== 0 && v !== '' && !(Array.isArray(v) && v.length === 0) && !(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) cur[k] = v;
        }
        c.resources = cur;
        return {};
      }),
      ExecSync: this.unary('ExecSync', (r, _rec, cancelled) => this.execSync(str(r.containerId), ((r.cmd as unknown[]) ?? []).map(str), cancelled)),
      ContainerStats: this.unary('ContainerStats', () => {
        throw new RpcError(grpc.status.UNIMPLEMENTED, 'ContainerStats is not implemented by the fake runtime');
      }),
      ListContainerStats: this.unary('ListContainerStats', () => ({ stats: [] })),
      GetContainerEvents: (call: grpc.ServerWritableStream<Req, Req>) => {
        const rec: CallRecord = { seq: ++this.seq, method: 'GetContainerEvents', t: this.now(), request: { raw: call.request ?? {} } };
        rec.tEnd = rec.t;
        rec.error = { code: grpc.status.UNIMPLEMENTED, codeName: 'UNIMPLEMENTED', message: 'unknown method GetContainerEvents for service runtime.v1.RuntimeService' };
        this.calls.push(rec);
        this.onRecord?.();
        // containerd 1.6 does not know the method at all.
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: rec.error.message });
      },
    };
  }

  private mustSandbox(id: string): FakeSandbox {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new RpcError(grpc.status.NOT_FOUND, `an error occurred when try to find sandbox ${JSON.stringify(id)}: not found`);
    return sb;
  }

  private mustContainer(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RpcError(grpc.status.NOT_FOUND, `an error occurred when try to find container ${JSON.stringify(id)}: not found`);
    return c;
  }

  private runPodSandbox(r: Req): Req {
    const md = r.config?.metadata;
    if (!md) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'sandbox config must include metadata');
    const id = hex(64);
    this.sandboxCount++;
    const sb: FakeSandbox = {
      id,
      name: str(md.name),
      namespace: str(md.namespace),
      uid: str(md.uid),
      attempt: Number(md.attempt ?? 0),
      state: 'SANDBOX_READY',
      createdAt: nowNs(),
      ip: `10.88.0.${1 + this.sandboxCount}`,
      labels: copyMap(r.config?.labels),
      annotations: copyMap(r.config?.annotations),
      runtimeHandler: str(r.runtimeHandler),
      containers: new Set(),
    };
    this.sandboxes.set(id, sb);
    this.fact({ kind: 'sandbox-ready', sandboxId: id, name: sb.name, attempt: sb.attempt });
    return { podSandboxId: id };
  }

  private sandboxStatus(sb: FakeSandbox): Req {
    return {
      id: sb.id,
      metadata: { name: sb.name, uid: sb.uid, namespace: sb.namespace, attempt: sb.attempt },
      state: sb.state,
      createdAt: sb.createdAt.toString(),
      network: { ip: sb.ip, additionalIps: [] },
      linux: { namespaces: { options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' } } },
      labels: sb.labels,
      annotations: sb.annotations,
      runtimeHandler: sb.runtimeHandler,
    };
  }

  private listSandboxes(filter: Req | null | undefined): Req[] {
    const fid = str(filter?.id);
    const state = filter?.state ? str(filter.state.state) : '';
    const sel = Object.entries(copyMap(filter?.labelSelector));
    const out: Req[] = [];
    for (const sb of this.sandboxes.values()) {
      if (fid && !sb.id.startsWith(fid)) continue;
      if (state && sb.state !== state) continue;
      if (sel.length && !sel.every(([k, v]) => sb.labels[k] === v)) continue;
      out.push({
        id: sb.id,
        metadata: { name: sb.name, uid: sb.uid, namespace: sb.namespace, attempt: sb.attempt },
        state: sb.state,
        createdAt: sb.createdAt.toString(),
        labels: sb.labels,
        annotations: sb.annotations,
        runtimeHandler: sb.runtimeHandler,
      });
    }
    return out;
  }

  private async stopPodSandbox(id: string): Promise<Req> {
    const sb = this.mustSandbox(id);
    if (this.opts.stopPodSandboxKillsContainers) {
      for (const cid of sb.containers) {
        const c = this.containers.get(cid);
        if (c && (c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_UNKNOWN')) this.exitNow(c, 137);
      }
    }
    if (sb.state !== 'SANDBOX_NOTREADY') {
      sb.state = 'SANDBOX_NOTREADY';
      this.fact({ kind: 'sandbox-notready', sandboxId: sb.id, name: sb.name, attempt: sb.attempt });
    }
    return {};
  }

  /** containerd: removing an unknown sandbox succeeds (idempotent); its containers go with it. */
  private async removePodSandbox(id: string): Promise<Req> {
    const sb = this.sandboxes.get(id);
    if (!sb) return {};
    for (const cid of [...sb.containers]) await this.removeContainer(cid);
    this.sandboxes.delete(id);
    this.fact({ kind: 'sandbox-removed', sandboxId: id, name: sb.name, attempt: sb.attempt });
    return {};
  }

  private scriptFor(name: string, attempt: number): ContainerScript | undefined {
    const all = this.opts.containers ?? [];
    return all.find((s) => s.name === name && s.attempt === attempt) ?? all.find((s) => s.name === name && s.attempt === undefined);
  }

  private image(ref: string): FakeImage {
    let im = this.images.get(ref);
    if (!im) {
      im = { ref, id: `sha256:${hex(64)}`, present: this.opts.imagesPresentByDefault, script: undefined };
      this.images.set(ref, im);
    }
    return im;
  }

  private createContainer(r: Req): Req {
    const sb = this.sandboxes.get(str(r.podSandboxId));
    if (!sb) throw new RpcError(grpc.status.NOT_FOUND, `failed to find sandbox id ${JSON.stringify(str(r.podSandboxId))}: not found`);
    const md = r.config?.metadata;
    if (!md) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'container config must include metadata');
    const name = str(md.name);
    const attempt = Number(md.attempt ?? 0);
    // containerd reserves <name>_<sandbox>_<ns>_<uid>_<attempt>: one instance per name and attempt.
    for (const cid of sb.containers) {
      const other = this.containers.get(cid);
      if (other && other.name === name && other.attempt === attempt) {
        throw new RpcError(grpc.status.UNKNOWN, `failed to reserve container name "${name}_${sb.name}_${sb.namespace}_${sb.uid}_${attempt}": name is reserved for "${other.id}"`);
      }
    }
    if (sb.state !== 'SANDBOX_READY') throw new RpcError(grpc.status.NOT_FOUND, `failed to get sandbox container task: no running task found: task ${sb.id} not found: not found`);
    const imageRef = str(r.config?.image?.image);
    const im = this.image(imageRef);
    if (!im.present) throw new RpcError(grpc.status.NOT_FOUND, `failed to get image ${JSON.stringify(imageRef)}: not found`);
    let resolveExited!: () => void;
    const exited = new Promise<void>((res) => (resolveExited = res));
    const c: FakeContainer = {
      id: hex(64),
      sandboxId: sb.id,
      name,
      attempt,
      state: 'CONTAINER_CREATED',
      createdAt: nowNs(),
      startedAt: 0n,
      finishedAt: 0n,
      exitCode: 0,
      reason: '',
      message: '',
      image: imageRef,
      imageRef: im.id,
      labels: copyMap(r.config?.labels),
      annotations: copyMap(r.config?.annotations),
      logPath: str(r.config?.logPath),
      resources: (r.config?.linux?.resources as Req | null | undefined) ?? null,
      stopSignal: str(r.config?.stopSignal) || 'RUNTIME_DEFAULT',
      script: this.scriptFor(name, attempt),
      exitTimer: null,
      exitAt: Infinity,
      exitCodePending: 0,
      exited,
      resolveExited,
    };
    this.containers.set(c.id, c);
    sb.containers.add(c.id);
    this.fact({ kind: 'created', containerId: c.id, sandboxId: sb.id, name, attempt });
    return { containerId: c.id };
  }

  private startContainer(id: string): Req {
    const c = this.mustContainer(id);
    if (c.state !== 'CONTAINER_CREATED') throw new RpcError(grpc.status.UNKNOWN, `failed to set starting state for container ${JSON.stringify(id)}: container is in ${c.state} state`);
    const sb = this.sandboxes.get(c.sandboxId);
    if (!sb || sb.state !== 'SANDBOX_READY') throw new RpcError(grpc.status.UNKNOWN, `sandbox container ${JSON.stringify(c.sandboxId)} is not running`);
    c.state = 'CONTAINER_RUNNING';
    c.startedAt = nowNs();
    this.fact({ kind: 'started', containerId: c.id, sandboxId: c.sandboxId, name: c.name, attempt: c.attempt });
    const runMs = c.script?.runMs;
    if (runMs !== undefined && runMs !== null) this.scheduleExit(c, runMs, c.script?.exitCode ?? 0);
    return {};
  }

  /** Arms (or moves earlier) the pending exit of a running container. */
  private scheduleExit(c: FakeContainer, inMs: number, code: number): void {
    const at = performance.now() + inMs;
    if (c.exitTimer && at >= c.exitAt) return;
    if (c.exitTimer) clearTimeout(c.exitTimer);
    c.exitAt = at;
    c.exitCodePending = code;
    c.exitTimer = setTimeout(() => this.exitNow(c, code), Math.max(0, inMs));
  }

  private exitNow(c: FakeContainer, code: number): void {
    if (c.state !== 'CONTAINER_RUNNING' && c.state !== 'CONTAINER_UNKNOWN') return;
    if (c.exitTimer) clearTimeout(c.exitTimer);
    c.exitTimer = null;
    c.exitAt = Infinity;
    c.state = 'CONTAINER_EXITED';
    c.finishedAt = nowNs();
    c.exitCode = code;
    c.reason = code === 0 ? 'Completed' : 'Error';
    c.message = '';
    c.resolveExited();
    this.fact({ kind: 'exited', containerId: c.id, sandboxId: c.sandboxId, name: c.name, attempt: c.attempt, exitCode: code, reason: c.reason });
  }

  /**
   * SIGTERM, then SIGKILL at `timeout` seconds. A later call with an earlier
   * deadline moves the SIGKILL earlier; every call returns once the
   * container has exited (or when its caller cancels it).
   */
  private async stopContainer(id: string, timeout: number, cancelled: Promise<void>): Promise<Req> {
    const c = this.mustContainer(id);
    if (c.state === 'CONTAINER_CREATED' || c.state === 'CONTAINER_EXITED') return {};
    const s = c.script;
    if (timeout <= 0) this.exitNow(c, 137);
    else {
      // An UNKNOWN container may well be running: it gets the same SIGTERM.
      if (!s?.ignoreSigterm) this.scheduleExit(c, s?.sigtermDelayMs ?? 0, s?.sigtermExitCode ?? 143);
      this.scheduleExit(c, timeout * 1000, 137);
    }
    await Promise.race([c.exited, cancelled]);
    return {};
  }

  /** containerd: removing an unknown id succeeds; a running container is force-stopped first. */
  private async removeContainer(id: string): Promise<Req> {
    const c = this.containers.get(id);
    if (!c) return {};
    if (c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_UNKNOWN') this.exitNow(c, 137);
    this.containers.delete(id);
    this.sandboxes.get(c.sandboxId)?.containers.delete(id);
    this.fact({ kind: 'removed', containerId: id, sandboxId: c.sandboxId, name: c.name, attempt: c.attempt });
    return {};
  }

  private containerStatus(c: FakeContainer): Req {
    return {
      id: c.id,
      metadata: { name: c.name, attempt: c.attempt },
      state: c.state,
      createdAt: c.createdAt.toString(),
      startedAt: c.startedAt.toString(),
      finishedAt: c.finishedAt.toString(),
      exitCode: c.exitCode,
      image: { image: c.image, annotations: {} },
      imageRef: c.imageRef,
      reason: c.reason,
      message: c.message,
      labels: c.labels,
      annotations: c.annotations,
      mounts: [],
      logPath: c.logPath,
      resources: c.resources ? { linux: c.resources } : null,
      stopSignal: c.stopSignal,
    };
  }

  private listContainers(filter: Req | null | undefined): Req[] {
    const fid = str(filter?.id);
    const sbId = str(filter?.podSandboxId);
    const state = filter?.state ? str(filter.state.state) : '';
    const sel = Object.entries(copyMap(filter?.labelSelector));
    const out: Req[] = [];
    for (const c of this.containers.values()) {
      if (fid && !c.id.startsWith(fid)) continue;
      if (sbId && !c.sandboxId.startsWith(sbId)) continue;
      if (state && c.state !== state) continue;
      if (sel.length && !sel.every(([k, v]) => c.labels[k] === v)) continue;
      out.push({
        id: c.id,
        podSandboxId: c.sandboxId,
        metadata: { name: c.name, attempt: c.attempt },
        image: { image: c.image, annotations: {} },
        imageRef: c.imageRef,
        state: c.state,
        createdAt: c.createdAt.toString(),
        labels: c.labels,
        annotations: c.annotations,
      });
    }
    return out;
  }

  private async execSync(id: string, cmd: string[], cancelled: Promise<void>): Promise<Req> {
    const c = this.mustContainer(id);
    if (c.state !== 'CONTAINER_RUNNING') throw new RpcError(grpc.status.UNKNOWN, `container ${JSON.stringify(id)} is not running`);
    const joined = cmd.join(' ');
    const all = this.opts.exec ?? [];
    let script: ExecScript | undefined;
    for (let i = 0; i < all.length; i++) {
      const e = all[i]!;
      if (typeof e.cmd === 'string' ? e.cmd !== joined : !e.cmd.test(joined)) continue;
      if (e.container !== undefined && e.container !== c.name) continue;
      if (e.attempt !== undefined && e.attempt !== c.attempt) continue;
      if (e.times !== undefined && this.execUsed[i]! >= e.times) continue;
      this.execUsed[i]!++;
      script = e;
      break;
    }
    let isCancelled = false;
    void cancelled.then(() => (isCancelled = true));
    // An exec dies with its container (the runtime kills the exec processes).
    let containerDied = false;
    const died = c.exited.then(() => (containerDied = true));
    if (script?.hang) await Promise.race([cancelled, died]);
    else if (script?.delayMs) await Promise.race([sleep(script.delayMs), cancelled, died]);
    if (isCancelled) return {};
    if (containerDied) return { stdout: Buffer.from(''), stderr: Buffer.from(''), exitCode: 137 };
    return {
      stdout: Buffer.from(script?.stdout ?? ''),
      stderr: Buffer.from(script?.stderr ?? ''),
      exitCode: script?.exitCode ?? 0,
    };
  }

  // ---------------------------------------------------------------- image service

  private imageStatusOf(im: FakeImage): Req {
    const uid = im.script?.uid;
    return {
      id: im.id,
      repoTags: [im.ref],
      repoDigests: [],
      size: '1048576',
      uid: uid === undefined || uid === null ? null : { value: String(uid) },
      username: im.script?.username ?? '',
      spec: { image: im.ref, annotations: {} },
      pinned: false,
    };
  }

  private imageImpl(): grpc.UntypedServiceImplementation {
    return {
      ListImages: this.unary('ListImages', () => ({ images: [...this.images.values()].filter((i) => i.present).map((i) => this.imageStatusOf(i)) })),
      ImageStatus: this.unary('ImageStatus', (r) => {
        const ref = str(r.image?.image);
        const im = [...this.images.values()].find((i) => i.ref === ref || i.id === ref) ?? this.image(ref);
        return { image: im.present ? this.imageStatusOf(im) : null, info: {} };
      }),
      PullImage: this.unary('PullImage', (r) => {
        const im = this.image(str(r.image?.image));
        const e = im.script?.pullError;
        if (e) throw new RpcError(codeOf(e.code), e.message);
        im.present = true;
        return { imageRef: im.id };
      }),
      RemoveImage: this.unary('RemoveImage', (r) => {
        const im = this.images.get(str(r.image?.image));
        if (im) im.present = false;
        return {};
      }),
      ImageFsInfo: this.unary('ImageFsInfo', () => ({ imageFilesystems: [], containerFilesystems: [] })),
    };
  }
}

/** Wall-clock nanoseconds: the client compares runtime timestamps with its own clock. */
function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
