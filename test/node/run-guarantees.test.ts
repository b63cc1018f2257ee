// `statelet run` and the library, tried as a user would (issue 11): a killed run is
// adopted by the next one (no second sandbox), signals to the process group leave no
// host process or temp dir, permissions ignore the umask, removed pods are released.
// The adoption test runs on the embedded runtime (as its own process, so that its
// containers outlive the killed run) and, with STATELET_CONTAINERD_ENDPOINT, containerd.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { bin, cleanupAll, containerStatus, isRunning, manifest, Proc, root, sleep, targets, type Target } from './serve-harness.js';
import { CriClient } from '../../src/cri/client.js';
import { POD_UID_LABEL } from '../../src/kuberuntime/labels.js';
import { startEmbeddedRuntime } from '../../src/runtime/index.js';
import { RuntimeManager } from '../../src/manager.js';
import { loadPod } from '../../src/k8s/manifest.js';
import { podLogDirectory } from '../../src/kuberuntime/config.js';

const work = mkdtempSync(join(tmpdir(), 'statelet-run-g-'));
after(async () => {
  await cleanupAll();
  rmSync(work, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** For the embedded target: a standalone runtime that keeps its containers when the run dies. */
async function runtimeFor(t: Target): Promise<{ endpoint: string; stop(): Promise<void> }> {
  if (t.endpoint) return { endpoint: t.endpoint, stop: async () => {} };
  const dir = mkdtempSync(join(work, 'rt-'));
  const endpoint = `unix://${join(dir, 'rt.sock')}`;
  const p = new Proc(['runtime', 'serve', '--listen', endpoint, '--state-dir', join(dir, 'state')]);
  await p.waitForStderr(/serving CRI v1/);
  return {
    endpoint,
    async stop() {
      p.kill('SIGTERM');
      await p.exited;
    },
  };
}

async function podState(client: CriClient, uid: string) {
  const { items } = await client.listPodSandbox({ filter: { labelSelector: { [POD_UID_LABEL]: uid } } });
  const { containers } = await client.listContainers({ filter: { labelSelector: { [POD_UID_LABEL]: uid } } });
  return { sandboxes: items, containers };
}

for (const t of targets()) {
  describe(`statelet run adopts what a killed run left (${t.name})`, { concurrency: false }, () => {
    for (const withUid of [false, true]) {
      test(`SIGKILL during postStart, run again: the pod is adopted, no second sandbox (${withUid ? 'with' : 'without'} metadata.uid)`, async () => {
        const rt = await runtimeFor(t);
        const client = new CriClient(rt.endpoint);
        const marker = `/tmp/statelet-run-hook-${randomBytes(4).toString('hex')}`;
        const uid = withUid ? `fixed-${randomBytes(6).toString('hex')}` : undefined;
        const m = join(work, `adopt-${randomBytes(3).toString('hex')}.yaml`);
        writeFileSync(m, manifest('adopt', t.image, { uid, postStart: `echo ran >> ${marker}; sleep 3` }));
        try {
          const first = new Proc(['run', m, '--output', 'json', '--runtime-endpoint', rt.endpoint]);
          const started = await first.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Started', 'Started', 60_000);
          const podUid = started['involvedObject']['uid'];
          if (uid) assert.equal(podUid, uid);
          else assert.match(podUid, /^[0-9a-f]{32}$/, 'derived as a static pod UID');
          await sleep(500);
          first.kill('SIGKILL');
          await first.exited;
          const before = await podState(client, podUid);
          assert.equal(before.sandboxes.length, 1);
          const second = new Proc(['run', m, '--output', 'json', '--runtime-endpoint', rt.endpoint]);
          const st = await second.waitFor(isRunning, 'Running after the rerun', 30_000);
          assert.equal(st['metadata']['uid'], podUid, 'the same UID');
          await second.waitForStderr(/already runs pod default\/adopt .*adopting/);
          const after = await podState(client, podUid);
          assert.equal(after.sandboxes.length, 1, 'no second sandbox');
          assert.equal(after.sandboxes[0]!.id, before.sandboxes[0]!.id);
          assert.equal(after.containers.length, 1, 'no second container');
          assert.equal(containerStatus(st, 'app')!['containerID'].replace(/^[a-z]+:\/\//, ''), after.containers[0]!.id);
          assert.equal(containerStatus(st, 'app')!['restartCount'], 0);
          await sleep(3500);
          const out = await client.execSync({ containerId: after.containers[0]!.id, cmd: ['cat', marker], timeout: 5 });
          assert.equal(out.stdout.toString().trim().split('\n').length, 1, 'the postStart hook ran once');
          second.kill('SIGTERM');
          assert.equal(await second.exited, 0, second.stderr.slice(-2000));
          assert.equal((await podState(client, podUid)).sandboxes.length, 0, 'deleted on SIGTERM');
        } finally {
          const left = await podState(client, uid ?? '').catch(() => ({ sandboxes: [] }));
          for (const s of left.sandboxes) {
            await client.stopPodSandbox({ podSandboxId: s.id }).catch(() => {});
            await client.removePodSandbox({ podSandboxId: s.id }).catch(() => {});
          }
          client.close();
          await rt.stop();
        }
      });
    }
  });
}

describe('statelet run on the in-process embedded runtime: signals leave nothing behind', { concurrency: false }, () => {
  for (const sig of ['SIGHUP', 'SIGKILL'] as const) {
    test(`${sig} to the process group: no host process survives, no temp dir is left`, async () => {
      const pidFile = join(work, `pid-${sig}-${randomBytes(3).toString('hex')}`);
      const m = join(work, `hup-${sig}.yaml`);
      writeFileSync(m, manifest('hup', 'busybox:1.36', { cmd: `echo $$$$ > ${pidFile}; trap 'exit 0' TERM; while true; do sleep 0.2; done` }));
      // Its own process group, as a shell job in a terminal has.
      const run = new Proc(['run', m, '--output', 'json'], { detached: true });
      await run.waitFor(isRunning, 'Running', 30_000);
      for (let i = 0; i < 50 && !existsSync(pidFile); i++) await sleep(50);
      const containerPid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(alive(containerPid));
      // The launcher: the runtime's one child process; its command line names the temp state dir.
      let stateDir = '';
      const launcher = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .find((p) => {
          try {
            const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
            if (!cmd.some((a) => a.endsWith('launcher-process.js')) || readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] !== String(run.pid)) return false;
            stateDir = cmd[cmd.indexOf('--remove-on-disconnect') + 1] ?? '';
            return true;
          } catch {
            return false;
          }
        });
      assert.ok(launcher, 'found the launcher');
      assert.match(stateDir, /statelet-runtime-/);
      assert.ok(existsSync(stateDir));
      process.kill(-run.pid, sig);
      await run.exited;
      for (let i = 0; i < 100 && (alive(containerPid) || alive(launcher!) || existsSync(stateDir)); i++) await sleep(50);
      assert.ok(!alive(containerPid), 'the container process is gone');
      assert.ok(!alive(launcher!), 'the launcher is gone');
      assert.ok(!existsSync(stateDir), `the temp dir ${stateDir} is removed`);
    });
  }

  test('an embedder that exits without close() leaves no container running', async () => {
    const pidFile = join(work, `pid-embed-${randomBytes(3).toString('hex')}`);
    const script = join(root, 'dist', 'test', 'node', `embedder-exit-${randomBytes(3).toString('hex')}.mjs`);
    writeFileSync(
      script,
      `import { startEmbeddedRuntime, RuntimeManager, loadPod } from '../../src/index.js';
const rt = await startEmbeddedRuntime();
const m = new RuntimeManager({ endpoint: rt.endpoint });
await m.start();
m.addPod(loadPod(${JSON.stringify(manifest('embed', 'busybox:1.36', { cmd: `echo $$$$ > ${pidFile}; sleep 1000` }))}));
m.status$.subscribe(({ status }) => { if (status.phase === 'Running') process.exit(0); });
`,
    );
    try {
      const p = spawn(process.execPath, [script], { stdio: 'inherit' });
      const code = await new Promise<number | null>((r) => p.on('exit', r));
      assert.equal(code, 0);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      for (let i = 0; i < 60 && alive(pid); i++) await sleep(50);
      assert.ok(!alive(pid), 'the container died with its embedder');
    } finally {
      rmSync(script, { force: true });
    }
  });
});

describe('permissions ignore the umask', () => {
  test('under umask 000: socket 0600, state dir 0700, state files 0600', async () => {
    const old = process.umask(0);
    const dir = join(work, 'perm');
    try {
      const rt = await startEmbeddedRuntime({ stateDir: join(dir, 'state'), killOnClose: true });
      const client = new CriClient(rt.endpoint);
      try {
        await client.pullImage({ image: { image: 'busybox:1.36' } });
        await client.runPodSandbox({
          config: { metadata: { name: 'p', namespace: 'default', uid: 'perm-1', attempt: 0 }, hostname: '', logDirectory: '', labels: {}, annotations: {} } as never,
        });
        await sleep(400); // the state store writes in batches
        const mode = (p: string) => lstatSync(p).mode & 0o777;
        assert.equal(mode(rt.endpoint.replace('unix://', '')), 0o600, 'socket');
        assert.equal(mode(rt.stateDir), 0o700, 'state dir');
        for (const sub of ['sandboxes', 'containers', 'io']) assert.equal(mode(join(rt.stateDir, sub)), 0o700, sub);
        const files = readdirSync(join(rt.stateDir, 'sandboxes'));
        assert.ok(files.length > 0);
        for (const f of files) assert.equal(mode(join(rt.stateDir, 'sandboxes', f)), 0o600, f);
        assert.equal(mode(join(rt.stateDir, 'images.json')), 0o600, 'images.json');
      } finally {
        client.close();
        await rt.close();
      }
    } finally {
      process.umask(old);
    }
  });

  test('under umask 000, as its own process (statelet runtime serve)', async () => {
    const dir = mkdtempSync(join(work, 'perm2-'));
    const sock = join(dir, 'x.sock');
    const p = spawn('sh', ['-c', `umask 000; exec "${process.execPath}" "${bin}" runtime serve --listen unix://${sock} --state-dir ${join(dir, 'state')}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    try {
      for (let i = 0; i < 200 && !/serving CRI v1/.test(err); i++) await sleep(50);
      assert.match(err, /serving CRI v1/);
      assert.equal(lstatSync(sock).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => p.on('exit', r));
    }
  });
});

describe('statelet run: a failed inspector exits 1 naming the flag', () => {
  test('--inspect on a port in use', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const m = join(work, 'insp.yaml');
      writeFileSync(m, manifest('insp', 'busybox:1.36'));
      const run = new Proc(['run', m, '--inspect', String(port)]);
      const code = await Promise.race([run.exited, sleep(20_000).then(() => -999)]);
      assert.equal(code, 1, `exits 1, not a hang: ${run.stderr}`);
      assert.match(run.stderr, /--inspect/);
    } finally {
      srv.close();
    }
  });
});

describe('library: a deleted pod is released; its log directory removed', () => {
  test('listPods/getStatus forget a removed pod; removed$ fires first; the pod log dir goes', async () => {
    const rt = await startEmbeddedRuntime({ killOnClose: true });
    const logs = join(work, 'lib-logs');
    const manager = new RuntimeManager({ endpoint: rt.endpoint, podLogsDir: logs });
    try {
      await manager.start();
      const pod = loadPod(manifest('lib', 'busybox:1.36', { cmd: "echo hello; trap 'exit 0' TERM; while true; do sleep 0.2; done" }));
      const uid = manager.addPod(pod);
      await new Promise<void>((r) => {
        const s = manager.status$.subscribe(({ status }) => {
          if (status.phase === 'Running') {
            s.unsubscribe();
            r();
          }
        });
      });
      const dir = podLogDirectory(logs, pod);
      for (let i = 0; i < 40 && !existsSync(join(dir, 'app', '0.log')); i++) await sleep(50);
      let seenBeforeRelease = '';
      manager.removed$.subscribe(({ pod: p }) => {
        seenBeforeRelease = existsSync(dir) ? readFileSync(join(dir, 'app', '0.log'), 'utf8') : '';
        assert.equal(p.metadata.uid, uid);
      });
      const final = await manager.deletePod(uid, { gracePeriodSeconds: 1 });
      assert.ok(final.phase === 'Succeeded' || final.phase === 'Failed');
      assert.match(seenBeforeRelease, /hello/, 'the logs are still there when removed$ fires');
      assert.equal(manager.listPods().length, 0);
      assert.equal(manager.getStatus(uid), undefined);
      assert.equal(manager.getActor(uid), undefined);
      assert.deepEqual(await manager.deletePod(uid), final, 'deleting again answers with the final status');
      for (let i = 0; i < 40 && existsSync(dir); i++) await sleep(50);
      assert.ok(!existsSync(dir), 'the pod log directory is removed');
    } finally {
      await manager.close();
      await rt.close();
    }
  });
});
