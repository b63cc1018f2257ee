// Stately's inspector for a Node process (`statelet run|serve --stately`).
//
// Stately documents one way to inspect a Node process: `createInspectorServer()`
// from `@statelyai/inspect/server` serves a bridge page that embeds the
// inspector (https://stately.ai/inspect) in an iframe, and the page relays
// every message of its WebSocket to the iframe with postMessage once the
// iframe has posted `@statelyai.connected`. That server listens on every
// interface and checks neither Host nor Origin, while the stream carries every
// actor's context. So this module serves the same bridge protocol from a
// loopback-only server of our own, with the Host and Origin checks of the
// visualizer's server (server.ts). The messages come from the InspectionHub,
// whose `@xstate.*` messages are Stately's own format (the tests prove it with
// the package's code), and a page that connects late first gets every live
// actor with its current snapshot.
//
// The package's own server is started instead only with an explicit
// `--inspect-allow-remote` (startPackageRelay below).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import diagnostics from 'node:diagnostics_channel';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { WebSocket as WsClient, WebSocketServer, type WebSocket } from 'ws';
import type { InspectionEvent } from 'xstate';
import type { InspectionHub } from './hub.js';
import { loopbackHostHeader, sameOrigin } from './hosts.js';
import { MAX_CLIENT_MESSAGE, pipeHubToSocket } from './ws-client.js';

import { STATELY_DEFAULT_PORT, STATELY_INSPECTOR_URL } from './stately-defaults.js';
export { STATELY_DEFAULT_PORT, STATELY_INSPECTOR_URL };

export interface StatelyBridgeOptions {
  /** The hub whose `@xstate.*` messages are relayed. */
  hub: InspectionHub;
  /** TCP port on 127.0.0.1. Default 8080; 0 picks a free one. */
  port?: number;
  /** The inspector page embedded in the iframe. Default https://stately.ai/inspect. */
  inspectorUrl?: string;
  /** A page whose unsent data exceeds this is dropped (it reconnects and gets the live actors again). Default 8 MiB. */
  maxClientBufferBytes?: number;
  log?: (msg: string) => void;
}

export interface StatelyBridge {
  /** http://127.0.0.1:port/ — the bridge page. */
  url: string;
  /** ws://127.0.0.1:port/ — what the page reads. */
  wsUrl: string;
  inspectorUrl: string;
  close(): Promise<void>;
}

/** The bridge page. The script is a separate file so the page's CSP allows no inline script. */
function bridgeHtml(inspectorUrl: string): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Stately Inspector · statelet</title>
<link rel="icon" href="data:,">
<style>
  * { margin: 0; padding: 0; }
  html, body { height: 100%; }
  body { display: flex; flex-direction: column; font: 12px system-ui, sans-serif; }
  #bridge-status { padding: 3px 10px; background: #111827; color: #d1d5db; }
  iframe { flex: 1; width: 100%; border: none; }
</style>
</head>
<body data-state="connecting" data-buffered="0" data-relayed="0">
<div id="bridge-status" data-testid="bridge-status">statelet → Stately inspector: connecting…</div>
<iframe id="inspector" src="${esc(inspectorUrl)}" title="Stately inspector"></iframe>
<script src="bridge.js"></script>
</body>
</html>
`;
}

/**
 * The bridge script: the protocol of @statelyai/inspect's bridge page, plus
 * postMessage aimed at the inspector's origin only, `@statelyai.connected`
 * taken only from the iframe, and a reconnecting WebSocket.
 */
const BRIDGE_JS = `'use strict';
(() => {
  const iframe = document.getElementById('inspector');
  const status = document.getElementById('bridge-status');
  const inspectorOrigin = new URL(iframe.src, location.href).origin;
  const target = inspectorOrigin === 'null' ? '*' : inspectorOrigin;
  const MAX_BUFFER = 20000;
  let buffer = [];
  let connected = false;
  let relayed = 0;
  let socket = 'connecting';
  const show = () => {
    document.body.dataset.state = connected ? 'relaying' : 'waiting';
    document.body.dataset.buffered = String(buffer.length);
    document.body.dataset.relayed = String(relayed);
    document.body.dataset.socket = socket;
    status.textContent = 'statelet \\u2192 Stately inspector: ' + (socket === 'open' ? 'stream open' : socket) + ', ' +
      (connected ? relayed + ' messages relayed' : buffer.length + ' messages waiting for the inspector');
  };
  const post = (msg) => {
    iframe.contentWindow.postMessage(msg, target);
    relayed++;
  };
  window.addEventListener('message', (e) => {
    if (e.source !== iframe.contentWindow || (target !== '*' && e.origin !== inspectorOrigin)) return;
    if (e.data && e.data.type === '@statelyai.connected') {
      connected = true;
      const pending = buffer;
      buffer = [];
      for (const m of pending) post(m);
      show();
    }
  });
  const connect = () => {
    const ws = new WebSocket('ws://' + location.host + '/');
    ws.onopen = () => { socket = 'open'; show(); };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (connected) post(msg);
      else {
        buffer.push(msg);
        // Keep every actor announcement; drop the oldest other messages past the bound.
        if (buffer.length > MAX_BUFFER) {
          const i = buffer.findIndex((m) => m.type !== '@xstate.actor');
          buffer.splice(i < 0 ? 0 : i, 1);
        }
      }
      show();
    };
    ws.onclose = () => { socket = 'disconnected, retrying'; show(); setTimeout(connect, 1000); };
  };
  show();
  connect();
})();
`;

/** Serves the Stately bridge from 127.0.0.1 only. */
export async function startStatelyBridge(opts: StatelyBridgeOptions): Promise<StatelyBridge> {
  const host = '127.0.0.1';
  const log = opts.log ?? (() => {});
  const inspectorUrl = opts.inspectorUrl ?? STATELY_INSPECTOR_URL;
  let inspectorOrigin: string;
  try {
    const u = new URL(inspectorUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    inspectorOrigin = u.origin;
  } catch {
    throw new Error(`the Stately inspector URL must be an http(s) URL, got ${JSON.stringify(inspectorUrl)}`);
  }
  const maxBuffered = opts.maxClientBufferBytes ?? 8 * 1024 * 1024;
  const page = Buffer.from(bridgeHtml(inspectorUrl));
  const script = Buffer.from(BRIDGE_JS);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!loopbackHostHeader(req)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden host\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let path = '/';
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const headers: Record<string, string> = {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy':
        `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; ` +
        `connect-src ws://${req.headers.host ?? ''}; frame-src ${inspectorOrigin}; base-uri 'none'; frame-ancestors 'none'`,
    };
    const body = path === '/' || path === '/index.html' ? page : path === '/bridge.js' ? script : undefined;
    if (!body) {
      res.writeHead(404, headers).end();
      return;
    }
    const type = body === page ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE, perMessageDeflate: false });
  wss.on('error', (err) => log(`stately bridge websocket error: ${err.message}`));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (!loopbackHostHeader(req) || !sameOrigin(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  // Stately's inspector reads only `@xstate.*` messages (with their definitions): the
  // statelet additions (`@statelet.*`) stay on the visualizer's stream.
  const statelyOnly = (data: string): boolean => data.startsWith('{"type":"@xstate.');
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    pipeHubToSocket(opts.hub, ws, { definitions: true, maxBufferedBytes: maxBuffered, log, filter: statelyOnly, socket: req.socket });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void =>
      reject(err.code === 'EADDRINUSE' ? new Error(`--stately: port ${opts.port ?? STATELY_DEFAULT_PORT} on ${host} is in use; pass another port (--stately 0 picks a free one)`) : err);
    server.once('error', onError);
    server.listen({ port: opts.port ?? STATELY_DEFAULT_PORT, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log(`stately bridge server error: ${err.message}`));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/`,
    wsUrl: `ws://${host}:${port}/`,
    inspectorUrl,
    close() {
      closing ??= new Promise<void>((done) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------- the package's own code

/** An inspector sending to a Stately inspector server with the package's createWebSocketInspector. */
export interface StatelySender {
  url: string;
  /** Pass to the manager (XState's inspect option). */
  inspect: (ev: InspectionEvent) => void;
  /** Lets queued events go out, then closes the socket. */
  close(): Promise<void>;
}

/** Resolves undefined once a WebSocket handshake with `url` succeeds, else the reason it failed. */
export function probeWebSocket(url: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WsClient(url, { handshakeTimeout: timeoutMs });
    } catch (err) {
      resolve((err as Error).message);
      return;
    }
    ws.once('open', () => {
      ws.close();
      resolve(undefined);
    });
    ws.once('error', (err) => resolve(err.message || String(err)));
  });
}

export interface StatelySenderOptions {
  /** Whether the server answered already (else it is polled until it does). Default: probe it. */
  reachable?: boolean;
  /** How often an unreachable server is tried again. Default 5 s (the package's own retry period). */
  retryMs?: number;
  log?: (msg: string) => void;
}

/**
 * Sends every actor to an inspector server that is already running
 * (`--stately-url ws://host:port`), through @statelyai/inspect's own
 * `createWebSocketInspector`, so the stream is the package's own format.
 *
 * The package's socket retries a failed connection every 5 s for ever, even
 * after stop(), which would keep this process alive when the server never
 * came up. So it is created only once the server answers: until then
 * statelet tries the server itself (on a timer that does not hold the
 * process), keeps every actor announcement and the last 200 other events (the
 * package's own bound), and hands the live actors over first.
 */
export async function startStatelySender(url: string, opts: StatelySenderOptions = {}): Promise<StatelySender> {
  const retryMs = opts.retryMs ?? 5000;
  let inspector: ReturnType<typeof createWebSocketInspector> | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const actors: InspectionEvent[] = [];
  const others: InspectionEvent[] = [];
  const begin = (): void => {
    inspector = createWebSocketInspector({ url });
    for (const ev of actors) {
      const snap = (ev.actorRef as { getSnapshot?: () => { status?: string } }).getSnapshot?.();
      if (snap?.status === 'active') inspector.inspect.next?.(ev);
    }
    for (const ev of others) inspector.inspect.next?.(ev);
    actors.length = 0;
    others.length = 0;
  };
  const retry = (): void => {
    timer = setTimeout(() => {
      void probeWebSocket(url).then((why) => {
        if (closed) return;
        if (why) return retry();
        opts.log?.(`stately inspector: ${url} answers now; sending the live actors`);
        begin();
      });
    }, retryMs);
    timer.unref();
  };
  const reachable = opts.reachable ?? (await probeWebSocket(url)) === undefined;
  if (reachable) begin();
  else retry();
  return {
    url,
    inspect: (ev) => {
      if (inspector) return inspector.inspect.next?.(ev);
      if (ev.type === '@xstate.actor') actors.push(ev);
      else {
        others.push(ev);
        if (others.length > 200) others.shift();
      }
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (!inspector) return;
      // The package converts each event on a zero-delay timer (its idleCallback
      // under Node): let the ones already queued run before the socket closes.
      await new Promise((r) => setTimeout(r, 20));
      inspector.stop();
    },
  };
}

/** The package's `createInspectorServer`, fed by a `createWebSocketInspector` (`--stately --inspect-allow-remote`). */
export interface PackageRelay {
  url: string;
  wsUrl: string;
  inspectorUrl: string;
  inspect: (ev: InspectionEvent) => void;
  close(): Promise<void>;
}

/** Finds a free TCP port on every interface (the package's server listens there and cannot pick one itself). */
async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ port: 0 }, () => resolve());
  });
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/** Fails early, with a message naming the flag, when the port is taken (the package's server would crash the process). */
async function assertPortFree(port: number): Promise<void> {
  const srv = createNetServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`--stately: port ${port} is in use; pass another port (--stately 0 picks a free one)`) : err),
    );
    srv.listen({ port }, () => resolve());
  });
  await new Promise<void>((r) => srv.close(() => r()));
}

/**
 * Starts @statelyai/inspect's own relay, `createInspectorServer({ autoOpen: false })`,
 * and sends to it with `createWebSocketInspector`. It listens on every
 * interface without Host or Origin checks: only behind --inspect-allow-remote.
 */
export async function startPackageRelay(opts: { port?: number; inspectorUrl?: string; log?: (m: string) => void }): Promise<PackageRelay> {
  const port = opts.port === 0 ? await freePort() : (opts.port ?? STATELY_DEFAULT_PORT);
  await assertPortFree(port);
  const inspectorUrl = opts.inspectorUrl ?? STATELY_INSPECTOR_URL;
  // Its stop() leaves open connections (a browser tab) open, which would keep
  // this process alive after the pod ends: note them (Node's own diagnostics
  // channel; the package keeps its server to itself) and end them on close.
  const sockets = new Set<Socket>();
  const onSocket = (m: unknown): void => {
    const socket = (m as { socket?: Socket }).socket;
    if (socket && socket.localPort === port) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
  };
  diagnostics.subscribe('net.server.socket', onSocket);
  const server = createInspectorServer({ port, url: inspectorUrl, autoOpen: false });
  opts.log?.(
    `warning: --stately with --inspect-allow-remote runs @statelyai/inspect's own server on port ${port} of every interface, ` +
      `without Host or Origin checks: anyone who can reach it reads every actor's context (manifests, environment values).`,
  );
  // The package's server is listening by now (its listen() binds before any connection is made).
  const sender = await startStatelySender(`ws://127.0.0.1:${port}`, { reachable: true });
  return {
    // The package's page connects back to ws://localhost:<port>.
    url: `http://localhost:${port}/`,
    wsUrl: `ws://localhost:${port}/`,
    inspectorUrl,
    inspect: sender.inspect,
    async close() {
      await sender.close();
      server.stop();
      diagnostics.unsubscribe('net.server.socket', onSocket);
      for (const s of sockets) s.destroy();
    },
  };
}
