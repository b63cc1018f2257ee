// The inspection flags, shared by every command that runs pods (`run`, `serve`):
//
//   addInspectOptions(cmd);                              // declares the flags
//   const options = inspectOptionsFrom(raw);             // in .action(): validated, before anything starts
//   const inspection = await startInspection(options, { log });   // src/inspect/session.ts
//
// The checks run before anything starts, so a bad combination exits 2 with a
// message naming the flag, as commander's own errors do.

import { Option, type Command } from 'commander';
import { isLoopbackHost } from '../inspect/hosts.js';
import type { InspectionOptions } from '../inspect/session.js';
import { STATELY_DEFAULT_PORT, STATELY_INSPECTOR_URL } from '../inspect/stately-defaults.js';

/** Declares --inspect, --inspect-host, --inspect-allow-remote, --stately, --stately-url, --stately-inspector-url, --no-open. */
export function addInspectOptions(cmd: Command): Command {
  return cmd
    .option('--inspect [port]', 'serve the visualizer and the Stately-compatible inspection WebSocket on 127.0.0.1 (port 0 or none: pick one)')
    .option('--inspect-host <host>', 'address for --inspect (non-loopback needs --inspect-allow-remote)', '127.0.0.1')
    .option('--inspect-allow-remote', 'allow --inspect-host to be a non-loopback address; with --stately, run @statelyai/inspect\'s own server (every interface) instead')
    .option('--stately [port]', `open Stately's inspector: serve its bridge page on http://127.0.0.1:<port>/ (default ${STATELY_DEFAULT_PORT}; 0: pick one); the inspector itself loads from stately.ai`)
    .option('--stately-url <url>', 'send every pod and container actor to a Stately inspector server that is already running (ws://host:port), with @statelyai/inspect\'s createWebSocketInspector')
    .addOption(new Option('--stately-inspector-url <url>', 'the inspector page the --stately bridge embeds').default(STATELY_INSPECTOR_URL))
    .option('--no-open', 'do not open a browser on the --stately bridge page');
}

function port(flag: string, raw: unknown): number | true | undefined {
  if (raw === undefined || raw === false) return undefined;
  if (raw === true) return true;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${flag}: expected a port number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Reads and checks what addInspectOptions declared (commander's camel-cased
 * option values). With the command, a bad value is reported as commander
 * reports its own usage errors (the message on stderr, exit code 2).
 */
export function inspectOptionsFrom(raw: Record<string, unknown>, cmd?: Command): InspectionOptions {
  try {
    return readInspectOptions(raw);
  } catch (err) {
    if (!cmd) throw err;
    return cmd.error(`error: ${(err as Error).message}`, { exitCode: 2, code: 'statelet.inspectFlags' });
  }
}

function readInspectOptions(raw: Record<string, unknown>): InspectionOptions {
  const inspect = port('--inspect', raw['inspect']);
  const stately = port('--stately', raw['stately']);
  const allowRemote = raw['inspectAllowRemote'] === true;
  const inspectHost = typeof raw['inspectHost'] === 'string' ? raw['inspectHost'] : '127.0.0.1';
  if (inspect !== undefined && !isLoopbackHost(inspectHost) && !allowRemote) {
    throw new Error(
      `--inspect-host ${inspectHost}: not a loopback address; the inspection stream exposes every pod's and container's ` +
        `state and context without authentication. Add --inspect-allow-remote to expose it on purpose.`,
    );
  }
  let statelyUrl: string | undefined;
  if (raw['statelyUrl'] !== undefined) {
    statelyUrl = String(raw['statelyUrl']);
    let ok = false;
    try {
      const u = new URL(statelyUrl);
      ok = u.protocol === 'ws:' || u.protocol === 'wss:';
    } catch {
      /* not a URL */
    }
    if (!ok) throw new Error(`--stately-url: expected a ws:// or wss:// URL (an inspector server, e.g. ws://localhost:8080), got ${JSON.stringify(statelyUrl)}`);
  }
  const statelyInspectorUrl = typeof raw['statelyInspectorUrl'] === 'string' ? raw['statelyInspectorUrl'] : STATELY_INSPECTOR_URL;
  try {
    const u = new URL(statelyInspectorUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new Error(`--stately-inspector-url: expected an http(s) URL, got ${JSON.stringify(statelyInspectorUrl)}`);
  }
  const opts: InspectionOptions = { inspectHost, allowRemote, open: raw['open'] !== false, statelyInspectorUrl };
  if (inspect !== undefined) opts.inspect = inspect;
  if (stately !== undefined) opts.stately = stately;
  if (statelyUrl !== undefined) opts.statelyUrl = statelyUrl;
  if (opts.inspect !== undefined && opts.stately !== undefined && typeof opts.inspect === 'number' && opts.inspect === opts.stately && opts.inspect !== 0) {
    throw new Error(`--inspect and --stately: both ask for port ${opts.inspect}; give them different ports`);
  }
  return opts;
}
