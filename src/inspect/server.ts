// The inspection server: serves the visualizer (visualizer/dist) over HTTP and
// streams XState inspection events over a WebSocket on the same port.
//
// It exists only when inspection is asked for (`statelet ... --inspect`), so a
// statelet without it pays nothing. It binds to loopback by default: the
// stream carries every actor's context (manifests, env values), and there is
// no authentication. Binding elsewhere needs an explicit allowRemote.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { InspectionEvent } from 'xstate';
import { InspectionHub, type InspectionHubStats } from './hub.js';
import { MAX_CLIENT_MESSAGE, pipeHubToSocket, wantsDefinitions } from './ws-client.js';

export interface InspectionServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1'. */
  host?: string;
  /** Required to bind a non-loopback host. */
  allowRemote?: boolean;
  log?: (msg: string) => void;
  /** Directory with the built visualizer. Default: <package>/visualizer/dist. */
  staticDir?: string;
  /** Microsteps kept for clients that connect late. Default 500. */
  historySize?: number;
  /** A client whose unsent data exceeds this is dropped (it reconnects and resyncs). Default 8 MiB. */
  maxClientBufferBytes?: number;
  /**
   * Feed this hub instead of a new one (the Stately bridge and the visualizer
   * then share one: every event is handled once). The server does not close it.
   */
  hub?: InspectionHub;
  /** A recorded run to replay (`statelet visualize`): served as /replay.json, which switches the page to replay. */
  replay?: string;
}

export interface InspectionServer {
  /** http://host:port/ — open in a browser. */
  url: string;
  /** ws://host:port/ws — the inspection stream (any path is accepted). */
  wsUrl: string;
  /** Pass to `createActor(machine, { inspect })`. */
  inspect: (ev: InspectionEvent) => void;
  hub: InspectionHub;
  close(): Promise<void>;
  stats(): InspectionHubStats;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// The Host/Origin checks live in hosts.ts (no `ws`), so the API server and
// the CLI's flag checks can use them without loading the WebSocket stack.
export { isLoopbackHost, hostnameOf, loopbackHostHeader, sameOrigin } from './hosts.js';
import { isLoopbackHost, loopbackHostHeader, sameOrigin } from './hosts.js';

function defaultStaticDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/inspect/server.js (compiled) or src/inspect/server.ts (source).
  for (const c of [resolve(here, '../../../visualizer/dist'), resolve(here, '../../visualizer/dist')]) {
    if (existsSync(join(c, 'index.html'))) return c;
  }
  return undefined;
}

const LIVE_MODE = Buffer.from('{"type":"statelet.live"}');

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>statelet inspector</title>
<p>The visualizer is not built. Run <code>node visualizer/build.mjs</code> (part of <code>npm run build</code>) and reload.
The inspection stream is live at <code>/ws</code>.</p>`;

export async function startInspectionServer(opts: InspectionServerOptions = {}): Promise<InspectionServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const loopback = isLoopbackHost(host);
  if (!loopback && !opts.allowRemote) {
    throw new Error(
      `refusing to bind the inspection server to non-loopback host "${host}": the inspection stream ` +
        `exposes every pod's and container's state and context without authentication. ` +
        `Use 127.0.0.1 (default), or pass allowRemote to expose it on purpose.`,
    );
  }
  if (!loopback) {
    log(
      `warning: inspection server bound to ${host}, reachable from other machines without authentication; ` +
        `it exposes every actor's context (manifests, environment values).`,
    );
  }
  const staticDir = opts.staticDir ? resolve(opts.staticDir) : defaultStaticDir();
  const maxBuffered = opts.maxClientBufferBytes ?? 8 * 1024 * 1024;
  const ownHub = !opts.hub;
  const hub = opts.hub ?? new InspectionHub({ historySize: opts.historySize, log });
  const hostAllowed = (req: IncomingMessage): boolean => opts.allowRemote === true || loopbackHostHeader(req);
  const replay = opts.replay !== undefined ? Buffer.from(opts.replay) : undefined;

  const server = createServer((req, res) => {
    serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden host\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (path === '/') path = '/index.html';
    if (path === '/replay.json') {
      // The page asks at start: a recording to replay, or live (the WebSocket).
      const body = replay ?? LIVE_MODE;
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const headers: Record<string, string> = {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy':
        `default-src 'self'; connect-src 'self' ws://${req.headers.host ?? ''}; ` +
        `style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'`,
    };
    if (!staticDir) {
      if (path === '/index.html') {
        res.writeHead(503, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : NOT_BUILT_PAGE);
      } else res.writeHead(404, headers).end();
      return;
    }
    const file = resolve(staticDir, `.${path}`);
    const type = CONTENT_TYPES[extname(file)];
    if (path.includes('\0') || !file.startsWith(staticDir + sep) || !type) {
      res.writeHead(404, headers).end();
      return;
    }
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    const body = await readFile(file);
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE, perMessageDeflate: false });
  wss.on('error', (err) => log(`inspection websocket error: ${err.message}`));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (!hostAllowed(req) || !sameOrigin(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    // `?definitions=0`: the client draws from @statelet.machine, skip the per-actor Stately definition.
    pipeHubToSocket(hub, ws, { definitions: wantsDefinitions(req), maxBufferedBytes: maxBuffered, log, socket: req.socket });
  });

  await new Promise<void>((resolvePromise, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port: opts.port ?? 0, host }, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
  server.on('error', (err) => log(`inspection server error: ${err.message}`));

  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}/`,
    wsUrl: `ws://${urlHost}:${port}/ws`,
    inspect: hub.inspect,
    hub,
    stats: () => hub.stats(),
    close() {
      closing ??= new Promise<void>((done) => {
        if (ownHub) hub.close();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
