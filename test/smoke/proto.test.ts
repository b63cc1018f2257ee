import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCriProto } from '../../src/cri/proto.js';

type Field = { name: string; number: number; type: string };
function fields(typeName: string): Field[] {
  const def = loadCriProto().definition[`runtime.v1.${typeName}`] as unknown as { type: { field: Field[] } };
  return def.type.field;
}

test('the CRI proto loads both services under runtime.v1', () => {
  const { pkg } = loadCriProto();
  assert.equal(typeof pkg.RuntimeService, 'function');
  assert.equal(typeof pkg.ImageService, 'function');
  const methods = Object.keys(pkg.RuntimeService.service);
  for (const m of ['RunPodSandbox', 'CreateContainer', 'ExecSync', 'GetContainerEvents']) assert.ok(methods.includes(m), m);
});

test('field numbers and types match the upstream definition where interop depends on them', () => {
  const byName = (t: string, n: string) => fields(t).find((f) => f.name === n);
  assert.equal(byName('CreateContainerRequest', 'sandboxConfig')?.number, 3);
  assert.equal(byName('ContainerStatus', 'exitCode')?.number, 7);
  assert.equal(byName('ContainerConfig', 'linux')?.number, 15);
  assert.equal(byName('LinuxContainerSecurityContext', 'runAsGroup')?.number, 12);
  // KeyValue.value stays a string (TYPE_STRING), see proto/api.proto.
  assert.equal(byName('KeyValue', 'value')?.type, 'TYPE_STRING');
});
