// int64 fields: loadCriProto() decodes them to decimal strings itself
// (decimalLongs), not through long.js's toString. The shapes must stay what
// proto-loader gives with `longs: String`; this compares the two decodings of
// the same bytes, and the conversion with long.js's own on edge values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, decimalLongs, loadCriProto, longToDecimal } from '../../src/cri/proto.js';
import { packageRoot } from '../../src/paths.js';

// long.js as protobufjs uses it (the same package protobufjs resolves).
const requireFromProtobuf = createRequire(createRequire(import.meta.url).resolve('protobufjs'));
const Long = requireFromProtobuf('long') as {
  fromBits(low: number, high: number, unsigned: boolean): { low: number; high: number; unsigned: boolean; toString(): string };
  fromString(s: string, unsigned: boolean): { low: number; high: number; unsigned: boolean; toString(): string };
};

test('longToDecimal writes what long.js toString writes, signed and unsigned, at the edges', () => {
  const texts = [
    '0', '1', '-1', '4294967295', '4294967296', '-4294967296', '-4294967297',
    '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
    '1764633600123456789', '-1764633600123456789', '9223372036854775807', '-9223372036854775808',
  ];
  for (const t of texts) {
    const l = Long.fromString(t, false);
    assert.equal(longToDecimal(l), l.toString(), `signed ${t}`);
  }
  for (const t of ['0', '1', '4294967296', '9007199254740993', '9223372036854775808', '18446744073709551615']) {
    const l = Long.fromString(t, true);
    assert.equal(longToDecimal(l), l.toString(), `unsigned ${t}`);
  }
  // Pseudo-random words, including the sign bits of both words.
  let seed = 12345;
  const word = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
  for (let i = 0; i < 2000; i++) {
    const l = Long.fromBits(word(), i % 3 === 0 ? word() >> 12 : word(), i % 2 === 0);
    assert.equal(longToDecimal(l), l.toString(), `bits ${l.low} ${l.high} ${l.unsigned}`);
  }
});

test('decimalLongs converts nested, repeated and map values in place and leaves bytes and other values', () => {
  const msg = {
    a: Long.fromString('1764633600123456789', false),
    list: [Long.fromString('-5', false), Long.fromString('7', true)],
    nested: { deep: [{ t: Long.fromString('42', false) }] },
    map: { k: 'v' },
    bytes: Buffer.from([1, 2, 3]),
    n: 3,
    s: 'x',
    nothing: null,
  };
  const out = decimalLongs(msg);
  assert.equal(out, msg);
  assert.deepEqual(out, {
    a: '1764633600123456789',
    list: ['-5', '7'],
    nested: { deep: [{ t: '42' }] },
    map: { k: 'v' },
    bytes: Buffer.from([1, 2, 3]),
    n: 3,
    s: 'x',
    nothing: null,
  });
});

test('responses decode to the same objects as proto-loader with longs: String', () => {
  const reference = protoLoader.loadSync(join(packageRoot(), 'proto', 'api.proto'), PROTO_LOADER_OPTIONS);
  const ours = loadCriProto();
  const listContainers = ours.pkg.RuntimeService.service.ListContainers;
  const status = ours.pkg.RuntimeService.service.ContainerStatus;
  const refService = reference['runtime.v1.RuntimeService'] as protoLoader.ServiceDefinition;
  const cases: [typeof listContainers | typeof status, string, object][] = [
    [
      listContainers,
      'ListContainers',
      {
        containers: [
          { id: 'c1', podSandboxId: 's1', createdAt: '1764633600123456789', labels: { a: 'b' }, annotations: { x: 'y' }, state: 'CONTAINER_RUNNING' },
          { id: 'c2', createdAt: '-3' },
          {},
        ],
      },
    ],
    [
      status,
      'ContainerStatus',
      {
        status: { id: 'c', createdAt: '1764633600000000001', startedAt: '1764633600500000000', finishedAt: '0', exitCode: 137, resources: { linux: { memoryLimitInBytes: '9223372036854775807', cpuQuota: '-1' } } },
        info: { k: 'v' },
      },
    ],
  ];
  for (const [method, name, value] of cases) {
    const bytes = method.responseSerialize(value as never);
    assert.deepEqual(method.responseDeserialize(bytes), refService[name]!.responseDeserialize(bytes), name);
  }
  // The embedded server's side: requests with int64 fields.
  const stop = ours.pkg.RuntimeService.service.StopContainer;
  const bytes = stop.requestSerialize({ containerId: 'c', timeout: '30' });
  assert.deepEqual(stop.requestDeserialize(bytes), refService['StopContainer']!.requestDeserialize(bytes));
  assert.equal((stop.requestDeserialize(bytes) as { timeout: unknown }).timeout, '30');
});
