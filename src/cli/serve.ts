// `statelet serve`: a node agent running every pod of a static-pod manifest
// directory (the kubelet's --pod-manifest-path), with one manager and one PLEG,
// surviving its own restarts (see src/node/agent.ts).
import { Option, type Command } from 'commander';
import { resolve, join } from 'node:path';
import { AdoptingCriClient } from '../node/adoption.js';
import { AdoptionRegistry } from '../node/adoption.js';
import { NodeAgent } from '../node/agent.js';
import { DEFAULT_MAX_PODS } from '../node/admission.js';
import { ensureEmbeddedRuntime, type RuntimeProcess } from '../node/embedded-runtime.js';
import { NODE_NAME_LABEL } from '../node/runtime-view.js';
import { NdjsonSink, TextSink } from '../node/sinks.js';
import { nodeNameOf } from '../node/static-pod.js';
import { FILE_CHECK_FREQUENCY_MS, StaticPodSource } from '../node/static-source.js';
import { DEFAULT_CONTAINER_LOG_MAX_FILES, DEFAULT_CONTAINER_LOG_MAX_SIZE } from '../node/container-logs.js';
import { Quantity } from '../k8s/quantity.js';
import { startInspection } from '../lazy-entry.js';
import type { InspectionSession } from '../inspect/session.js';
import { addInspectOptions, inspectOptionsFrom } from './inspect-flags.js';
import { addKubeletOptions, kubeletOptionsFrom } from './kubelet-flags.js';
import { DEFAULT_FEATURE_GATES, type FeatureGates } from '../../machines/features.js';
import { NodeApi } from '../api/node-api.js';
import { DEFAULT_API_PORT } from '../api/server.js';
import { isLoopbackHost } from '../inspect/hosts.js';

/** The kubelet's --root-dir default is /var/lib/kubelet. */
export const DEFAULT_SERVE_ROOT_DIR = '/var/lib/statelet';

const seconds = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a number of seconds >= 0, got ${JSON.stringify(v)}`);
  return n;
};

const positiveInt = (name: string, min = 1) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
};

/**
 * An inspector that could not start, as the CLI says it: naming the flag that asked for
 * it (the library's messages name options, a user typed flags).
 */
export function inspectorFailure(opts: { inspect?: unknown; stately?: unknown; statelyUrl?: unknown }, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const flags = [opts.inspect !== undefined ? '--inspect' : '', opts.stately !== undefined ? '--stately' : '', opts.statelyUrl !== undefined ? '--stately-url' : ''].filter(Boolean);
  if (flags.some((f) => msg.includes(f))) return msg;
  return `${flags.join(', ') || '--inspect'}: cannot start the inspector: ${msg}`;
}

/** containerLogMaxSize is a quantity (10Mi); a plain number is bytes. */
export function parseLogSize(v: string): number {
  try {
    return Quantity.parse(v).value();
  } catch (err) {
    throw new Error(`--container-log-max-size: expected a quantity such as 10Mi, got ${JSON.stringify(v)} (${(err as Error).message})`);
  }
}

export interface ServeOptions {
  podManifestPath: string;
  runtimeEndpoint?: string;
  rootDir: string;
  hostnameOverride?: string;
  maxPods: number;
  output: 'text' | 'json';
  podLogsDir?: string;
  runtimeRequestTimeout: number;
  backoffInitial?: number;
  /** The kubelet's maxContainerRestartPeriod (1–300 s; checked by the flag parser). */
  backoffMax?: number;
  /** Kubelet feature gates (--feature-gates; default: the 1.36 defaults). */
  featureGates?: FeatureGates;
  hookTimeout?: number;
  podWorkerRetry?: number;
  killPodsOnExit: boolean;
  fileCheckFrequency: number;
  containerLogMaxSize: number;
  containerLogMaxFiles: number;
  /** The HTTP API (the kubelet's read-only port): bind address, port (0: any free one), and whether a non-loopback address is allowed. */
  api?: { address: string; port: number; allowRemote: boolean };
}

export function registerServeCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('serve')
    .description('run every pod of a static-pod manifest directory, as a kubelet does, until SIGTERM (the pods keep running)')
    .requiredOption('--pod-manifest-path <dir>', 'directory of static pod manifests (*.yaml, *.yml, *.json; dotfiles ignored)')
    .option('--runtime-endpoint <endpoint>', 'CRI endpoint (unix:///path); default: the embedded runtime, as its own process under --root-dir')
    .option('--root-dir <dir>', 'the agent\'s state: checkpoints, the embedded runtime, pod directories', DEFAULT_SERVE_ROOT_DIR)
    .option('--hostname-override <name>', 'the node name (default: the hostname); static pods are named <name>-<node>')
    .option('--max-pods <n>', 'pods admitted at once (the kubelet\'s maxPods)', positiveInt('--max-pods', 0), DEFAULT_MAX_PODS)
    .addOption(new Option('--output <format>', 'text: a line per change; json: NDJSON Kubernetes objects on stdout (as statelet run)').choices(['text', 'json']).default('text'))
    .option('--pod-logs-dir <dir>', 'root of the pod log directories (the kubelet\'s /var/log/pods; default <root-dir>/pod-logs)')
    .option('--runtime-request-timeout <seconds>', 'deadline for CRI calls', seconds('--runtime-request-timeout'), 120)
    .option('--hook-timeout <seconds>', 'fail postStart hooks that run longer than this (statelet extension; default 0 = none)', seconds('--hook-timeout'))
    .option('--pod-worker-retry <seconds>', 'retry period after a failed sync step that is not a back-off (kubelet: 10, plus up to 50% jitter)', seconds('--pod-worker-retry'))
    .option('--file-check-frequency <seconds>', 'full re-scan period of the manifest directory (the kubelet\'s fileCheckFrequency)', seconds('--file-check-frequency'), FILE_CHECK_FREQUENCY_MS / 1000)
    .option('--container-log-max-size <quantity>', 'rotate a container\'s log at this size (the kubelet\'s containerLogMaxSize; 0 disables)', parseLogSize, DEFAULT_CONTAINER_LOG_MAX_SIZE)
    .option('--container-log-max-files <n>', 'log files kept per container, the live one included (containerLogMaxFiles)', positiveInt('--container-log-max-files', 2), DEFAULT_CONTAINER_LOG_MAX_FILES)
    .option('--kill-pods-on-exit', 'on SIGTERM/SIGINT, delete every pod gracefully before exiting (default: leave them running, as a kubelet restart does)')
    .option('--address <ip>', 'address of the HTTP API (/healthz, /pods, /metrics, /containerLogs, ...); non-loopback needs --api-allow-remote', '127.0.0.1')
    .option('--port <n>', `port of the HTTP API (the kubelet's read-only port; 0: any free port)`, positiveInt('--port', 0), DEFAULT_API_PORT)
    .option('--api-allow-remote', 'allow --address to be a non-loopback address (the API has no authentication)')
    .option('--no-api', 'serve no HTTP API and no exec socket')
    .action(async (raw: Record<string, unknown>, c: Command) => {
      const inspection = inspectOptionsFrom(raw, c);
      const kubelet = kubeletOptionsFrom(raw, c);
      const code = await serve(
        {
          podManifestPath: raw['podManifestPath'] as string,
          runtimeEndpoint: raw['runtimeEndpoint'] as string | undefined,
          rootDir: raw['rootDir'] as string,
          hostnameOverride: raw['hostnameOverride'] as string | undefined,
          maxPods: raw['maxPods'] as number,
          output: raw['output'] as 'text' | 'json',
          podLogsDir: raw['podLogsDir'] as string | undefined,
          runtimeRequestTimeout: raw['runtimeRequestTimeout'] as number,
          backoffInitial: raw['backoffInitial'] as number | undefined,
          backoffMax: raw['backoffMax'] as number | undefined,
          featureGates: kubelet.featureGates,
          hookTimeout: raw['hookTimeout'] as number | undefined,
          podWorkerRetry: raw['podWorkerRetry'] as number | undefined,
          killPodsOnExit: raw['killPodsOnExit'] === true,
          fileCheckFrequency: raw['fileCheckFrequency'] as number,
          containerLogMaxSize: raw['containerLogMaxSize'] as number,
          containerLogMaxFiles: raw['containerLogMaxFiles'] as number,
          api: raw['api'] === false ? undefined : apiOptionsFrom(raw, c),
        },
        inspection,
      );
      setExitCode(code);
    });
  addKubeletOptions(cmd);
  addInspectOptions(cmd);
}

/** --address/--port/--api-allow-remote, checked before anything starts (a usage error exits 2). */
function apiOptionsFrom(raw: Record<string, unknown>, c: Command): ServeOptions['api'] {
  const address = String(raw['address'] ?? '127.0.0.1');
  const allowRemote = raw['apiAllowRemote'] === true;
  if (!isLoopbackHost(address) && !allowRemote) {
    c.error(`error: --address ${address}: not a loopback address; the API serves every pod's spec, status and logs without authentication. Add --api-allow-remote to expose it on purpose.`, { exitCode: 2, code: 'statelet.apiAddress' });
  }
  const port = raw['port'] as number;
  if (port > 65535) c.error(`error: --port: expected a port number, got ${port}`, { exitCode: 2, code: 'statelet.apiPort' });
  return { address, port, allowRemote };
}

/** Runs the agent until a signal; resolves the exit code. */
export async function serve(opts: ServeOptions, inspectionOpts: Parameters<typeof startInspection>[0] = {}): Promise<number> {
  const json = opts.output === 'json';
  const err = (line: string) => process.stderr.write(`statelet: ${line}\n`);
  const nodeName = nodeNameOf(opts.hostnameOverride);
  const rootDir = resolve(opts.rootDir);
  let runtime: RuntimeProcess | undefined;
  let endpoint = opts.runtimeEndpoint;
  if (!endpoint) {
    try {
      runtime = await ensureEmbeddedRuntime(rootDir, { log: err });
    } catch (e) {
      err((e as Error).message);
      return 1;
    }
    endpoint = runtime.endpoint;
    if (!runtime.started) err(`attached to the embedded runtime already serving on ${endpoint}`);
  }
  const registry = new AdoptionRegistry();
  const client = new AdoptingCriClient({
    endpoint,
    runtimeRequestTimeoutMs: opts.runtimeRequestTimeout * 1000,
    sandboxLabels: { [NODE_NAME_LABEL]: nodeName },
    registry,
    log: err,
  });
  try {
    await client.version();
  } catch (e) {
    err(`cannot reach the container runtime at ${endpoint}: ${(e as Error).message}`);
    client.close();
    return 1;
  }
  let inspection: InspectionSession;
  try {
    inspection = await startInspection(inspectionOpts, { log: err });
  } catch (e) {
    err(inspectorFailure(inspectionOpts, e));
    client.close();
    return 1;
  }
  const api = opts.api ? new NodeApi({ nodeName, rootDir, runtimeEndpoint: endpoint, ...opts.api, log: err }) : undefined;
  const runtimeClient = api ? api.wrapClient(client) : client;
  const gates = opts.featureGates ?? DEFAULT_FEATURE_GATES;
  const source = new StaticPodSource({ dir: opts.podManifestPath, nodeName, rescanMs: opts.fileCheckFrequency * 1000, log: err, gates });
  const agent = new NodeAgent({
    nodeName,
    rootDir,
    client: runtimeClient,
    registry,
    sources: [source],
    sink: api ? api.wrapSink(json ? new NdjsonSink() : new TextSink()) : json ? new NdjsonSink() : new TextSink(),
    maxPods: opts.maxPods,
    podLogsDir: opts.podLogsDir ? resolve(opts.podLogsDir) : join(rootDir, 'pod-logs'),
    manager: {
      transitions: json,
      ...api?.managerOptions(runtimeClient),
      inspect: inspection.inspect,
      rootDir: join(rootDir, 'kubelet'),
      backOff:
        opts.backoffInitial !== undefined || opts.backoffMax !== undefined
          ? { initialMs: opts.backoffInitial !== undefined ? opts.backoffInitial * 1000 : undefined, maxMs: opts.backoffMax !== undefined ? opts.backoffMax * 1000 : undefined }
          : undefined,
      container: { featureGates: { ...gates }, ...(opts.hookTimeout ? { hookTimeoutMs: opts.hookTimeout * 1000 } : {}) },
      podWorkerRetryMs: opts.podWorkerRetry !== undefined ? opts.podWorkerRetry * 1000 : undefined,
      containerLogMaxSize: opts.containerLogMaxSize,
      containerLogMaxFiles: opts.containerLogMaxFiles,
    },
    log: err,
  });
  inspection.attach(agent.manager);
  api?.observe(agent, client);

  let signals = 0;
  let resolveStop!: (sig: NodeJS.Signals) => void;
  const stopped = new Promise<NodeJS.Signals>((r) => (resolveStop = r));
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) resolveStop(sig);
    else if (opts.killPodsOnExit) {
      err(`${sig}: force deleting every pod (preStop gets at most 1s, StopContainer timeout 2s)`);
      agent.forceDeletions();
    }
  };
  // SIGHUP (a closed terminal) stops the agent like SIGTERM; the pods stay unless --kill-pods-on-exit.
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  try {
    await agent.start();
  } catch (e) {
    err(`cannot start: ${(e as Error).message}`);
    source.stop();
    await agent.manager.close().catch(() => {});
    client.close();
    await inspection.close();
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    return 1;
  }
  if (api) {
    try {
      const server = await api.start(agent);
      err(`API serving on ${server.url} (exec socket ${server.execSocket})`);
    } catch (e) {
      err(`cannot serve the API on ${opts.api!.address}:${opts.api!.port}: ${(e as Error).message}`);
      await agent.stop({ killPods: false });
      client.close();
      await inspection.close();
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
      return 1;
    }
  }
  err(`node ${nodeName}: serving pods from ${resolve(opts.podManifestPath)} (root dir ${rootDir}, runtime ${endpoint})`);
  const sig = await stopped;
  err(
    opts.killPodsOnExit
      ? `${sig}: deleting every pod, then exiting (send again to force)`
      : `${sig}: stopping; the pods keep running (a restarted statelet serve with --root-dir ${rootDir} adopts them)`,
  );
  await agent.stop({ killPods: opts.killPodsOnExit });
  await api?.close();
  client.close();
  await inspection.close();
  // Nothing is left for the embedded runtime to run: it goes too.
  if (opts.killPodsOnExit && runtime) await runtime.stop();
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  return 0;
}
