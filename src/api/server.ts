// The node agent's HTTP API: the kubelet's read-only endpoints
// (pkg/kubelet/server/server.go: /healthz, /pods, /runningpods/,
// /containerLogs/..., /metrics, /metrics/probes) with their paths and shapes,
// plus statelet's own /statelet/v1/{watch,events,info}. Exec, which starts
// processes, is not on this port: it is served on a unix socket that only the
// agent's user can open (mode 0600).
//
// The port binds loopback unless told otherwise (allowRemote), and it answers
// only requests addressed to it: a Host header that is not the bound address
// (or, on loopback, `localhost`) and an Origin whose host differs from the
// Host are refused with 403, so a web page can neither rebind a name of its
// own to the port nor read it cross-site. Clients that send no Origin (curl,
// Prometheus) are served.
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import type { RuntimeManager, PodDetails, TransitionRecord } from '../manager.js';
import type { CriRuntime } from '../cri/services.js';
import type { Event, Pod, PodStatus } from '../k8s/types.js';
import { rfc3339 } from '../k8s/format.js';
import { goDuration } from '../k8s/format.js';
import { eventLine, podLine } from '../node/sinks.js';
import { isLoopbackHost, hostnameOf } from '../inspect/hosts.js';
import { CONTAINER_NAME_LABEL, MANAGED_BY_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from '../kuberuntime/labels.js';
import { packageRoot } from '../paths.js';
import { containerRunning, readLogs, type LogOptions } from './logs.js';
import type { NodeMetrics } from './metrics.js';

/** The kubelet's read-only port. */
export const DEFAULT_API_PORT = 10255;
/** genericPLEG's RelistThreshold: /healthz fails once the PLEG has not relisted for this long. */
export const PLEG_RELIST_THRESHOLD_MS = 3 * 60 * 1000;
/** The exec socket's name under the root dir. */
export const EXEC_SOCKET_NAME = 'statelet.sock';

/** What /statelet/v1/info tells (read-only). */
export interface AgentInfo {
  nodeName: string;
  version?: string;
  runtimeEndpoint: string;
  rootDir?: string;
  /** Path of the exec socket; set by startApiServer when it serves one. */
  execSocket?: string;
}

export interface ApiServerOptions {
  manager: RuntimeManager;
  /** The runtime: logs (ContainerStatus), exec (ExecSync), /runningpods/, the runtime health check. */
  runtime: CriRuntime;
  info: AgentInfo;
  metrics?: NodeMetrics;
  /** Bind address (default 127.0.0.1). A non-loopback one needs allowRemote. */
  address?: string;
  /** TCP port (default 10255; 0: any free port). */
  port?: number;
  allowRemote?: boolean;
  /** Serve exec on this unix socket (mode 0600); none when undefined. */
  execSocket?: string;
  /** This node's sandboxes (statelet serve labels them with the node name), for /runningpods/. */
  sandboxSelector?: Record<string, string>;
  /** Pods the agent holds that the manager does not run (rejected at admission), with their statuses. */
  extraPods?: () => { pod: Pod; status: PodStatus }[];
  /** Clock (the health check's "last seen ... ago"); default Date.now. */
  now?: () => number;
  log?: (msg: string) => void;
}

export interface ApiServer {
  /** http://address:port */
  url: string;
  port: number;
  execSocket?: string;
  close(): Promise<void>;
}

/** The package version (statelet's), read once. */
export function stateletVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isWildcard = (a: string) => a === '0.0.0.0' || a === '::' || a === '[::]';

/**
 * The Host check: the bound address itself (or `localhost` when bound to loopback);
 * on a wildcard bind (allowRemote), any IP literal or localhost, never a name that a
 * page could point at this machine.
 */
export function hostAllowed(hostHeader: string | undefined, bound: string, port: number): boolean {
  if (!hostHeader) return false;
  const name = hostnameOf(hostHeader).replace(/^\[|\]$/g, '').toLowerCase();
  const portPart = hostHeader.startsWith('[') ? hostHeader.slice(hostHeader.indexOf(']') + 1) : hostHeader.includes(':') ? hostHeader.slice(hostHeader.lastIndexOf(':')) : '';
  if (portPart !== '' && portPart !== `:${port}`) return false;
  if (portPart === '' && port !== 80) return false;
  const b = bound.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === b) return true;
  if (name === 'localhost' && (isLoopbackHost(b) || isWildcard(b))) return true;
  if (isWildcard(b)) return isIP(name) !== 0;
  return false;
}

/** The Origin check: a browser's request must come from this server's own origin. */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === hostHeader;
  } catch {
    return false;
  }
}

const truthy = (v: string | null): boolean => v !== null && (v === '' || v === 'true' || v === '1');

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new HttpError(400, `{"message": "Unable to decode query."}`);
  return Number(v);
}

/** The Pod objects the API serves: spec from the manager, the latest status, and the deletion mark. */
class PodView {
  private readonly firstSeen = new Map<string, number>();
  private readonly deletionSeen = new Map<string, number>();
  private readonly sub: Subscription;

  constructor(
    private readonly manager: RuntimeManager,
    private readonly now: () => number,
    private readonly extra?: () => { pod: Pod; status: PodStatus }[],
  ) {
    this.sub = manager.status$.subscribe(({ pod, details }) => this.note(pod.metadata.uid ?? '', details));
    manager.removed$.subscribe(({ pod }) => {
      this.firstSeen.delete(pod.metadata.uid ?? '');
      this.deletionSeen.delete(pod.metadata.uid ?? '');
    });
  }

  close(): void {
    this.sub.unsubscribe();
  }

  private note(uid: string, details?: PodDetails): void {
    if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, this.now());
    const deleting = details ? /^(Terminating|Removing|Removed)/.test(details.chartState) : false;
    if ((deleting || this.deletion(uid)) && !this.deletionSeen.has(uid)) this.deletionSeen.set(uid, this.now());
  }

  private deletion(uid: string): { gracePeriodOverride?: number } | undefined {
    const snap = this.manager.getActor(uid)?.getSnapshot() as { context?: { deletion?: { gracePeriodOverride?: number } } } | undefined;
    return snap?.context?.deletion;
  }

  /** One full v1 Pod. */
  full(pod: Pod, status: PodStatus | undefined): Pod {
    const uid = pod.metadata.uid ?? '';
    if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, this.now());
    const metadata = { ...pod.metadata };
    // Static pods have no API server to stamp them: the time the agent first saw the pod.
    metadata.creationTimestamp ??= status?.startTime ?? rfc3339(this.firstSeen.get(uid)!);
    const del = this.deletion(uid);
    if (del && !this.deletionSeen.has(uid)) this.deletionSeen.set(uid, this.now());
    const deletedAt = this.deletionSeen.get(uid);
    if (deletedAt !== undefined) {
      metadata.deletionTimestamp = rfc3339(deletedAt);
      metadata.deletionGracePeriodSeconds = del?.gracePeriodOverride ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    }
    return { apiVersion: 'v1', kind: 'Pod', metadata, spec: pod.spec, status: status ?? {} };
  }

  list(): Pod[] {
    const out = this.manager.listPods().map((p) => this.full(p, this.manager.getStatus(p.metadata.uid ?? '')));
    const seen = new Set(out.map((p) => p.metadata.uid));
    for (const { pod, status } of this.extra?.() ?? []) if (!seen.has(pod.metadata.uid)) out.push(this.full(pod, status));
    return out;
  }

  find(namespace: string, name: string): Pod | undefined {
    return this.list().find((p) => (p.metadata.namespace ?? 'default') === namespace && p.metadata.name === name);
  }
}

function podList(items: Pod[]) {
  return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
}

/** validateContainerLogStatus: which instance's log to read, or why there is none. */
export function logContainerId(pod: Pod, container: string, previous: boolean): string {
  const s = pod.status ?? {};
  const st = [...(s.containerStatuses ?? []), ...(s.initContainerStatuses ?? []), ...(s.ephemeralContainerStatuses ?? [])].find((c) => c.name === container);
  const name = pod.metadata.name;
  if (!st) throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start - no logs yet`);
  const strip = (id: string | undefined) => (id ?? '').replace(/^[a-z0-9.+-]*:\/\//, '');
  const state = st.state;
  const last = st.lastState;
  if (previous) {
    if (!last.terminated?.containerID) throw new HttpError(400, `previous terminated container "${container}" in pod "${name}" not found`);
    return strip(last.terminated.containerID);
  }
  if (state.running) return strip(st.containerID);
  if (state.terminated) {
    if (state.terminated.containerID) return strip(state.terminated.containerID);
    if (last.terminated?.containerID) return strip(last.terminated.containerID);
    throw new HttpError(400, `container "${container}" in pod "${name}" is terminated`);
  }
  if (last.terminated) {
    if (!last.terminated.containerID) throw new HttpError(400, `container "${container}" in pod "${name}" is terminated`);
    return strip(last.terminated.containerID);
  }
  if (state.waiting) {
    const reason = state.waiting.reason;
    if (reason === 'ErrImagePull') throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start: image can't be pulled`);
    if (reason === 'ImagePullBackOff') throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start: trying and failing to pull image`);
    throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start: ${reason ?? ''}`);
  }
  throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start - no logs yet`);
}

interface Check {
  name: string;
  run(): Promise<void>;
}

/** Starts the HTTP API (and the exec socket when asked for). */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const address = opts.address ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  if (!isLoopbackHost(address) && !opts.allowRemote) {
    throw new Error(
      `--address ${address}: not a loopback address; the API serves every pod's spec, status and logs without authentication. ` +
        `Add --api-allow-remote to expose it on purpose.`,
    );
  }
  const now = opts.now ?? Date.now;
  const { manager, runtime } = opts;
  const view = new PodView(manager, now, opts.extraPods);
  const info: AgentInfo = { ...opts.info, version: opts.info.version ?? stateletVersion() };
  const watchers = new Set<ServerResponse>();

  const checks: Check[] = [
    { name: 'ping', run: async () => {} },
    {
      name: 'pleg',
      run: async () => {
        const pleg = manager.pleg;
        if (!pleg) return;
        const at = pleg.lastRelistAt;
        if (at === undefined) throw new Error('PLEG is not healthy: pleg has yet to be successful');
        const elapsed = now() - at;
        if (elapsed > PLEG_RELIST_THRESHOLD_MS) {
          throw new Error(`PLEG is not healthy: pleg was last seen active ${goDuration(elapsed)} ago; threshold is ${goDuration(PLEG_RELIST_THRESHOLD_MS)}`);
        }
      },
    },
    {
      name: 'runtime',
      run: async () => {
        let st;
        try {
          st = await runtime.status({}, { timeoutMs: 5000 });
        } catch (err) {
          throw new Error(`container runtime is down: ${(err as Error).message}`);
        }
        const ready = st.status?.conditions?.find((c) => c.type === 'RuntimeReady');
        if (!ready || !ready.status) {
          throw new Error(`container runtime not ready: ${ready ? `RuntimeReady=false reason:${ready.reason} message:${ready.message}` : '<nil>'}`);
        }
      },
    },
  ];

  async function healthz(path: string, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const only = path.startsWith('/healthz/') ? path.slice('/healthz/'.length) : undefined;
    if (only !== undefined) {
      const c = checks.find((x) => x.name === only);
      if (!c) throw new HttpError(404, '404 page not found');
      try {
        await c.run();
        send(res, 200, 'ok', 'text/plain; charset=utf-8');
      } catch (err) {
        send(res, 500, `internal server error: ${(err as Error).message}\n`, 'text/plain; charset=utf-8');
      }
      return;
    }
    const results = await Promise.all(checks.map(async (c) => ({ c, err: await c.run().then(() => undefined, (e: Error) => e) })));
    const failed = results.some((r) => r.err);
    // apiserver healthz: `[+]name ok` / `[-]name failed: ...`; statelet names the reason instead of withholding it.
    const lines = results.map((r) => (r.err ? `[-]${r.c.name} failed: ${r.err.message}` : `[+]${r.c.name} ok`));
    if (failed) {
      for (const r of results) if (r.err) log(`healthz check ${r.c.name} failed: ${r.err.message}`);
      send(res, 500, `${lines.join('\n')}\nhealthz check failed\n`, 'text/plain; charset=utf-8');
    } else if (query.has('verbose')) send(res, 200, `${lines.join('\n')}\nhealthz check passed\n`, 'text/plain; charset=utf-8');
    else send(res, 200, 'ok', 'text/plain; charset=utf-8');
  }

  async function runningPods(res: ServerResponse): Promise<void> {
    const sel = { [MANAGED_BY_LABEL]: 'true', ...opts.sandboxSelector };
    const [{ items }, { containers }] = await Promise.all([
      runtime.listPodSandbox({ filter: { labelSelector: sel, state: { state: 'SANDBOX_READY' } } }),
      runtime.listContainers({ filter: { labelSelector: { [MANAGED_BY_LABEL]: 'true' }, state: { state: 'CONTAINER_RUNNING' } } }),
    ]);
    // The runtime cache's running pods, as Pod.ToAPIPod makes them: name, namespace, uid, and the containers' names and images.
    const byUid = new Map<string, Pod>();
    const sandboxUid = new Map<string, string>();
    for (const s of items) {
      const uid = s.labels[POD_UID_LABEL] ?? s.metadata?.uid ?? '';
      sandboxUid.set(s.id, uid);
      if (!byUid.has(uid)) {
        byUid.set(uid, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: s.labels[POD_NAME_LABEL] ?? s.metadata?.name ?? '', namespace: s.labels[POD_NAMESPACE_LABEL] ?? s.metadata?.namespace ?? '', uid, creationTimestamp: null as never },
          spec: { containers: [] },
          status: {},
        });
      }
    }
    for (const c of containers) {
      const uid = sandboxUid.get(c.podSandboxId);
      if (uid === undefined) continue;
      byUid.get(uid)!.spec.containers.push({ name: c.labels[CONTAINER_NAME_LABEL] ?? c.metadata?.name ?? '', image: c.image?.image ?? '', resources: {} });
    }
    sendJson(res, 200, podList([...byUid.values()]));
  }

  async function containerLogs(parts: string[], query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [ns, podName, container] = parts.map((p) => decodeURIComponent(p));
    if (!podName) throw new HttpError(400, `{"message": "Missing podID."}`);
    if (!container) throw new HttpError(400, `{"message": "Missing container name."}`);
    if (!ns) throw new HttpError(400, `{"message": "Missing podNamespace."}`);
    // Backwards compatibility: `tail` (with "all" meaning no limit).
    const tail = query.get('tail');
    if (tail) {
      if (tail === 'all') query.delete('tailLines');
      else query.set('tailLines', tail);
    }
    const o: LogOptions = {
      follow: truthy(query.get('follow')),
      tailLines: intParam(query, 'tailLines'),
      timestamps: truthy(query.get('timestamps')),
      sinceSeconds: intParam(query, 'sinceSeconds'),
      sinceTime: query.get('sinceTime') ?? undefined,
      limitBytes: intParam(query, 'limitBytes'),
    };
    const stream = query.get('stream');
    if (stream !== null) {
      if (stream !== 'All' && stream !== 'Stdout' && stream !== 'Stderr') throw new HttpError(400, `invalid stream type "${stream}"`);
      o.stream = stream;
    }
    const previous = truthy(query.get('previous'));
    // ValidatePodLogOptions.
    if ((o.tailLines ?? 0) < 0 || (o.limitBytes !== undefined && o.limitBytes < 1) || (o.sinceSeconds !== undefined && o.sinceSeconds < 1) || (o.sinceSeconds !== undefined && o.sinceTime)) {
      throw new HttpError(422, `{"message": "Invalid request."}`);
    }
    if (o.sinceTime && !Number.isFinite(Date.parse(o.sinceTime))) throw new HttpError(400, `{"message": "Unable to decode query."}`);
    const pod = view.find(ns, podName);
    if (!pod) throw new HttpError(404, `pod "${podName}" does not exist`);
    const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])];
    if (!all.some((c) => c.name === container)) throw new HttpError(404, `container "${container}" not found in pod "${podName}"`);
    const id = logContainerId(pod, container, previous);
    let logPath: string | undefined;
    try {
      logPath = (await runtime.containerStatus({ containerId: id })).status?.logPath;
    } catch (err) {
      throw new HttpError(400, `failed to get container status ${JSON.stringify(id)}: ${(err as Error).message}`);
    }
    if (!logPath) throw new HttpError(400, `container "${container}" in pod "${podName}" has no log file`);
    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.on('close', onClose);
    req.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    try {
      await readLogs(
        logPath,
        o,
        (chunk) =>
          new Promise<void>((resolve) => {
            if (res.write(chunk)) resolve();
            else res.once('drain', resolve);
            res.once('close', resolve);
          }),
        { isRunning: containerRunning(runtime, id), signal: abort.signal },
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') res.write(`failed to open log file ${JSON.stringify(logPath)}: ${(err as Error).message}\n`);
      else res.write(`${(err as Error).message}\n`);
    } finally {
      res.off('close', onClose);
      res.end();
    }
  }

  function watch(query: URLSearchParams, res: ServerResponse): void {
    const ns = query.get('namespace') || undefined;
    const name = query.get('pod') || undefined;
    const node = info.nodeName;
    const matches = (podNs: string, podName: string) =>
      (!ns || podNs === ns) && (!name || podName === name || podName === `${name}-${node}`);
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    watchers.add(res);
    const write = (obj: unknown) => {
      if (res.writableEnded) return;
      res.write(JSON.stringify(obj) + '\n');
      // A reader that does not keep up is dropped (it can reconnect: the stream starts with the current Pods).
      if (res.writableLength > 16 * 1024 * 1024) res.destroy();
    };
    // The current Pod objects first.
    for (const p of view.list()) if (matches(p.metadata.namespace ?? 'default', p.metadata.name)) write(podLine(p, p.status ?? {}));
    const subs: Subscription[] = [
      manager.status$.subscribe(({ pod, status }) => {
        if (matches(pod.metadata.namespace ?? 'default', pod.metadata.name)) write(podLine(pod, status));
      }),
      manager.events$.subscribe((ev: Event) => {
        if (matches(ev.involvedObject.namespace, ev.involvedObject.name)) write(eventLine(ev));
      }),
      manager.transitions$.subscribe((t: TransitionRecord) => {
        const [tns = '', tpod = ''] = t.actor.split('/');
        if (matches(tns, tpod)) write(t);
      }),
    ];
    res.on('close', () => {
      for (const s of subs) s.unsubscribe();
      watchers.delete(res);
    });
  }

  function events(query: URLSearchParams, res: ServerResponse): void {
    const ns = query.get('namespace') || undefined;
    const name = query.get('pod') || undefined;
    const uid = query.get('uid') || undefined;
    const items = manager.events().filter((e) => (!ns || e.involvedObject.namespace === ns) && (!name || e.involvedObject.name === name) && (!uid || e.involvedObject.uid === uid));
    sendJson(res, 200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, address, port) || !originAllowed(req.headers.origin, req.headers.host)) {
      send(res, 403, 'Forbidden\n', 'text/plain; charset=utf-8');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET');
      send(res, 405, 'Method Not Allowed', 'text/plain; charset=utf-8');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const q = url.searchParams;
    if (path === '/healthz' || path.startsWith('/healthz/')) return healthz(path, res, q);
    if (path === '/pods' || path === '/pods/') return sendJson(res, 200, podList(view.list()));
    if (path === '/runningpods' || path === '/runningpods/') return runningPods(res);
    if (path.startsWith('/containerLogs/')) return containerLogs(path.slice('/containerLogs/'.length).split('/'), q, req, res);
    if (path === '/metrics' || path === '/metrics/probes') {
      if (!opts.metrics) throw new HttpError(404, '404 page not found');
      const text = path === '/metrics' ? await opts.metrics.metrics() : await opts.metrics.probeMetrics();
      return send(res, 200, text, opts.metrics.registry.contentType);
    }
    if (path === '/statelet/v1/watch') return watch(q, res);
    if (path === '/statelet/v1/events') return events(q, res);
    if (path === '/statelet/v1/info') return sendJson(res, 200, info);
    throw new HttpError(404, '404 page not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!(err instanceof HttpError)) log(`api: ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) send(res, status, `${(err as Error).message}\n`, 'text/plain; charset=utf-8');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? DEFAULT_API_PORT, host: address }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log(`api server error: ${err.message}`));
  const port = (server.address() as AddressInfo).port;

  let exec: Server | undefined;
  if (opts.execSocket) {
    try {
      exec = await startExecSocket(opts.execSocket, view, runtime, log);
      info.execSocket = opts.execSocket;
    } catch (err) {
      await new Promise<void>((r) => server.close(() => r()));
      view.close();
      throw err;
    }
  }
  const urlHost = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    execSocket: info.execSocket,
    close() {
      closing ??= (async () => {
        view.close();
        for (const w of watchers) w.destroy();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        if (exec) {
          exec.closeAllConnections();
          await new Promise<void>((r) => exec!.close(() => r()));
          rmSync(opts.execSocket!, { force: true });
        }
      })();
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, obj: unknown): void {
  send(res, status, JSON.stringify(obj), 'application/json');
}

/** The exec request body on the unix socket. */
export interface ExecRequest {
  command: string[];
  /** Seconds; 0 or absent: no limit (as kubectl exec). */
  timeout?: number;
}

export interface ExecResponse {
  exitCode: number;
  /** base64 */
  stdout: string;
  stderr: string;
}

/**
 * Exec: `POST /exec/<namespace>/<pod>/<container>` with an ExecRequest, answered with the
 * command's exit code and output (ExecSync). Only on a unix socket the agent's user owns.
 */
async function startExecSocket(path: string, view: PodView, runtime: CriRuntime, log: (m: string) => void): Promise<Server> {
  if (existsSync(path)) rmSync(path, { force: true }); // a stale socket from an earlier agent (the root dir is locked)
  const server = createServer((req, res) => {
    void (async () => {
      if (req.headers.origin !== undefined) return send(res, 403, 'Forbidden\n', 'text/plain; charset=utf-8');
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/exec\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return send(res, 405, 'Method Not Allowed', 'text/plain; charset=utf-8');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size > 1024 * 1024) return send(res, 413, 'request too large\n', 'text/plain; charset=utf-8');
        chunks.push(c as Buffer);
      }
      let body: ExecRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as ExecRequest;
        if (!Array.isArray(body.command) || !body.command.length || !body.command.every((s) => typeof s === 'string')) throw new Error('command');
      } catch {
        return send(res, 400, 'expected {"command": ["cmd", "arg", ...]}\n', 'text/plain; charset=utf-8');
      }
      const [ns, podName, container] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
      const pod = view.find(ns, podName);
      if (!pod) return send(res, 404, `pod "${podName}" does not exist\n`, 'text/plain; charset=utf-8');
      const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])].find((c) => c.name === container);
      // findContainer: only a running instance can run a command.
      if (!st?.state.running || !st.containerID) return send(res, 404, `container not found (${JSON.stringify(container)})\n`, 'text/plain; charset=utf-8');
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      try {
        const out = await runtime.execSync(
          { containerId: st.containerID.replace(/^[a-z0-9.+-]*:\/\//, ''), cmd: body.command, timeout: body.timeout ?? 0 },
          { signal: abort.signal },
        );
        const reply: ExecResponse = {
          exitCode: out.exitCode,
          stdout: Buffer.from(out.stdout ?? []).toString('base64'),
          stderr: Buffer.from(out.stderr ?? []).toString('base64'),
        };
        sendJson(res, 200, reply);
      } catch (err) {
        if (!res.headersSent) send(res, 500, `${(err as Error).message}\n`, 'text/plain; charset=utf-8');
      }
    })().catch((err) => {
      log(`exec: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, `${(err as Error).message}\n`, 'text/plain; charset=utf-8');
    });
  });
  // The socket is created 0600: nobody but the agent's user can start processes through it.
  // (listen() binds a unix socket synchronously, so the umask is back before anything else runs.)
  const umask = process.umask(0o177);
  let listening: Promise<void>;
  try {
    listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  await listening;
  chmodSync(path, 0o600);
  return server;
}
