// End-to-end: real manifests through `statelet run --output json`. On containerd
// every honoured field is checked from inside the container (emptyDir across a
// restart, hostPath, downward-API files, env values, the memory limit in
// /sys/fs/cgroup, a read-only root filesystem, hostPort from the host) and through
// ContainerStatus; on both runtimes a misspelled manifest is refused with its path.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriClient } from '../../src/cri/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'statelet.js');
const work = mkdtempSync(join(tmpdir(), 'statelet-e2e-manifests-'));
const spawned: ChildProcessWithoutNullStreams[] = [];
after(() => {
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const endpoint = process.env['STATELET_CONTAINERD_ENDPOINT'];
const IMAGE = 'localhost/busybox:local';
type Line = Record<string, any>;

class Run {
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number>;
  readonly proc: ChildProcessWithoutNullStreams;
  constructor(manifest: string, args: string[]) {
    this.proc = spawn(process.execPath, [bin, 'run', manifest, '--output', 'json', '--no-watch', ...args], { cwd: root });
    spawned.push(this.proc);
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code ?? -1)));
  }
  async waitFor(pred: (l: Line) => boolean, what: string, timeoutMs = 30_000): Promise<Line> {
    const t0 = Date.now();
    for (;;) {
      const found = this.lines.find(pred);
      if (found) return found;
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}\nstderr:\n${this.stderr}\nlines:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  pods(): Line[] {
    return this.lines.filter((l) => l['kind'] === 'Pod');
  }
}

function manifest(name: string, body: string): string {
  const p = join(work, `${name}.yaml`);
  writeFileSync(p, body);
  return p;
}

describe('statelet run: strict manifests (embedded runtime)', () => {
  test('a misspelled field is refused with its path, line and column; exit code 2', async () => {
    const m = manifest(
      'typo',
      `apiVersion: v1
kind: Pod
metadata: { name: typo }
spec:
  containers:
  - name: main
    image: busybox:1.36
    comand: ["sh", "-c", "true"]
`,
    );
    const run = new Run(m, []);
    assert.equal(await run.exited, 2);
    assert.match(run.stderr, /^ {2}spec\.containers\[0\]\.comand: unknown field \(did you mean "command"\?\) \(line 8, column 5\)$/m);
    assert.equal(run.lines.length, 0, 'nothing started');
  });
  test('a static pod referencing a Secret is refused', async () => {
    const m = manifest('secret', 'apiVersion: v1\nkind: Pod\nmetadata: { name: s }\nspec:\n  volumes: [{ name: s, secret: { secretName: tls } }]\n  containers: [{ name: main, image: busybox:1.36 }]\n');
    const run = new Run(m, []);
    assert.equal(await run.exited, 2);
    assert.match(run.stderr, /spec\.volumes\[0\]\.secret: Forbidden: static pods may not reference API objects: secrets \(via secret volumes\) \(line 5, column 24\)/);
  });
});

/** The lab's CNI chain has portmap (scripts/containerd-up.sh adds it where iptables exists). */
function labHasPortmap(ep: string): boolean {
  const lab = dirname(ep.replace(/^unix:\/\//, ''));
  try {
    return readdirSync(join(lab, 'cni', 'net.d')).some((f) => readFileSync(join(lab, 'cni', 'net.d', f), 'utf8').includes('"portmap"'));
  } catch {
    return false;
  }
}

describe('statelet run: honoured Pod fields (containerd)', { skip: endpoint ? false : 'STATELET_CONTAINERD_ENDPOINT is not set', concurrency: false }, () => {
  const args = () => ['--runtime-endpoint', endpoint!, '--backoff-initial', '1', '--root-dir', join(work, 'kubelet')];

  test('a Job-style OnFailure pod keeps its progress in an emptyDir across a restart and completes; every field reaches the container', async () => {
    const out = join(work, 'out');
    const hostData = join(work, 'hostdata');
    mkdirSync(hostData, { recursive: true });
    writeFileSync(join(hostData, 'config.txt'), 'from the host\n');
    const m = manifest(
      'job',
      `apiVersion: v1
kind: Pod
metadata:
  name: job
  labels: { app: job, tier: batch }
  annotations: { build: "42" }
spec:
  restartPolicy: OnFailure
  volumes:
  - { name: work, emptyDir: {} }
  - { name: scratch, emptyDir: { medium: Memory, sizeLimit: 8Mi } }
  - { name: config, hostPath: { path: ${hostData}, type: Directory } }
  - { name: out, hostPath: { path: ${out}, type: DirectoryOrCreate } }
  - name: podinfo
    downwardAPI:
      items:
      - { path: labels, fieldRef: { fieldPath: metadata.labels } }
      - { path: annotations, fieldRef: { fieldPath: metadata.annotations } }
      - { path: mem_limit, resourceFieldRef: { containerName: main, resource: limits.memory, divisor: 1Mi } }
  - name: projected
    projected: { sources: [{ downwardAPI: { items: [{ path: name, fieldRef: { fieldPath: metadata.name } }] } }] }
  containers:
  - name: main
    image: ${IMAGE}
    command: [sh, -c]
    args:
    - |
      n=$(cat /work/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /work/count
      if [ $n -lt 2 ]; then exit 1; fi
      {
        echo "runs=$n"
        echo "labels=$(tr '\\n' ' ' < /etc/podinfo/labels)"
        echo "annotations=$(cat /etc/podinfo/annotations)"
        echo "mem_limit_file=$(cat /etc/podinfo/mem_limit)"
        echo "projected=$(cat /etc/projected/name)"
        echo "host=$(cat /config/config.txt)"
        echo "env=$MY_NAME/$MY_NS/$MY_IP/$MY_MEM/$(GREETING)"
        echo "cgroup_memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
        if touch /rootfs-probe 2>/dev/null; then echo rootfs=writable; else echo rootfs=read-only; fi
        if touch /config/x 2>/dev/null; then echo config=writable; else echo config=read-only; fi
        echo "scratch=$(df -k /scratch | awk 'NR==2 {print $1" "$2}')"
        echo "sub=$(cat /sub/marker 2>/dev/null)"
      } > /out/report.txt
    env:
    - { name: MY_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
    - { name: MY_NS, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
    - { name: MY_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
    - { name: MY_MEM, valueFrom: { resourceFieldRef: { resource: limits.memory, divisor: 1Mi } } }
    - { name: GREETING, value: "hi $(MY_NAME)" }
    resources:
      requests: { cpu: 100m, memory: 32Mi }
      limits: { cpu: 200m, memory: 48Mi }
    securityContext: { readOnlyRootFilesystem: true }
    volumeMounts:
    - { name: work, mountPath: /work }
    - { name: scratch, mountPath: /scratch }
    - { name: config, mountPath: /config, readOnly: true }
    - { name: out, mountPath: /out }
    - { name: podinfo, mountPath: /etc/podinfo }
    - { name: projected, mountPath: /etc/projected }
`,
    );
    const run = new Run(m, args());
    const code = await run.exited;
    assert.equal(code, 0, `${run.stderr}\n${run.lines.map((l) => JSON.stringify(l)).join('\n')}`);
    const last = run.pods().at(-1)!;
    assert.equal(last['status']['phase'], 'Succeeded');
    const cs = last['status']['containerStatuses'][0];
    assert.equal(cs['restartCount'], 1, 'one failed run, then the one that found its progress');
    const podIP = last['status']['podIP'];
    const report = Object.fromEntries(
      readFileSync(join(out, 'report.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.deepEqual(report, {
      runs: '2',
      labels: 'app="job" tier="batch"',
      annotations: 'build="42"',
      mem_limit_file: '48',
      projected: 'job',
      host: 'from the host',
      env: `job/default/${podIP}/48/hi job`,
      cgroup_memory: String(48 * 1024 * 1024),
      rootfs: 'read-only',
      config: 'read-only',
      scratch: 'tmpfs 8192',
      sub: '',
    });
    const uid = last['metadata']['uid'];
    assert.equal(existsSync(join(work, 'kubelet', 'pods', uid)), false, 'the pod directory (emptyDir, tmpfs) is removed with the pod');
  });

  test('hostPort answers on the host; ContainerStatus shows the mounts; a Warning names what no runtime enforces', async (t) => {
    if (!labHasPortmap(endpoint!)) {
      t.skip('the containerd lab has no portmap in its CNI chain (started by an older containerd-up.sh)');
      return;
    }
    const port = 20000 + Math.floor(Math.random() * 10000);
    const m = manifest(
      'web',
      `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{ name: www, emptyDir: { sizeLimit: 1Mi } }]
  containers:
  - name: httpd
    image: ${IMAGE}
    command: [sh, -c, "echo hostport-ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{ name: http, containerPort: 8080, hostPort: ${port} }]
    volumeMounts: [{ name: www, mountPath: /www }]
`,
    );
    const run = new Run(m, args());
    const running = await run.waitFor((l) => l['kind'] === 'Pod' && l['status']?.['containerStatuses']?.[0]?.['state']?.['running'], 'httpd running');
    let body = '';
    for (let i = 0; i < 50 && body !== 'hostport-ok\n'; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      if (body !== 'hostport-ok\n') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, 'hostport-ok\n');
    const client = new CriClient({ endpoint: endpoint! });
    try {
      const id = String(running['status']['containerStatuses'][0]['containerID']).replace(/^containerd:\/\//, '');
      const { status } = await client.containerStatus({ containerId: id });
      const uid = running['metadata']['uid'];
      const byPath = Object.fromEntries(status!.mounts.map((mm) => [mm.containerPath, mm]));
      assert.equal(byPath['/www']!.hostPath, join(work, 'kubelet', 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'www'));
      assert.equal(byPath['/www']!.readonly, false);
      assert.equal(byPath['/etc/hosts']!.hostPath, join(work, 'kubelet', 'pods', uid, 'etc-hosts'));
      assert.ok(byPath['/dev/termination-log'], JSON.stringify(status!.mounts));
    } finally {
      client.close();
    }
    const warn = run.lines.find((l) => l['kind'] === 'Event' && l['reason'] === 'UnsupportedFields');
    assert.match(warn?.['message'] ?? '', /spec\.volumes\[0\]\.emptyDir\.sizeLimit \(a disk-backed emptyDir's limit is enforced by eviction/);
    run.proc.kill('SIGTERM');
    assert.equal(await run.exited, 0);
  });
});
