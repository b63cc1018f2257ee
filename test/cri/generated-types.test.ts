// The CRI message types are generated from proto/ (scripts/gen-cri-types.mjs,
// proto-loader-gen-types). Two things must hold: the committed files are what
// the generator makes from the current proto, and the generated `__Output`
// types describe what grpc-js really decodes with PROTO_LOADER_OPTIONS (the
// same flags for both: int64 as decimal strings, enums as names, defaults,
// empty arrays and maps, absent sub-messages null, bytes as Buffers).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadCriProto, loadHealthService } from '../../src/cri/proto.js';
import type * as cri from '../../src/cri/types.js';
import { packageRoot } from '../../src/paths.js';

/** Every field name of T, as a literal the compiler checks to be complete and exact. */
type Keys<T> = { [K in keyof T]-?: true };
const keysOf = <T>(k: Keys<T>): string[] => Object.keys(k).sort();

describe('generated CRI types', () => {
  test('src/cri/generated is what proto-loader-gen-types makes from proto/ (run npm run gen:cri)', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-cri-types.mjs', '--check'], { cwd: packageRoot(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test('a decoded ContainerStatusResponse has exactly the fields and JS types of its __Output type', () => {
    const { ContainerStatus } = loadCriProto().pkg.RuntimeService.service;
    // A nanosecond timestamp beyond 2^53: only a string keeps it exact.
    const wire = ContainerStatus.responseSerialize({ status: { id: 'c1', createdAt: '1700000000123456789', labels: { a: 'b' } } });
    const res: cri.ContainerStatusResponse = ContainerStatus.responseDeserialize(wire);
    const st = res.status;
    assert.ok(st);
    assert.deepEqual(Object.keys(res).sort(), keysOf<cri.ContainerStatusResponse>({ status: true, info: true }));
    assert.deepEqual(
      Object.keys(st).sort(),
      keysOf<cri.ContainerStatus>({
        id: true, metadata: true, state: true, createdAt: true, startedAt: true, finishedAt: true, exitCode: true, image: true,
        imageRef: true, reason: true, message: true, labels: true, annotations: true, mounts: true, logPath: true,
        resources: true, stopSignal: true,
      }),
    );
    assert.equal(st.createdAt, '1700000000123456789', 'longs: String');
    assert.equal(st.startedAt, '0', 'defaults: an unset int64 is "0"');
    assert.equal(st.state, 'CONTAINER_CREATED', 'enums: String (the zero value by name)');
    assert.equal(st.exitCode, 0);
    assert.equal(st.reason, '');
    assert.equal(st.metadata, null, 'an absent sub-message is null');
    assert.deepEqual(st.mounts, [], 'arrays: an absent repeated field is []');
    assert.deepEqual(st.labels, { a: 'b' });
    assert.deepEqual(st.annotations, {}, 'objects: an absent map is {}');
    assert.deepEqual(res.info, {});
    assert.equal(st.resources, null, 'an absent ContainerResources is null');
    assert.equal(st.stopSignal, 'RUNTIME_DEFAULT', 'the Signal enum by name, 0 = RUNTIME_DEFAULT');
  });

  test('nested messages, enums by name and bytes decode as their __Output types say', () => {
    const svc = loadCriProto().pkg.RuntimeService.service;
    const sb: cri.PodSandboxStatusResponse = svc.PodSandboxStatus.responseDeserialize(
      svc.PodSandboxStatus.responseSerialize({ status: { id: 's', state: 'SANDBOX_NOTREADY', linux: { namespaces: { options: { network: 'NODE' } } } } }),
    );
    assert.equal(sb.status?.state, 'SANDBOX_NOTREADY');
    const ns = sb.status?.linux?.namespaces?.options;
    assert.deepEqual(ns && Object.keys(ns).sort(), keysOf<cri.Out<'NamespaceOption'>>({ network: true, pid: true, ipc: true, targetId: true }));
    assert.equal(ns?.network, 'NODE');
    assert.equal(ns?.pid, 'POD', 'an unset enum is its zero value, by name');
    assert.equal(sb.timestamp, '0');

    const exec: cri.ExecSyncResponse = svc.ExecSync.responseDeserialize(svc.ExecSync.responseSerialize({ stdout: Buffer.from('hi'), exitCode: 3 }));
    assert.ok(Buffer.isBuffer(exec.stdout) && Buffer.isBuffer(exec.stderr), 'bytes: Buffer');
    assert.equal(exec.stdout.toString(), 'hi');
    assert.equal(exec.stderr.length, 0);
    assert.equal(exec.exitCode, 3);
  });

  test('requests decode on the server side with the same options (the embedded runtime reads them)', () => {
    const { StopContainer } = loadCriProto().pkg.RuntimeService.service;
    const req = StopContainer.requestDeserialize(StopContainer.requestSerialize({ containerId: 'c', timeout: 30 }));
    assert.deepEqual(req, { containerId: 'c', timeout: '30' });
  });

  test('the health service loads with its typed Check stub', () => {
    const Health = loadHealthService();
    assert.equal(typeof Health, 'function');
    assert.ok('Check' in Health.service);
    const res = Health.service.Check.responseDeserialize(Health.service.Check.responseSerialize({ status: 'SERVING' }));
    assert.equal(res.status, 'SERVING');
  });
});
