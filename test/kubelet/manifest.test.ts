import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  ManifestError,
  applyDefaults,
  defaultPullPolicy,
  loadPod,
  parseImageRef,
  parseManifest,
  validatePod,
} from '../../src/k8s/manifest.js';
import type { Container, Pod } from '../../src/k8s/types.js';
import { DEFAULT_FEATURE_GATES } from '../../machines/features.js';

const YAML_POD = `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  initContainers:
    - name: setup
      image: busybox:1.36
      command: [sh, -c, 'true']
    - name: proxy
      image: envoy:v1
      restartPolicy: Always
  containers:
    - name: app
      image: nginx
      ports:
        - name: http
          containerPort: 80
      lifecycle:
        postStart:
          httpGet: { port: http }
        preStop:
          sleep: { seconds: 5 }
      livenessProbe:
        httpGet: { port: 80, path: /healthz }
      readinessProbe:
        tcpSocket: { port: http }
      startupProbe:
        exec: { command: [cat, /tmp/ready] }
        failureThreshold: 30
`;

function basePod(c: Partial<Container> = {}, spec: Partial<Pod['spec']> = {}): Pod {
  return applyDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', uid: 'fixed-uid' },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36', ...c }], ...spec },
  });
}
const fields = (pod: Pod): string[] => validatePod(pod).map((e) => e.field);
const msgs = (pod: Pod): string[] => validatePod(pod).map((e) => `${e.field}: ${e.message}`);

describe('parseManifest', () => {
  test('YAML and JSON', () => {
    const y = parseManifest(YAML_POD);
    assert.equal(y.metadata.name, 'web');
    assert.equal(y.spec.containers[0]!.image, 'nginx');
    const j = parseManifest(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [] } }));
    assert.equal(j.metadata.name, 'j');
  });
  test('rejects wrong kind/apiVersion, missing spec, bad YAML, multiple docs, empty', () => {
    assert.throws(() => parseManifest('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {containers: []}'), (e: unknown) => {
      assert.ok(e instanceof ManifestError);
      assert.deepEqual(e.errors.map((x) => x.field), ['kind', 'apiVersion']);
      assert.match(e.message, /^kind: Unsupported value: "Deployment": supported values: "Pod"$/m);
      return true;
    });
    assert.throws(() => parseManifest('apiVersion: v1\nkind: Pod\nmetadata: {name: x}'), /spec: Required value/);
    assert.throws(() => parseManifest('a: ['), /invalid YAML/);
    assert.throws(() => parseManifest('kind: Pod\n---\nkind: Pod\n'), /expected one Pod, found 2 documents/);
    assert.throws(() => parseManifest(''), /empty manifest/);
    assert.throws(() => parseManifest('- 1\n- 2'), /must be an object/);
  });
  test('ManifestError carries the source name', () => {
    try {
      parseManifest('kind: Pod', 'pod.yaml');
      assert.fail('expected throw');
    } catch (e) {
      assert.ok(e instanceof ManifestError);
      assert.equal(e.source, 'pod.yaml');
    }
  });
});

describe('applyDefaults', () => {
  test('pod-level defaults', () => {
    const pod = applyDefaults(parseManifest(YAML_POD));
    assert.equal(pod.metadata.namespace, 'default');
    assert.match(pod.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
    assert.equal(pod.spec.restartPolicy, 'Always');
  });
  test('uid and explicit values are honoured; input not mutated', () => {
    const raw = parseManifest(YAML_POD);
    raw.metadata.uid = 'my-uid';
    raw.metadata.namespace = 'ns1';
    raw.spec.terminationGracePeriodSeconds = 0;
    raw.spec.restartPolicy = 'Never';
    const pod = applyDefaults(raw);
    assert.equal(pod.metadata.uid, 'my-uid');
    assert.equal(pod.metadata.namespace, 'ns1');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 0);
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.equal(raw.spec.containers[0]!.imagePullPolicy, undefined);
  });
  test('two pods without uid get different uids', () => {
    assert.notEqual(applyDefaults(parseManifest(YAML_POD)).metadata.uid, applyDefaults(parseManifest(YAML_POD)).metadata.uid);
  });
  test('container defaults: pull policy, ports, probes, httpGet', () => {
    const pod = applyDefaults(parseManifest(YAML_POD));
    const app = pod.spec.containers[0]!;
    assert.equal(app.imagePullPolicy, 'Always'); // nginx: no tag
    assert.equal(pod.spec.initContainers![0]!.imagePullPolicy, 'IfNotPresent');
    assert.equal(app.ports![0]!.protocol, 'TCP');
    assert.deepEqual(app.lifecycle!.postStart!.httpGet, { port: 'http', path: '/', scheme: 'HTTP' });
    assert.deepEqual(app.livenessProbe, {
      httpGet: { port: 80, path: '/healthz', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
      initialDelaySeconds: 0,
    });
    assert.equal(app.startupProbe!.failureThreshold, 30);
    assert.equal(app.terminationMessagePath, '/dev/termination-log');
  });
  test('probe zero values are treated as unset (Go zero value)', () => {
    const pod = basePod({ readinessProbe: { exec: { command: ['true'] }, periodSeconds: 0, timeoutSeconds: 0 } });
    assert.equal(pod.spec.containers[0]!.readinessProbe!.periodSeconds, 10);
    assert.equal(pod.spec.containers[0]!.readinessProbe!.timeoutSeconds, 1);
  });
});

describe('image pull policy defaulting', () => {
  const cases: [string, string][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry:5000/team/app', 'Always'],
    ['registry:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
    ['nginx:latest@sha256:abc', 'Always'],
    ['nginx:1.25@sha256:abc', 'IfNotPresent'],
  ];
  for (const [img, want] of cases) test(`${img} → ${want}`, () => assert.equal(defaultPullPolicy(img), want));
  test('parseImageRef', () => {
    assert.deepEqual(parseImageRef('registry:5000/a/b:v1@sha256:x'), { repository: 'registry:5000/a/b', tag: 'v1', digest: 'sha256:x' });
    assert.deepEqual(parseImageRef('b'), { repository: 'b', tag: undefined, digest: undefined });
  });
  test('explicit policy kept', () => {
    assert.equal(basePod({ image: 'x', imagePullPolicy: 'Never' }).spec.containers[0]!.imagePullPolicy, 'Never');
  });
});

describe('validatePod', () => {
  test('the full example is valid', () => {
    assert.deepEqual(validatePod(applyDefaults(parseManifest(YAML_POD))), []);
  });
  test('names', () => {
    assert.deepEqual(fields(applyDefaults({ ...basePod(), metadata: { name: '' } })), ['metadata.name']);
    assert.deepEqual(fields(applyDefaults({ ...basePod(), metadata: { name: 'Bad_Name' } })), ['metadata.name']);
    assert.deepEqual(fields(applyDefaults({ ...basePod(), metadata: { name: 'a.b-c' } })), []);
    assert.deepEqual(fields(applyDefaults({ ...basePod(), metadata: { name: 'ok', namespace: 'a.b' } })), ['metadata.namespace']);
    assert.deepEqual(fields(basePod({ name: 'App' })), ['spec.containers[0].name']);
    assert.deepEqual(fields(basePod({ name: '' })), ['spec.containers[0].name']);
  });
  test('at least one container', () => {
    assert.deepEqual(msgs(basePod({}, { containers: [] })), ['spec.containers: Required value']);
  });
  test('container names unique across containers, initContainers and ephemeralContainers', () => {
    const pod = basePod({}, {
      initContainers: [{ name: 'app', image: 'x' }],
      containers: [{ name: 'app', image: 'x' }, { name: 'b', image: 'x' }],
      ephemeralContainers: [{ name: 'b', image: 'x' }],
    });
    assert.deepEqual(msgs(pod), ['spec.containers[0].name: Duplicate value: "app"', 'spec.ephemeralContainers[0].name: Duplicate value: "b"']);
  });
  test('image required', () => {
    assert.deepEqual(msgs(basePod({ image: '' })), ['spec.containers[0].image: Required value']);
  });
  test('restartPolicy values', () => {
    assert.deepEqual(msgs(basePod({}, { restartPolicy: 'Sometimes' as never })), [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
    assert.deepEqual(fields(basePod({ imagePullPolicy: 'Maybe' as never })), ['spec.containers[0].imagePullPolicy']);
  });
  test('container restartPolicy: with ContainerRestartRules off only on init containers, only Always', () => {
    const off = { gates: { ...DEFAULT_FEATURE_GATES, ContainerRestartRules: false } };
    const m = (p: Pod) => validatePod(p, off).map((e) => `${e.field}: ${e.message}`);
    assert.deepEqual(m(basePod({ restartPolicy: 'Always' })), [
      'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
    ]);
    const pod = basePod({}, { initContainers: [{ name: 'i', image: 'x', restartPolicy: 'Never' }] });
    assert.deepEqual(m(pod), ['spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"']);
  });
  test('container restartPolicy (KEP-5307, on since 1.35): Always, OnFailure or Never on any non-ephemeral container', () => {
    for (const policy of ['Always', 'OnFailure', 'Never'] as const) {
      assert.deepEqual(msgs(basePod({ restartPolicy: policy })), [], policy);
      assert.deepEqual(msgs(basePod({}, { initContainers: [{ name: 'i', image: 'x', restartPolicy: policy }] })), [], `init ${policy}`);
    }
    assert.deepEqual(msgs(basePod({ restartPolicy: 'Sometimes' as never })), [
      'spec.containers[0].restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });
  test('lifecycle handler: exactly one of exec/httpGet/sleep/tcpSocket', () => {
    assert.deepEqual(msgs(basePod({ lifecycle: { postStart: {} } })), [
      'spec.containers[0].lifecycle.postStart: must specify exactly one handler',
    ]);
    assert.deepEqual(msgs(basePod({ lifecycle: { preStop: { exec: { command: ['a'] }, sleep: { seconds: 1 } } } })), [
      'spec.containers[0].lifecycle.preStop: must specify exactly one handler',
    ]);
  });
  test('tcpSocket lifecycle handler is accepted (fails at run time)', () => {
    assert.deepEqual(validatePod(basePod({ lifecycle: { postStart: { tcpSocket: { port: 'not-a-port-name' } } } })), []);
  });
  test('exec.command non-empty', () => {
    assert.deepEqual(msgs(basePod({ lifecycle: { postStart: { exec: { command: [] } } } })), [
      'spec.containers[0].lifecycle.postStart.exec.command: Required value',
    ]);
    assert.deepEqual(fields(basePod({ livenessProbe: { exec: {} } })), ['spec.containers[0].livenessProbe.exec.command']);
  });
  test('sleep.seconds >= 0 and <= terminationGracePeriodSeconds', () => {
    assert.deepEqual(validatePod(basePod({ lifecycle: { preStop: { sleep: { seconds: 0 } } } })), []);
    assert.deepEqual(fields(basePod({ lifecycle: { preStop: { sleep: { seconds: -1 } } } })), ['spec.containers[0].lifecycle.preStop.sleep.seconds']);
    assert.deepEqual(msgs(basePod({ lifecycle: { preStop: { sleep: { seconds: 31 } } } })), [
      'spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be non-negative and less than terminationGracePeriodSeconds (30)',
    ]);
  });
  test('probe: exactly one mechanism', () => {
    assert.deepEqual(fields(basePod({ livenessProbe: {} })), ['spec.containers[0].livenessProbe']);
    assert.deepEqual(fields(basePod({ readinessProbe: { exec: { command: ['a'] }, tcpSocket: { port: 1 } } })), [
      'spec.containers[0].readinessProbe',
    ]);
    assert.deepEqual(validatePod(basePod({ livenessProbe: { grpc: { port: 9000 } } })), []);
  });
  test('ports 1..65535', () => {
    assert.deepEqual(msgs(basePod({ ports: [{ containerPort: 0 }] })), [
      'spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    assert.deepEqual(fields(basePod({ ports: [{ containerPort: 65536 }] })), ['spec.containers[0].ports[0].containerPort']);
    assert.deepEqual(fields(basePod({ livenessProbe: { httpGet: { port: 70000 } } })), ['spec.containers[0].livenessProbe.httpGet.port']);
    assert.deepEqual(fields(basePod({ livenessProbe: { grpc: { port: 0 } } })), ['spec.containers[0].livenessProbe.grpc.port']);
  });
  test('named ports: IANA_SVC_NAME syntax only (ValidatePortNumOrName); resolving the name is the prober\'s job', () => {
    const ports = [{ name: 'http', containerPort: 8080 }];
    assert.deepEqual(validatePod(basePod({ ports, livenessProbe: { httpGet: { port: 'http' } } })), []);
    const pod = basePod({}, {
      containers: [
        { name: 'a', image: 'x', ports },
        { name: 'b', image: 'x', livenessProbe: { httpGet: { port: 'http' } } },
      ],
    });
    // The API server accepts a name the container does not declare; the prober then reports
    // `strconv.Atoi: parsing "http": invalid syntax` (conformance s10d).
    assert.deepEqual(msgs(pod), []);
    assert.deepEqual(fields(basePod({ ports, lifecycle: { postStart: { httpGet: { port: 'nope' } } } })), []);
    assert.ok(msgs(basePod({ readinessProbe: { tcpSocket: { port: '8080' } } }))[0]!.includes('must contain at least one letter'));
    assert.deepEqual(fields(basePod({ ports: [{ name: 'Bad--Name', containerPort: 1 }] })).slice(0, 1), ['spec.containers[0].ports[0].name']);
    assert.deepEqual(fields(basePod({ ports: [{ name: 'a', containerPort: 1 }, { name: 'a', containerPort: 2 }] })), [
      'spec.containers[0].ports[1].name',
    ]);
  });
  test('liveness/startup successThreshold must be 1', () => {
    assert.deepEqual(msgs(basePod({ livenessProbe: { exec: { command: ['a'] }, successThreshold: 2 } })), [
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    ]);
    assert.deepEqual(fields(basePod({ startupProbe: { exec: { command: ['a'] }, successThreshold: 3 } })), [
      'spec.containers[0].startupProbe.successThreshold',
    ]);
    assert.deepEqual(validatePod(basePod({ readinessProbe: { exec: { command: ['a'] }, successThreshold: 3 } })), []);
  });
  test('thresholds, periods, timeouts >= 1; initialDelay >= 0', () => {
    const p = { exec: { command: ['a'] } };
    assert.deepEqual(fields(basePod({ readinessProbe: { ...p, periodSeconds: -1 } })), ['spec.containers[0].readinessProbe.periodSeconds']);
    assert.deepEqual(fields(basePod({ readinessProbe: { ...p, timeoutSeconds: -5 } })), ['spec.containers[0].readinessProbe.timeoutSeconds']);
    assert.deepEqual(fields(basePod({ readinessProbe: { ...p, failureThreshold: -1 } })), ['spec.containers[0].readinessProbe.failureThreshold']);
    assert.deepEqual(fields(basePod({ readinessProbe: { ...p, initialDelaySeconds: -1 } })), ['spec.containers[0].readinessProbe.initialDelaySeconds']);
  });
  test('terminationGracePeriodSeconds', () => {
    assert.deepEqual(fields(basePod({}, { terminationGracePeriodSeconds: -1 })), ['spec.terminationGracePeriodSeconds']);
    const p = { exec: { command: ['a'] } };
    assert.deepEqual(validatePod(basePod({ livenessProbe: { ...p, terminationGracePeriodSeconds: 60 } })), []);
    assert.deepEqual(msgs(basePod({ livenessProbe: { ...p, terminationGracePeriodSeconds: 0 } })), [
      'spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0',
    ]);
    assert.deepEqual(msgs(basePod({ readinessProbe: { ...p, terminationGracePeriodSeconds: 10 } })), [
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Forbidden: must not be set for readinessProbes',
    ]);
  });
  test('ephemeral containers: no probes, lifecycle or ports', () => {
    const pod = basePod({}, {
      ephemeralContainers: [
        { name: 'dbg', image: 'x', ports: [{ containerPort: 1 }], lifecycle: {}, readinessProbe: { exec: { command: ['a'] } } },
      ],
    });
    assert.deepEqual(fields(pod), [
      'spec.ephemeralContainers[0].ports',
      'spec.ephemeralContainers[0].lifecycle',
      'spec.ephemeralContainers[0].readinessProbe',
    ]);
  });
  test('regular init containers: no lifecycle/probes; sidecars may have them', () => {
    const probe = { exec: { command: ['a'] } };
    const pod = basePod({}, {
      initContainers: [
        { name: 'i', image: 'x', livenessProbe: probe },
        { name: 's', image: 'x', restartPolicy: 'Always', livenessProbe: probe, startupProbe: probe, lifecycle: { preStop: { sleep: { seconds: 1 } } } },
      ],
    });
    assert.deepEqual(fields(pod), ['spec.initContainers[0].livenessProbe']);
  });
});

describe('loadPod', () => {
  test('parse + defaults + validate', () => {
    const pod = loadPod(YAML_POD, 'web.yaml');
    assert.equal(pod.metadata.namespace, 'default');
    assert.equal(pod.spec.containers[0]!.imagePullPolicy, 'Always');
  });
  test('throws every error with exact field paths, one per line', () => {
    const text = `
apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - name: a
      image: x
      lifecycle:
        postStart: {}
    - name: b
      image: ""
      livenessProbe:
        httpGet: { port: metrics }
`;
    assert.throws(() => loadPod(text, 'p.yaml'), (e: unknown) => {
      assert.ok(e instanceof ManifestError);
      assert.deepEqual(e.message.split('\n'), [
        'spec.containers[0].lifecycle.postStart: must specify exactly one handler',
        'spec.containers[1].image: Required value',
      ]);
      assert.equal(e.errors.length, 2);
      assert.equal(e.source, 'p.yaml');
      return true;
    });
  });
});
