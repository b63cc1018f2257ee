// One WebSocket client of an InspectionHub, shared by the visualizer's server
// (server.ts) and the Stately bridge (stately.ts): the replay-then-live
// stream, one socket write per event-loop turn, slow clients cut off, and
// nothing a client sends ever reaching an actor.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { InspectionHub } from './hub.js';

export interface HubSocketOptions {
  /** Include the Stately `definition` in `@xstate.actor` messages. */
  definitions: boolean;
  /** A client whose unsent data exceeds this is dropped (it reconnects and resyncs). */
  maxBufferedBytes: number;
  /** Only messages for which this is true are sent (the Stately bridge sends `@xstate.*` only). */
  filter?: (data: string) => boolean;
  log: (msg: string) => void;
  /**
   * The upgraded connection's socket (`req.socket` of the upgrade request, which ws takes
   * over): corked while a turn's messages are written. Without it, messages go out one write each.
   */
  socket?: Duplex;
}

/** Largest message a client may send; clients have nothing to say beyond small control messages. */
export const MAX_CLIENT_MESSAGE = 64 * 1024;

/** Streams the hub to one connected socket until it closes. */
export function pipeHubToSocket(hub: InspectionHub, ws: WebSocket, opts: HubSocketOptions): void {
  let garbageLogged = false;
  ws.on('error', () => {
    /* e.g. a message over maxPayload: ws closes the socket itself */
  });
  let dead = false;
  // One write per event-loop turn instead of one per message: cork the socket at the
  // first message of a turn and flush it once the turn's inspection events are out.
  const socket = opts.socket;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket?.uncork();
  };
  const filter = opts.filter;
  const remove = hub.addClient(
    {
      send(data) {
        if (dead || ws.readyState !== WebSocket.OPEN) return;
        if (filter && !filter(data)) return;
        if (ws.bufferedAmount > opts.maxBufferedBytes) {
          // Dropping messages would leave the client with a wrong picture;
          // cutting it off makes it reconnect and receive a fresh replay.
          dead = true;
          opts.log('inspection client too slow, disconnecting it');
          ws.terminate(); // 'close' follows and removes it from the hub
          return;
        }
        if (!corked && socket && typeof socket.cork === 'function') {
          corked = true;
          socket.cork();
          setImmediate(uncork);
        }
        ws.send(data);
      },
    },
    { definitions: opts.definitions },
  );
  ws.on('close', remove);
  ws.on('message', (data, isBinary) => {
    // Client messages are parsed as JSON and otherwise ignored: nothing a
    // client sends can reach an actor.
    let ok = !isBinary;
    if (ok) {
      try {
        JSON.parse(String(data));
      } catch {
        ok = false;
      }
    }
    if (!ok && !garbageLogged) {
      garbageLogged = true;
      opts.log('inspection client sent a message that is not JSON; ignoring it');
    }
  });
}

/** `definitions=0` in the request's query: the client draws from `@statelet.machine`. */
export function wantsDefinitions(req: IncomingMessage): boolean {
  try {
    return new URL(req.url ?? '/', 'http://x').searchParams.get('definitions') !== '0';
  } catch {
    return true;
  }
}
