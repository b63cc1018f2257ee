// The embedded-runtime fixture several test files share: registers before/after hooks in
// the calling describe() that start an in-process embedded runtime, a CRI client with
// busybox:1.36 pulled, and a temporary pod logs directory, and tear them down after.
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../src/cri/index.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../src/runtime/index.js';

export interface EmbeddedFixture {
  rt: EmbeddedRuntime;
  client: CriClient;
  logs: string;
}

/** Filled in by the before() hook; read it in tests, not at describe time. */
export function useEmbeddedRuntime(logsPrefix: string): EmbeddedFixture {
  const env: Partial<EmbeddedFixture> = {};
  before(async () => {
    env.rt = await startEmbeddedRuntime({ killOnClose: true });
    env.client = new CriClient({ endpoint: env.rt.endpoint, runtimeRequestTimeoutMs: 10_000 });
    env.logs = mkdtempSync(join(tmpdir(), logsPrefix));
    await env.client.pullImage({ image: { image: 'busybox:1.36' } });
  });
  after(async () => {
    env.client?.close();
    await env.rt?.close();
    if (env.logs) rmSync(env.logs, { recursive: true, force: true });
  });
  return {
    get rt() {
      return env.rt!;
    },
    get client() {
      return env.client!;
    },
    get logs() {
      return env.logs!;
    },
  };
}
