// The API, metrics and exec socket of `statelet serve`, put around a NodeAgent
// in a few calls, so that serve itself changes little:
//
//   const api = new NodeApi({ nodeName, rootDir, runtimeEndpoint, address, port, allowRemote, log });
//   const client = api.wrapClient(adoptingClient);        // CRI calls counted (instrumented_services.go)
//   const agent = new NodeAgent({ client, sink: api.wrapSink(sink), manager: { ...api.managerOptions(client), ... } });
//   api.observe(agent, adoptingClient);                    // before agent.start(): adopted pods are seen too
//   await agent.start();
//   const server = await api.start(agent);                 // after the root dir is locked (the exec socket lives there)
//   ...
//   await api.close();
import { join } from 'node:path';
import { createProbeActor } from '../actors/probe.js';
import type { RuntimeManagerOptions } from '../manager.js';
import type { CriRuntime } from '../cri/services.js';
import type { Pod, PodStatus } from '../k8s/types.js';
import type { NodeAgent } from '../node/agent.js';
import type { NodeSink } from '../node/sinks.js';
import { NODE_NAME_LABEL } from '../node/runtime-view.js';
import { NodeMetrics } from './metrics.js';
import { EXEC_SOCKET_NAME, startApiServer, type ApiServer } from './server.js';

export interface NodeApiOptions {
  nodeName: string;
  rootDir: string;
  runtimeEndpoint: string;
  address?: string;
  port?: number;
  allowRemote?: boolean;
  log?: (msg: string) => void;
}

export class NodeApi {
  readonly metrics: NodeMetrics;
  private readonly statuses = new Map<string, PodStatus>();
  private server?: ApiServer;

  constructor(private readonly opts: NodeApiOptions) {
    this.metrics = new NodeMetrics({ nodeName: opts.nodeName });
  }

  /** The runtime client with every CRI call counted. */
  wrapClient<T extends object>(client: T): T {
    return this.metrics.instrumentRuntime(client);
  }

  /** Manager options the API needs: chart transitions for the watch stream, probes counted per attempt. */
  managerOptions(client: CriRuntime): Pick<RuntimeManagerOptions, 'transitions' | 'actors'> {
    return { transitions: true, actors: { runProbe: createProbeActor({ client, onAttempt: this.metrics.observeProbe }) } };
  }

  /** Keeps the statuses the agent reports (pods it rejected at admission are in /pods too). */
  wrapSink(inner: NodeSink): NodeSink {
    const statuses = this.statuses;
    const sink: NodeSink = {
      podStatus(pod: Pod, status: PodStatus) {
        statuses.set(pod.metadata.uid ?? '', status);
        inner.podStatus(pod, status);
      },
      podRemoved(pod: Pod, status: PodStatus) {
        statuses.delete(pod.metadata.uid ?? '');
        inner.podRemoved?.(pod, status);
      },
      event: (ev) => inner.event(ev),
    };
    if (inner.transition) sink.transition = (t) => inner.transition!(t);
    return sink;
  }

  /** Follows the agent's manager for the metrics; `runtime` (uninstrumented) is listed at scrape time. */
  observe(agent: NodeAgent, runtime: Pick<CriRuntime, 'listPodSandbox' | 'listContainers'>): void {
    this.metrics.observe(agent.manager, { runtime, sandboxSelector: { [NODE_NAME_LABEL]: this.opts.nodeName } });
  }

  /** Starts the HTTP API and the exec socket (<root-dir>/statelet.sock). */
  async start(agent: NodeAgent): Promise<ApiServer> {
    this.server = await startApiServer({
      manager: agent.manager,
      runtime: agent.manager.client,
      info: { nodeName: this.opts.nodeName, runtimeEndpoint: this.opts.runtimeEndpoint, rootDir: this.opts.rootDir },
      metrics: this.metrics,
      address: this.opts.address,
      port: this.opts.port,
      allowRemote: this.opts.allowRemote,
      execSocket: join(this.opts.rootDir, EXEC_SOCKET_NAME),
      sandboxSelector: { [NODE_NAME_LABEL]: this.opts.nodeName },
      extraPods: () => agent.pods().rejected.map((pod) => ({ pod, status: this.statuses.get(pod.metadata.uid ?? '') ?? { phase: 'Failed' } })),
      log: this.opts.log,
    });
    return this.server;
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.metrics.close();
  }
}
