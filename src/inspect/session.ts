// Everything `--inspect`, `--stately` and `--stately-url` start, behind one
// call that `statelet run` and `statelet serve` share:
//
//   const inspection = await startInspection(options, { log });
//   const manager = new RuntimeManager({ ..., inspect: inspection.inspect });
//   inspection.attach(manager);          // pod statuses for the visualizer
//   ...
//   await manager.close();
//   await inspection.close();
//
// With none of the flags, `inspect` is undefined and nothing is started: the
// manager then pays nothing for inspection.

import type { InspectionEvent } from 'xstate';
import { InspectionHub } from './hub.js';
import type { PodStatusMessage } from './protocol.js';
import { startInspectionServer, type InspectionServer } from './server.js';
import {
  STATELY_DEFAULT_PORT,
  STATELY_INSPECTOR_URL,
  startPackageRelay,
  startStatelyBridge,
  startStatelySender,
  probeWebSocket,
  type PackageRelay,
  type StatelyBridge,
  type StatelySender,
} from './stately.js';

export interface InspectionOptions {
  /** `--inspect [port]`: statelet's visualizer and stream (true or 0: any free port). */
  inspect?: number | true;
  /** `--inspect-host`: where the visualizer listens. Default 127.0.0.1. */
  inspectHost?: string;
  /**
   * `--inspect-allow-remote`: lets `inspectHost` be a non-loopback address, and
   * makes `--stately` run @statelyai/inspect's own server (every interface, no
   * Host/Origin checks) instead of statelet's loopback bridge.
   */
  allowRemote?: boolean;
  /** `--stately [port]`: the Stately inspector bridge (true: port 8080; 0: any free port). */
  stately?: number | true;
  /** `--stately-url ws://host:port`: send to a Stately inspector server that is already running. */
  statelyUrl?: string;
  /** `--stately-inspector-url`: the page the bridge embeds. Default https://stately.ai/inspect. */
  statelyInspectorUrl?: string;
  /** Open the bridge page in a browser (default true; `--no-open`). */
  open?: boolean;
  /** Directory of the built visualizer (tests). */
  staticDir?: string;
}

/** What attach() needs of a RuntimeManager (status$ and getActor). */
export interface InspectedManager {
  status$: { subscribe(next: (u: { pod: PodRef; status: unknown }) => void): { unsubscribe(): void } };
  getActor(uid: string): { sessionId: string } | undefined;
}
interface PodRef {
  metadata: { name?: string; namespace?: string; uid?: string };
}

export interface InspectionSession {
  /** Pass to the RuntimeManager's `inspect` option; undefined when no inspection was asked for. */
  inspect?: (ev: InspectionEvent) => void;
  /** The hub behind the visualizer and the bridge, when either runs. */
  hub?: InspectionHub;
  visualizer?: InspectionServer;
  stately?: StatelyBridge | PackageRelay;
  statelySender?: StatelySender;
  /** Publishes every pod's v1 status to the visualizer (phase and restarts in its actor list). Returns a detacher. */
  attach(manager: InspectedManager): () => void;
  close(): Promise<void>;
}

export interface InspectionContext {
  log: (msg: string) => void;
  /** Opens a URL in the user's browser; default: the `open` package. */
  openUrl?: (url: string) => Promise<void>;
}

/** Opens a URL with the platform's opener; a machine without one gets a line saying so. */
export async function openInBrowser(url: string, log: (m: string) => void): Promise<void> {
  try {
    // Loaded only when a browser is to be opened: most runs never do.
    const { default: open } = await import('open');
    const child = await open(url);
    child.once('error', (err) => log(`could not open a browser (${err.message}); open ${url} yourself`));
  } catch (err) {
    log(`could not open a browser (${(err as Error).message}); open ${url} yourself`);
  }
}

export async function startInspection(opts: InspectionOptions, ctx: InspectionContext): Promise<InspectionSession> {
  const { log } = ctx;
  const openUrl = ctx.openUrl ?? ((url: string) => openInBrowser(url, log));
  const session: InspectionSession = {
    attach: () => () => {},
    close: async () => {},
  };
  const wantHub = opts.inspect !== undefined || (opts.stately !== undefined && !opts.allowRemote);
  const sinks: Array<(ev: InspectionEvent) => void> = [];
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    if (wantHub) {
      const hub = new InspectionHub({ log });
      session.hub = hub;
      sinks.push(hub.inspect);
      closers.push(async () => hub.close());
    }
    if (opts.inspect !== undefined) {
      const vis = await startInspectionServer({
        port: opts.inspect === true ? 0 : opts.inspect,
        host: opts.inspectHost,
        allowRemote: opts.allowRemote,
        hub: session.hub,
        staticDir: opts.staticDir,
        log,
      });
      session.visualizer = vis;
      closers.push(() => vis.close());
      log(`inspector: ${vis.url} (WebSocket ${vis.wsUrl})`);
    }
    if (opts.stately !== undefined) {
      const port = opts.stately === true ? STATELY_DEFAULT_PORT : opts.stately;
      const inspectorUrl = opts.statelyInspectorUrl ?? STATELY_INSPECTOR_URL;
      let bridge: StatelyBridge | PackageRelay;
      if (opts.allowRemote) {
        const relay = await startPackageRelay({ port, inspectorUrl, log });
        sinks.push(relay.inspect);
        bridge = relay;
      } else {
        bridge = await startStatelyBridge({ hub: session.hub!, port, inspectorUrl, log });
      }
      session.stately = bridge;
      closers.push(() => bridge.close());
      const remote = inspectorUrl === STATELY_INSPECTOR_URL ? ', which needs internet in the browser' : '';
      log(`stately inspector: ${bridge.url} (WebSocket ${bridge.wsUrl}; embeds ${inspectorUrl}${remote})`);
      if (opts.open !== false) await openUrl(bridge.url);
    }
    if (opts.statelyUrl !== undefined) {
      const why = await probeWebSocket(opts.statelyUrl);
      if (why) {
        log(
          `warning: no Stately inspector server answers at ${opts.statelyUrl} (${why}); ` +
            `trying again every 5 s, then sending the live actors`,
        );
      }
      const sender = await startStatelySender(opts.statelyUrl, { reachable: !why, log });
      session.statelySender = sender;
      sinks.push(sender.inspect);
      closers.push(() => sender.close());
      log(`stately inspector: sending to ${opts.statelyUrl} (@statelyai/inspect createWebSocketInspector)`);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }

  if (sinks.length === 1) session.inspect = sinks[0];
  else if (sinks.length > 1) {
    session.inspect = (ev) => {
      for (const sink of sinks) sink(ev);
    };
  }
  const hub = session.hub;
  if (hub) {
    session.attach = (manager) => {
      const sub = manager.status$.subscribe(({ pod, status }) => {
        const uid = pod.metadata.uid;
        const actor = uid ? manager.getActor(uid) : undefined;
        if (!uid || !actor) return;
        const msg: PodStatusMessage = {
          type: '@statelet.podStatus',
          sessionId: actor.sessionId,
          uid,
          name: pod.metadata.name ?? '',
          namespace: pod.metadata.namespace ?? 'default',
          time: Date.now(),
          status,
        };
        hub.retain(`pod:${uid}`, actor.sessionId, msg);
      });
      return () => sub.unsubscribe();
    };
  }
  session.close = closeAll;
  return session;
}
