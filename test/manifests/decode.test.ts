// Strict decoding of real manifests (kubectl apply --validate=strict), YAML errors
// with positions, and the resource.Quantity grammar.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadPod, ManifestError, parseManifest, type FieldError } from '../../src/k8s/manifest.js';
import { Quantity, ERR_QUANTITY_FORMAT, ERR_QUANTITY_SUFFIX } from '../../src/k8s/quantity.js';
import { POD_SCHEMA } from '../../src/k8s/pod-schema.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function errorsOf(fn: () => unknown): FieldError[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ManifestError) return e.errors;
    throw e;
  }
  assert.fail('expected a ManifestError');
}

const TYPO = `apiVersion: v1
kind: Pod
metadata:
  name: typo
spec:
  restartpolicy: Never
  containers:
  - name: app
    image: busybox
    comand: ["sh", "-c", "true"]
    resources:
      limits: { memroy: 1Gi }
`;

describe('strict decoding', () => {
  test('an unknown field is an error naming its path, line and column, with a suggestion', () => {
    const errs = errorsOf(() => parseManifest(TYPO));
    const byField = Object.fromEntries(errs.map((e) => [e.field, e]));
    assert.match(byField['spec.restartpolicy']!.message, /^unknown field \(did you mean "restartPolicy"\?\)$/);
    assert.deepEqual([byField['spec.restartpolicy']!.line, byField['spec.restartpolicy']!.column], [6, 3]);
    assert.match(byField['spec.containers[0].comand']!.message, /^unknown field \(did you mean "command"\?\)$/);
    assert.deepEqual([byField['spec.containers[0].comand']!.line, byField['spec.containers[0].comand']!.column], [10, 5]);
    // A map of quantities takes any resource name: validation (not decoding) judges "memroy".
    assert.equal(byField['spec.containers[0].resources.limits[memroy]'], undefined);
    assert.match(new ManifestError(errs).message, /^spec\.containers\[0\]\.comand: unknown field/m);
  });

  test('values of the wrong kind', () => {
    const errs = errorsOf(() =>
      parseManifest(JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'x', labels: { a: 1 } },
        spec: { hostNetwork: 'yes', terminationGracePeriodSeconds: 1.5, containers: [{ name: 'a', image: 'b', command: 'sh', ports: [{ containerPort: '80' }] }] },
      })),
    );
    assert.deepEqual(
      errs.map((e) => `${e.field}: ${e.message}`),
      [
        'metadata.labels[a]: Invalid value: 1: must be a string',
        'spec.hostNetwork: Invalid value: "yes": must be a boolean (true or false)',
        'spec.terminationGracePeriodSeconds: Invalid value: 1.5: must be an integer',
        'spec.containers[0].command: Invalid value: "sh": must be a list',
        'spec.containers[0].ports[0].containerPort: Invalid value: "80": must be an integer',
      ],
    );
  });

  test('fields newer than the generated schema (1.31-1.34) are known; status is not read', () => {
    const pod = parseManifest(`apiVersion: v1
kind: Pod
metadata: { name: new }
spec:
  resources: { limits: { cpu: "1" } }
  securityContext: { supplementalGroupsPolicy: Merge }
  containers: [{ name: a, image: b }]
status: { phase: Running, anything: goes }
`);
    assert.equal(pod.spec.resources?.limits?.['cpu'], '1');
    assert.ok(POD_SCHEMA['PodSpec']!['hostnameOverride']);
  });

  test('null is an absent field', () => {
    const pod = parseManifest('apiVersion: v1\nkind: Pod\nmetadata: { name: n, labels: null }\nspec: { containers: [{ name: a, image: b, env: null }] }\n');
    assert.equal('labels' in pod.metadata, false);
    assert.equal('env' in pod.spec.containers[0]!, false);
  });

  test('the generated schema matches the installed kubernetes-types', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-pod-schema.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('YAML errors', () => {
  test('name the line and column, with no empty field path', () => {
    const errs = errorsOf(() => parseManifest('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n     image: b\n'));
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.field, '');
    assert.match(errs[0]!.message, /^invalid YAML at line 5, column 11: Nested mappings are not allowed in compact mappings$/);
    assert.deepEqual([errs[0]!.line, errs[0]!.column], [5, 11]);
    assert.doesNotMatch(new ManifestError(errs).message, /^: /);
  });
  test('a duplicated key is an error too', () => {
    const errs = errorsOf(() => parseManifest('apiVersion: v1\nkind: Pod\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n'));
    assert.match(errs[0]!.message, /^invalid YAML at line 3, column 1: Map keys must be unique/);
  });
  test('validation errors carry positions too (loadPod)', () => {
    const errs = errorsOf(() => loadPod('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: Bad_Name\n    image: b\n'));
    assert.equal(errs[0]!.field, 'spec.containers[0].name');
    assert.equal(errs[0]!.line, 6);
  });
});

describe('resource.Quantity', () => {
  const v = (s: string | number) => Quantity.parse(s);
  test('decimal, binary and exponent suffixes', () => {
    assert.equal(v('100m').milliValue(), 100);
    assert.equal(v('1').milliValue(), 1000);
    assert.equal(v('0.5').milliValue(), 500);
    assert.equal(v('64Mi').value(), 64 * 1024 * 1024);
    assert.equal(v('1.5Gi').value(), 1610612736);
    assert.equal(v('1G').value(), 1e9);
    assert.equal(v('2k').value(), 2000);
    assert.equal(v('1e3').value(), 1000);
    assert.equal(v('12E-1').milliValue(), 1200);
    assert.equal(v(2).value(), 2);
    assert.equal(v(0.25).milliValue(), 250);
    assert.equal(v('1.G').value(), 1e9);
  });
  test('rounds up as Value() and MilliValue() do', () => {
    assert.equal(v('100m').value(), 1);
    assert.equal(v('1n').milliValue(), 1);
    assert.equal(v('0.0001m').nanos, 100n);
  });
  test('compares exactly across suffixes', () => {
    assert.equal(v('1Gi').cmp(v('1073741824')), 0);
    assert.equal(v('1000m').cmp(v('1')), 0);
    assert.equal(v('1G').cmp(v('1Gi')), -1);
  });
  test('rejects what the API rejects, with its messages', () => {
    assert.equal(Quantity.tryParse('64MB'), ERR_QUANTITY_FORMAT);
    assert.equal(Quantity.tryParse('1 Gi'), ERR_QUANTITY_FORMAT);
    assert.equal(Quantity.tryParse('abc'), ERR_QUANTITY_FORMAT);
    assert.equal(Quantity.tryParse('1iK'), ERR_QUANTITY_SUFFIX);
    assert.equal(Quantity.tryParse(''), ERR_QUANTITY_FORMAT);
    assert.equal(Quantity.tryParse(true), ERR_QUANTITY_FORMAT);
  });
});
