// What the CLI tools (`statelet get/describe/logs/exec/events`) share: the HTTP
// client for a running agent (`--server`, default http://127.0.0.1:10255),
// clear errors when nothing listens there, and pod and container resolution as
// kubectl does it (the static pod's name with or without the node suffix, in
// `-n/--namespace`).
import { request, type IncomingMessage } from 'node:http';
import type { Command } from 'commander';
import type { AgentInfo } from '../api/server.js';
import type { Container, Event, Pod } from '../k8s/types.js';
import { DEFAULT_API_PORT } from '../api/server.js';

export const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_API_PORT}`;

/** A user-facing failure: printed as it is, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface AgentTarget {
  server: string;
  namespace: string;
}

/** Declares --server and -n/--namespace (and -A where lists make sense). */
export function addTargetOptions(cmd: Command, opts: { allNamespaces?: boolean } = {}): Command {
  cmd.option('--server <url>', 'the agent\'s API (statelet serve --address/--port)', DEFAULT_SERVER).option('-n, --namespace <ns>', 'namespace', 'default');
  if (opts.allNamespaces) cmd.option('-A, --all-namespaces', 'every namespace');
  return cmd;
}

export function targetFrom(raw: Record<string, unknown>): AgentTarget {
  return { server: String(raw['server'] ?? DEFAULT_SERVER).replace(/\/+$/, ''), namespace: String(raw['namespace'] ?? 'default') };
}

function describeConnError(server: string, err: NodeJS.ErrnoException): CliError {
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') return new CliError(`no statelet agent is listening at ${server} (is \`statelet serve\` running? --server sets the address)`);
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new CliError(`cannot resolve the agent's address ${server}: ${err.message}`);
  return new CliError(`cannot reach the agent at ${server}: ${err.message}`);
}

/** GET a path; resolves the response (any status) or rejects with a CliError when nothing answers. */
export function get(server: string, path: string, signal?: AbortSignal): Promise<IncomingMessage> {
  let url: URL;
  try {
    url = new URL(path, server + '/');
  } catch {
    return Promise.reject(new CliError(`--server: not a URL: ${server}`));
  }
  if (url.protocol !== 'http:') return Promise.reject(new CliError(`--server: only http:// is served, got ${server}`));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', signal }, resolve);
    req.on('error', (err: NodeJS.ErrnoException) => reject(err.name === 'AbortError' ? err : describeConnError(server, err)));
    req.end();
  });
}

export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

/** kubectl's "Error from server (Reason): message" for an HTTP error. */
export function serverError(status: number, body: string): CliError {
  const reason = status === 404 ? 'NotFound' : status === 400 ? 'BadRequest' : status === 403 ? 'Forbidden' : status === 422 ? 'Invalid' : 'InternalError';
  return new CliError(`Error from server (${reason}): ${body.trim()}`);
}

export async function getJson<T>(server: string, path: string): Promise<T> {
  const res = await get(server, path);
  const body = await readBody(res);
  if ((res.statusCode ?? 500) >= 300) throw serverError(res.statusCode ?? 500, body);
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new CliError(`the server at ${server} answered ${path} with something that is not JSON (is it a statelet agent?)`);
  }
}

export async function agentInfo(server: string): Promise<AgentInfo> {
  return getJson<AgentInfo>(server, '/statelet/v1/info');
}

export async function listPods(server: string): Promise<Pod[]> {
  return (await getJson<{ items: Pod[] }>(server, '/pods')).items ?? [];
}

export async function listEvents(server: string, q: { namespace?: string; uid?: string } = {}): Promise<Event[]> {
  const params = new URLSearchParams();
  if (q.namespace) params.set('namespace', q.namespace);
  if (q.uid) params.set('uid', q.uid);
  const s = params.toString();
  return (await getJson<{ items: Event[] }>(server, `/statelet/v1/events${s ? `?${s}` : ''}`)).items ?? [];
}

/** Finds a pod as kubectl names it: exactly, or (a static pod) without its `-<node>` suffix. */
export function findPod(pods: Pod[], name: string, namespace: string, nodeName?: string): Pod | undefined {
  const inNs = pods.filter((p) => (p.metadata.namespace ?? 'default') === namespace);
  return (
    inNs.find((p) => p.metadata.name === name) ??
    inNs.find((p) => nodeName !== undefined && p.metadata.name === `${name}-${nodeName}`) ??
    inNs.find((p) => p.spec.nodeName !== undefined && p.metadata.name === `${name}-${p.spec.nodeName}`)
  );
}

export async function resolvePod(t: AgentTarget, name: string): Promise<Pod> {
  const [pods, info] = await Promise.all([listPods(t.server), agentInfo(t.server).catch(() => undefined)]);
  const pod = findPod(pods, name, t.namespace, info?.nodeName);
  if (!pod) throw new CliError(`Error from server (NotFound): pods "${name}" not found`);
  return pod;
}

/** -c, or the pod's only container; a pod with several needs -c (kubectl's message). */
export function pickContainer(pod: Pod, container: string | undefined): string {
  const regular = pod.spec.containers.map((c) => c.name);
  const init = (pod.spec.initContainers ?? []).map((c) => c.name);
  const ephemeral = (pod.spec.ephemeralContainers ?? []).map((c) => c.name);
  if (container !== undefined) {
    if (![...regular, ...init, ...ephemeral].includes(container)) {
      throw new CliError(`Error from server (BadRequest): container ${container} is not valid for pod ${pod.metadata.name}`);
    }
    return container;
  }
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && regular.includes(annotated)) return annotated;
  if (regular.length === 1) return regular[0]!;
  let msg = `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${regular.join(' ')}]`;
  if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`;
  if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
  throw new CliError(`error: ${msg}`);
}

export function allContainers(pod: Pod): Container[] {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])];
}

/** Reads an NDJSON stream line by line until it ends or the signal aborts. */
export async function* ndjson(res: IncomingMessage): AsyncGenerator<Record<string, unknown>> {
  let buf = '';
  for await (const chunk of res) {
    buf += (chunk as Buffer).toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      try {
        yield JSON.parse(line) as Record<string, unknown>;
      } catch {
        /* not JSON: skipped */
      }
    }
  }
}

/** Runs a command body, turning CliErrors into a message on stderr and an exit code. */
export async function runTool(fn: () => Promise<number | void>): Promise<number> {
  try {
    return (await fn()) ?? 0;
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(err.message.startsWith('Error from server') || err.message.startsWith('error:') ? `${err.message}\n` : `statelet: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
