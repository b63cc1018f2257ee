// API validation (pkg/apis/core/validation, 1.34) for the fields a static pod can
// use, the kubelet's static-pod rules, and ValidatePodUpdate for manifest edits.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, LINUX_STOP_SIGNALS, loadPod, ManifestError, validatePod, validatePodUpdate } from '../../src/k8s/manifest.js';
import type { Container, Pod } from '../../src/k8s/types.js';
import { DEFAULT_FEATURE_GATES } from '../../machines/features.js';

function pod(spec: Partial<Pod['spec']> = {}, c: Partial<Container> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return applyDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', uid: 'u1', ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36', ...c }], ...spec },
  });
}
const msgs = (p: Pod): string[] => validatePod(p).map((e) => `${e.field}: ${e.message}`);
const STATIC = 'Forbidden: static pods may not reference API objects';

describe('static-pod limits: nothing that needs an API server', () => {
  test('configMap, secret, PVC and serviceAccountToken volumes', () => {
    const m = msgs(
      pod({
        volumes: [
          { name: 'a', configMap: { name: 'cm' } },
          { name: 'b', secret: { secretName: 's' } },
          { name: 'c', persistentVolumeClaim: { claimName: 'pvc' } },
          { name: 'd', projected: { sources: [{ downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }, { serviceAccountToken: { path: 't' } }] } },
        ],
      }),
    );
    assert.deepEqual(m, [
      `spec.volumes[0].configMap: ${STATIC}: configmaps (via configmap volumes)`,
      `spec.volumes[1].secret: ${STATIC}: secrets (via secret volumes)`,
      `spec.volumes[2].persistentVolumeClaim: ${STATIC}: persistentvolumeclaims`,
      `spec.volumes[3].projected.sources[1].serviceAccountToken: ${STATIC}: serviceaccounts (via projected volumes)`,
    ]);
  });
  test('configMapKeyRef, secretKeyRef, envFrom, serviceAccountName, imagePullSecrets', () => {
    const m = msgs(
      pod(
        { serviceAccountName: 'default', imagePullSecrets: [{ name: 'reg' }] },
        {
          env: [
            { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
            { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          ],
          envFrom: [{ configMapRef: { name: 'cm' } }, { secretRef: { name: 's' } }],
        },
      ),
    );
    assert.deepEqual(m, [
      `spec.containers[0].env[0].valueFrom.configMapKeyRef: ${STATIC}: configmaps`,
      `spec.containers[0].env[1].valueFrom.secretKeyRef: ${STATIC}: secrets`,
      `spec.containers[0].envFrom[0].configMapRef: ${STATIC}: configmaps`,
      `spec.containers[0].envFrom[1].secretRef: ${STATIC}: secrets`,
      `spec.serviceAccountName: ${STATIC}: serviceaccounts`,
      `spec.imagePullSecrets: ${STATIC}: secrets`,
    ]);
  });
  test('volume types statelet has no plugin for are rejected by name', () => {
    assert.deepEqual(msgs(pod({ volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }] })), [
      'spec.volumes[0].nfs: Forbidden: nfs volumes are not supported by statelet (supported: emptyDir, hostPath, downwardAPI, projected with downwardAPI sources)',
    ]);
  });
});

describe('volumes and mounts', () => {
  test('names are DNS-1123 labels and unique; one source each; mounts resolve', () => {
    const m = msgs(
      pod(
        { volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }, { name: 'Bad', emptyDir: {} }, { name: 'two', emptyDir: {}, hostPath: { path: '/x' } }] },
        { volumeMounts: [{ name: 'nope', mountPath: '/a' }, { name: 'data', mountPath: '/b' }, { name: 'data', mountPath: '/b' }] },
      ),
    );
    assert.ok(m.includes('spec.volumes[1].name: Duplicate value: "data"'), m.join('\n'));
    assert.ok(m.some((x) => x.startsWith('spec.volumes[2].name: Invalid value: "Bad": a lowercase RFC 1123 label')));
    assert.ok(m.includes('spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type'));
    assert.ok(m.includes('spec.containers[0].volumeMounts[0].name: Not found: "nope"'));
    assert.ok(m.includes('spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/b": must be unique'));
  });
  test('subPath, subPathExpr, propagation, hostPath type, emptyDir medium and sizeLimit', () => {
    const m = msgs(
      pod(
        {
          volumes: [
            { name: 'd', emptyDir: { medium: 'Memory', sizeLimit: '64MB' } },
            { name: 'h', hostPath: { path: '/tmp/../etc', type: 'Dir' as never } },
          ],
        },
        {
          volumeMounts: [
            { name: 'd', mountPath: '/a', subPath: '../x' },
            { name: 'd', mountPath: '/b', subPath: 'x', subPathExpr: '$(POD)' },
            { name: 'h', mountPath: '/c', mountPropagation: 'Bidirectional' },
          ],
        },
      ),
    );
    assert.deepEqual(m, [
      `spec.volumes[0].emptyDir.sizeLimit: Invalid value: "64MB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      `spec.volumes[1].hostPath.path: Invalid value: "/tmp/../etc": must not contain '..'`,
      'spec.volumes[1].hostPath.type: Unsupported value: "Dir": supported values: "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"',
      `spec.containers[0].volumeMounts[0].subPath: Invalid value: "../x": must not contain '..'`,
      'spec.containers[0].volumeMounts[1].subPathExpr: Invalid value: "$(POD)": subPathExpr and subPath are mutually exclusive',
      'spec.containers[0].volumeMounts[2].mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers',
    ]);
  });
  test('downwardAPI items: relative paths, readable fields, containerName for resources', () => {
    const m = msgs(
      pod({
        volumes: [
          {
            name: 'info',
            downwardAPI: {
              items: [
                { path: '/abs', fieldRef: { fieldPath: 'metadata.name' } },
                { path: 'ip', fieldRef: { fieldPath: 'status.podIP' } },
                { path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } },
                { path: 'ok', fieldRef: { fieldPath: "metadata.labels['app']" } },
              ],
            },
          },
        ],
      }),
    );
    assert.deepEqual(m, [
      'spec.volumes[0].downwardAPI.items[0].path: Invalid value: "/abs": must be a relative path',
      'spec.volumes[0].downwardAPI.items[1].fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.uid"',
      'spec.volumes[0].downwardAPI.items[2].resourceFieldRef.containerName: Required value',
    ]);
  });
});

describe('resources', () => {
  test('the quantity grammar, non-negative values, requests at most limits', () => {
    const m = msgs(pod({}, { resources: { requests: { cpu: '2', memory: '-1' }, limits: { cpu: '1', memory: '1.5Gi', 'ephemeral-storage': 'lots' } } }));
    assert.deepEqual(m, [
      `spec.containers[0].resources.limits[ephemeral-storage]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      'spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1',
      'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
      // SetDefaults_Pod copied the limit into the missing request before validation.
      `spec.containers[0].resources.requests[ephemeral-storage]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ]);
  });
  test('a limit without a request defaults the request (SetDefaults_Pod); numbers become strings', () => {
    const p = pod({}, { resources: { limits: { cpu: 1 as unknown as string, memory: '64Mi' } } });
    assert.deepEqual(p.spec.containers[0]!.resources, { limits: { cpu: '1', memory: '64Mi' }, requests: { cpu: '1', memory: '64Mi' } });
    assert.deepEqual(msgs(p), []);
  });
  test('unknown and extended resource names', () => {
    const m = msgs(pod({}, { resources: { limits: { memroy: '1Gi', 'nvidia.com/gpu': '1' } } }));
    assert.deepEqual(m, [
      'spec.containers[0].resources.limits[memroy]: Invalid value: "memroy": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.limits[nvidia.com/gpu]: Forbidden: extended resource "nvidia.com/gpu" is not supported: statelet has no device plugins',
      'spec.containers[0].resources.requests[memroy]: Invalid value: "memroy": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.requests[nvidia.com/gpu]: Forbidden: extended resource "nvidia.com/gpu" is not supported: statelet has no device plugins',
    ]);
  });
  test('pod-level resources: requests default from the containers, must cover them, container limits fit', () => {
    const p = pod({ resources: { limits: { cpu: '1', memory: '128Mi' } } }, { resources: { requests: { cpu: '200m' } } });
    assert.deepEqual(p.spec.resources!.requests, { cpu: '200m', memory: '128Mi' });
    assert.deepEqual(msgs(p), []);
    const over = pod({ resources: { limits: { memory: '128Mi' }, requests: { memory: '64Mi' } } }, { resources: { requests: { memory: '100Mi' }, limits: { memory: '256Mi' } } });
    assert.deepEqual(msgs(over), [
      'spec.resources.requests[memory]: Invalid value: "64Mi": must be greater than or equal to aggregate container requests of 100Mi',
      'spec.containers[0].resources.limits[memory]: Invalid value: "256Mi": must be less than or equal to pod limits of 128Mi',
    ]);
  });
});

describe('env, ports, names, security contexts, DNS', () => {
  test('env: names, one source, fieldRef paths', () => {
    const m = msgs(
      pod({}, {
        env: [
          { name: 'A=B', value: 'x' },
          { name: 'C', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'D', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
          { name: 'E', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '3m' } } },
          { name: 'F', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['a.b/c']" } } },
        ],
      }),
    );
    assert.deepEqual(m, [
      "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
      'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
      'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      "spec.containers[0].env[3].valueFrom.resourceFieldRef.divisor: Invalid value: \"3m\": only divisor's values 1m and 1 are supported with the cpu resource",
    ]);
  });
  test('host ports: range, uniqueness, and hostNetwork (defaulted to the container port)', () => {
    assert.deepEqual(msgs(pod({}, { ports: [{ containerPort: 80, hostPort: 70000 }] })), ['spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive']);
    const dup = pod({ containers: [{ name: 'a', image: 'b', ports: [{ containerPort: 80, hostPort: 8080 }] }, { name: 'c', image: 'b', ports: [{ containerPort: 81, hostPort: 8080 }] }] });
    assert.deepEqual(msgs(dup), ['spec.containers[1].ports[0].hostPort: Duplicate value: "8080/TCP"']);
    const hn = pod({ hostNetwork: true }, { ports: [{ containerPort: 80 }] });
    assert.equal(hn.spec.containers[0]!.ports![0]!.hostPort, 80);
    assert.deepEqual(msgs(pod({ hostNetwork: true }, { ports: [{ containerPort: 80, hostPort: 81 }] })), ['spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true']);
  });
  test('labels, hostname, subdomain, activeDeadlineSeconds', () => {
    const m = msgs(pod({ hostname: 'Web_1', subdomain: 'ok', activeDeadlineSeconds: 0 }, {}, { labels: { 'bad key!': 'v' } }));
    assert.equal(m.length, 3, m.join('\n'));
    assert.match(m[0]!, /^metadata\.labels: Invalid value: "bad key!": name part must consist of alphanumeric/);
    assert.match(m[1]!, /^spec\.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive$/);
    assert.match(m[2]!, /^spec\.hostname: Invalid value: "Web_1": a lowercase RFC 1123 label/);
    assert.deepEqual(msgs(pod({ activeDeadlineSeconds: 30 })), []);
  });
  test('security contexts', () => {
    const m = msgs(
      pod(
        { securityContext: { runAsUser: -1, sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.ip_local_port_range', value: '1 2' }], seccompProfile: { type: 'Localhost' } } },
        { securityContext: { privileged: true, allowPrivilegeEscalation: false, appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'x' } } },
      ),
    );
    assert.deepEqual(m, [
      'spec.containers[0].securityContext: Invalid value: "": cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
      'spec.containers[0].securityContext.appArmorProfile.localhostProfile: Invalid value: "x": can only be set when apparmor type is Localhost',
      'spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive',
      'spec.securityContext.seccompProfile.localhostProfile: Required value',
      'spec.securityContext.sysctls[0].name: Forbidden: forbidden sysctl: "kernel.msgmax" not allowlisted',
    ]);
  });
  test('dnsPolicy None needs dnsConfig; nameservers are IPs, at most 3', () => {
    assert.deepEqual(msgs(pod({ dnsPolicy: 'None' })), ['spec.dnsConfig: Required value']);
    const m = msgs(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', 'dns.example', '8.8.8.8', '9.9.9.9'] } }));
    assert.deepEqual(m, [
      'spec.dnsConfig.nameservers: Invalid value: ["1.1.1.1","dns.example","8.8.8.8","9.9.9.9"]: must not have more than 3 nameservers',
      'spec.dnsConfig.nameservers[1]: Invalid value: "dns.example": must be a valid IP address',
    ]);
    assert.equal(pod().spec.dnsPolicy, 'ClusterFirst');
  });
  test('features whose gate is off in 1.36 are rejected, not ignored', () => {
    const m = msgs(pod({ hostnameOverride: 'x' }, { lifecycle: { stopSignal: 'SIGUSR1' } }));
    assert.deepEqual(m, [
      'spec.containers[0].lifecycle.stopSignal: Forbidden: the ContainerStopSignals feature (1.33 alpha) is not enabled (--feature-gates ContainerStopSignals=true)',
      'spec.hostnameOverride: Forbidden: the HostnameOverride feature (1.34 alpha) is not enabled',
    ]);
    // The same goes for a gate switched off with --feature-gates.
    const off = { gates: { ...DEFAULT_FEATURE_GATES, ContainerRestartRules: false } };
    const rules = pod({}, { restartPolicy: 'Never', restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }] });
    assert.deepEqual(validatePod(rules, off).map((e) => `${e.field}: ${e.message}`), [
      'spec.containers[0].restartPolicyRules: Forbidden: the ContainerRestartRules feature (beta, on by default since 1.35) is not enabled (--feature-gates ContainerRestartRules=true)',
      'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
    ]);
    assert.deepEqual(msgs(rules), []);
  });
});

describe('a manifest from the docs ("Configure a Pod to Use a Volume for Storage")', () => {
  test('is valid as written', () => {
    const p = loadPod(`apiVersion: v1
kind: Pod
metadata:
  name: redis
spec:
  containers:
  - name: redis
    image: redis
    volumeMounts:
    - name: redis-storage
      mountPath: /data/redis
  volumes:
  - name: redis-storage
    emptyDir: {}
`);
    assert.deepEqual(p.spec.volumes, [{ name: 'redis-storage', emptyDir: {} }]);
  });
});

describe('ValidatePodUpdate (an edited manifest)', () => {
  const base = pod({ activeDeadlineSeconds: 60, tolerations: [{ key: 'a', operator: 'Exists' }] }, { command: ['sleep', '1'] });
  test('image, a lower activeDeadlineSeconds, added tolerations and labels may change', () => {
    const next = structuredClone(base);
    next.spec.containers[0]!.image = 'busybox:1.37';
    next.spec.activeDeadlineSeconds = 30;
    next.spec.tolerations!.push({ key: 'b', operator: 'Exists' });
    next.metadata.labels = { x: 'y' };
    next.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', command: ['sh'] }];
    assert.deepEqual(validatePodUpdate(next, base), []);
  });
  test('anything else is forbidden, naming what changed', () => {
    const next = structuredClone(base);
    next.spec.containers[0]!.command = ['sleep', '2'];
    next.spec.activeDeadlineSeconds = 90;
    const errs = validatePodUpdate(next, base).map((e) => `${e.field}: ${e.message}`);
    assert.deepEqual(errs, [
      'spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous value',
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative); changed: spec.containers[0].command[1]',
    ]);
  });
});

describe('per-container restart policy and rules (KEP-5307, KEP-5532; 1.36 defaults)', () => {
  const rule = (action: string, operator: string, values: number[]) => ({ action, exitCodes: { operator, values } }) as never;
  test('a regular container may set restartPolicy and rules with In / NotIn and either action', () => {
    const p = pod({ restartPolicy: 'Never' }, { restartPolicy: 'Never', restartPolicyRules: [rule('Restart', 'In', [42]), rule('RestartAllContainers', 'NotIn', [0, 1])] });
    assert.deepEqual(msgs(p), []);
  });
  test('rules need an explicit container restartPolicy', () => {
    assert.deepEqual(msgs(pod({}, { restartPolicyRules: [rule('Restart', 'In', [42])] })), [
      'spec.containers[0].restartPolicy: Required value: must specify restartPolicy when restart rules are used',
    ]);
  });
  test('an unknown action, operator or policy is rejected with the supported values', () => {
    const p = pod({}, { restartPolicy: 'Never', restartPolicyRules: [rule('Ignore', 'Exists', [1]), { action: 'Restart' } as never, {} as never] });
    assert.deepEqual(msgs(p), [
      'spec.containers[0].restartPolicyRules[0].action: Unsupported value: "Ignore": supported values: "Restart", "RestartAllContainers"',
      'spec.containers[0].restartPolicyRules[0].exitCodes.operator: Unsupported value: "Exists": supported values: "In", "NotIn"',
      'spec.containers[0].restartPolicyRules[1].exitCodes: Required value: must be specified',
      'spec.containers[0].restartPolicyRules[2].action: Unsupported value: "": supported values: "Restart", "RestartAllContainers"',
      'spec.containers[0].restartPolicyRules[2].exitCodes: Required value: must be specified',
    ]);
  });
  test('RestartAllContainers needs its gate', () => {
    const gates = { ...DEFAULT_FEATURE_GATES, RestartAllContainersOnContainerExits: false };
    const p = pod({}, { restartPolicy: 'Never', restartPolicyRules: [rule('RestartAllContainers', 'In', [7])] });
    assert.deepEqual(validatePod(p, { gates }).map((e) => `${e.field}: ${e.message}`), [
      'spec.containers[0].restartPolicyRules[0].action: Unsupported value: "RestartAllContainers": supported values: "Restart"',
    ]);
  });
  test('at most 20 rules and 255 exit codes per rule', () => {
    const many = Array.from({ length: 21 }, () => rule('Restart', 'In', [1]));
    assert.deepEqual(msgs(pod({}, { restartPolicy: 'Never', restartPolicyRules: many })), [
      'spec.containers[0].restartPolicyRules: Too many: 21: must have at most 20 items',
    ]);
    const codes = Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(msgs(pod({}, { restartPolicy: 'Never', restartPolicyRules: [rule('Restart', 'In', codes)] })), [
      'spec.containers[0].restartPolicyRules[0].exitCodes.values: Too many: 256: must have at most 255 items',
    ]);
    assert.deepEqual(msgs(pod({}, { restartPolicy: 'Never', restartPolicyRules: [...many.slice(2), rule('Restart', 'NotIn', codes.slice(1))] })), []);
  });
  test('init containers take them too; a sidecar only with RestartAllContainersOnContainerExits', () => {
    const init = { name: 'init', image: 'busybox:1.36', restartPolicy: 'Never' as const, restartPolicyRules: [rule('Restart', 'In', [3])] };
    const sidecar = { name: 'side', image: 'busybox:1.36', restartPolicy: 'Always' as const, restartPolicyRules: [rule('RestartAllContainers', 'In', [88])] };
    const p = pod({ initContainers: [init, sidecar] });
    assert.deepEqual(msgs(p), []);
    assert.deepEqual(validatePod(p, { gates: { ...DEFAULT_FEATURE_GATES, RestartAllContainersOnContainerExits: false } }).map((e) => `${e.field}: ${e.message}`), [
      'spec.initContainers[1].restartPolicyRules: Forbidden: may not be set for a sidecar container (restartPolicy: Always) unless the RestartAllContainersOnContainerExits feature gate is on',
    ]);
  });
  test('not on ephemeral containers', () => {
    const p = pod({ ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36', restartPolicy: 'Never', restartPolicyRules: [rule('Restart', 'In', [1])] }] });
    assert.deepEqual(msgs(p), [
      'spec.ephemeralContainers[0].restartPolicy: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].restartPolicyRules: Forbidden: cannot be set for an Ephemeral Container',
    ]);
  });
  test('a rule of the wrong shape is a decoding error with its line', () => {
    const text = `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
  - name: app
    image: busybox:1.36
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes: { operator: In, values: [one] }
      when: {}
`;
    assert.throws(() => loadPod(text, 'p.yaml'), (e: unknown) => {
      assert.ok(e instanceof ManifestError);
      assert.deepEqual(e.errors.map((x) => [`${x.field}: ${x.message}`, x.line]), [
        ['spec.containers[0].restartPolicyRules[0].exitCodes.values[0]: Invalid value: "one": must be an integer', 11],
        ['spec.containers[0].restartPolicyRules[0].when: unknown field', 12],
      ]);
      return true;
    });
  });
});

describe('lifecycle.stopSignal (KEP-4960) and sleep 0', () => {
  const on = { gates: { ...DEFAULT_FEATURE_GATES, ContainerStopSignals: true } };
  const m = (p: Pod) => validatePod(p, on).map((e) => `${e.field}: ${e.message}`);
  test('with ContainerStopSignals on: a Linux signal name, and spec.os.name set', () => {
    assert.deepEqual(m(pod({ os: { name: 'linux' } }, { lifecycle: { stopSignal: 'SIGUSR1' } })), []);
    assert.deepEqual(m(pod({ os: { name: 'linux' } }, { lifecycle: { stopSignal: 'SIGRTMAX-3' } })), []);
    assert.deepEqual(m(pod({}, { lifecycle: { stopSignal: 'SIGUSR1' } })), [
      'spec.containers[0].lifecycle.stopSignal: Forbidden: may not be set for containers with empty `spec.os.name`',
    ]);
    const bad = m(pod({ os: { name: 'linux' } }, { lifecycle: { stopSignal: 'SIGFOO' } }));
    assert.equal(bad.length, 1);
    assert.match(bad[0]!, /^spec\.containers\[0\]\.lifecycle\.stopSignal: Unsupported value: "SIGFOO": supported values: "SIGABRT", "SIGALRM", /);
    assert.equal(LINUX_STOP_SIGNALS.length, 65);
    assert.equal(LINUX_STOP_SIGNALS[35], 'SIGRTMIN+1');
    assert.equal(LINUX_STOP_SIGNALS[64], 'SIGRTMAX');
  });
  test('a sleep of 0 seconds is allowed (PodLifecycleSleepActionAllowZero, GA 1.34)', () => {
    assert.deepEqual(msgs(pod({}, { lifecycle: { preStop: { sleep: { seconds: 0 } } } })), []);
    assert.deepEqual(msgs(pod({ terminationGracePeriodSeconds: 5 }, { lifecycle: { preStop: { sleep: { seconds: 6 } } } })), [
      'spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 6: must be non-negative and less than terminationGracePeriodSeconds (5)',
    ]);
  });
});

describe('resizePolicy and in-place resize edits (KEP-1287)', () => {
  const res = (cpu: string, memory: string) => ({ requests: { cpu, memory }, limits: { cpu, memory } });
  test('resizePolicy: cpu and memory once each; only NotRequired under restartPolicy Never', () => {
    const p = pod({ restartPolicy: 'Never' }, {
      resizePolicy: [
        { resourceName: 'cpu', restartPolicy: 'NotRequired' },
        { resourceName: 'memory', restartPolicy: 'RestartContainer' },
        { resourceName: 'cpu', restartPolicy: 'NotRequired' },
      ],
    });
    assert.deepEqual(msgs(p), [
      `spec.containers[0].resizePolicy[1].restartPolicy: Invalid value: "RestartContainer": must be 'NotRequired' when \`restartPolicy\` is 'Never'`,
      'spec.containers[0].resizePolicy[2].resourceName: Duplicate value: "cpu"',
    ]);
  });
  test('an edit of cpu and memory (and resizePolicy) is allowed', () => {
    const base = pod({}, { resources: res('500m', '128Mi') });
    const next = structuredClone(base);
    next.spec.containers[0]!.resources = res('1', '256Mi');
    next.spec.containers[0]!.resizePolicy = [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }];
    assert.deepEqual(validatePodUpdate(next, base), []);
    // With the gate off it is an ordinary forbidden update.
    const errs = validatePodUpdate(next, base, { gates: { ...DEFAULT_FEATURE_GATES, InPlacePodVerticalScaling: false } });
    assert.equal(errs.length, 1);
    assert.match(errs[0]!.message, /changed: spec\.containers\[0\]\.resources\.requests\.cpu, .*spec\.containers\[0\]\.resizePolicy$/);
  });
  test('other resources, removals, regular init containers and a QoS change are refused', () => {
    const base = pod({ initContainers: [{ name: 'init', image: 'busybox:1.36', resources: res('100m', '64Mi') }] }, { resources: { requests: { cpu: '500m', memory: '128Mi', 'ephemeral-storage': '1Gi' }, limits: { cpu: '500m', memory: '128Mi' } } });
    const next = structuredClone(base);
    next.spec.containers[0]!.resources = { requests: { cpu: '250m', 'ephemeral-storage': '2Gi' }, limits: { cpu: '500m', memory: '128Mi' } };
    next.spec.initContainers![0]!.resources = res('200m', '64Mi');
    assert.deepEqual(validatePodUpdate(next, base).map((e) => `${e.field}: ${e.message}`), [
      'spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed',
      'spec.containers[0].resources: Forbidden: only cpu and memory resources are mutable',
      'spec.initContainers[0].resources: Forbidden: resources for non-sidecar init containers are immutable',
      'spec: Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing (it is Guaranteed)',
    ]);
    const guaranteed = pod({}, { resources: res('500m', '128Mi') });
    const burstable = structuredClone(guaranteed);
    burstable.spec.containers[0]!.resources = { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '500m', memory: '128Mi' } };
    assert.deepEqual(validatePodUpdate(burstable, guaranteed).map((e) => `${e.field}: ${e.message}`), [
      'spec: Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing (it is Guaranteed)',
    ]);
  });
  test('a sidecar may be resized', () => {
    const base = pod({ initContainers: [{ name: 'side', image: 'busybox:1.36', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } }] });
    const next = structuredClone(base);
    next.spec.initContainers![0]!.resources = { requests: { cpu: '300m' } };
    assert.deepEqual(validatePodUpdate(next, base), []);
  });
});
