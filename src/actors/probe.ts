// The probe mechanisms (pkg/probe/{exec,http,tcp,grpc} and prober.runProbe):
// one attempt per call, resolving { result, output, at }. A *failure* is a
// result; an *error* (CRI error, unresolvable named port, no handler) is
// thrown, so the probe machine retries it and finally discards it, as the
// kubelet's runProbeWithRetries does.
import type * as http from 'node:http';
import * as net from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { grpcJs, nodeHttp } from '../lazy-deps.js';
import { fromPromise } from 'xstate';
import { loadHealthService } from '../cri/proto.js';
import type { RuntimeService } from '../cri/services.js';
import { ExecTimeoutError } from '../cri/errors.js';
import { goStatusString } from '../cri/go-status.js';
import { realClock, type Clock } from '../clock.js';
import { formatPod, goDuration } from '../k8s/format.js';
import * as msg from '../k8s/messages.js';
import type { Container, Probe } from '../k8s/types.js';
import { expandVars } from '../kuberuntime/config.js';
import type { ProbeOutcome, RunProbeInput, RunProbeOutput } from '../../machines/probe.js';
import { KUBE_VERSION, goHttpError, httpHeaders } from './run-handler.js';

/** exec.go maxReadLength and http.go maxRespBodyLength: 10 KiB of output is kept. */
export const MAX_PROBE_OUTPUT_BYTES = 10 * 1024;
/** `kube-probe/<major>.<minor>` (probe/http/request.go, probe/grpc/grpc.go). */
export const PROBE_USER_AGENT = `kube-probe/${KUBE_VERSION.major}.${KUBE_VERSION.minor}`;

/** What exec probes need of the runtime. */
export type ProbeRuntime = Pick<RuntimeService, 'execSync'>;

export interface ProbeActorOptions {
  client: ProbeRuntime;
  clock?: Clock;
  /**
   * Told of each attempt that concluded (a success, failure or warning; not a probe error,
   * which the chart retries), with how long it took: the node agent's probe metrics.
   */
  onAttempt?: (input: RunProbeInput, output: RunProbeOutput, durationMs: number) => void;
}

export interface ProbeAttempt {
  result: ProbeOutcome;
  output: string;
}

/** A probe error: retried, then reported as `errored and resulted in unknown state`. */
export class ProbeError extends Error {
  override name = 'ProbeError';
  constructor(message: string, readonly at?: number) {
    super(message);
  }
}

const timeoutMsOf = (p: Probe): number => Math.max(1, p.timeoutSeconds ?? 1) * 1000;

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The kubelet expands `$(VAR)` in exec probe commands from the container's literal env values only. */
export function probeCommand(p: Probe, c: Container): string[] {
  const vars = new Map<string, string>();
  for (const e of c.env ?? []) vars.set(e.name, e.value ?? '');
  return (p.exec?.command ?? []).map((s) => expandVars(s, vars));
}

function truncateOutput(...parts: Uint8Array[]): string {
  const all = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  return all.subarray(0, MAX_PROBE_OUTPUT_BYTES).toString('utf8');
}

// ------------------------------------------------------------------ exec

/** exec.go: exit 0 success, other exit codes failure (combined output), timeout failure, anything else an error. */
export async function execProbe(client: ProbeRuntime, input: RunProbeInput, signal?: AbortSignal): Promise<ProbeAttempt> {
  const cmd = probeCommand(input.probe, input.container);
  const timeout = input.probe.timeoutSeconds ?? 1;
  try {
    const res = await client.execSync({ containerId: input.containerId, cmd, timeout }, { signal });
    const output = truncateOutput(res.stdout, res.stderr);
    return { result: res.exitCode === 0 ? 'success' : 'failure', output };
  } catch (err) {
    // remote_runtime.go maps ExecSync's DeadlineExceeded to a timeout error whose text is
    // `command "<cmd>" timed out`; with ExecProbeTimeout (GA) that text is the failure output.
    if (err instanceof ExecTimeoutError) return { result: 'failure', output: `command ${msg.goQuote(cmd.join(' '))} timed out` };
    throw err;
  }
}

// ------------------------------------------------------------------ httpGet

/** Go's http.Client stops after 10 redirects. */
const MAX_PROBE_REDIRECTS = 10;

interface HttpTarget {
  https: boolean;
  host: string;
  port: number;
  path: string;
  /** The URL as Go prints it in errors. */
  url: string;
}

interface HttpAnswer {
  statusCode: number;
  body: string;
  location?: string;
}

/**
 * One GET with a fresh connection (the probe transport disables keep-alives) and the
 * body read up to 10 KiB. Deliberately leaner than the hook runner's httpGet: options
 * objects instead of URL parsing, no per-request AbortSignal plumbing, no agent pool;
 * probes run hundreds of times a second on a busy node and this halves their CPU cost.
 */
function getOnce(t: HttpTarget, headers: Record<string, string>, onReq: (req: http.ClientRequest) => void): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    // Plain HTTP connects the socket itself (createConnection, no agent): `agent: false`
    // builds a throw-away Agent per request (about a tenth of an httpGet attempt's CPU).
    const req = t.https
      ? nodeHttp(true).request({ host: t.host, port: t.port, path: t.path, method: 'GET', headers, agent: false, rejectUnauthorized: false }, onResponse)
      : nodeHttp(false).request({ host: t.host, port: t.port, path: t.path, method: 'GET', headers, createConnection: connectPlain }, onResponse);
    function onResponse(res: http.IncomingMessage): void {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const loc = res.headers.location;
        resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: typeof loc === 'string' ? loc : undefined });
      };
      res.on('data', (c: Buffer) => {
        if (size >= MAX_PROBE_OUTPUT_BYTES) return;
        chunks.push(size + c.length > MAX_PROBE_OUTPUT_BYTES ? c.subarray(0, MAX_PROBE_OUTPUT_BYTES - size) : c);
        size += c.length;
        // utilio.ReadAtMost: a longer body is truncated, not an error.
        if (size >= MAX_PROBE_OUTPUT_BYTES) {
          done();
          req.destroy();
        }
      });
      res.on('end', done);
      res.on('error', reject);
    }
    req.on('error', reject);
    onReq(req);
    req.end();
  });
}

/** The socket of one plain-HTTP probe request (http.request's createConnection). */
function connectPlain(opts: http.ClientRequestArgs): net.Socket {
  return net.connect({ host: opts.host ?? undefined, port: Number(opts.port) });
}

function httpTarget(scheme: string, host: string, port: number, path: string): HttpTarget {
  const https = scheme.toLowerCase() === 'https';
  const p = path.startsWith('/') ? path : `/${path}`;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { https, host, port, path: p, url: `${https ? 'https' : 'http'}://${h}:${port}${p}` };
}

/**
 * Where an httpGet or tcpSocket probe connects: its host or the pod IP, and its port
 * resolved against the container's named ports. An unresolvable port is a probe error,
 * not a failure (NewRequestForHTTPGetAction).
 */
function probeHostPort(action: { host?: string; port: number | string }, input: RunProbeInput): { host: string; port: number } {
  const host = action.host || input.podIP;
  if (!host) throw new ProbeError('pod has no IP address to probe');
  return { host, port: resolveContainerPort(action.port, input.container) };
}

/**
 * pkg/probe/util.go ResolveContainerPort: a name the container declares, else (the "last
 * ditch effort") the name read as a number, whose failure is strconv.Atoi's error.
 */
export function resolveContainerPort(port: number | string, container: RunProbeInput['container']): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const named = container.ports?.find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) n = Number(port);
    else throw new ProbeError(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
  }
  if (n > 0 && n < 65536) return n;
  throw new ProbeError(`invalid port number: ${n}`);
}

/** http.go DoHTTPProbe: 2xx success, 3xx (redirect not followed) warning, else failure; transport errors are failures. */
export async function httpProbe(input: RunProbeInput, signal?: AbortSignal): Promise<ProbeAttempt> {
  const action = input.probe.httpGet!;
  const { host, port } = probeHostPort(action, input);
  let target = httpTarget(action.scheme ?? 'HTTP', host, port, action.path ?? '/');
  const headers = httpHeaders(action, PROBE_USER_AGENT);
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'connection')) headers['Connection'] = 'close';
  return new Promise<ProbeAttempt>((resolve, reject) => {
    let current: http.ClientRequest | undefined;
    let settled = false;
    const finish = (v: ProbeAttempt | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      current?.destroy();
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    // One deadline for the whole probe, redirects included (http.Client.Timeout).
    const timer = setTimeout(
      () => finish({ result: 'failure', output: `Get ${JSON.stringify(target.url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      timeoutMsOf(input.probe),
    );
    const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const step = (redirects: number): void => {
      getOnce(target, headers, (req) => (current = req)).then(
        (r) => {
          if (r.statusCode >= 300 && r.statusCode < 400 && r.location !== undefined) {
            let next: URL;
            try {
              next = new URL(r.location, target.url);
            } catch {
              return finish({ result: 'warning', output: `Probe terminated redirects, Response body: ${r.body}` });
            }
            // RedirectChecker(followNonLocalRedirects=false): another host ends the chain with this response.
            if (next.hostname.replace(/^\[|\]$/g, '') !== target.host.replace(/^\[|\]$/g, '')) {
              return finish({ result: 'warning', output: `Probe terminated redirects, Response body: ${r.body}` });
            }
            if (redirects + 1 >= MAX_PROBE_REDIRECTS) {
              return finish({ result: 'failure', output: `Get ${JSON.stringify(next.href)}: stopped after ${MAX_PROBE_REDIRECTS} redirects` });
            }
            const nextPort = next.port ? Number(next.port) : next.protocol === 'https:' ? 443 : 80;
            target = httpTarget(next.protocol === 'https:' ? 'https' : 'http', target.host, nextPort, `${next.pathname}${next.search}`);
            return step(redirects + 1);
          }
          if (r.statusCode >= 300 && r.statusCode < 400) return finish({ result: 'warning', output: `Probe terminated redirects, Response body: ${r.body}` });
          if (r.statusCode >= 200 && r.statusCode < 300) return finish({ result: 'success', output: r.body });
          // The body is deliberately left out of the failure text (kubernetes#99425).
          return finish({ result: 'failure', output: msg.httpProbeStatusFailure(r.statusCode) });
        },
        (err: NodeJS.ErrnoException) => {
          if (settled) return;
          finish({ result: 'failure', output: goHttpError(target.url, joinHostPort(target.host, target.port), err) });
        },
      );
    };
    step(0);
  });
}

// ------------------------------------------------------------------ tcpSocket

/** Go's dial error text for a failed TCP connect. */
export function goDialError(hostPort: string, err: NodeJS.ErrnoException | 'timeout'): string {
  if (err === 'timeout') return `dial tcp ${hostPort}: i/o timeout`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hostPort}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `dial tcp ${hostPort}: connect: connection reset by peer`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${hostPort.replace(/:\d+$/, '')}: no such host`;
    default:
      return `dial tcp ${hostPort}: ${err.message}`;
  }
}

/** tcp.go DoTCPProbe: a connection within the timeout is success; the dial error is the failure output. */
export async function tcpProbe(input: RunProbeInput, signal?: AbortSignal): Promise<ProbeAttempt> {
  const action = input.probe.tcpSocket!;
  const { host, port } = probeHostPort(action, input);
  const hostPort = joinHostPort(host, port);
  return new Promise<ProbeAttempt>((resolve, reject) => {
    const sock = net.connect({ host, port });
    let done = false;
    const finish = (v: ProbeAttempt | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => finish({ result: 'failure', output: goDialError(hostPort, 'timeout') }), timeoutMsOf(input.probe));
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => finish({ result: 'success', output: '' }));
    sock.once('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: goDialError(hostPort, err) }));
  });
}

// ------------------------------------------------------------------ grpc

/** grpc.go: Health/Check on podIP:port; SERVING is success, everything else a failure with the kubelet's text. */
export function grpcProbe(input: RunProbeInput, signal?: AbortSignal): Promise<ProbeAttempt> {
  const action = input.probe.grpc!;
  const host = input.podIP;
  if (!host) return Promise.reject(new ProbeError('pod has no IP address to probe'));
  const addr = joinHostPort(host, action.port);
  const timeoutMs = timeoutMsOf(input.probe);
  const within = goDuration(timeoutMs);
  const Health = loadHealthService();
  // grpc-js is loaded by the first gRPC probe, not with the package (issue 15).
  const rpc = grpcJs();
  const client = new Health(addr, rpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': PROBE_USER_AGENT,
    // A fresh connection per probe, as the kubelet dials one per attempt.
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 200,
  });
  // One deadline covers dialing and the RPC (context.WithTimeout in the kubelet).
  const deadline = Date.now() + timeoutMs;
  return new Promise<ProbeAttempt>((resolve, reject) => {
    let done = false;
    let call: grpc.ClientUnaryCall | undefined;
    const finish = (v: ProbeAttempt | Error) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      call?.cancel();
      client.close();
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    // grpc.WithBlock: wait for the connection until the deadline.
    client.waitForReady(deadline, (err) => {
      if (done) return;
      if (err) {
        finish({ result: 'failure', output: `timeout: failed to connect service ${msg.goQuote(addr)} within ${within}: context deadline exceeded` });
        return;
      }
      call = client.Check({ service: action.service ?? '' }, new rpc.Metadata(), { deadline }, (e, res) => {
        if (e) {
          if (e.code === rpc.status.UNIMPLEMENTED) {
            finish({ result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${e.details}` });
          } else if (e.code === rpc.status.DEADLINE_EXCEEDED) {
            finish({ result: 'failure', output: `timeout: health rpc did not complete within ${within}` });
          } else {
            finish({ result: 'failure', output: `error: health rpc probe failed: ${goStatusString(e.code, e.details)}` });
          }
          return;
        }
        const status = res?.status ?? 'UNKNOWN';
        if (status !== 'SERVING') finish({ result: 'failure', output: `service unhealthy (responded with ${msg.goQuote(status)})` });
        else finish({ result: 'success', output: 'service healthy' });
      });
    });
  });
}

// ------------------------------------------------------------------ dispatch

/** prober.runProbe: the first handler set wins (validation allows exactly one). */
export async function runProbeOnce(deps: { client: ProbeRuntime }, input: RunProbeInput, signal?: AbortSignal): Promise<ProbeAttempt> {
  const p = input.probe;
  if (p.exec) return execProbe(deps.client, input, signal);
  if (p.httpGet) return httpProbe(input, signal);
  if (p.tcpSocket) return tcpProbe(input, signal);
  if (p.grpc) return grpcProbe(input, signal);
  throw new ProbeError(`missing probe handler for ${formatPod(input.pod)}:${input.container.name}`);
}

/** The `runProbe` actor for the probe machine. Errors carry `at` so the chart knows when they happened. */
export function createProbeActor(opts: ProbeActorOptions) {
  const clock = opts.clock ?? realClock;
  return fromPromise<RunProbeOutput, RunProbeInput>(async ({ input, signal }) => {
    try {
      const t0 = opts.onAttempt ? performance.now() : 0;
      const r = await runProbeOnce({ client: opts.client }, input, signal);
      const out = { ...r, at: clock.now() };
      opts.onAttempt?.(input, out, performance.now() - t0);
      return out;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      try {
        Object.defineProperty(e, 'at', { value: clock.now(), enumerable: true, configurable: true });
      } catch {
        /* frozen: time unknown */
      }
      throw e;
    }
  });
}

export type ProbeActor = ReturnType<typeof createProbeActor>;
