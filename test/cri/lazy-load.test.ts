// What importing the package entry loads (issue 15): the gRPC stack, yaml, the
// WebSocket and metrics libraries and the heavier Node built-ins wait for the
// first use that needs them. Each check runs in a fresh Node process, since a
// module loaded once by this test process stays loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatus, grpcStatusCode } from '../../src/cri/grpc-status.js';
import { CriNotFoundError, CriUnavailableError, grpcCodeName, toCriError } from '../../src/cri/errors.js';

const run = promisify(execFile);
const ENTRY = new URL('../../src/index.js', import.meta.url).href;

/** Packages (by their node_modules directory) and built-ins loaded after running `body` in a fresh process. */
async function loadedAfter(body: string): Promise<{ packages: string[]; builtins: string[]; out: unknown }> {
  const script = `
    import { createRequire } from 'node:module';
    const before = new Set(process.moduleLoadList);
    const entry = await import(${JSON.stringify(ENTRY)});
    const out = await (async () => { ${body} })();
    const packages = new Set();
    for (const f of Object.keys(createRequire(import.meta.url).cache)) {
      const m = f.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(.*)$/);
      if (m) packages.add(m[1] === 'rxjs' && m[2] === 'dist/cjs/index.js' ? 'rxjs (whole index)' : m[1]);
    }
    const builtins = process.moduleLoadList.filter((x) => !before.has(x) && x.startsWith('NativeModule ')).map((x) => x.slice(13));
    process.stdout.write(JSON.stringify({ packages: [...packages], builtins, out }));
    process.exit(0);
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../../..', import.meta.url) });
  return JSON.parse(stdout) as { packages: string[]; builtins: string[]; out: unknown };
}

const DEFERRED_PACKAGES = ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', 'yaml', 'ws', 'prom-client', '@opentelemetry/api', '@statelyai/inspect', 'elkjs', 'rxjs (whole index)'];
const DEFERRED_BUILTINS = ['https', 'tls', 'http2', 'crypto', 'zlib', 'child_process'];

test('importing the package entry loads none of the deferred dependencies', async () => {
  const { packages, builtins } = await loadedAfter('return null;');
  for (const p of DEFERRED_PACKAGES) assert.ok(!packages.includes(p), `${p} is loaded by importing the entry (loaded: ${packages.join(', ')})`);
  for (const b of DEFERRED_BUILTINS) assert.ok(!builtins.includes(b), `node:${b} is loaded by importing the entry`);
  // What the entry does need is there: the check can see loaded packages.
  assert.ok(packages.includes('xstate'), `xstate should be loaded (loaded: ${packages.join(', ')})`);
});

test('the first CriClient loads grpc-js and the proto; parseManifest loads yaml; startInspectionServer loads ws', async () => {
  const { packages, out } = await loadedAfter(`
    const client = new entry.CriClient({ endpoint: '/nonexistent/statelet-lazy-load-test.sock' });
    const pod = entry.parseManifest('apiVersion: v1\\nkind: Pod\\nmetadata: {name: a}\\nspec: {containers: [{name: c, image: i}]}\\n');
    const server = await entry.startInspectionServer({ port: 0 });
    await server.close();
    client.close();
    return { endpoint: client.endpoint, name: pod.metadata.name };
  `);
  assert.deepEqual(out, { endpoint: 'unix:///nonexistent/statelet-lazy-load-test.sock', name: 'a' });
  for (const p of ['@grpc/grpc-js', '@grpc/proto-loader', 'yaml', 'ws']) assert.ok(packages.includes(p), `${p} not loaded (loaded: ${packages.join(', ')})`);
});

test('the local gRPC status table is grpc-js status, name for name', () => {
  const fromGrpc = Object.fromEntries(Object.entries(grpc.status).filter(([, v]) => typeof v === 'number'));
  assert.deepEqual({ ...GrpcStatus }, fromGrpc);
  assert.equal(grpcStatusCode('NOT_FOUND'), grpc.status.NOT_FOUND);
  assert.equal(grpcStatusCode('toString'), undefined);
  assert.equal(grpcStatusCode('NOPE'), undefined);
});

test('typed CRI errors map codes without grpc-js at hand', () => {
  assert.ok(toCriError('RuntimeService/ContainerStatus', 'unix:///x', { code: 5, details: 'no such container' }) instanceof CriNotFoundError);
  assert.ok(toCriError('RuntimeService/Version', 'unix:///x', { code: 14, details: 'down' }) instanceof CriUnavailableError);
  assert.equal(grpcCodeName(4), 'DEADLINE_EXCEEDED');
  assert.equal(grpcCodeName(99), 'CODE_99');
});
