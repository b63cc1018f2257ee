// The CRI configs generated from the honoured Pod fields, as the kubelet 1.34
// generates them (kuberuntime_container_linux.go, kuberuntime_sandbox_linux.go,
// kubelet_pods.go makeEnvironmentVariables and makeMounts, qos/policy.go).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDefaults } from '../../src/k8s/manifest.js';
import type { Container, Pod } from '../../src/k8s/types.js';
import { generateContainerConfig, generatePodSandboxConfig } from '../../src/kuberuntime/config.js';
import type { NodeInfo } from '../../src/kuberuntime/node.js';
import { getPodQOS, containerOomScoreAdj } from '../../src/kuberuntime/qos.js';
import { milliCPUToQuota, milliCPUToShares } from '../../src/kuberuntime/resources.js';
import { makeMounts, prepareContainerMounts } from '../../src/kuberuntime/mounts.js';
import { podDNSConfig, parseResolvConf, hostsFileContent } from '../../src/kuberuntime/sandbox.js';
import { DEFAULT_MASKED_PATHS } from '../../src/kuberuntime/security.js';

const GiB = 1024 ** 3;
const NODE: NodeInfo = {
  nodeName: 'node-1',
  hostIPs: ['192.0.2.10'],
  memoryCapacityBytes: 8 * GiB,
  cpuMillis: 4000,
  ephemeralStorageBytes: 100 * GiB,
  cgroupV2: false,
  swapControllerV1: false,
  hugePageSizes: ['2MB', '1GB'],
};

function pod(spec: Partial<Pod['spec']> = {}, c: Partial<Container> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return applyDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'ns', uid: 'uid-1', labels: { app: 'web' }, ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh'], ...c }], ...spec },
  });
}
const cfg = (p: Pod, c = p.spec.containers[0]!, extra = {}) => generateContainerConfig(p, c, 0, c.image, { node: NODE, podIPs: ['10.0.0.7'], rootDir: '/var/lib/kubelet', ...extra });

describe('resources -> LinuxContainerResources', () => {
  test('cpu shares from the request, quota and period from the limit, the memory limit in bytes', () => {
    const p = pod({}, { resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } });
    const r = cfg(p).linux!.resources!;
    assert.equal(r.cpuShares, 256);
    assert.equal(r.cpuQuota, 50000);
    assert.equal(r.cpuPeriod, 100000);
    assert.equal(r.memoryLimitInBytes, 128 * 1024 * 1024);
    assert.deepEqual(r.hugepageLimits, [{ pageSize: '2MB', limit: 0 }, { pageSize: '1GB', limit: 0 }]);
  });
  test('no resources: 2 shares, no quota, no memory limit', () => {
    const r = cfg(pod()).linux!.resources!;
    assert.deepEqual([r.cpuShares, r.cpuQuota, r.memoryLimitInBytes], [2, 0, undefined]);
  });
  test('MilliCPUToShares and milliCPUToQuota bounds', () => {
    assert.equal(milliCPUToShares(0), 2);
    assert.equal(milliCPUToShares(1), 2);
    assert.equal(milliCPUToShares(1000), 1024);
    assert.equal(milliCPUToShares(1_000_000), 262144);
    assert.equal(milliCPUToQuota(0, 100000), 0);
    assert.equal(milliCPUToQuota(5, 100000), 1000);
    assert.equal(milliCPUToQuota(1500, 100000), 150000);
  });
  test('pod-level limits stand in for a container without its own; the sandbox carries the pod totals', () => {
    const p = pod({ resources: { limits: { cpu: '2', memory: '1Gi' } } });
    const r = cfg(p).linux!.resources!;
    assert.deepEqual([r.cpuQuota, r.memoryLimitInBytes], [200000, GiB]);
    const sb = generatePodSandboxConfig(p, 0, '/logs', { node: NODE, resolvConf: { servers: [], searches: [], options: [] } });
    assert.deepEqual(sb.linux!.resources, { cpuShares: 2048, cpuPeriod: 100000, cpuQuota: 200000, memoryLimitInBytes: GiB });
    assert.deepEqual(sb.linux!.overhead, {});
  });
  test('hugepages limits by page size', () => {
    const p = pod({}, { resources: { limits: { 'hugepages-2Mi': '4Mi', memory: '64Mi' }, requests: { memory: '64Mi' } } });
    assert.deepEqual(cfg(p).linux!.resources!.hugepageLimits, [{ pageSize: '2MB', limit: 4 * 1024 * 1024 }, { pageSize: '1GB', limit: 0 }]);
  });
  test('cgroup v2: memory.oom.group and no swap', () => {
    const r = cfg(pod({}, { resources: { limits: { memory: '64Mi' } } }), undefined, { node: { ...NODE, cgroupV2: true } }).linux!.resources!;
    assert.deepEqual(r.unified, { 'memory.oom.group': '1', 'memory.swap.max': '0' });
  });
});

describe('QoS class and oom_score_adj', () => {
  const g = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
  test('Guaranteed, Burstable, BestEffort', () => {
    assert.equal(getPodQOS(pod({}, { resources: g })), 'Guaranteed');
    assert.equal(getPodQOS(pod({}, { resources: { limits: { cpu: '1', memory: '1Gi' } } })), 'Guaranteed');
    assert.equal(getPodQOS(pod({}, { resources: { requests: { memory: '1Gi' } } })), 'Burstable');
    assert.equal(getPodQOS(pod({}, { resources: { limits: { memory: '1Gi' } } })), 'Burstable');
    assert.equal(getPodQOS(pod()), 'BestEffort');
    // Pod-level resources decide when set.
    assert.equal(getPodQOS(pod({ resources: { limits: { cpu: '1', memory: '1Gi' } } })), 'Guaranteed');
  });
  test('oom_score_adj: -997 Guaranteed, 1000 BestEffort, 1000 - 1000*request/capacity for Burstable', () => {
    assert.equal(cfg(pod({}, { resources: g })).linux!.resources!.oomScoreAdj, -997);
    assert.equal(cfg(pod()).linux!.resources!.oomScoreAdj, 1000);
    const b = pod({}, { resources: { requests: { memory: '2Gi' } } });
    assert.equal(cfg(b).linux!.resources!.oomScoreAdj, 750);
    assert.equal(containerOomScoreAdj(pod({}, { resources: { requests: { memory: '1' } } }), pod().spec.containers[0]!, NODE.memoryCapacityBytes), 999);
    assert.equal(containerOomScoreAdj(pod({}, { resources: { requests: { memory: '8Gi' } } }), pod().spec.containers[0]!, NODE.memoryCapacityBytes), 999, 'a request-free container of a Burstable pod: one below BestEffort');
    assert.equal(cfg(pod({ priorityClassName: 'system-node-critical' })).linux!.resources!.oomScoreAdj, -997);
  });
});

describe('env: fieldRef, resourceFieldRef and $(VAR) expansion', () => {
  test('as the kubelet resolves them, in order', () => {
    const p = pod({}, {
      command: ['echo', '$(POD_NAME)', '$$(POD_NAME)', '$(UNDEFINED)'],
      args: ['$(GREETING)'],
      resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } },
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'GREETING', value: 'hello $(POD_NAME) from $(NS)' },
      ],
    });
    const c = cfg(p);
    assert.deepEqual(Object.fromEntries(c.envs!.map((e) => [e.key, e.value])), {
      POD_NAME: 'web',
      NS: 'ns',
      UID: 'uid-1',
      APP: 'web',
      NODE: 'node-1',
      POD_IP: '10.0.0.7',
      HOST_IP: '192.0.2.10',
      MEM_MI: '128',
      CPU_LIMIT: '4', // no cpu limit: the node's allocatable
      CPU_REQ_M: '250',
      GREETING: 'hello web from ns',
    });
    assert.deepEqual(c.command, ['echo', 'web', '$(POD_NAME)', '$(UNDEFINED)']);
    assert.deepEqual(c.args, ['hello web from ns']);
  });
});

describe('volumeMounts -> CRI mounts', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'statelet-mounts-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('readOnly, propagation, subPath and subPathExpr; the kubelet mounts only for non-embedded runtimes', async () => {
    const host = join(dir, 'host');
    mkdirSync(host);
    const p = pod(
      {
        volumes: [
          { name: 'cache', emptyDir: {} },
          { name: 'host', hostPath: { path: host, type: 'Directory' } },
          { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
        ],
      },
      {
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        volumeMounts: [
          { name: 'cache', mountPath: '/cache' },
          { name: 'host', mountPath: '/host', readOnly: true, mountPropagation: 'HostToContainer' },
          { name: 'cache', mountPath: '/sub', subPath: 'a/b' },
          { name: 'cache', mountPath: '/expr', subPathExpr: 'logs/$(POD)' },
          { name: 'info', mountPath: '/etc/podinfo' },
        ],
      },
    );
    const root = join(dir, 'root');
    const facts = { podIPs: ['10.0.0.7'], node: NODE };
    const mounts = await prepareContainerMounts(p, p.spec.containers[0]!, root, facts, true);
    const vol = (plugin: string, name: string) => join(root, 'pods', 'uid-1', 'volumes', plugin, name);
    const cacheDir = vol('kubernetes.io~empty-dir', 'cache');
    assert.deepEqual(mounts.slice(0, 5), [
      { containerPath: '/cache', hostPath: cacheDir, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/host', hostPath: host, readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      { containerPath: '/sub', hostPath: join(cacheDir, 'a/b'), readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/expr', hostPath: join(cacheDir, 'logs/web'), readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      // downwardAPI volumes are always read-only.
      { containerPath: '/etc/podinfo', hostPath: vol('kubernetes.io~downward-api', 'info'), readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
    ]);
    assert.equal(mounts[5]!.containerPath, '/etc/hosts');
    assert.match(readFileSync(mounts[5]!.hostPath!, 'utf8'), /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n[\s\S]*10\.0\.0\.7\tweb\n$/);
    assert.equal(mounts[6]!.containerPath, '/dev/termination-log');
    assert.match(mounts[6]!.hostPath!, new RegExp(`^${join(root, 'pods', 'uid-1', 'containers', 'app')}/[0-9a-f]{8}$`));
    // The embedded runtime: volume mounts only.
    const embedded = await prepareContainerMounts(p, p.spec.containers[0]!, root, facts, false);
    assert.equal(embedded.length, 5);
    // A volume mount at /etc/hosts replaces the kubelet's.
    const own = pod({ volumes: [{ name: 'h', hostPath: { path: host } }] }, { volumeMounts: [{ name: 'h', mountPath: '/etc/hosts', subPath: 'hosts' }] });
    const m2 = await prepareContainerMounts(own, own.spec.containers[0]!, root, facts, true);
    assert.deepEqual(m2.map((m) => m.containerPath), ['/etc/hosts', '/dev/termination-log']);
  });

  test('subPath errors are config errors in the kubelet\'s words', async () => {
    const host = join(dir, 'escape');
    mkdirSync(host);
    symlinkSync('/etc', join(host, 'out'));
    const p = pod({ volumes: [{ name: 'h', hostPath: { path: host } }] }, { volumeMounts: [{ name: 'h', mountPath: '/x', subPath: 'out' }] });
    const volumes = new Map([['h', { name: 'h', hostPath: host, readOnly: false, external: true }]]);
    await assert.rejects(makeMounts(p, p.spec.containers[0]!, { rootDir: dir, facts: { podIPs: [], node: NODE }, volumes, kubeletMounts: false }), /^Error: failed to prepare subPath for volumeMount "h" of container "app"$/);
    const q = pod({ volumes: [{ name: 'h', hostPath: { path: host } }] }, { volumeMounts: [{ name: 'h', mountPath: '/x', subPathExpr: '$(NOPE)' }] });
    await assert.rejects(makeMounts(q, q.spec.containers[0]!, { rootDir: dir, facts: { podIPs: [], node: NODE }, volumes, kubeletMounts: false }), /missing value for NOPE/);
  });
});

describe('the sandbox: ports, namespaces, DNS, hostname, sysctls', () => {
  const noDns = { servers: [], searches: [], options: [] };
  test('hostPort -> port_mappings (every regular container port)', () => {
    const p = pod({}, { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] });
    const sb = generatePodSandboxConfig(p, 0, '/logs', { node: NODE, resolvConf: noDns });
    assert.deepEqual(sb.portMappings, [
      { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' },
      { protocol: 'UDP', containerPort: 53, hostPort: 0, hostIp: '' },
    ]);
  });
  test('hostNetwork, hostPID, hostIPC and shareProcessNamespace -> namespace options', () => {
    const p = pod({ hostNetwork: true, hostPID: true, hostIPC: true });
    assert.deepEqual(cfg(p).linux!.securityContext!.namespaceOptions, { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
    const sb = generatePodSandboxConfig(p, 0, '/logs', { node: NODE, resolvConf: noDns });
    assert.deepEqual(sb.linux!.securityContext!.namespaceOptions, { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
    assert.equal(sb.hostname, '');
    assert.equal(cfg(pod({ shareProcessNamespace: true })).linux!.securityContext!.namespaceOptions!.pid, 'POD');
  });
  test('hostname and subdomain; setHostnameAsFQDN', () => {
    const sb = (p: Pod) => generatePodSandboxConfig(p, 0, '/logs', { node: NODE, resolvConf: noDns });
    assert.equal(sb(pod({ hostname: 'box' })).hostname, 'box');
    assert.equal(sb(pod({}, {}, { name: 'a'.repeat(62) + '-b-c' })).hostname, 'a'.repeat(62));
    assert.equal(sb(pod({ hostname: 'box', subdomain: 'sub', setHostnameAsFQDN: true })).hostname, 'box.sub.ns.svc.');
    assert.match(hostsFileContent(pod({ hostname: 'box', subdomain: 'sub', hostAliases: [{ ip: '10.1.1.1', hostnames: ['a', 'b'] }] }), ['10.0.0.7']), /10\.0\.0\.7\tbox\.sub\.ns\.svc\.\tbox\n\n# Entries added by HostAliases\.\n10\.1\.1\.1\ta\tb\n$/);
  });
  test('DNS: the node resolv.conf (no cluster DNS), dnsConfig appended, None from scratch', () => {
    const host = parseResolvConf('nameserver 10.0.0.53\nsearch example.com corp.\noptions ndots:2 edns0\n');
    assert.deepEqual(podDNSConfig(pod(), host), { servers: ['10.0.0.53'], searches: ['example.com', 'corp'], options: ['ndots:2', 'edns0'] });
    const withCfg = pod({ dnsConfig: { nameservers: ['1.1.1.1'], searches: ['my.ns'], options: [{ name: 'ndots', value: '5' }, { name: 'rotate' }] } });
    assert.deepEqual(podDNSConfig(withCfg, host), { servers: ['10.0.0.53', '1.1.1.1'], searches: ['example.com', 'corp', 'my.ns'], options: ['ndots:5', 'edns0', 'rotate'] });
    const none = pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['9.9.9.9'] } });
    assert.deepEqual(podDNSConfig(none, host), { servers: ['9.9.9.9'], searches: [], options: [] });
  });
  test('pod sysctls, runAsUser/runAsGroup, supplemental groups and a privileged container reach the sandbox', () => {
    const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }] } }, { securityContext: { privileged: true } });
    const sb = generatePodSandboxConfig(p, 0, '/logs', { node: NODE, resolvConf: noDns });
    assert.deepEqual(sb.linux!.sysctls, { 'net.ipv4.ip_local_port_range': '1024 65000' });
    const sc = sb.linux!.securityContext!;
    assert.deepEqual([sc.runAsUser, sc.runAsGroup, sc.supplementalGroups, sc.privileged, sc.seccomp], [{ value: 1000 }, { value: 3000 }, [2000, 4000], true, { profileType: 'RuntimeDefault' }]);
  });
});

describe('securityContext: the pod\'s, overridden by the container\'s', () => {
  test('merged into LinuxContainerSecurityContext', () => {
    const p = pod(
      { securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], seccompProfile: { type: 'RuntimeDefault' }, seLinuxOptions: { level: 's0:c1' } } },
      {
        securityContext: {
          runAsUser: 2000,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          appArmorProfile: { type: 'Localhost', localhostProfile: 'my-profile' },
        },
      },
    );
    const sc = cfg(p).linux!.securityContext!;
    assert.deepEqual(sc.runAsUser, { value: 2000 });
    assert.deepEqual(sc.runAsGroup, { value: 3000 });
    assert.deepEqual(sc.supplementalGroups, [2000, 4000]);
    assert.equal(sc.readonlyRootfs, true);
    assert.equal(sc.noNewPrivs, true);
    assert.equal(sc.privileged, undefined);
    assert.deepEqual(sc.capabilities, { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] });
    assert.deepEqual(sc.seccomp, { profileType: 'RuntimeDefault' });
    assert.deepEqual(sc.apparmor, { profileType: 'Localhost', localhostRef: 'my-profile' });
    assert.equal(sc.apparmorProfile, 'localhost/my-profile');
    assert.deepEqual(sc.selinuxOptions, { level: 's0:c1' });
    assert.deepEqual(sc.maskedPaths, DEFAULT_MASKED_PATHS);
  });
  test('defaults: Unconfined seccomp, no_new_privs off, Localhost seccomp under <root-dir>/seccomp', () => {
    const sc = cfg(pod()).linux!.securityContext!;
    assert.deepEqual([sc.seccomp, sc.noNewPrivs, sc.apparmor], [{ profileType: 'Unconfined' }, false, undefined]);
    const local = cfg(pod({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'audit.json' } } })).linux!.securityContext!;
    assert.deepEqual(local.seccomp, { profileType: 'Localhost', localhostRef: '/var/lib/kubelet/seccomp/audit.json' });
  });
  test('stdin, stdinOnce and tty pass through', () => {
    const c = cfg(pod({}, { stdin: true, tty: true }));
    assert.deepEqual([c.stdin, c.stdinOnce, c.tty], [true, false, true]);
  });
});
