import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../src/cri/client.js';
import { packageRoot } from '../../src/paths.js';
import { IMAGE, alive, create, readLog, run, runPod, startHarness, status, waitExited, waitFor } from './helpers.js';


async function pidOf(h: { cri: CriClient }, id: string): Promise<number> {
  const r = await h.cri.containerStatus({ containerId: id, verbose: true });
  return JSON.parse(r.info.info!).pid as number;
}

describe('restart recovery from the state dir', () => {
  test('a still-running process is found again (and its log continues); a dead one is reported exited', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'rt-restart-'));
    const flag = join(stateDir, 'go');
    const h1 = await startHarness({ stateDir, killOnClose: false });
    let h2: Awaited<ReturnType<typeof startHarness>> | undefined;
    const groups: number[] = [];
    try {
    await h1.cri.pullImage({ image: { image: IMAGE } });
    const pod = await runPod(h1, 'survivor', { annotations: { keep: 'me' } });
    const live = await run(h1, pod, 'live', ['sh', '-c', `echo before; while [ ! -e ${flag} ]; do sleep 0.05; done; echo after; exec sleep 30`]);
    const dies = await run(h1, pod, 'dies', ['sleep', '30']);
    const idle = await create(h1, pod, 'idle', ['true']);
    const done = await run(h1, pod, 'done', ['sh', '-c', 'exit 4']);
    await waitExited(h1, done);
    await waitFor('first log line', async () => (await readLog(pod, 'live')).includes('before'));
    const livePid = await pidOf(h1, live);
    const deadPid = await pidOf(h1, dies);
    groups.push(livePid, deadPid);
    await waitFor('start times recorded', async () => JSON.parse((await h1.cri.containerStatus({ containerId: dies, verbose: true })).info.info!).pidStartTime);
    await h1.close();
    assert.ok(alive(livePid) && alive(deadPid), 'killOnClose:false leaves processes running');
    process.kill(-deadPid, 'SIGKILL');
    await waitFor('killed process to go', async () => !alive(deadPid));

    h2 = await startHarness({ stateDir });
    {
      const sb = (await h2.cri.podSandboxStatus({ podSandboxId: pod.id })).status!;
      assert.equal(sb.state, 'SANDBOX_READY');
      assert.deepEqual(sb.annotations, { keep: 'me' });
      assert.ok((await h2.cri.imageStatus({ image: { image: IMAGE } })).image, 'image catalogue persisted');

      const s = await status(h2, live);
      assert.equal(s.state, 'CONTAINER_RUNNING');
      assert.equal(await pidOf(h2, live), livePid);
      const d = await status(h2, dies);
      assert.equal(d.state, 'CONTAINER_EXITED');
      assert.equal(d.exitCode, 255);
      assert.equal(d.reason, 'Unknown');
      assert.equal((await status(h2, idle)).state, 'CONTAINER_CREATED');
      const dn = await status(h2, done);
      assert.equal(dn.exitCode, 4);
      assert.equal(dn.reason, 'Error');

      // Output written after the restart reaches the same CRI log.
      await writeFile(flag, '');
      await waitFor('log line after restart', async () => (await readLog(pod, 'live')).includes('after'));
      const lines = (await readLog(pod, 'live')).trim().split('\n');
      assert.deepEqual(lines.map((l) => l.split(' ').slice(1).join(' ')), ['stdout F before', 'stdout F after']);

      // ExecSync and the name reservations work on recovered containers.
      assert.equal((await h2.cri.execSync({ containerId: live, cmd: ['echo', 'ok'], timeout: 2 })).stdout.toString(), 'ok\n');
      await assert.rejects(create(h2, pod, 'live', ['true']), /is reserved for/);

      // Stopping a found-again process (not our child): SIGKILL is known, so 137.
      await h2.cri.stopContainer({ containerId: live, timeout: 0 });
      const st = await status(h2, live);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exitCode, 137);
      assert.ok(!alive(livePid));
      await h2.cri.startContainer({ containerId: idle });
      await waitExited(h2, idle);
    }
    } finally {
      await h1.close();
      await h2?.close();
      for (const pid of groups) if (alive(pid)) process.kill(-pid, 'SIGKILL');
    }
  });

  test('a found-again process that dies on its own is reported EXITED 255 Unknown by /proc polling', async (t) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'rt-restart2-'));
    const h1 = await startHarness({ stateDir, killOnClose: false, autoPullImages: true });
    const pod = await runPod(h1);
    const id = await run(h1, pod, 'later', ['sleep', '30']);
    const pid = await pidOf(h1, id);
    t.after(() => {
      if (alive(pid)) process.kill(-pid, 'SIGKILL');
    });
    await waitFor('start time', async () => JSON.parse((await h1.cri.containerStatus({ containerId: id, verbose: true })).info.info!).pidStartTime);
    await h1.close();
    const h2 = await startHarness({ stateDir });
    try {
      assert.equal((await status(h2, id)).state, 'CONTAINER_RUNNING');
      process.kill(pid, 'SIGTERM');
      const s = await waitExited(h2, id, 3000);
      assert.equal(s.exitCode, 255);
      assert.equal(s.reason, 'Unknown');
    } finally {
      await h2.close();
    }
  });

  test('close() kills container processes by default and records them exited', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'rt-kill-'));
    const h1 = await startHarness({ stateDir, autoPullImages: true });
    const pod = await runPod(h1);
    const id = await run(h1, pod, 'victim', ['sh', '-c', 'trap "" TERM; sleep 30']);
    const pid = await pidOf(h1, id);
    await h1.close();
    assert.ok(!alive(pid));
    const h2 = await startHarness({ stateDir });
    try {
      const s = await status(h2, id);
      assert.equal(s.state, 'CONTAINER_EXITED');
      assert.equal(s.exitCode, 137);
    } finally {
      await h2.close();
    }
  });
});

describe('launcher process', () => {
  test('if the launcher dies, running containers are watched via /proc and new ones still start', async () => {
    const h = await startHarness({ autoPullImages: true });
    try {
      const pod = await runPod(h);
      const before = await run(h, pod, 'before', ['sleep', '30']);
      const launchers = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            return ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('launcher-process');
          } catch {
            return false;
          }
        });
      assert.equal(launchers.length, 1, 'one launcher process per runtime');
      process.kill(Number(launchers[0]), 'SIGKILL');
      // A new launcher is started; containers start again.
      const after = await waitFor('a start after the launcher died', async () => {
        try {
          return await run(h, pod, `after${Date.now()}`, ['sh', '-c', 'exit 7']);
        } catch {
          return null;
        }
      }, 5000);
      assert.equal((await waitExited(h, after)).exitCode, 7);
      // The orphaned container is still known and can be stopped (exit seen by polling /proc).
      assert.equal((await status(h, before)).state, 'CONTAINER_RUNNING');
      await h.cri.stopContainer({ containerId: before, timeout: 0 });
      const s = await status(h, before);
      assert.equal(s.state, 'CONTAINER_EXITED');
      assert.equal(s.exitCode, 137);
    } finally {
      await h.close();
    }
  });
});

describe('statelet runtime serve (separate process)', () => {
  const bin = join(packageRoot(), 'bin', 'statelet.js');

  test('serves CRI on --listen, announces itself, and shuts down cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rt-serve-'));
    const sock = join(dir, 'rt.sock');
    const faults = join(dir, 'faults.yaml');
    await writeFile(faults, 'rules:\n  - method: RunPodSandbox\n    name: blocked\n    code: FAILED_PRECONDITION\n    message: blocked by fault file\n');
    const child = spawn(process.execPath, [bin, 'runtime', 'serve', '--listen', `unix://${sock}`, '--state-dir', join(dir, 'state'), '--faults', faults], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor('serving line', async () => stderr.includes('statelet runtime: serving CRI v1 on'), 10_000);
      assert.match(stderr, new RegExp(`serving CRI v1 on unix://${sock}`));
      const cri = new CriClient({ endpoint: `unix://${sock}`, runtimeRequestTimeoutMs: 5000 });
      try {
        assert.equal((await cri.version()).runtimeName, 'statelet-embedded');
        await assert.rejects(cri.runPodSandbox({ config: { metadata: { name: 'blocked', uid: 'u', namespace: 'n' } } }), /blocked by fault file/);
        const logDirectory = join(dir, 'logs');
        const config = { metadata: { name: 'p', uid: 'u', namespace: 'n' }, logDirectory };
        const { podSandboxId } = await cri.runPodSandbox({ config });
        await cri.pullImage({ image: { image: IMAGE } });
        const { containerId } = await cri.createContainer({ podSandboxId, sandboxConfig: config, config: { metadata: { name: 'c' }, image: { image: IMAGE }, command: ['sleep', '30'] } });
        await cri.startContainer({ containerId });
        const pid = JSON.parse((await cri.containerStatus({ containerId, verbose: true })).info.info!).pid as number;
        assert.ok(alive(pid));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
        assert.ok(!alive(pid), 'containers are killed on exit (no --keep-containers)');
        assert.ok(!existsSync(sock), 'socket removed');
      } finally {
        cri.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('killed without closing: containers die with it by default, and live on with --keep-containers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rt-serve-kill-'));
    const survivors: number[] = [];
    try {
      for (const keep of [false, true]) {
        const sock = join(dir, `rt-${keep}.sock`);
        const args = [bin, 'runtime', 'serve', '--listen', `unix://${sock}`, '--state-dir', join(dir, `state-${keep}`), ...(keep ? ['--keep-containers'] : [])];
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        const cri = new CriClient({ endpoint: `unix://${sock}`, runtimeRequestTimeoutMs: 5000 });
        try {
          await waitFor('serving line', async () => stderr.includes('serving CRI v1 on'), 10_000);
          const config = { metadata: { name: 'p', uid: 'u', namespace: 'n' }, logDirectory: join(dir, `logs-${keep}`) };
          const { podSandboxId } = await cri.runPodSandbox({ config });
          await cri.pullImage({ image: { image: IMAGE } });
          const { containerId } = await cri.createContainer({ podSandboxId, sandboxConfig: config, config: { metadata: { name: 'c' }, image: { image: IMAGE }, command: ['sleep', '30'] } });
          await cri.startContainer({ containerId });
          const pid = JSON.parse((await cri.containerStatus({ containerId, verbose: true })).info.info!).pid as number;
          if (keep) survivors.push(pid);
          assert.ok(alive(pid));
          // No close(): the runtime process just ends.
          child.kill('SIGKILL');
          await exited;
          if (keep) {
            await new Promise((r) => setTimeout(r, 300));
            assert.ok(alive(pid), '--keep-containers: the container runs on for the next runtime');
          } else {
            await waitFor('the container to die with its runtime', async () => !alive(pid), 3000);
          }
        } finally {
          cri.close();
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
      }
    } finally {
      for (const pid of survivors) if (alive(pid)) process.kill(-pid, 'SIGKILL');
    }
  });

  test('containers get only stdio: fds the runtime process inherited are not passed on (as runc)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rt-serve-fds-'));
    const sock = join(dir, 'rt.sock');
    // fd 5 of the runtime process: an inherited pipe without O_CLOEXEC, as a
    // shell or CI agent leaves them. A container holding it would keep this
    // test's read end from seeing EOF while the container runs.
    const child = spawn(process.execPath, [bin, 'runtime', 'serve', '--listen', `unix://${sock}`, '--state-dir', join(dir, 'state')], {
      stdio: ['ignore', 'ignore', 'pipe', 'ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const extra = (child.stdio as unknown as NodeJS.ReadableStream[])[5]!;
    let extraEnded = false;
    extra.on('end', () => (extraEnded = true)).resume();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const cri = new CriClient({ endpoint: `unix://${sock}`, runtimeRequestTimeoutMs: 5000 });
    try {
      await waitFor('serving line', async () => stderr.includes('serving CRI v1 on'), 10_000);
      const config = { metadata: { name: 'p', uid: 'u', namespace: 'n' }, logDirectory: join(dir, 'logs') };
      const { podSandboxId } = await cri.runPodSandbox({ config });
      await cri.pullImage({ image: { image: IMAGE } });
      const { containerId } = await cri.createContainer({
        podSandboxId,
        sandboxConfig: config,
        config: { metadata: { name: 'c' }, image: { image: IMAGE }, command: ['sh', '-c', 'ls /proc/$$/fd; exec sleep 30'], logPath: 'c.log' },
      });
      await cri.startContainer({ containerId });
      const pid = JSON.parse((await cri.containerStatus({ containerId, verbose: true })).info.info!).pid as number;
      assert.deepEqual(readdirSync(`/proc/${pid}/fd`).sort(), ['0', '1', '2']);
      const exec = await cri.execSync({ containerId, cmd: ['sh', '-c', 'ls /proc/$$/fd'], timeout: 5 });
      // The exec'd shell's own fds: stdio, plus the one ls uses to read the directory.
      assert.ok(!exec.stdout.toString().split(/\s+/).includes('5'), `exec fds: ${exec.stdout.toString()}`);
      // The runtime exits (killing the container); the pipe then reaches EOF.
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      await waitFor('EOF on the inherited pipe', async () => extraEnded, 3000);
    } finally {
      cri.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  test('a bad fault file is reported with its field and exit code 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rt-serve-bad-'));
    const faults = join(dir, 'faults.yaml');
    await writeFile(faults, '- method: Version\n  code: NOPE\n');
    const child = spawn(process.execPath, [bin, 'runtime', 'serve', '--listen', `unix://${join(dir, 's.sock')}`, '--faults', faults], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 2);
    assert.match(stderr, /faults\[0\]\.code: unknown gRPC code "NOPE"/);
  });
});
