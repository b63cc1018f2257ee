// The package entry's servers, loaded when first started. Importing the entry
// (what an embedder or an external benchmark does) should cost the manager,
// the client and the machines, not the embedded runtime's gRPC server, the
// WebSocket stack of the inspection server or the HTTP API (issue 15). Each
// wrapper has the signature of the function it forwards to, which was already
// asynchronous, so callers see no difference but the deferred load.
import type { EmbeddedRuntime, EmbeddedRuntimeOptions } from './runtime/index.js';
import type { InspectionServer, InspectionServerOptions } from './inspect/server.js';
import type { InspectionContext, InspectionOptions, InspectionSession } from './inspect/session.js';
import type { ApiServer, ApiServerOptions } from './api/server.js';

/** Starts the embedded CRI runtime (src/runtime/index.ts). */
export async function startEmbeddedRuntime(opts: EmbeddedRuntimeOptions & { killOnClose?: boolean } = {}): Promise<EmbeddedRuntime> {
  const m = await import('./runtime/index.js');
  return m.startEmbeddedRuntime(opts);
}

/** Starts the visualizer's HTTP + WebSocket server (src/inspect/server.ts). */
export async function startInspectionServer(opts: InspectionServerOptions = {}): Promise<InspectionServer> {
  const m = await import('./inspect/server.js');
  return m.startInspectionServer(opts);
}

/** Starts the inspection outputs the CLI's --inspect flags select (src/inspect/session.ts). */
export async function startInspection(opts: InspectionOptions, ctx: InspectionContext): Promise<InspectionSession> {
  const m = await import('./inspect/session.js');
  return m.startInspection(opts, ctx);
}

/** Starts the node agent's HTTP API (src/api/server.ts). */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const m = await import('./api/server.js');
  return m.startApiServer(opts);
}
