// `statelet run`: runs one pod from a v1 Pod manifest, like a kubelet running a
// static pod, and reports it as a live view (text) or NDJSON (json).
import { readFileSync, watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { Option, type Command } from 'commander';
import { formatFieldError, loadPod, ManifestError, validatePodUpdate, type FieldError } from '../k8s/manifest.js';
import type { Event, Pod, PodStatus } from '../k8s/types.js';
import { describeEvents } from '../k8s/events.js';
import { goDuration } from '../k8s/format.js';
import { CriClient } from '../cri/client.js';
import { RuntimeManager, type PodDetails, type TransitionRecord } from '../manager.js';
// The embedded runtime and the inspection outputs load when used (not with
// --runtime-endpoint, not without --inspect flags): src/lazy-entry.ts.
import { startEmbeddedRuntime, startInspection } from '../lazy-entry.js';
import type { EmbeddedRuntime } from '../runtime/index.js';
import type { InspectionOptions, InspectionSession } from '../inspect/session.js';
import { addInspectOptions, inspectOptionsFrom } from './inspect-flags.js';
import { addKubeletOptions, kubeletOptionsFrom } from './kubelet-flags.js';
import { DEFAULT_FEATURE_GATES, type FeatureGates } from '../../machines/features.js';
import { podLogDirectory } from '../kuberuntime/config.js';
import { AdoptingCriClient, AdoptionRegistry, adoptionActors } from '../node/adoption.js';
import { loadStaticPod, manifestSource, nodeNameOf } from '../node/static-pod.js';
import { acquireRunLock, addOrAdopt } from '../node/run-adoption.js';
import { DEFAULT_CONTAINER_LOG_MAX_FILES, DEFAULT_CONTAINER_LOG_MAX_SIZE } from '../node/container-logs.js';
import { inspectorFailure, parseLogSize } from './serve.js';
import { eventLine, podLine } from '../node/sinks.js';

export interface RunOptions {
  runtimeEndpoint?: string;
  output: 'text' | 'json';
  gracePeriod?: number;
  /** --inspect, --stately, --stately-url and their companions (src/cli/inspect-flags.ts). */
  inspection?: InspectionOptions;
  stateDir?: string;
  podLogsDir?: string;
  /** The kubelet's --root-dir: pod directories with their volumes. */
  rootDir?: string;
  runtimeRequestTimeout: number;
  backoffInitial?: number;
  /** The kubelet's maxContainerRestartPeriod (1–300 s; checked by the flag parser). */
  backoffMax?: number;
  /** Kubelet feature gates (--feature-gates; default: the 1.36 defaults). */
  featureGates?: FeatureGates;
  hookTimeout?: number;
  podWorkerRetry?: number;
  watch: boolean;
  /** The kubelet's containerLogMaxSize (bytes; 0 disables rotation) and containerLogMaxFiles. */
  containerLogMaxSize?: number;
  containerLogMaxFiles?: number;
}

const seconds = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a number of seconds >= 0, got ${JSON.stringify(v)}`);
  return n;
};

export function registerRunCommand(program: Command, setExitCode: (code: number) => void): void {
  const run = program
    .command('run')
    .description('run a pod from a v1 Pod manifest (YAML or JSON; - for stdin) until it ends or is deleted')
    .argument('<manifest>', 'path to the manifest, or - to read stdin')
    .option('--runtime-endpoint <endpoint>', 'CRI endpoint (unix:///path); default: start the embedded runtime in-process')
    .addOption(new Option('--output <format>', 'text: a live view; json: NDJSON Kubernetes objects on stdout').choices(['text', 'json']).default('text'))
    .option('--grace-period <seconds>', 'grace period for the deletion on the first SIGINT/SIGTERM (default: terminationGracePeriodSeconds)', seconds('--grace-period'))
    .option('--state-dir <dir>', 'state directory of the embedded runtime (default: a fresh temporary directory)')
    .option('--pod-logs-dir <dir>', 'root of pod log directories (the kubelet\'s /var/log/pods)')
    .option('--root-dir <dir>', 'the kubelet\'s --root-dir: pods/<uid> holds each pod\'s volumes (default: beside the pod logs)')
    .option('--runtime-request-timeout <seconds>', 'deadline for CRI calls (the kubelet\'s --runtime-request-timeout)', seconds('--runtime-request-timeout'), 120)
    .option('--hook-timeout <seconds>', 'fail postStart hooks that run longer than this (statelet extension; default 0 = no timeout, as the kubelet)', seconds('--hook-timeout'))
    .option('--pod-worker-retry <seconds>', 'retry period after a failed sync step that is not a back-off (kubelet: 10, plus up to 50% jitter)', seconds('--pod-worker-retry'))
    .option('--no-watch', 'do not watch the manifest file for changes')
    .option('--container-log-max-size <quantity>', 'rotate a container\'s log at this size (the kubelet\'s containerLogMaxSize; 0 disables)', parseLogSize, DEFAULT_CONTAINER_LOG_MAX_SIZE)
    .option('--container-log-max-files <n>', 'log files kept per container, the live one included (containerLogMaxFiles)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 2) throw new Error(`--container-log-max-files: expected an integer >= 2, got ${JSON.stringify(v)}`);
      return n;
    }, DEFAULT_CONTAINER_LOG_MAX_FILES)
    .action(async (manifest: string, raw: Record<string, unknown>, cmd: Command) => {
      const inspection = inspectOptionsFrom(raw, cmd);
      const kubelet = kubeletOptionsFrom(raw, cmd);
      const code = await runPod(manifest, {
        runtimeEndpoint: raw['runtimeEndpoint'] as string | undefined,
        output: raw['output'] as 'text' | 'json',
        gracePeriod: raw['gracePeriod'] as number | undefined,
        inspection,
        stateDir: raw['stateDir'] as string | undefined,
        podLogsDir: raw['podLogsDir'] as string | undefined,
        rootDir: raw['rootDir'] as string | undefined,
        runtimeRequestTimeout: raw['runtimeRequestTimeout'] as number,
        backoffInitial: raw['backoffInitial'] as number | undefined,
        backoffMax: raw['backoffMax'] as number | undefined,
        featureGates: kubelet.featureGates,
        hookTimeout: raw['hookTimeout'] as number | undefined,
        podWorkerRetry: raw['podWorkerRetry'] as number | undefined,
        watch: raw['watch'] !== false,
        containerLogMaxSize: raw['containerLogMaxSize'] as number | undefined,
        containerLogMaxFiles: raw['containerLogMaxFiles'] as number | undefined,
      });
      setExitCode(code);
    });
  addKubeletOptions(run);
  addInspectOptions(run);
}

function readManifest(path: string): string {
  return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
}

/** Runs the pod; resolves the exit code (0 Succeeded or deleted, 1 Failed, 2 invalid manifest). */
export async function runPod(manifestPath: string, opts: RunOptions): Promise<number> {
  const err = (line: string) => process.stderr.write(`statelet: ${line}\n`);
  const gates = opts.featureGates ?? DEFAULT_FEATURE_GATES;
  let pod: Pod;
  try {
    // Without metadata.uid the UID is derived as a static pod's (node, source, content): the
    // same manifest run again finds, and adopts, what a killed run left in the runtime.
    pod = loadStaticPod(readManifest(manifestPath), { nodeName: nodeNameOf(), source: manifestSource(manifestPath), suffixName: false, gates });
  } catch (e) {
    if (e instanceof ManifestError) {
      err(`invalid manifest ${manifestPath === '-' ? '(stdin)' : manifestPath}:`);
      for (const fe of e.errors) process.stderr.write(`  ${describeFieldError(fe)}\n`);
      return 2;
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      err(`cannot read manifest ${manifestPath}: no such file`);
      return 2;
    }
    throw e;
  }

  const json = opts.output === 'json';
  const out = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');

  let runtime: EmbeddedRuntime | undefined;
  let endpoint = opts.runtimeEndpoint;
  if (!endpoint) {
    runtime = await startEmbeddedRuntime({ stateDir: opts.stateDir, killOnClose: true });
    endpoint = runtime.endpoint;
    if (!json) err(`embedded runtime on ${endpoint} (containers run as host processes; see README)`);
  }
  const registry = new AdoptionRegistry();
  const client = new AdoptingCriClient({ endpoint, runtimeRequestTimeoutMs: opts.runtimeRequestTimeout * 1000, registry, log: err });
  let inspection: InspectionSession;
  try {
    inspection = await startInspection(opts.inspection ?? {}, { log: (m) => err(m) });
  } catch (e) {
    err(inspectorFailure(opts.inspection ?? {}, e));
    client.close();
    await runtime?.close();
    return 1;
  }
  const podLogsDir = opts.podLogsDir ?? (runtime ? join(runtime.stateDir, 'pods') : join(tmpdir(), 'statelet-pods'));
  // The pod directories (emptyDir volumes and the like) sit beside the pod logs unless --root-dir says otherwise.
  const rootDir = opts.rootDir ?? (runtime ? join(runtime.stateDir, 'kubelet') : join(tmpdir(), 'statelet-kubelet'));
  const manager = new RuntimeManager({
    client,
    podLogsDir,
    rootDir,
    transitions: json,
    inspect: inspection.inspect,
    backOff:
      opts.backoffInitial !== undefined || opts.backoffMax !== undefined
        ? { initialMs: opts.backoffInitial !== undefined ? opts.backoffInitial * 1000 : undefined, maxMs: opts.backoffMax !== undefined ? opts.backoffMax * 1000 : undefined }
        : undefined,
    container: { featureGates: { ...gates }, ...(opts.hookTimeout ? { hookTimeoutMs: opts.hookTimeout * 1000 } : {}) },
    podWorkerRetryMs: opts.podWorkerRetry !== undefined ? opts.podWorkerRetry * 1000 : undefined,
    containerLogMaxSize: opts.containerLogMaxSize,
    containerLogMaxFiles: opts.containerLogMaxFiles,
    // An adopted instance is not started again, nor its postStart run again.
    wrapActors: adoptionActors(registry),
    log: (m) => err(m),
  });
  inspection.attach(manager);

  const cleanup = async () => {
    await manager.close();
    client.close();
    await inspection.close();
    await runtime?.close();
  };

  try {
    await manager.start();
  } catch (e) {
    err(`cannot reach the container runtime at ${endpoint}: ${(e as Error).message}`);
    await cleanup();
    return 1;
  }

  const view = json ? undefined : new LiveView(manager, pod, podLogDirectory(podLogsDir, pod));
  let lastStatus: PodStatus | undefined;
  manager.events$.subscribe((ev) => (json ? out(eventLine(ev)) : view!.onEvent(ev)));
  manager.transitions$.subscribe((t: TransitionRecord) => json && out(t));

  const uid = pod.metadata.uid!;
  let deleting = false;
  let deletedBySignal = false;
  let resolveDone!: (status: PodStatus) => void;
  const done = new Promise<PodStatus>((r) => (resolveDone = r));

  manager.status$.subscribe(({ status, details }) => {
    lastStatus = status;
    if (json) out(podLine(pod, status));
    else view!.onStatus(status, details);
    // The pod ended by itself: remove it (StopPodSandbox is done; RemovePodSandbox follows).
    if (!deleting && (status.phase === 'Succeeded' || status.phase === 'Failed')) {
      deleting = true;
      void manager.deletePod(uid).then(resolveDone);
    }
  });

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      err(`${sig}: deleting pod ${pod.metadata.namespace}/${pod.metadata.name} (grace ${opts.gracePeriod ?? pod.spec.terminationGracePeriodSeconds}s); send again to force`);
      deletedBySignal = !deleting;
      deleting = true;
      void manager.deletePod(uid, { gracePeriodSeconds: opts.gracePeriod }).then(resolveDone);
    } else {
      err(`${sig}: force deleting (preStop gets at most 1s, StopContainer timeout 2s)`);
      void manager.deletePod(uid, { force: true, gracePeriodSeconds: 0 });
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal (SIGHUP to the process group) deletes the pod as SIGTERM does.
  process.on('SIGHUP', onSignal);

  const stopWatching = opts.watch && manifestPath !== '-' ? watchManifest(manifestPath, pod, manager, err, gates) : () => {};

  // Logs are read before the pod's log directory goes with the pod.
  manager.removed$.subscribe(({ status }) => view?.captureLogs(status));
  let lock: { release(): void };
  try {
    lock = opts.runtimeEndpoint ? acquireRunLock(uid, endpoint) : { release() {} };
    await addOrAdopt(client, manager, registry, pod, podLogsDir, err);
  } catch (e) {
    err((e as Error).message);
    stopWatching();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await cleanup();
    return 1;
  }
  view?.start();
  const final = await done;
  lock.release();
  stopWatching();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  const finalStatus = final.phase ? final : lastStatus ?? final;
  if (json) out(podLine(pod, finalStatus));
  else view!.finish(finalStatus);
  await cleanup();
  if (deletedBySignal) return 0;
  return finalStatus.phase === 'Succeeded' ? 0 : 1;
}

/** `<field>: <message>`, with the line and column in the manifest when known. */
function describeFieldError(fe: FieldError): string {
  const at = fe.line !== undefined && !/ at line \d+, column \d+/.test(fe.message) ? ` (line ${fe.line}, column ${fe.column})` : '';
  return `${formatFieldError(fe)}${at}`;
}

// eventLine / podLine: src/node/sinks.ts (`statelet serve --output json` prints the same objects).

/**
 * Watches a static pod manifest as the kubelet does: edits (atomic renames
 * included) are applied as a pod update within a second; an invalid edit is
 * reported and ignored, and the pod keeps running.
 */
function watchManifest(path: string, pod: Pod, manager: RuntimeManager, err: (l: string) => void, gates: FeatureGates = DEFAULT_FEATURE_GATES): () => void {
  const abs = resolve(path);
  let last = readFileSync(abs, 'utf8');
  let current = pod;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    timer = undefined;
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch {
      return; // mid-rename: the next event or poll sees the new file
    }
    if (text === last) return;
    last = text;
    try {
      const next = loadPod(text, abs, { gates });
      next.metadata.uid = pod.metadata.uid;
      next.metadata.name = pod.metadata.name;
      next.metadata.namespace = pod.metadata.namespace;
      // ValidatePodUpdate: only images, activeDeadlineSeconds, tolerations (and new ephemeral containers) may change.
      // With InPlacePodVerticalScaling the cpu/memory of containers may change too (ValidatePodResize).
      const forbidden = validatePodUpdate(next, current, { gates });
      if (forbidden.length) throw new ManifestError(forbidden, abs);
      current = next;
      manager.updatePod(next);
      err(`manifest ${path} changed: pod updated`);
    } catch (e) {
      const detail = e instanceof ManifestError ? e.errors.map(describeFieldError).join('; ') : (e as Error).message;
      err(`manifest ${path} changed but is invalid, ignored: ${detail}`);
      manager.events$.next(manager.recorder.record(pod, 'Warning', 'InvalidManifest', `Ignoring an invalid edit of ${basename(abs)}: ${detail}`));
    }
  };
  const poke = () => {
    if (!timer) timer = setTimeout(check, 50);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(abs), (_type, name) => {
      if (!name || name === basename(abs)) poke();
    });
  } catch {
    /* fall back to polling only */
  }
  watchFile(abs, { interval: 500 }, poke);
  return () => {
    watcher?.close();
    unwatchFile(abs);
    if (timer) clearTimeout(timer);
  };
}

// ---------------------------------------------------------------- text view

const ESC = '\u001b[';

class LiveView {
  private readonly tty = process.stdout.isTTY === true;
  private lines = 0;
  private status?: PodStatus;
  private details?: PodDetails;
  private timer?: NodeJS.Timeout;
  private lastPlain = new Map<string, string>();

  constructor(
    private readonly manager: RuntimeManager,
    private readonly pod: Pod,
    private readonly logDir: string,
  ) {}

  start(): void {
    // Back-off countdowns tick every second.
    if (this.tty) this.timer = setInterval(() => this.render(), 1000);
  }

  onEvent(ev: Event): void {
    if (!this.tty) {
      const where = ev.involvedObject.fieldPath ? ` ${ev.involvedObject.fieldPath}` : '';
      process.stdout.write(`${time()} event ${ev.type} ${ev.reason}${where}: ${ev.message}\n`);
    }
  }

  onStatus(status: PodStatus, details: PodDetails): void {
    this.status = status;
    this.details = details;
    this.render();
  }

  finish(status: PodStatus): void {
    if (this.timer) clearInterval(this.timer);
    this.status = status;
    this.render();
    const events = this.manager.events(this.pod.metadata.uid);
    process.stdout.write(`\nPod ${this.pod.metadata.namespace}/${this.pod.metadata.name} ended: ${status.phase}\n\n`);
    process.stdout.write(events.length ? describeEvents(events, Date.now()) + '\n' : 'Events: <none>\n');
    if (!this.logs) this.captureLogs(status);
    process.stdout.write(this.logs ?? '');
  }

  private logs?: string;

  /**
   * The tail of each container's last log, like `kubectl logs`, read while it exists: the
   * pod's log directory is removed with the pod, so no path is shown (the runtime may not let us read it).
   */
  captureLogs(status: PodStatus): void {
    if (this.logs !== undefined) return;
    let out = '';
    const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])];
    for (const c of all) {
      const file = join(this.logDir, c.name, `${c.restartCount}.log`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      // CRI log lines: <timestamp> <stream> <P|F> <text>
      const lines = text.split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '));
      if (!lines.length) continue;
      out += `\nLogs of ${c.name} (last ${Math.min(lines.length, 10)} lines):\n`;
      for (const l of lines.slice(-10)) out += `  ${l}\n`;
    }
    this.logs = out;
  }

  private rows(): string[][] {
    const s = this.status;
    if (!s) return [];
    const all = [
      ...(s.initContainerStatuses ?? []).map((c) => ({ c, kind: 'init' })),
      ...(s.containerStatuses ?? []).map((c) => ({ c, kind: '' })),
      ...(s.ephemeralContainerStatuses ?? []).map((c) => ({ c, kind: 'ephemeral' })),
    ];
    return all.map(({ c, kind }) => {
      const st = c.state.running ? 'Running' : c.state.terminated ? `Terminated (${c.state.terminated.reason ?? c.state.terminated.exitCode})` : c.state.waiting?.reason || 'Waiting';
      let info = '';
      if (c.state.waiting?.reason === 'CrashLoopBackOff') {
        const left = this.backOffLeft(c.name);
        info = left !== undefined ? `restart in ${goDuration(Math.ceil(left / 1000) * 1000)}` : '';
      } else if (c.state.terminated) {
        info = `exit ${c.state.terminated.exitCode}`;
      } else if (c.lastState.terminated) {
        info = `last exit ${c.lastState.terminated.exitCode} (${c.lastState.terminated.reason ?? ''})`;
      }
      return [c.name + (kind ? ` (${kind})` : ''), st, String(c.restartCount), c.ready ? 'yes' : 'no', info];
    });
  }

  /** From the manager's published details, never from actor internals. */
  private backOffLeft(name: string): number | undefined {
    const until = this.details?.backOffUntil[name];
    return until !== undefined ? Math.max(0, until - Date.now()) : undefined;
  }

  private render(): void {
    const s = this.status;
    if (!s) return;
    const rows = this.rows();
    if (!this.tty) {
      // Plain output: one line per container whenever its line changes.
      for (const r of rows) {
        const line = `${r[0]} ${r[1]} restarts=${r[2]} ready=${r[3]}${r[4] && !r[4].startsWith('restart in') ? ' ' + r[4] : ''}`;
        if (this.lastPlain.get(r[0]!) === line) continue;
        this.lastPlain.set(r[0]!, line);
        process.stdout.write(`${time()} ${line}\n`);
      }
      return;
    }
    const header = ['CONTAINER', 'STATE', 'RESTARTS', 'READY', 'INFO'];
    const table = [header, ...rows];
    const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
    const out = [
      `pod ${this.pod.metadata.namespace}/${this.pod.metadata.name}  phase ${s.phase}${s.podIP ? `  ip ${s.podIP}` : ''}  (${(this.details?.chartState ?? '').split('.')[0]})`,
      ...table.map((r) => '  ' + r.map((cell, i) => (cell ?? '').padEnd(widths[i]!)).join('  ').trimEnd()),
    ];
    let buf = '';
    if (this.lines) buf += `${ESC}${this.lines}A`;
    for (const l of out) buf += `${ESC}2K${l}\n`;
    this.lines = out.length;
    process.stdout.write(buf);
  }
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}
