import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { constants as osConstants, hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { status as Grpc } from '@grpc/grpc-js';
import type * as cri from '../cri/types.js';
import { RuntimeError, invalidArg, notFound, unknownErr } from './errors.js';
import type { FaultSubject } from './faults.js';
import { ImageStore, normalizeImageRef, type ImageRec } from './images.js';
import { Launcher, type LaunchOptions } from './launcher.js';
import { IoDirWatcher, LogWriter, StreamTail, type StreamName } from './logs.js';
import { CLK_TCK, readProcStat, readRssBytes } from './procfs.js';
import { StateStore } from './state.js';
import { nowNs } from './time.js';

export const RUNTIME_NAME = 'statelet-embedded';
export const RUNTIME_VERSION = '0.1.0';

/** containerd's exit code and reason for a container whose start failed (errorStartExitCode/Reason). */
export const START_ERROR_EXIT_CODE = 128;
/**
 * containerd's unknownExitCode/unknownExitReason: used for a process that was
 * found again after a runtime restart (not our child, so its wait status is
 * lost) and then died, or that died while the runtime was down.
 */
export const UNKNOWN_EXIT_CODE = 255;
export const UNKNOWN_EXIT_REASON = 'Unknown';
/** The kubelet caps ExecSync output at 16 MiB. */
const MAX_EXEC_OUTPUT = 16 * 1024 * 1024;
/** PATH containerd's default spec gives a process whose image sets none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RECOVERED_POLL_MS = 500;
const RECOVERED_STOP_POLL_MS = 50;

const OCI_START_PREFIX =
  'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ';

type StrMap = Record<string, string>;

export interface SandboxRec {
  id: string;
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
  reservedName: string;
  state: cri.PodSandboxState;
  createdAt: string;
  labels: StrMap;
  annotations: StrMap;
  logDirectory: string;
  hostname: string;
  runtimeHandler: string;
  /** As decoded from the request (every field present); reported back in PodSandboxStatus. */
  namespaceOptions: cri.Out<'NamespaceOption'> | null;
}

export interface ContainerRec {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  reservedName: string;
  /** The image as requested, and its annotations (returned by ListContainers). */
  image: string;
  imageAnnotations: StrMap;
  /** The image id (containerd's ImageRef without repo digests). */
  imageRef: string;
  /** The normalized reference (ContainerStatus.image, as containerd's first repo tag). */
  imageTag: string;
  argv: string[];
  envs: cri.KeyValue[];
  workingDir: string;
  uid: number | null;
  gid: number | null;
  labels: StrMap;
  annotations: StrMap;
  mounts: cri.Mount[];
  /** Full path <log_directory>/<log_path>, or '' when there is no log file. */
  logPath: string;
  state: cri.ContainerState;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  message: string;
  pid: number;
  /** /proc/<pid>/stat field 22, to recognise the process after a runtime restart. */
  pidStartTime: string;
  /** Raw output files under <stateDir>/io being tailed, and how far they have been copied to the log. */
  io: { stdout: number; stderr: number } | null;
  /**
   * KEP-1287: the resources as CreateContainer and then UpdateContainerResources set them. Reported in
   * ContainerStatus, never enforced: the embedded runtime has no cgroups. Absent in older state files.
   */
  resources?: cri.Out<'LinuxContainerResources'> | null;
  /** KEP-4960: ContainerConfig.stop_signal (`RUNTIME_DEFAULT` when unset); sent by StopContainer instead of SIGTERM. */
  stopSignal?: cri.Signal;
}

interface SandboxRt {
  rec: SandboxRec;
  containers: Set<string>;
}

interface ContainerRt {
  rec: ContainerRec;
  /** Found again after a restart: exits are noticed by polling /proc. */
  recovered: boolean;
  starting: Promise<void> | null;
  removing: boolean;
  exited: Promise<void>;
  resolveExited: () => void;
  exitHandled: boolean;
  sentKill: boolean;
  tails: StreamTail[];
  writer: LogWriter | null;
  cpuPrev: { at: bigint; usage: bigint } | null;
  fastPoll: NodeJS.Timeout | null;
}

export interface RuntimeCoreOptions {
  stateDir: string;
  autoPullImages?: boolean;
  log?: (msg: string) => void;
  /**
   * Container processes must not outlive this process: if it ends without
   * close() (a crash, SIGKILL, process.exit), the launcher kills them. For
   * runtimes closed with close(true) anyway (killOnClose); without it they
   * run on, and a runtime started later on the same stateDir finds them again.
   */
  killContainersOnExit?: boolean;
  /** With killContainersOnExit: a directory removed after that kill (a temporary state dir). */
  removeOnExit?: string;
}

export type EventListener = (ev: cri.ContainerEventResponse) => void;

// 64 hex chars like containerd's ids; entropy drawn in batches (one syscall per 128 ids).
let idPool = Buffer.alloc(0);
let idPos = 0;
function newId(): string {
  if (idPos + 32 > idPool.length) {
    idPool = randomBytes(32 * 128);
    idPos = 0;
  }
  idPos += 32;
  return idPool.toString('hex', idPos - 32, idPos);
}
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const copyMap = (m: unknown): StrMap => ({ ...((m as StrMap | null | undefined) ?? {}) });

/**
 * The number of a CRI stop signal, as moby/sys/signal maps the names on Linux (glibc's
 * SIGRTMIN is 34 and SIGRTMAX 64); SIGTERM for RUNTIME_DEFAULT or an unknown name.
 */
export function stopSignalNumber(signal: string | undefined): number {
  const sigs = osConstants.signals as Record<string, number | undefined>;
  if (!signal || signal === 'RUNTIME_DEFAULT') return sigs['SIGTERM'] ?? 15;
  const rt = /^SIGRT(MIN|MAX)(?:(PLUS|MINUS)(\d+))?$/.exec(signal);
  if (rt) {
    const base = rt[1] === 'MIN' ? 34 : 64;
    const n = Number(rt[3] ?? 0);
    return rt[2] === 'MINUS' ? base - n : base + n;
  }
  const alias: Record<string, string> = { SIGCLD: 'SIGCHLD', SIGPOLL: 'SIGIO', SIGIOT: 'SIGABRT' };
  return sigs[signal] ?? sigs[alias[signal] ?? ''] ?? sigs['SIGTERM'] ?? 15;
}

function killGroup(pid: number, sig: NodeJS.Signals | number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}

function intOrNull(v: unknown): number | null {
  const raw = (v as { value?: unknown } | null | undefined)?.value;
  if (raw === undefined || raw === null) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/**
 * The embedded runtime's state and behaviour, independent of gRPC: pod
 * sandboxes (host network, no process), containers as host processes in
 * their own process groups, images as a local catalogue. Semantics follow
 * containerd 1.6's CRI plugin (NOTES.md), including its error messages.
 */
export class RuntimeCore {
  readonly stateDir: string;
  readonly ioDir: string;
  private readonly log: (m: string) => void;
  private readonly autoPull: boolean;
  private readonly killOnExit: boolean;
  private readonly removeOnExit?: string;
  private readonly sandboxes = new Map<string, SandboxRt>();
  private readonly containers = new Map<string, ContainerRt>();
  private readonly sandboxNames = new Map<string, string>();
  private readonly containerNames = new Map<string, string>();
  private readonly listeners = new Set<EventListener>();
  private readonly recovered = new Set<ContainerRt>();
  private recoveredTimer: NodeJS.Timeout | null = null;
  private store!: StateStore;
  images!: ImageStore;
  private io!: IoDirWatcher;
  private launcher!: Launcher;
  /** Our own children by pid, for exit reports from the launcher. */
  private readonly byPid = new Map<number, ContainerRt>();
  /** Exits reported before the spawn reply was processed. */
  private readonly earlyExits = new Map<number, number>();
  /** After close(): exits of still-running children are no longer recorded (they belong to the next runtime). */
  private detached = false;
  /** Log directories already created (mkdir once per directory, not per start). */
  private readonly madeDirs = new Set<string>();
  private fsUsage: { at: number; value: Promise<{ bytes: number; inodes: number }> } | null = null;

  constructor(opts: RuntimeCoreOptions) {
    this.stateDir = opts.stateDir;
    this.ioDir = join(opts.stateDir, 'io');
    this.log = opts.log ?? (() => {});
    this.autoPull = opts.autoPullImages === true;
    this.killOnExit = opts.killContainersOnExit === true;
    this.removeOnExit = opts.removeOnExit;
  }

  // ---------------------------------------------------------------- lifecycle

  async init(): Promise<void> {
    this.store = new StateStore(this.stateDir, this.log);
    await this.store.init();
    await mkdir(this.ioDir, { recursive: true, mode: 0o700 });
    this.images = await ImageStore.open(this.stateDir, this.log);
    this.io = new IoDirWatcher(this.ioDir, this.log);
    this.io.start();
    this.launcher = new Launcher(
      (pid, code) => this.onChildExit(pid, code),
      (reason) => this.onLauncherLost(reason),
      this.killOnExit,
      this.removeOnExit,
    );
    for (const rec of await this.store.loadAll<SandboxRec>('sandboxes')) {
      this.sandboxes.set(rec.id, { rec, containers: new Set() });
      this.sandboxNames.set(rec.reservedName, rec.id);
    }
    const recs = await this.store.loadAll<ContainerRec>('containers');
    await Promise.all(recs.map((rec) => this.recoverContainer(rec)));
    if (this.recovered.size) {
      this.recoveredTimer = setInterval(() => void this.pollRecovered(), RECOVERED_POLL_MS);
      this.recoveredTimer.unref();
    }
  }

  private async recoverContainer(rec: ContainerRec): Promise<void> {
    const sb = this.sandboxes.get(rec.sandboxId);
    if (!sb) {
      this.log(`dropping container ${rec.id}: its sandbox ${rec.sandboxId} is gone`);
      this.store.del('containers', rec.id);
      return;
    }
    const c = this.newRt(rec);
    this.containers.set(rec.id, c);
    this.containerNames.set(rec.reservedName, rec.id);
    sb.containers.add(rec.id);
    if (rec.state === 'CONTAINER_CREATED' && rec.pid > 0) rec.state = 'CONTAINER_RUNNING'; // crashed mid-start
    if (rec.state === 'CONTAINER_CREATED') return;
    if (rec.state !== 'CONTAINER_RUNNING') {
      c.exitHandled = true;
      c.resolveExited();
      return;
    }
    c.recovered = true;
    this.attachTails(c);
    const st = await readProcStat(rec.pid);
    if (st && st.state !== 'Z' && rec.pidStartTime !== '' && st.startTime === rec.pidStartTime) {
      this.recovered.add(c);
      this.log(`container ${rec.id} (${rec.name}) found again running as pid ${rec.pid}`);
    } else {
      await this.handleExit(c, UNKNOWN_EXIT_CODE, UNKNOWN_EXIT_REASON, 'container process exited while the runtime was down; exit status unknown');
    }
  }

  private onChildExit(pid: number, exitCode: number): void {
    if (this.detached) return;
    const c = this.byPid.get(pid);
    if (!c) {
      this.earlyExits.set(pid, exitCode);
      return;
    }
    this.byPid.delete(pid);
    void this.handleExit(c, exitCode);
  }

  /** Our children are now orphans whose exits nobody reports: watch them like found-again processes. */
  private onLauncherLost(reason: string): void {
    this.log(reason);
    for (const c of this.byPid.values()) {
      c.recovered = true;
      this.recovered.add(c);
    }
    this.byPid.clear();
    if (!this.recoveredTimer && this.recovered.size) {
      this.recoveredTimer = setInterval(() => void this.pollRecovered(), RECOVERED_POLL_MS);
      this.recoveredTimer.unref();
    }
  }

  private async pollRecovered(): Promise<void> {
    for (const c of [...this.recovered]) await this.checkRecovered(c);
  }

  private async checkRecovered(c: ContainerRt): Promise<void> {
    if (!this.recovered.has(c)) return;
    const st = await readProcStat(c.rec.pid);
    if (st && st.state !== 'Z' && st.startTime === c.rec.pidStartTime) return;
    if (!this.recovered.delete(c)) return;
    // Not our child: the wait status is lost. If we sent SIGKILL it was that.
    if (c.sentKill) await this.handleExit(c, 128 + 9, 'Error', '');
    else await this.handleExit(c, UNKNOWN_EXIT_CODE, UNKNOWN_EXIT_REASON, 'container process was found again after a runtime restart and has exited; exit status unknown');
  }

  /**
   * Stops serving state. With `kill`, every container process is killed
   * (group SIGKILL) and recorded as exited; without, they keep running and a
   * runtime started later on the same stateDir finds them again.
   */
  async close(kill: boolean): Promise<void> {
    if (this.recoveredTimer) clearInterval(this.recoveredTimer);
    this.recoveredTimer = null;
    const all = [...this.containers.values()];
    await Promise.all(all.map((c) => c.starting?.catch(() => {})));
    if (kill) {
      this.launcher.hold();
      const running = all.filter((c) => c.rec.state === 'CONTAINER_RUNNING' && !c.exitHandled);
      await Promise.all(
        running.map((c) => {
          const wait = this.killAndWait(c, 0);
          return Promise.race([wait, new Promise<void>((r) => setTimeout(r, 3000).unref())]);
        }),
      );
    }
    this.detached = true;
    await this.launcher.close(!kill);
    for (const c of all) {
      if (c.fastPoll) clearInterval(c.fastPoll);
      if (c.rec.state === 'CONTAINER_RUNNING' && !c.exitHandled) {
        await this.detachTails(c);
        this.persistContainer(c);
      }
    }
    this.io.close();
    await this.store.flush();
    await this.images.flush();
  }

  // ---------------------------------------------------------------- events

  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Like containerd 1.7+: every event carries the pod sandbox status and the
   * statuses of all the pod's containers (the kubelet's Evented PLEG caches
   * them as the pod status). Sandbox events use the sandbox id as container id.
   */
  private emit(type: cri.ContainerEventType, containerId: string, sandboxId: string): void {
    if (this.listeners.size === 0) return;
    const sb = this.sandboxes.get(sandboxId);
    const ev: cri.ContainerEventResponse = {
      containerId,
      containerEventType: type,
      createdAt: nowNs().toString(),
      podSandboxStatus: sb ? this.sandboxStatus(sb) : null,
      containersStatuses: sb ? this.statusesOf(sb) : [],
    };
    for (const fn of this.listeners) {
      try {
        fn(ev);
      } catch (err) {
        this.log(`event listener failed: ${String(err)}`);
      }
    }
  }

  // ---------------------------------------------------------------- lookups

  private findContainer(id: string): ContainerRt | undefined {
    if (!id) return undefined;
    const c = this.containers.get(id);
    if (c || id.length >= 64) return c;
    // containerd resolves unique id prefixes (truncindex).
    let found: ContainerRt | undefined;
    for (const [k, v] of this.containers) {
      if (!k.startsWith(id)) continue;
      if (found) return undefined;
      found = v;
    }
    return found;
  }

  private findSandbox(id: string): SandboxRt | undefined {
    if (!id) return undefined;
    const s = this.sandboxes.get(id);
    if (s || id.length >= 64) return s;
    let found: SandboxRt | undefined;
    for (const [k, v] of this.sandboxes) {
      if (!k.startsWith(id)) continue;
      if (found) return undefined;
      found = v;
    }
    return found;
  }

  /** containerd validateTargetContainer: the target exists, is in the same sandbox and is running. */
  private invalidPidTarget(sandboxId: string, targetId: string): { text: string; notFound: boolean } | undefined {
    const t = this.findContainer(targetId);
    if (!t) return { text: `container ${JSON.stringify(targetId)} does not exist: not found`, notFound: true };
    if (t.rec.sandboxId !== sandboxId) {
      return { text: `container ${JSON.stringify(targetId)} (sandbox ${t.rec.sandboxId}) does not belong to sandbox ${sandboxId}`, notFound: false };
    }
    if (t.rec.state !== 'CONTAINER_RUNNING') {
      return { text: `container ${JSON.stringify(targetId)} is not running - in state ${t.rec.state}`, notFound: false };
    }
    return undefined;
  }

  private mustContainer(id: string, prefix = 'an error occurred when try to find container'): ContainerRt {
    const c = this.findContainer(id);
    if (!c) throw notFound(`${prefix} ${JSON.stringify(id)}: not found`);
    return c;
  }

  private mustSandbox(id: string, prefix = 'an error occurred when try to find sandbox'): SandboxRt {
    const s = this.findSandbox(id);
    if (!s) throw notFound(`${prefix} ${JSON.stringify(id)}: not found`);
    return s;
  }

  /** For fault rules matching on names and images. */
  faultSubject(method: string, req: Record<string, any>): FaultSubject {
    const imgs = (ref: unknown): string[] => {
      const r = str(ref);
      if (!r) return [];
      try {
        return [r, normalizeImageRef(r)];
      } catch {
        return [r];
      }
    };
    switch (method) {
      case 'RunPodSandbox':
        return { name: str(req.config?.metadata?.name) };
      case 'CreateContainer':
        return { name: str(req.config?.metadata?.name), images: imgs(req.config?.image?.image) };
      case 'PullImage':
      case 'ImageStatus':
      case 'RemoveImage':
        return { images: imgs(req.image?.image) };
      case 'ListImages':
        return { images: imgs(req.filter?.image?.image) };
    }
    if (typeof req.containerId === 'string' && req.containerId) {
      const c = this.findContainer(req.containerId);
      return c ? { name: c.rec.name, images: [c.rec.image, c.rec.imageTag] } : {};
    }
    if (typeof req.podSandboxId === 'string' && req.podSandboxId) {
      const s = this.findSandbox(req.podSandboxId);
      return s ? { name: s.rec.name } : {};
    }
    return {};
  }

  // ---------------------------------------------------------------- version, status

  version(): cri.VersionResponse {
    return { version: RUNTIME_VERSION, runtimeName: RUNTIME_NAME, runtimeVersion: RUNTIME_VERSION, runtimeApiVersion: 'v1' };
  }

  status(verbose: boolean): cri.StatusResponse {
    const info: StrMap = {};
    if (verbose) info.config = JSON.stringify({ stateDir: this.stateDir, autoPullImages: this.autoPull, containers: this.containers.size, sandboxes: this.sandboxes.size });
    return {
      status: {
        conditions: [
          { type: 'RuntimeReady', status: true, reason: '', message: '' },
          { type: 'NetworkReady', status: true, reason: '', message: '' },
        ],
      },
      info,
    };
  }

  // ---------------------------------------------------------------- sandboxes

  runPodSandbox(req: Record<string, any>): cri.RunPodSandboxResponse {
    const config = req.config;
    const md = config?.metadata;
    if (!md) throw unknownErr('sandbox config must include metadata');
    const name = str(md.name);
    const uid = str(md.uid);
    const namespace = str(md.namespace);
    const attempt = Number(md.attempt ?? 0);
    if (!name) throw invalidArg('sandbox config metadata.name must not be empty');
    const id = newId();
    // containerd's makeSandboxName: <name>_<namespace>_<uid>_<attempt>.
    const reservedName = `${name}_${namespace}_${uid}_${attempt}`;
    const holder = this.sandboxNames.get(reservedName);
    if (holder) throw unknownErr(`failed to reserve sandbox name ${JSON.stringify(reservedName)}: name ${JSON.stringify(reservedName)} is reserved for ${JSON.stringify(holder)}`);
    const rec: SandboxRec = {
      id,
      name,
      uid,
      namespace,
      attempt,
      reservedName,
      state: 'SANDBOX_READY',
      createdAt: nowNs().toString(),
      labels: copyMap(config.labels),
      annotations: copyMap(config.annotations),
      logDirectory: str(config.logDirectory),
      hostname: str(config.hostname),
      runtimeHandler: str(req.runtimeHandler),
      namespaceOptions: config.linux?.securityContext?.namespaceOptions ?? null,
    };
    const sb: SandboxRt = { rec, containers: new Set() };
    this.sandboxes.set(id, sb);
    this.sandboxNames.set(reservedName, id);
    this.store.put('sandboxes', id, () => rec);
    this.emit('CONTAINER_CREATED_EVENT', id, id);
    this.emit('CONTAINER_STARTED_EVENT', id, id);
    return { podSandboxId: id };
  }

  /** containerd: stops every container with timeout 0, then marks the sandbox NOTREADY. Idempotent. */
  async stopPodSandbox(id: string): Promise<void> {
    const sb = this.mustSandbox(id);
    await Promise.all([...sb.containers].map((cid) => this.forceStop(cid)));
    if (sb.rec.state !== 'SANDBOX_NOTREADY') {
      sb.rec.state = 'SANDBOX_NOTREADY';
      this.store.put('sandboxes', sb.rec.id, () => sb.rec);
      this.emit('CONTAINER_STOPPED_EVENT', sb.rec.id, sb.rec.id);
    }
  }

  /**
   * containerd 1.6 (sandbox_remove.go): an unknown id is not an error (the
   * removal is idempotent), a READY sandbox is force-stopped first, and its
   * containers are removed with it. We do the same.
   */
  async removePodSandbox(id: string): Promise<void> {
    const sb = this.findSandbox(id);
    if (!sb) return;
    await this.stopPodSandbox(sb.rec.id);
    await Promise.all([...sb.containers].map((cid) => this.removeContainer(cid)));
    if (!this.sandboxes.has(sb.rec.id)) return; // a concurrent removal won
    this.sandboxes.delete(sb.rec.id);
    this.sandboxNames.delete(sb.rec.reservedName);
    this.store.del('sandboxes', sb.rec.id);
    this.emit('CONTAINER_DELETED_EVENT', sb.rec.id, sb.rec.id);
  }

  private sandboxStatus(sb: SandboxRt): cri.PodSandboxStatus {
    const r = sb.rec;
    return {
      id: r.id,
      metadata: { name: r.name, uid: r.uid, namespace: r.namespace, attempt: r.attempt },
      state: r.state,
      createdAt: r.createdAt,
      // Every sandbox shares the host network namespace.
      network: { ip: '127.0.0.1', additionalIps: [] },
      linux: { namespaces: { options: r.namespaceOptions ?? { network: 'NODE', pid: 'POD', ipc: 'POD', targetId: '' } } },
      labels: r.labels,
      annotations: r.annotations,
      runtimeHandler: r.runtimeHandler,
    };
  }

  private statusesOf(sb: SandboxRt): cri.ContainerStatus[] {
    const out: cri.ContainerStatus[] = [];
    for (const cid of sb.containers) {
      const c = this.containers.get(cid);
      if (c) out.push(this.containerStatusOf(c));
    }
    return out;
  }

  podSandboxStatus(id: string, verbose: boolean): cri.PodSandboxStatusResponse {
    const sb = this.mustSandbox(id);
    const info: StrMap = {};
    if (verbose) info.info = JSON.stringify({ pid: 0, runtimeHandler: sb.rec.runtimeHandler, hostNetwork: true, logDirectory: sb.rec.logDirectory });
    return { status: this.sandboxStatus(sb), info, containersStatuses: this.statusesOf(sb), timestamp: nowNs().toString() };
  }

  listPodSandbox(filter: Record<string, any> | null | undefined): cri.ListPodSandboxResponse {
    let list: Iterable<SandboxRt> = this.sandboxes.values();
    const fid = str(filter?.id);
    if (fid) {
      const one = this.findSandbox(fid);
      list = one ? [one] : [];
    }
    const state = filter?.state ? str(filter.state.state) : '';
    const sel = Object.entries(copyMap(filter?.labelSelector));
    const items: cri.PodSandbox[] = [];
    for (const sb of list) {
      const r = sb.rec;
      if (state && r.state !== state) continue;
      if (sel.length && !sel.every(([k, v]) => r.labels[k] === v)) continue;
      items.push({
        id: r.id,
        metadata: { name: r.name, uid: r.uid, namespace: r.namespace, attempt: r.attempt },
        state: r.state,
        createdAt: r.createdAt,
        labels: r.labels,
        annotations: r.annotations,
        runtimeHandler: r.runtimeHandler,
      });
    }
    return { items };
  }

  // ---------------------------------------------------------------- containers

  createContainer(req: Record<string, any>): cri.CreateContainerResponse {
    const sb = this.findSandbox(str(req.podSandboxId));
    if (!sb) throw notFound(`failed to find sandbox id ${JSON.stringify(str(req.podSandboxId))}: not found`);
    const config = req.config;
    const md = config?.metadata;
    if (!md) throw unknownErr('container config must include metadata');
    // containerd 1.6.20 dereferences sandbox_config unchecked and panics; answer cleanly instead.
    const sbConfig = req.sandboxConfig;
    if (!sbConfig) throw invalidArg('CreateContainerRequest.sandbox_config is required');
    const name = str(md.name);
    const attempt = Number(md.attempt ?? 0);
    if (!name) throw invalidArg('container config metadata.name must not be empty');
    const sbMd = sbConfig.metadata ?? { name: sb.rec.name, namespace: sb.rec.namespace, uid: sb.rec.uid };
    // containerd's makeContainerName: <name>_<sandbox name>_<namespace>_<uid>_<attempt>.
    const reservedName = `${name}_${str(sbMd.name)}_${str(sbMd.namespace)}_${str(sbMd.uid)}_${attempt}`;
    const holder = this.containerNames.get(reservedName);
    if (holder) throw unknownErr(`failed to reserve container name ${JSON.stringify(reservedName)}: name ${JSON.stringify(reservedName)} is reserved for ${JSON.stringify(holder)}`);

    const imageRefRaw = str(config.image?.image);
    let img: ImageRec | undefined = imageRefRaw ? this.images.resolve(imageRefRaw) : undefined;
    if (!img && this.autoPull && imageRefRaw) {
      try {
        img = this.images.pull(imageRefRaw);
      } catch (err) {
        throw unknownErr(`failed to pull image ${JSON.stringify(imageRefRaw)}: ${(err as Error).message}`);
      }
    }
    if (!img) throw notFound(`failed to resolve image ${JSON.stringify(imageRefRaw)}: not found`);
    // containerd 1.6 asks the sandbox's task for its pid here; a stopped sandbox has none.
    if (sb.rec.state !== 'SANDBOX_READY') {
      throw notFound(`failed to get sandbox container task: no running task found: task ${sb.rec.id} not found: not found`);
    }

    // No mount namespace: a container here sees the host's filesystem, so a mount cannot be honoured.
    // The message names the mount and carries no container ID, so retries aggregate into one event.
    const mounts = ((config.mounts as cri.Mount[] | undefined) ?? []).filter((m) => m && (m.containerPath || m.hostPath));
    if (mounts.length > 0) {
      const m = mounts[0]!;
      const more = mounts.length > 1 ? ` (and ${mounts.length - 1} more)` : '';
      throw unknownErr(
        `the embedded runtime cannot mount ${JSON.stringify(str(m.hostPath))} at ${JSON.stringify(str(m.containerPath))}${more} for container ${JSON.stringify(name)}: it runs containers as host processes, without a mount namespace; run pods with volumes on containerd`,
      );
    }
    const id = newId();
    const argv = [...((config.command as string[] | undefined) ?? []), ...((config.args as string[] | undefined) ?? [])].map(String);
    if (argv.length === 0) {
      // containerd: "no command specified" when neither image nor config give one; our images have no entrypoint.
      throw invalidArg(
        `failed to generate container ${JSON.stringify(id)} spec for ${JSON.stringify(name)}: no command specified (the embedded runtime has no image entrypoint: set ContainerConfig.command or args)`,
      );
    }
    // pid TARGET (an ephemeral container joining another's PID namespace): containerd's
    // validateTargetContainer; processes here share the host's namespaces, so this is all it means.
    const nsOpts = config.linux?.securityContext?.namespaceOptions;
    if (nsOpts?.pid === 'TARGET') {
      const problem = this.invalidPidTarget(sb.rec.id, str(nsOpts.targetId));
      if (problem) {
        const text = `failed to generate container ${JSON.stringify(id)} spec: invalid target container: ${problem.text}`;
        throw problem.notFound ? notFound(text) : unknownErr(text);
      }
    }
    // As containerd: the log directory comes from the request's sandbox_config.
    const logDir = str(sbConfig.logDirectory);
    const logRel = str(config.logPath);
    const sc = config.linux?.securityContext;
    const rec: ContainerRec = {
      id,
      sandboxId: sb.rec.id,
      name,
      attempt,
      reservedName,
      image: imageRefRaw,
      imageAnnotations: copyMap(config.image?.annotations),
      imageRef: img.id,
      imageTag: img.ref,
      argv,
      envs: ((config.envs as cri.KeyValue[] | undefined) ?? []).map((kv) => ({ key: str(kv.key), value: str(kv.value) })),
      workingDir: str(config.workingDir),
      uid: intOrNull(sc?.runAsUser),
      gid: intOrNull(sc?.runAsGroup),
      labels: copyMap(config.labels),
      annotations: copyMap(config.annotations),
      mounts: (config.mounts as cri.Mount[] | undefined) ?? [],
      // containerd only writes a log file when the sandbox has a log directory.
      logPath: logDir && logRel ? join(logDir, logRel) : '',
      state: 'CONTAINER_CREATED',
      createdAt: nowNs().toString(),
      startedAt: '0',
      finishedAt: '0',
      exitCode: 0,
      reason: '',
      message: '',
      pid: 0,
      pidStartTime: '',
      io: null,
      resources: (config.linux?.resources as cri.Out<'LinuxContainerResources'> | null | undefined) ?? null,
      stopSignal: (str(config.stopSignal) || 'RUNTIME_DEFAULT') as cri.Signal,
    };
    const c = this.newRt(rec);
    this.containers.set(id, c);
    this.containerNames.set(reservedName, id);
    sb.containers.add(id);
    this.persistContainer(c);
    this.emit('CONTAINER_CREATED_EVENT', id, sb.rec.id);
    return { containerId: id };
  }

  private newRt(rec: ContainerRec): ContainerRt {
    let resolveExited!: () => void;
    const exited = new Promise<void>((r) => (resolveExited = r));
    return {
      rec,
      recovered: false,
      starting: null,
      removing: false,
      exited,
      resolveExited,
      exitHandled: false,
      sentKill: false,
      tails: [],
      writer: null,
      cpuPrev: null,
      fastPoll: null,
    };
  }

  private persistContainer(c: ContainerRt): void {
    const rec = c.rec;
    this.store.put('containers', rec.id, () => {
      // Offsets exclude a buffered partial line, so a restarted runtime re-reads it.
      if (rec.io && c.tails.length) {
        for (const t of c.tails) rec.io[t.stream] = t.offset - t.pendingBytes;
      }
      return rec;
    });
  }

  private envOf(rec: ContainerRec): NodeJS.ProcessEnv {
    const sb = this.sandboxes.get(rec.sandboxId);
    const env: NodeJS.ProcessEnv = {
      PATH: DEFAULT_PATH,
      HOME: process.env.HOME || '/root',
      HOSTNAME: sb?.rec.hostname || osHostname(),
    };
    for (const kv of rec.envs) env[kv.key] = kv.value;
    return env;
  }

  private spawnOptions(rec: ContainerRec): LaunchOptions {
    const o: LaunchOptions = { cwd: rec.workingDir || '/', env: this.envOf(rec) };
    const myUid = process.getuid?.();
    if (rec.uid !== null && rec.uid !== myUid) {
      o.uid = rec.uid;
      o.gid = rec.gid ?? 0;
    } else if (rec.gid !== null && rec.gid !== process.getgid?.()) o.gid = rec.gid;
    return o;
  }

  /**
   * An injected StartContainer failure leaves the container as a real one does on
   * containerd: EXITED, exit 128, reason StartError (faults are meant to look real).
   */
  failStartByFault(id: string, message: string): void {
    const c = this.containers.get(id);
    if (!c || c.rec.state !== 'CONTAINER_CREATED') return;
    c.rec.state = 'CONTAINER_EXITED';
    c.rec.finishedAt = nowNs().toString();
    c.rec.exitCode = START_ERROR_EXIT_CODE;
    c.rec.reason = 'StartError';
    c.rec.message = message;
    c.exitHandled = true;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.mustContainer(id);
    const rec = c.rec;
    if (c.removing) throw unknownErr(`failed to set starting state for container ${JSON.stringify(rec.id)}: container is in removing state, can't be started`);
    if (c.starting) throw unknownErr(`failed to set starting state for container ${JSON.stringify(rec.id)}: container is already in starting state`);
    if (rec.state !== 'CONTAINER_CREATED') throw unknownErr(`failed to set starting state for container ${JSON.stringify(rec.id)}: container is in ${rec.state} state`);
    c.starting = this.doStart(c);
    try {
      await c.starting;
    } catch (err) {
      // containerd: a failed start leaves the container EXITED, exit 128, reason StartError.
      rec.state = 'CONTAINER_EXITED';
      rec.finishedAt = nowNs().toString();
      rec.exitCode = START_ERROR_EXIT_CODE;
      rec.reason = 'StartError';
      rec.message = (err as Error).message;
      rec.pid = 0;
      c.exitHandled = true;
      await Promise.all(c.tails.map((t) => t.finish(true)));
      for (const t of c.tails) this.io.delete(`${rec.id}-${t.stream}`);
      await c.writer?.close();
      c.resolveExited();
      this.persistContainer(c);
      this.emit('CONTAINER_STOPPED_EVENT', rec.id, rec.sandboxId);
      throw err instanceof RuntimeError ? err : unknownErr((err as Error).message);
    } finally {
      c.starting = null;
    }
  }

  private async doStart(c: ContainerRt): Promise<void> {
    const rec = c.rec;
    const sb = this.sandboxes.get(rec.sandboxId);
    if (!sb || sb.rec.state !== 'SANDBOX_READY') throw unknownErr(`sandbox container ${JSON.stringify(rec.sandboxId)} is not running`);
    if (rec.workingDir) {
      const st = await stat(rec.workingDir).catch(() => null);
      if (!st?.isDirectory()) {
        throw unknownErr(`${OCI_START_PREFIX}chdir to cwd (${JSON.stringify(rec.workingDir)}) set in config.json failed: ${st ? 'not a directory' : 'no such file or directory'}: unknown`);
      }
    }
    if (rec.logPath) {
      const dir = dirname(rec.logPath);
      if (!this.madeDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      c.writer = new LogWriter(rec.logPath, (err) => this.log(`writing log ${rec.logPath} failed: ${String(err)}`));
      try {
        await c.writer.open();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // The kubelet removed the pod's log directory since we created it.
        await mkdir(dir, { recursive: true });
        c.writer = new LogWriter(rec.logPath, (e) => this.log(`writing log ${rec.logPath} failed: ${String(e)}`));
        await c.writer.open();
      }
    }
    // Tail before the process exists, so no change event for its first write is missed.
    if (rec.logPath) {
      rec.io = { stdout: 0, stderr: 0 };
      this.attachTails(c);
    }
    let pid: number;
    let startTime: string;
    try {
      const raw = rec.logPath ? [this.rawPath(rec.id, 'stdout'), this.rawPath(rec.id, 'stderr')] : [];
      ({ pid, startTime } = await this.launcher.spawn(rec.argv[0]!, rec.argv.slice(1), this.spawnOptions(rec), raw[0], raw[1]));
    } catch (err) {
      throw unknownErr(`${OCI_START_PREFIX}${execErrorText(rec.argv[0]!, err)}: unknown`);
    }
    rec.pid = pid;
    // The start time identifies this process after a runtime restart (pids get reused).
    rec.pidStartTime = startTime;
    rec.state = 'CONTAINER_RUNNING';
    rec.startedAt = nowNs().toString();
    this.persistContainer(c);
    this.emit('CONTAINER_STARTED_EVENT', rec.id, rec.sandboxId);
    const early = this.earlyExits.get(pid);
    if (early !== undefined) {
      this.earlyExits.delete(pid);
      void this.handleExit(c, early);
    } else this.byPid.set(pid, c);
  }

  private rawPath(id: string, stream: StreamName): string {
    return join(this.ioDir, `${id}-${stream}`);
  }

  private attachTails(c: ContainerRt): void {
    const rec = c.rec;
    if (!rec.io || !rec.logPath) return;
    c.writer ??= new LogWriter(rec.logPath, (err) => this.log(`writing log ${rec.logPath} failed: ${String(err)}`));
    for (const stream of ['stdout', 'stderr'] as const) {
      const t = new StreamTail(this.rawPath(rec.id, stream), stream, c.writer, rec.io[stream], (err) => this.log(`reading ${stream} of ${rec.id} failed: ${String(err)}`));
      c.tails.push(t);
      this.io.add(`${rec.id}-${stream}`, t, c.recovered);
    }
  }

  private async detachTails(c: ContainerRt): Promise<void> {
    await Promise.all(c.tails.map((t) => t.finish(false)));
    for (const t of c.tails) this.io.delete(`${c.rec.id}-${t.stream}`);
    await c.writer?.close();
  }

  private async handleExit(c: ContainerRt, exitCode: number, reason?: string, message = ''): Promise<void> {
    if (c.exitHandled) return;
    c.exitHandled = true;
    this.recovered.delete(c);
    if (c.fastPoll) clearInterval(c.fastPoll);
    c.fastPoll = null;
    const rec = c.rec;
    // The container is its process group: when its main process ends, so does
    // everything it left behind (as when a pid namespace's init exits).
    // (Not for a found-again process: its pid may belong to someone else by now.)
    if (!c.recovered && !c.sentKill) killGroup(rec.pid, 'SIGKILL');
    // containerd marks the exit only after the IO is drained.
    await Promise.all(c.tails.map((t) => t.finish(true)));
    for (const t of c.tails) this.io.delete(`${rec.id}-${t.stream}`);
    await c.writer?.close();
    rec.state = 'CONTAINER_EXITED';
    rec.finishedAt = nowNs().toString();
    rec.exitCode = exitCode;
    rec.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    rec.message = message;
    rec.pid = 0;
    this.persistContainer(c);
    this.emit('CONTAINER_STOPPED_EVENT', rec.id, rec.sandboxId);
    c.resolveExited();
  }

  /** SIGTERM the group, SIGKILL after `timeoutSec` (0: at once), and wait for the exit. */
  private async killAndWait(c: ContainerRt, timeoutSec: number): Promise<void> {
    if (c.exitHandled) return;
    let timer: NodeJS.Timeout | null = null;
    if (c.recovered) {
      // Not our child: make sure the pid is still the same process before signalling.
      const st = await readProcStat(c.rec.pid);
      if (!st || st.startTime !== c.rec.pidStartTime) {
        await this.checkRecovered(c);
        return c.exited;
      }
      c.fastPoll ??= setInterval(() => void this.checkRecovered(c), RECOVERED_STOP_POLL_MS);
    }
    const kill = () => {
      c.sentKill = true;
      killGroup(c.rec.pid, 'SIGKILL');
    };
    if (timeoutSec > 0) {
      killGroup(c.rec.pid, stopSignalNumber(c.rec.stopSignal));
      timer = setTimeout(kill, timeoutSec * 1000);
    } else kill();
    try {
      await c.exited;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * containerd: only RUNNING (or UNKNOWN) containers are signalled; stopping a
   * CREATED or EXITED container is a no-op that succeeds.
   */
  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    const c = this.mustContainer(id);
    if (c.starting) await c.starting.catch(() => {});
    if (c.rec.state !== 'CONTAINER_RUNNING') return;
    await this.killAndWait(c, Number.isFinite(timeoutSec) ? timeoutSec : 0);
  }

  private async forceStop(cid: string): Promise<void> {
    const c = this.containers.get(cid);
    if (!c) return;
    if (c.starting) await c.starting.catch(() => {});
    if (c.rec.state === 'CONTAINER_RUNNING') await this.killAndWait(c, 0);
  }

  /** containerd: unknown ids succeed (idempotent); a running container is force-stopped first. */
  async removeContainer(id: string): Promise<void> {
    const c = this.findContainer(id);
    if (!c || c.removing) return;
    c.removing = true;
    try {
      await this.forceStop(c.rec.id);
    } catch (err) {
      c.removing = false;
      throw err;
    }
    const rec = c.rec;
    this.containers.delete(rec.id);
    this.containerNames.delete(rec.reservedName);
    this.sandboxes.get(rec.sandboxId)?.containers.delete(rec.id);
    this.store.del('containers', rec.id);
    // The CRI log file stays (the kubelet removes it); the raw output files are ours.
    if (rec.io) for (const s of ['stdout', 'stderr'] as const) void unlink(this.rawPath(rec.id, s)).catch(() => {});
    this.emit('CONTAINER_DELETED_EVENT', rec.id, rec.sandboxId);
  }

  private containerStatusOf(c: ContainerRt): cri.ContainerStatus {
    const r = c.rec;
    return {
      id: r.id,
      metadata: { name: r.name, attempt: r.attempt },
      state: r.state,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      exitCode: r.exitCode,
      image: { image: r.imageTag, annotations: r.imageAnnotations },
      imageRef: r.imageRef,
      reason: r.reason,
      message: r.message,
      labels: r.labels,
      annotations: r.annotations,
      mounts: r.mounts,
      logPath: r.logPath,
      resources: r.resources ? { linux: r.resources } : null,
      // The effective stop signal: the config's, else SIGTERM (no image here has a STOPSIGNAL).
      stopSignal: r.stopSignal && r.stopSignal !== 'RUNTIME_DEFAULT' ? r.stopSignal : 'SIGTERM',
    };
  }

  /**
   * UpdateContainerResources (KEP-1287), as containerd applies it: the non-zero fields of the
   * request replace the container's; the new values are reported by ContainerStatus. Nothing
   * is enforced: processes here run in no cgroup of their own.
   */
  updateContainerResources(id: string, linux: Record<string, any> | null | undefined): void {
    const c = this.mustContainer(id);
    if (!linux) return;
    const cur: Record<string, any> = { ...(c.rec.resources ?? {}) };
    for (const [k, v] of Object.entries(linux)) {
      const empty = v === undefined || v === null || v === '' || v === '0' || v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
      if (!empty) cur[k] = v;
    }
    c.rec.resources = cur as cri.Out<'LinuxContainerResources'>;
    this.persistContainer(c);
  }

  containerStatus(id: string, verbose: boolean): cri.ContainerStatusResponse {
    const c = this.mustContainer(id);
    const info: StrMap = {};
    if (verbose) {
      const r = c.rec;
      info.info = JSON.stringify({ sandboxID: r.sandboxId, pid: r.pid, argv: r.argv, workingDir: r.workingDir || '/', recovered: c.recovered, pidStartTime: r.pidStartTime });
    }
    return { status: this.containerStatusOf(c), info };
  }

  listContainers(filter: Record<string, any> | null | undefined): cri.ListContainersResponse {
    let list: Iterable<ContainerRt> = this.containers.values();
    const fid = str(filter?.id);
    if (fid) {
      const one = this.findContainer(fid);
      list = one ? [one] : [];
    }
    let sbId = str(filter?.podSandboxId);
    if (sbId) {
      // containerd resolves a (prefix) sandbox id when it can, else compares as given.
      const sb = this.findSandbox(sbId);
      if (sb) {
        sbId = sb.rec.id;
        if (!fid) list = [...sb.containers].map((id) => this.containers.get(id)!).filter(Boolean);
      }
    }
    const state = filter?.state ? str(filter.state.state) : '';
    const sel = Object.entries(copyMap(filter?.labelSelector));
    const containers: cri.Container[] = [];
    for (const c of list) {
      const r = c.rec;
      if (sbId && r.sandboxId !== sbId) continue;
      if (state && r.state !== state) continue;
      if (sel.length && !sel.every(([k, v]) => r.labels[k] === v)) continue;
      containers.push({
        id: r.id,
        podSandboxId: r.sandboxId,
        metadata: { name: r.name, attempt: r.attempt },
        image: { image: r.image, annotations: r.imageAnnotations },
        imageRef: r.imageRef,
        state: r.state,
        createdAt: r.createdAt,
        labels: r.labels,
        annotations: r.annotations,
      });
    }
    return { containers };
  }

  /**
   * Runs `cmd` as a host process with the container's env, working dir and
   * user. `onCancel` registers a hook for a client cancel (kills the exec).
   */
  async execSync(id: string, cmd: string[], timeoutSec: number, onCancel?: (fn: () => void) => void): Promise<cri.ExecSyncResponse> {
    const c = this.findContainer(id);
    if (!c) throw notFound(`failed to exec in container: failed to find container ${JSON.stringify(id)} in store: not found`);
    if (c.rec.state !== 'CONTAINER_RUNNING') throw unknownErr(`failed to exec in container: container is in ${c.rec.state} state`);
    if (!cmd || cmd.length === 0) throw invalidArg('failed to exec in container: ExecSyncRequest.cmd must not be empty');
    const execId = newId();
    let r;
    try {
      r = await this.launcher.exec(cmd[0]!, cmd.slice(1), this.spawnOptions(c.rec), timeoutSec > 0 ? timeoutSec * 1000 : 0, MAX_EXEC_OUTPUT, onCancel);
    } catch (err) {
      throw unknownErr(
        `failed to exec in container: failed to start exec ${JSON.stringify(execId)}: OCI runtime exec failed: exec failed: unable to start container process: ${execErrorText(cmd[0]!, err)}: unknown`,
      );
    }
    if (r.timedOut) throw new RuntimeError(Grpc.DEADLINE_EXCEEDED, `failed to exec in container: timeout ${timeoutSec}s exceeded: context deadline exceeded`);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  }

  // ---------------------------------------------------------------- stats

  private async statsOf(c: ContainerRt): Promise<cri.ContainerStats> {
    const r = c.rec;
    const now = nowNs();
    const ts = now.toString();
    const stats: cri.ContainerStats = {
      attributes: { id: r.id, metadata: { name: r.name, attempt: r.attempt }, labels: r.labels, annotations: r.annotations },
      cpu: null,
      memory: null,
      writableLayer: { timestamp: ts, fsId: { mountpoint: this.stateDir }, usedBytes: { value: '0' }, inodesUsed: { value: '0' } },
    };
    if (r.state !== 'CONTAINER_RUNNING') return stats;
    const [st, rss] = await Promise.all([readProcStat(r.pid), readRssBytes(r.pid)]);
    if (st) {
      const usage = (BigInt(st.utimeTicks + st.stimeTicks) * 1_000_000_000n) / BigInt(CLK_TCK);
      let nanoCores = 0n;
      // usage_nano_cores needs two samples; 0 on the first one (as containerd).
      if (c.cpuPrev && now > c.cpuPrev.at) nanoCores = ((usage - c.cpuPrev.usage) * 1_000_000_000n) / (now - c.cpuPrev.at);
      c.cpuPrev = { at: now, usage };
      stats.cpu = { timestamp: ts, usageCoreNanoSeconds: { value: usage.toString() }, usageNanoCores: { value: (nanoCores < 0n ? 0n : nanoCores).toString() } };
    }
    if (rss !== null) {
      const v = { value: String(rss) };
      stats.memory = { timestamp: ts, workingSetBytes: v, availableBytes: null, usageBytes: v, rssBytes: v, pageFaults: null, majorPageFaults: null };
    }
    return stats;
  }

  /**
   * containerd's ReopenContainerLog: only for a running container; the log file (renamed
   * away by the kubelet's rotation) is closed and a new one opened at the same path.
   */
  async reopenContainerLog(id: string): Promise<void> {
    const c = this.mustContainer(id);
    if (c.rec.state !== 'CONTAINER_RUNNING' || c.exitHandled) throw unknownErr('container is not running');
    if (!c.rec.logPath) return;
    c.writer ??= new LogWriter(c.rec.logPath, (err) => this.log(`writing log ${c.rec.logPath} failed: ${String(err)}`));
    try {
      await c.writer.reopen();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unknownErr(`failed to create and open log file: ${(err as Error).message}`);
      await mkdir(dirname(c.rec.logPath), { recursive: true });
      await c.writer.reopen();
    }
  }

  async containerStats(id: string): Promise<cri.ContainerStatsResponse> {
    const c = this.mustContainer(id, 'failed to find container');
    return { stats: await this.statsOf(c) };
  }

  async listContainerStats(filter: Record<string, any> | null | undefined): Promise<{ stats: cri.ContainerStats[] }> {
    const { containers } = this.listContainers({ id: filter?.id, podSandboxId: filter?.podSandboxId, labelSelector: filter?.labelSelector });
    const stats = await Promise.all(containers.map((x) => this.statsOf(this.containers.get(x.id)!)));
    return { stats };
  }

  // ---------------------------------------------------------------- images

  private imageSpecRef(spec: unknown, field: string): string {
    const ref = str((spec as { image?: unknown } | null | undefined)?.image);
    if (!ref) throw invalidArg(`${field} must name an image`);
    return ref;
  }

  pullImage(req: Record<string, any>): cri.PullImageResponse {
    const ref = this.imageSpecRef(req.image, 'PullImageRequest.image');
    let rec: ImageRec;
    try {
      rec = this.images.pull(ref);
    } catch (err) {
      throw unknownErr(`failed to pull and unpack image ${JSON.stringify(ref)}: failed to resolve reference ${JSON.stringify(ref)}: ${(err as Error).message}`);
    }
    return { imageRef: rec.id };
  }

  imageStatus(req: Record<string, any>): cri.ImageStatusResponse {
    const ref = this.imageSpecRef(req.image, 'ImageStatusRequest.image');
    const rec = this.images.resolve(ref);
    const info: StrMap = {};
    if (rec && req.verbose) info.info = JSON.stringify({ ref: rec.ref, pulledAt: rec.pulledAt });
    return { image: rec ? this.images.toCri(rec) : null, info };
  }

  listImages(filter: Record<string, any> | null | undefined): cri.ListImagesResponse {
    const ref = str(filter?.image?.image);
    if (ref) {
      const rec = this.images.resolve(ref);
      return { images: rec ? [this.images.toCri(rec)] : [] };
    }
    return { images: this.images.list().map((r) => this.images.toCri(r)) };
  }

  /** containerd: removing an absent image succeeds. */
  removeImage(req: Record<string, any>): void {
    this.images.remove(this.imageSpecRef(req.image, 'RemoveImageRequest.image'));
  }

  async imageFsInfo(): Promise<cri.ImageFsInfoResponse> {
    const now = Date.now();
    if (!this.fsUsage || now - this.fsUsage.at > 10_000) this.fsUsage = { at: now, value: diskUsage(this.stateDir) };
    const u = await this.fsUsage.value;
    const bytes = u.bytes + this.images.totalSize();
    return {
      imageFilesystems: [
        { timestamp: nowNs().toString(), fsId: { mountpoint: this.stateDir }, usedBytes: { value: String(bytes) }, inodesUsed: { value: String(u.inodes) } },
      ],
      containerFilesystems: [],
    };
  }
}

/** The exec error text runc/Go give for a binary that cannot be started. */
function execErrorText(bin: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') {
    return bin.includes('/') ? `exec: ${JSON.stringify(bin)}: stat ${bin}: no such file or directory` : `exec: ${JSON.stringify(bin)}: executable file not found in $PATH`;
  }
  if (code === 'EACCES') return `exec: ${JSON.stringify(bin)}: permission denied`;
  if (code === 'EPERM') return `exec: ${JSON.stringify(bin)}: operation not permitted`;
  return `exec: ${JSON.stringify(bin)}: ${(err as Error)?.message ?? String(err)}`;
}

/** Rough `du` of a directory tree (bytes, inodes); errors on vanishing files are ignored. */
async function diskUsage(dir: string): Promise<{ bytes: number; inodes: number }> {
  let bytes = 0;
  let inodes = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    inodes++;
    for (const n of names) {
      const p = join(d, n);
      const st = await lstat(p).catch(() => null);
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else {
        inodes++;
        bytes += st.blocks * 512 || st.size;
      }
    }
  };
  await walk(dir);
  return { bytes, inodes };
}

