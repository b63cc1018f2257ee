// End-to-end on both runtimes: an in-place resize (KEP-1287) by editing the manifest of a
// running `statelet run`. On containerd (scripts/run-tests.mjs starts it) the new memory
// limit must reach the container's cgroup (read from inside the container with ExecSync),
// without a restart. The embedded runtime enforces no limit: there the status must report
// the new values for the same container, with the resize events.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriClient } from '../../src/cri/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'statelet.js');
const work = mkdtempSync(join(tmpdir(), 'statelet-e2e-resize-'));
const endpoint = process.env['STATELET_CONTAINERD_ENDPOINT'];
const IMAGE = 'localhost/busybox:local';
type Line = Record<string, any>;
let proc: ChildProcessWithoutNullStreams | undefined;
after(() => {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const manifest = (memory: string) => `apiVersion: v1
kind: Pod
metadata: { name: resize-e2e }
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: ${IMAGE}
    command: [sleep, "3600"]
    resources:
      requests: { cpu: 100m, memory: ${memory} }
      limits: { cpu: 200m, memory: ${memory} }
`;

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('in-place resize on containerd (the cgroup follows a manifest edit)', { skip: endpoint ? false : 'STATELET_CONTAINERD_ENDPOINT is not set' }, () => {
  test('a memory edit is UpdateContainerResources: memory.max changes, same container, restartCount 0', async () => {
    const path = join(work, 'pod.yaml');
    writeFileSync(path, manifest('64Mi'));
    proc = spawn(process.execPath, [bin, 'run', path, '--output', 'json', '--runtime-endpoint', endpoint!, '--root-dir', join(work, 'kubelet')], { cwd: root });
    const lines: Line[] = [];
    let buf = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
      }
    });
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((r) => proc!.on('exit', (code) => r(code ?? -1)));
    const app = (l: Line) => l['status']?.['containerStatuses']?.[0];
    const running = await until('app running', () => lines.find((l) => l['kind'] === 'Pod' && app(l)?.['state']?.['running']));
    const id = String(app(running)['containerID']).replace(/^containerd:\/\//, '');
    const client = new CriClient({ endpoint: endpoint! });
    const memoryMax = async () => {
      // cgroup v2 (memory.max) or v1 (memory.limit_in_bytes), as the container sees it.
      const r = await client.execSync({ containerId: id, cmd: ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes'], timeout: 10 });
      return Buffer.from(r.stdout).toString().trim();
    };
    try {
      assert.equal(await memoryMax(), String(64 * 1024 * 1024));
      writeFileSync(path, manifest('96Mi'));
      await until(`memory.max = 96Mi\nstderr:\n${stderr}`, async () => ((await memoryMax()) === String(96 * 1024 * 1024) ? true : undefined), 30_000);
      const after = await until('status with the new resources', () => lines.findLast((l) => l['kind'] === 'Pod' && app(l)?.['resources']?.['limits']?.['memory'] === '96Mi'));
      assert.equal(app(after)['restartCount'], 0);
      assert.equal(String(app(after)['containerID']).replace(/^containerd:\/\//, ''), id, 'the same container');
      assert.deepEqual(app(after)['allocatedResources'], { cpu: '100m', memory: '96Mi' });
    } finally {
      client.close();
    }
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe('in-place resize on the embedded runtime (accepted and reported, not enforced)', () => {
  test('a cpu/memory edit of a running `statelet run`: the status reports the new resources, same container, restartCount 0, ResizeStarted/ResizeCompleted', async () => {
    const dir = mkdtempSync(join(work, 'embedded-'));
    const path = join(dir, 'pod.yaml');
    const pod = (cpu: string, memory: string) =>
      manifest(memory).replace('image: localhost/busybox:local', 'image: busybox:1.36\n    imagePullPolicy: IfNotPresent').replace('{ cpu: 100m,', `{ cpu: ${cpu},`).replace('{ cpu: 200m,', `{ cpu: ${cpu},`);
    writeFileSync(path, pod('100m', '64Mi'));
    const p = spawn(process.execPath, [bin, 'run', path, '--output', 'json', '--root-dir', join(dir, 'kubelet')], { cwd: root });
    const lines: Line[] = [];
    let buf = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
      }
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((r) => p.on('exit', (code) => r(code ?? -1)));
    try {
      const app = (l: Line) => l['status']?.['containerStatuses']?.[0];
      const running = await until(`app running\n${stderr}`, () => lines.find((l) => l['kind'] === 'Pod' && app(l)?.['state']?.['running']));
      const id = app(running)['containerID'];
      assert.deepEqual(app(running)['resources'], { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
      writeFileSync(path, pod('250m', '96Mi'));
      const after = await until(`status with the new resources\n${stderr}`, () => lines.findLast((l) => l['kind'] === 'Pod' && app(l)?.['resources']?.['limits']?.['memory'] === '96Mi'), 20_000);
      assert.deepEqual(app(after)['resources'], { requests: { cpu: '250m', memory: '96Mi' }, limits: { cpu: '250m', memory: '96Mi' } });
      assert.deepEqual(app(after)['allocatedResources'], { cpu: '250m', memory: '96Mi' });
      assert.equal(app(after)['restartCount'], 0);
      assert.equal(app(after)['containerID'], id, 'the same container');
      const reasons = await until('ResizeCompleted', () => {
        const r = lines.filter((l) => l['kind'] === 'Event' && String(l['reason']).startsWith('Resize')).map((l) => l['reason']);
        return r.includes('ResizeCompleted') ? r : undefined;
      }, 10_000);
      assert.deepEqual(reasons, ['ResizeStarted', 'ResizeCompleted']);
    } finally {
      p.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });
});
