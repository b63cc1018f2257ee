// The lifecycle hook runner (pkg/kubelet/lifecycle/handlers.go): exec, then
// httpGet, then sleep; anything else is an invalid handler. Hook failures
// throw HookError whose message is the kubelet's full hook message (the
// PostStartHookError waiting message).
import { nodeHttp } from '../lazy-deps.js';
import type { RuntimeService } from '../cri/services.js';
import { CriError } from '../cri/errors.js';
import type { Container, HTTPGetAction, IntOrString, LifecycleHandler } from '../k8s/types.js';
import { formatPod } from '../k8s/format.js';
import * as msg from '../k8s/messages.js';
import { sleepOn, type Clock } from '../clock.js';
import type { RunHandlerInput, RunHandlerOutput } from '../../machines/types.js';

/** The minor version statelet follows for User-Agent strings. */
export const KUBE_VERSION = { major: 1, minor: 34 };
const MAX_HOOK_BODY_BYTES = 10 * 1024;
const MAX_REDIRECTS = 10;

export class HookError extends Error {
  override name = 'HookError';
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

/** Resolves an IntOrString port against the container's named ports (kubelet resolvePort). */
export function resolvePort(port: IntOrString, container: Container): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else if (/^\d+$/.test(port)) n = Number(port);
  else {
    const named = container.ports?.find((p) => p.name === port);
    if (!named) throw new Error(`couldn't find port: ${JSON.stringify(port)} in ${container.name}`);
    n = named.containerPort;
  }
  if (!Number.isInteger(n) || n <= 0 || n >= 65536) throw new Error(msg.invalidPortNumber(n));
  return n;
}

/** Go's net/http error text for the common transport failures, so messages read like the kubelet's. */
export function goHttpError(url: string, hostPort: string, err: NodeJS.ErrnoException): string {
  const op = `Get ${JSON.stringify(url)}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${op}: dial tcp ${hostPort}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `${op}: dial tcp ${hostPort}: connect: no route to host`;
    case 'ENOTFOUND':
      return `${op}: dial tcp: lookup ${hostPort.split(':')[0]}: no such host`;
    case 'ECONNRESET':
      return `${op}: read tcp ${hostPort}: connection reset by peer`;
    default:
      return `${op}: ${err.message}`;
  }
}

export interface HttpGetResult {
  statusCode: number;
  body: string;
  /** The final URL after same-host redirects. */
  url: string;
  /** Set when a redirect pointed at another host and was not followed. */
  offHostRedirect?: string;
}

/**
 * One GET as the kubelet's probe/hook HTTP client does it: headers honoured,
 * redirects followed only on the same host, body read up to `maxBody`.
 */
export function httpGet(
  url: string,
  opts: { headers: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; maxBody?: number },
): Promise<HttpGetResult> {
  const maxBody = opts.maxBody ?? MAX_HOOK_BODY_BYTES;
  const once = (target: URL) =>
    new Promise<{ statusCode: number; body: string; location?: string }>((resolve, reject) => {
      const mod = nodeHttp(target.protocol === 'https:');
      const req = mod.request(
        target,
        { method: 'GET', headers: opts.headers, signal: opts.signal, rejectUnauthorized: false, timeout: opts.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < maxBody) chunks.push(c.subarray(0, maxBody - size));
            size += c.length;
          });
          res.on('end', () =>
            resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: res.headers.location }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end();
    });
  return (async () => {
    let target = new URL(url);
    for (let i = 0; ; i++) {
      const r = await once(target);
      if (r.statusCode >= 300 && r.statusCode < 400 && r.location && i < MAX_REDIRECTS) {
        const next = new URL(r.location, target);
        if (next.hostname !== target.hostname) return { statusCode: r.statusCode, body: r.body, url: target.href, offHostRedirect: next.href };
        target = next;
        continue;
      }
      return { statusCode: r.statusCode, body: r.body, url: target.href };
    }
  })();
}

export function buildHttpUrl(action: HTTPGetAction, host: string, port: number): string {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  let path = action.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}${path}`;
}

export function httpHeaders(action: HTTPGetAction, userAgent: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  const has = (n: string) => Object.keys(headers).some((k) => k.toLowerCase() === n);
  if (!has('user-agent')) headers['User-Agent'] = userAgent;
  if (!has('accept')) headers['Accept'] = '*/*';
  return headers;
}

export interface HandlerRunnerDeps {
  /** Exec hooks run through the runtime's ExecSync. */
  client: Pick<RuntimeService, 'execSync'>;
  clock: Clock;
}

/** runHandler as a promise: resolves with timings, rejects with HookError. */
export async function runHandler(deps: HandlerRunnerDeps, input: RunHandlerInput, signal?: AbortSignal): Promise<RunHandlerOutput> {
  const { client, clock } = deps;
  const { pod, container, handler } = input;
  const startedAt = clock.now();
  const podRef = formatPod(pod);
  const fail = (message: string): never => {
    throw new HookError(message, clock.now());
  };
  const h: LifecycleHandler = handler;
  if (h.exec) {
    const cmd = h.exec.command ?? [];
    try {
      // Hooks pass timeout 0: no exec timeout and no gRPC deadline (kubelet).
      const res = await client.execSync({ containerId: input.containerId, cmd, timeout: 0 }, { signal });
      if (res.exitCode !== 0) {
        const output = Buffer.concat([res.stdout, res.stderr]).toString('utf8');
        fail(msg.execHookFailedMessage(cmd, container.name, podRef, msg.execExitError(cmd, res.exitCode, res.stderr.toString('utf8')), output));
      }
    } catch (err) {
      if (err instanceof HookError) throw err;
      // handlers.go formats the RunInContainer error with %v: a CRI error reads `rpc error: code = ... desc = ...`.
      const detail = err instanceof CriError ? err.goString : (err as Error).message;
      fail(msg.execHookFailedMessage(cmd, container.name, podRef, detail, ''));
    }
    return { startedAt, finishedAt: clock.now() };
  }
  if (h.httpGet) {
    const action = h.httpGet;
    const path = action.path ?? '/';
    let url = '';
    try {
      const host = action.host || input.podIP;
      if (!host) throw new Error(msg.failedToFindNetworkingContainer('the pod has no IP'));
      const port = resolvePort(action.port, container);
      url = buildHttpUrl(action, host, port);
      const ua = `kube-lifecycle/${KUBE_VERSION.major}.${KUBE_VERSION.minor}`;
      // Only transport errors fail a hook: any HTTP status is a success (kubernetes#56963).
      await httpGet(url, { headers: httpHeaders(action, ua), signal }).catch((e: NodeJS.ErrnoException) => {
        throw new Error(goHttpError(url, new URL(url).host, e));
      });
    } catch (err) {
      fail(msg.httpHookFailedMessage(path, container.name, podRef, (err as Error).message));
    }
    return { startedAt, finishedAt: clock.now() };
  }
  if (h.sleep) {
    const seconds = h.sleep.seconds;
    try {
      await sleepOn(clock, seconds * 1000, signal);
    } catch {
      fail(msg.sleepHookFailedMessage(seconds, container.name, podRef, msg.ERR_SLEEP_HOOK_CANCELLED));
    }
    return { startedAt, finishedAt: clock.now() };
  }
  return fail(msg.cannotRunHandlerMessage(h));
}
