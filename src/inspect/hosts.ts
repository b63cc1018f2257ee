// Host and Origin checks shared by the inspection server, the Stately bridge
// and the node agent's API server. Kept apart from server.ts so that what
// needs only these (the API server, CLI flag validation) does not load `ws`.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** True for names and addresses that only the local machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v = isIP(h);
  if (v === 4) return h.startsWith('127.');
  if (v === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** The host part of a Host header (`[::1]:80` → `[::1]`). */
export function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const i = hostHeader.lastIndexOf(':');
  return i >= 0 ? hostHeader.slice(0, i) : hostHeader;
}

/**
 * DNS-rebinding guard: on loopback, only answer requests addressed to a
 * loopback name, so a web page on another origin cannot read the stream
 * through a hostname it controls.
 */
export function loopbackHostHeader(req: IncomingMessage): boolean {
  const h = req.headers.host;
  return h === undefined || isLoopbackHost(hostnameOf(h));
}

/**
 * WebSockets are not bound by the same-origin policy: a browser client must
 * come from a page this server served (its Origin is this server's own
 * address). Clients that are not browsers send no Origin.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === req.headers.host;
  } catch {
    return false;
  }
}
