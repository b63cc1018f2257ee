// Shared helpers for the inspection tests: a WebSocket client that records
// every message, and polling waits (bounded, a few ms per step).

import { WebSocket } from 'ws';

export type Msg = Record<string, any>;

export async function waitFor<T>(
  fn: () => T | undefined | false | null,
  what: string,
  timeoutMs = 3000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Recorder {
  ws: WebSocket;
  messages: Msg[];
  closed: Promise<number>;
  close(): Promise<void>;
  /** Resolves once at least one message matches. */
  waitFor(pred: (m: Msg) => boolean, what: string, timeoutMs?: number): Promise<Msg>;
}

export async function record(url: string, headers?: Record<string, string>): Promise<Recorder> {
  const ws = new WebSocket(url, { headers });
  const messages: Msg[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Msg));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    async close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await closed;
    },
    waitFor(pred, what, timeoutMs) {
      return waitFor(() => messages.find(pred), what, timeoutMs);
    },
  };
}

/** Tries to open a WebSocket; resolves with 'open' or the HTTP status of the refusal. */
export function tryConnect(url: string, headers?: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve(-1));
  });
}
