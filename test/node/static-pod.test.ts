// Static pods as the kubelet's file source makes them: UID from node + source + content,
// the -<nodeName> suffix, spec.nodeName and the config annotations.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadStaticPod, nodeNameOf, staticPodUid, CONFIG_HASH_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../../src/node/static-pod.js';
import { ManifestError, loadPod } from '../../src/k8s/manifest.js';

const manifest = (extra = '', name = 'web') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${extra}spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "1000"]
`;

describe('static pod UID (config/common.go applyDefaults)', () => {
  test('the same manifest on the same node from the same file always gets the same UID', () => {
    const a = loadStaticPod(manifest(), { nodeName: 'n1', source: '/etc/m/web.yaml', suffixName: true });
    const b = loadStaticPod(manifest(), { nodeName: 'n1', source: '/etc/m/web.yaml', suffixName: true });
    assert.equal(a.metadata.uid, b.metadata.uid);
    assert.match(a.metadata.uid!, /^[0-9a-f]{32}$/, 'md5, hex encoded');
  });

  test('node name, source and content each change the UID', () => {
    const base = loadStaticPod(manifest(), { nodeName: 'n1', source: '/etc/m/web.yaml', suffixName: true }).metadata.uid;
    assert.notEqual(loadStaticPod(manifest(), { nodeName: 'n2', source: '/etc/m/web.yaml', suffixName: true }).metadata.uid, base);
    assert.notEqual(loadStaticPod(manifest(), { nodeName: 'n1', source: '/etc/m/other.yaml', suffixName: true }).metadata.uid, base);
    assert.notEqual(loadStaticPod(manifest().replace('1000', '2000'), { nodeName: 'n1', source: '/etc/m/web.yaml', suffixName: true }).metadata.uid, base);
  });

  test('the UID hashes the decoded, defaulted pod: key order and explicit defaults do not matter', () => {
    const reordered = `kind: Pod
apiVersion: v1
spec:
  containers:
  - command: ["sleep", "1000"]
    image: busybox:1.36
    name: app
    imagePullPolicy: IfNotPresent
  restartPolicy: Always
metadata:
  name: web
`;
    const opts = { nodeName: 'n1', source: '/etc/m/web.yaml', suffixName: true };
    assert.equal(loadStaticPod(reordered, opts).metadata.uid, loadStaticPod(manifest(), opts).metadata.uid);
  });

  test('metadata.uid in the manifest is kept', () => {
    const p = loadStaticPod(manifest('  uid: fixed-uid-1\n'), { nodeName: 'n1', source: '/x.yaml', suffixName: true });
    assert.equal(p.metadata.uid, 'fixed-uid-1');
  });

  test('staticPodUid ignores a uid already set (the defaulting one)', () => {
    const pod = loadPod(manifest());
    const other = { ...pod, metadata: { ...pod.metadata, uid: 'something-else' } };
    assert.equal(staticPodUid(pod, 'n', '/s'), staticPodUid(other, 'n', '/s'));
  });
});

describe('static pod name and node (generatePodName)', () => {
  test('serve suffixes the name with -<nodeName>, sets spec.nodeName and the config annotations', () => {
    const p = loadStaticPod(manifest(), { nodeName: 'node-a', source: '/m/web.yaml', suffixName: true });
    assert.equal(p.metadata.name, 'web-node-a');
    assert.equal(p.metadata.namespace, 'default');
    assert.equal(p.spec.nodeName, 'node-a');
    assert.equal(p.metadata.annotations?.[CONFIG_HASH_ANNOTATION], p.metadata.uid);
    assert.equal(p.metadata.annotations?.[CONFIG_SOURCE_ANNOTATION], 'file');
  });

  test('statelet run keeps the manifest name (derived UID all the same)', () => {
    const p = loadStaticPod(manifest(), { nodeName: 'node-a', source: '/m/web.yaml', suffixName: false });
    assert.equal(p.metadata.name, 'web');
    assert.equal(p.spec.nodeName, undefined);
    assert.match(p.metadata.uid!, /^[0-9a-f]{32}$/);
  });

  test('a name the suffix makes too long is invalid, naming metadata.name', () => {
    const long = 'a'.repeat(250);
    assert.throws(
      () => loadStaticPod(manifest('', long), { nodeName: 'node-a', source: '/m/x.yaml', suffixName: true }),
      (e: unknown) => e instanceof ManifestError && e.errors.some((fe) => fe.field === 'metadata.name'),
    );
  });

  test('the node name is the lower-cased hostname or override', () => {
    assert.equal(nodeNameOf('MyNode'), 'mynode');
    assert.equal(nodeNameOf(), nodeNameOf('').toLowerCase());
  });
});
