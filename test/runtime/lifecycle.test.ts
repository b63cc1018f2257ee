import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriNotFoundError, ExecTimeoutError } from '../../src/cri/errors.js';
import type * as cri from '../../src/cri/types.js';
import {
  IMAGE,
  alive,
  containerConfig,
  create,
  readLog,
  rejectsWith,
  run,
  runPod,
  startHarness,
  status,
  waitExited,
  waitFor,
  type Harness,
} from './helpers.js';

// Both print "ready" once the trap is set: tests wait for that line (runReady)
// instead of guessing how long sh takes to get there on a loaded machine.
const TRAP_TERM = ['sh', '-c', 'trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done'];
const IGNORE_TERM = ['sh', '-c', 'trap "" TERM; echo ready; sleep 30'];

/** Runs a container and waits until its log says "ready". */
async function runReady(h: Harness, pod: Awaited<ReturnType<typeof runPod>>, name: string, cmd: string[]): Promise<string> {
  const id = await run(h, pod, name, cmd);
  await waitFor(`${name} to log "ready"`, async () => / stdout F ready\n/.test(await readLog(pod, name)), 10_000);
  return id;
}

/**
 * Subscribes to GetContainerEvents and returns once the stream is surely live
 * (it has no "subscribed" answer): sandboxes are run until one's event arrives.
 */
async function liveEvents(h: Harness): Promise<{ events: cri.ContainerEventResponse[]; stop: () => void }> {
  const events: cri.ContainerEventResponse[] = [];
  const sub = h.cri.getContainerEvents().subscribe((e) => events.push(e));
  await waitFor('the event stream to be live', async () => {
    const probe = await runPod(h);
    await new Promise((r) => setTimeout(r, 20));
    return events.some((e) => e.containerId === probe.id);
  }, 10_000);
  return { events, stop: () => sub.unsubscribe() };
}
const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) [FP] .*$/;

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.cri.pullImage({ image: { image: IMAGE } });
});
after(async () => {
  await h.close();
});

describe('version and status', () => {
  test('Version names the embedded runtime and CRI v1', async () => {
    const v = await h.cri.version();
    assert.deepEqual(v, { version: '0.1.0', runtimeName: 'statelet-embedded', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' });
  });
  test('Status reports RuntimeReady and NetworkReady', async () => {
    const s = await h.cri.status();
    const conds = Object.fromEntries(s.status!.conditions.map((c) => [c.type, c.status]));
    assert.deepEqual(conds, { RuntimeReady: true, NetworkReady: true });
  });
});

describe('pod sandboxes', () => {
  test('run, status (host network), stop, remove; NOT_FOUND after removal like containerd', async () => {
    const pod = await runPod(h, 'sb-life', { annotations: { 'a/b': 'x y' }, labels: { app: 'sb-life', tier: 'web' } });
    const st = (await h.cri.podSandboxStatus({ podSandboxId: pod.id })).status!;
    assert.equal(st.state, 'SANDBOX_READY');
    assert.equal(st.network!.ip, '127.0.0.1');
    assert.deepEqual(st.metadata, { name: 'sb-life', uid: 'uid-sb-life', namespace: 'default', attempt: 0 });
    assert.deepEqual(st.labels, { app: 'sb-life', tier: 'web' });
    assert.deepEqual(st.annotations, { 'a/b': 'x y' });
    assert.ok(BigInt(st.createdAt) > 1_600_000_000_000_000_000n, 'createdAt in ns');
    await h.cri.stopPodSandbox({ podSandboxId: pod.id });
    await h.cri.stopPodSandbox({ podSandboxId: pod.id }); // idempotent
    assert.equal((await h.cri.podSandboxStatus({ podSandboxId: pod.id })).status!.state, 'SANDBOX_NOTREADY');
    await h.cri.removePodSandbox({ podSandboxId: pod.id });
    await h.cri.removePodSandbox({ podSandboxId: pod.id }); // unknown id: OK (containerd 1.6)
    await rejectsWith(h.cri.podSandboxStatus({ podSandboxId: pod.id }), 'NOT_FOUND');
    await rejectsWith(h.cri.stopPodSandbox({ podSandboxId: pod.id }), 'NOT_FOUND');
  });

  test('a second sandbox with the same name, namespace, uid and attempt is refused', async () => {
    const pod = await runPod(h, 'sb-dup');
    await rejectsWith(h.cri.runPodSandbox({ config: pod.config }), 'UNKNOWN', `failed to reserve sandbox name "sb-dup_default_uid-sb-dup_0": name "sb-dup_default_uid-sb-dup_0" is reserved for "${pod.id}"`);
    const again = await h.cri.runPodSandbox({ config: { ...pod.config, metadata: { ...pod.config.metadata, attempt: 1 } } });
    assert.notEqual(again.podSandboxId, pod.id);
  });

  test('StopPodSandbox force-stops its containers; RemovePodSandbox removes them', async () => {
    const pod = await runPod(h, 'sb-stop');
    const a = await run(h, pod, 'a', IGNORE_TERM);
    const b = await run(h, pod, 'b', ['sleep', '30']);
    const t0 = Date.now();
    await h.cri.stopPodSandbox({ podSandboxId: pod.id });
    assert.ok(Date.now() - t0 < 2000, 'containers are killed at once, not after a grace period');
    for (const id of [a, b]) {
      const s = await status(h, id);
      assert.equal(s.state, 'CONTAINER_EXITED');
      assert.equal(s.exitCode, 137);
    }
    await h.cri.removePodSandbox({ podSandboxId: pod.id });
    await rejectsWith(h.cri.containerStatus({ containerId: a }), 'NOT_FOUND');
    const left = await h.cri.listContainers({ filter: { podSandboxId: pod.id } });
    assert.equal(left.containers.length, 0);
  });

  test('a stopped sandbox: CreateContainer NOT_FOUND (no sandbox task), StartContainer fails with StartError', async () => {
    const pod = await runPod(h, 'sb-stopped');
    const early = await create(h, pod, 'early', ['true']);
    await h.cri.stopPodSandbox({ podSandboxId: pod.id });
    await rejectsWith(create(h, pod, 'late', ['true']), 'NOT_FOUND', 'failed to get sandbox container task');
    await rejectsWith(h.cri.startContainer({ containerId: early }), 'UNKNOWN', `sandbox container "${pod.id}" is not running`);
    const s = await status(h, early);
    assert.equal(s.reason, 'StartError');
    assert.equal(s.exitCode, 128);
  });

  test('RemovePodSandbox on a READY sandbox with a running container stops and removes everything', async () => {
    const pod = await runPod(h, 'sb-rm-ready');
    const a = await run(h, pod, 'a', ['sleep', '30']);
    const pid = JSON.parse((await h.cri.containerStatus({ containerId: a, verbose: true })).info.info!).pid as number;
    await h.cri.removePodSandbox({ podSandboxId: pod.id });
    await rejectsWith(h.cri.podSandboxStatus({ podSandboxId: pod.id }), 'NOT_FOUND');
    assert.ok(!alive(pid));
  });
});

describe('containers', () => {
  test('create → CREATED, start → RUNNING; env, args and working_dir are applied; exit 0 is Completed', async () => {
    const pod = await runPod(h);
    const dir = await mkdtemp(join(tmpdir(), 'rt-wd-'));
    const id = await create(h, pod, 'env', ['sh', '-c'], {
      args: ['echo "A=$A B=$B pwd=$(pwd) home=${HOME:+set} path=${PATH:+set} argv0=$0"; sleep 0.3', 'named'],
      envs: [
        { key: 'A', value: 'one' },
        { key: 'B', value: 'two words' },
      ],
      workingDir: dir,
    });
    let s = await status(h, id);
    assert.equal(s.state, 'CONTAINER_CREATED');
    assert.equal(s.startedAt, '0');
    await h.cri.startContainer({ containerId: id });
    s = await status(h, id);
    assert.equal(s.state, 'CONTAINER_RUNNING');
    assert.ok(BigInt(s.startedAt) >= BigInt(s.createdAt));
    await rejectsWith(h.cri.startContainer({ containerId: id }), 'UNKNOWN', 'container is in CONTAINER_RUNNING state');
    s = await waitExited(h, id);
    assert.equal(s.exitCode, 0);
    assert.equal(s.reason, 'Completed');
    assert.ok(BigInt(s.finishedAt) > BigInt(s.startedAt));
    assert.match(await readLog(pod, 'env'), new RegExp(`stdout F A=one B=two words pwd=${dir} home=set path=set argv0=named\\n$`));
    await rejectsWith(h.cri.startContainer({ containerId: id }), 'UNKNOWN', 'container is in CONTAINER_EXITED state');
  });

  test('exit codes and reasons: non-zero is Error, a signal N gives 128+N', async () => {
    const pod = await runPod(h);
    const e3 = await run(h, pod, 'e3', ['sh', '-c', 'exit 3']);
    const k9 = await run(h, pod, 'k9', ['sh', '-c', 'kill -9 $$']);
    const s3 = await waitExited(h, e3);
    assert.equal(s3.exitCode, 3);
    assert.equal(s3.reason, 'Error');
    const s9 = await waitExited(h, k9);
    assert.equal(s9.exitCode, 137);
    assert.equal(s9.reason, 'Error');
  });

  test('a binary that cannot start: StartContainer fails UNKNOWN, container EXITED 128 StartError', async () => {
    const pod = await runPod(h);
    const abs = await create(h, pod, 'abs', ['/nonexistent/bin', 'x']);
    await rejectsWith(h.cri.startContainer({ containerId: abs }), 'UNKNOWN', 'exec: "/nonexistent/bin": stat /nonexistent/bin: no such file or directory');
    const s = await status(h, abs);
    assert.equal(s.state, 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 128);
    assert.equal(s.reason, 'StartError');
    assert.match(s.message, /no such file or directory/);
    assert.ok(BigInt(s.finishedAt) > 0n);
    const rel = await create(h, pod, 'rel', ['no-such-binary-here']);
    await rejectsWith(h.cri.startContainer({ containerId: rel }), 'UNKNOWN', 'exec: "no-such-binary-here": executable file not found in $PATH');
    const wd = await create(h, pod, 'wd', ['true'], { workingDir: '/nonexistent-dir' });
    await rejectsWith(h.cri.startContainer({ containerId: wd }), 'UNKNOWN', 'chdir to cwd ("/nonexistent-dir")');
    assert.equal((await status(h, wd)).reason, 'StartError');
  });

  test('StopContainer: a TERM-trapping process exits 0 (Completed) quickly', async () => {
    const pod = await runPod(h);
    const id = await runReady(h, pod, 'trap', TRAP_TERM);
    const t0 = Date.now();
    await h.cri.stopContainer({ containerId: id, timeout: 10 });
    assert.ok(Date.now() - t0 < 2000);
    const s = await status(h, id);
    assert.equal(s.state, 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 0);
    assert.equal(s.reason, 'Completed');
    await h.cri.stopContainer({ containerId: id, timeout: 10 }); // idempotent on exited
  });

  test('StopContainer: TERM ignored → SIGKILL after the timeout (137); timeout 0 kills at once', async () => {
    const pod = await runPod(h);
    const slow = await runReady(h, pod, 'ignore', IGNORE_TERM);
    const fast = await runReady(h, pod, 'ignore0', IGNORE_TERM);
    const t0 = Date.now();
    await h.cri.stopContainer({ containerId: slow, timeout: 1 });
    const took = Date.now() - t0;
    assert.ok(took >= 950 && took < 2500, `stop took ${took} ms`);
    assert.equal((await status(h, slow)).exitCode, 137);
    const t1 = Date.now();
    await h.cri.stopContainer({ containerId: fast, timeout: 0 });
    assert.ok(Date.now() - t1 < 500);
    const s = await status(h, fast);
    assert.equal(s.exitCode, 137);
    assert.equal(s.reason, 'Error');
  });

  test('StopContainer on a CREATED container succeeds and leaves it CREATED (containerd)', async () => {
    const pod = await runPod(h);
    const id = await create(h, pod, 'never', ['true']);
    await h.cri.stopContainer({ containerId: id, timeout: 1 });
    assert.equal((await status(h, id)).state, 'CONTAINER_CREATED');
  });

  test('the whole process group goes when the main process exits or is stopped', async () => {
    const pod = await runPod(h);
    const id = await run(h, pod, 'grp', ['sh', '-c', 'sleep 30 & echo $! > "$PIDFILE"; wait'], {
      envs: [{ key: 'PIDFILE', value: join(h.rt.stateDir, 'grp.pid') }],
    });
    const { readFile } = await import('node:fs/promises');
    const child = Number(await waitFor('pid file', () => readFile(join(h.rt.stateDir, 'grp.pid'), 'utf8').catch(() => '')));
    await h.cri.stopContainer({ containerId: id, timeout: 0 });
    await waitFor('background child to die', async () => !alive(child), 2000);
  });

  test('RemoveContainer force-stops a running container, is idempotent, and frees the name', async () => {
    const pod = await runPod(h);
    const id = await run(h, pod, 'rm', ['sleep', '30']);
    const dup = h.cri.createContainer({ podSandboxId: pod.id, sandboxConfig: pod.config, config: containerConfig('rm', ['true']) });
    const name = `rm_${pod.config.metadata.name}_default_${pod.config.metadata.uid}_0`;
    await rejectsWith(dup, 'UNKNOWN', `failed to reserve container name "${name}": name "${name}" is reserved for "${id}"`);
    await h.cri.removeContainer({ containerId: id });
    await h.cri.removeContainer({ containerId: id });
    await rejectsWith(h.cri.containerStatus({ containerId: id }), 'NOT_FOUND');
    const again = await create(h, pod, 'rm', ['true']);
    assert.notEqual(again, id);
  });

  test('unknown ids: NOT_FOUND for status, start, stop, exec and stats; remove is OK', async () => {
    const ghost = 'f'.repeat(64);
    for (const p of [
      h.cri.containerStatus({ containerId: ghost }),
      h.cri.startContainer({ containerId: ghost }),
      h.cri.stopContainer({ containerId: ghost, timeout: 0 }),
      h.cri.execSync({ containerId: ghost, cmd: ['true'], timeout: 1 }),
      h.cri.containerStats({ containerId: ghost }),
    ]) {
      await assert.rejects(p, CriNotFoundError);
    }
    await h.cri.removeContainer({ containerId: ghost });
    const pod = await runPod(h);
    await rejectsWith(
      h.cri.createContainer({ podSandboxId: ghost, sandboxConfig: pod.config, config: containerConfig('x', ['true']) }),
      'NOT_FOUND',
      `failed to find sandbox id "${ghost}"`,
    );
  });

  test('ContainerStats reads memory and cpu of a running process', async () => {
    const pod = await runPod(h);
    const id = await run(h, pod, 'stats', ['sleep', '30']);
    const { stats } = await h.cri.containerStats({ containerId: id });
    assert.equal(stats!.attributes!.id, id);
    assert.ok(Number(stats!.memory!.workingSetBytes!.value) > 0);
    assert.ok(stats!.cpu!.usageCoreNanoSeconds !== null);
    await h.cri.removeContainer({ containerId: id });
  });
});

describe('ExecSync', () => {
  let pod: Awaited<ReturnType<typeof runPod>>;
  let id: string;
  before(async () => {
    pod = await runPod(h, 'exec-pod');
    id = await run(h, pod, 'target', ['sleep', '30'], { envs: [{ key: 'GREETING', value: 'hello' }], workingDir: '/tmp' });
  });

  test('returns stdout, stderr and the exit code, with the container env and cwd', async () => {
    const r = await h.cri.execSync({ containerId: id, cmd: ['sh', '-c', 'echo "$GREETING $(pwd)"; echo oops >&2; exit 3'], timeout: 5 });
    assert.equal(r.stdout.toString(), 'hello /tmp\n');
    assert.equal(r.stderr.toString(), 'oops\n');
    assert.equal(r.exitCode, 3);
  });

  test('timeout: the process is killed and the call fails DEADLINE_EXCEEDED like containerd', async () => {
    const t0 = Date.now();
    const err = await rejectsWith(
      h.cri.execSync({ containerId: id, cmd: ['sh', '-c', `echo $$ > ${join(h.rt.stateDir, 'exec.pid')}; exec sleep 30`], timeout: 1 }),
      'DEADLINE_EXCEEDED',
      'failed to exec in container: timeout 1s exceeded: context deadline exceeded',
    );
    assert.ok(err instanceof ExecTimeoutError);
    assert.ok(Date.now() - t0 < 2500);
    const { readFile } = await import('node:fs/promises');
    const pid = Number(await readFile(join(h.rt.stateDir, 'exec.pid'), 'utf8'));
    await waitFor('exec process to be gone', async () => !alive(pid), 2000);
  });

  test('a missing binary is an UNKNOWN error naming it', async () => {
    await rejectsWith(h.cri.execSync({ containerId: id, cmd: ['no-such-probe'], timeout: 1 }), 'UNKNOWN', 'exec: "no-such-probe": executable file not found in $PATH');
  });

  test('a container that is not running: UNKNOWN "container is in CONTAINER_EXITED state"', async () => {
    const done = await run(h, pod, 'done', ['true']);
    await waitExited(h, done);
    await rejectsWith(h.cri.execSync({ containerId: done, cmd: ['true'], timeout: 1 }), 'UNKNOWN', 'container is in CONTAINER_EXITED state');
    const created = await create(h, pod, 'created', ['true']);
    await rejectsWith(h.cri.execSync({ containerId: created, cmd: ['true'], timeout: 1 }), 'UNKNOWN', 'container is in CONTAINER_CREATED state');
  });
});

describe('logs', () => {
  test('CRI log format: timestamped stdout/stderr records, P for long lines and for a last line without newline (containerd)', async () => {
    const pod = await runPod(h);
    const long = 'x'.repeat(20000);
    const id = await run(h, pod, 'logs', ['sh', '-c', `echo one; echo two >&2; printf '%s\\n' ${long}; printf tail`]);
    await waitExited(h, id);
    const text = await readLog(pod, 'logs');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '');
    for (const l of lines) assert.match(l.slice(0, 80), LOG_LINE);
    const rec = lines.map((l) => l.split(' ').slice(1, 3).join(' ') + ' ' + l.split(' ').slice(3).join(' ').length);
    // stdout and stderr are separate streams: their relative order is not defined (as in containerd).
    assert.deepEqual(rec.filter((r) => r.startsWith('stdout')), ['stdout F 3', 'stdout P 16384', 'stdout F 3616', 'stdout P 4']);
    assert.deepEqual(rec.filter((r) => r.startsWith('stderr')), ['stderr F 3']);
    assert.equal((await status(h, id)).logPath, join(pod.config.logDirectory!, 'logs/0.log'));
  });

  test('output written right after start reaches the CRI log while the container runs (30 started at once)', async () => {
    // The raw file's change notification for the first write must find the
    // log copier already registered; the containers then go quiet, so a
    // missed notification would leave their logs empty until they exit.
    const pod = await runPod(h, 'early-output');
    const names = Array.from({ length: 30 }, (_, i) => `early${i}`);
    const ids = await Promise.all(names.map((n) => run(h, pod, n, ['sh', '-c', 'echo ready; exec sleep 30'])));
    try {
      const missing = await waitFor(
        'every log to hold "ready"',
        async () => {
          const logs = await Promise.all(names.map((n) => readLog(pod, n)));
          const without = names.filter((_, i) => !/ stdout F ready\n$/.test(logs[i]!));
          return without.length === 0 ? [] : null;
        },
        5000,
      ).catch(async () => {
        const logs = await Promise.all(names.map((n) => readLog(pod, n)));
        return names.filter((_, i) => !/ stdout F ready\n$/.test(logs[i]!));
      });
      assert.deepEqual(missing, [], 'containers whose "ready" never reached the CRI log');
      for (const id of ids) assert.equal((await status(h, id)).state, 'CONTAINER_RUNNING');
    } finally {
      await h.cri.removePodSandbox({ podSandboxId: pod.id });
    }
  });

  test('an empty log_directory means no log file', async () => {
    const pod = await runPod(h, undefined, { logDirectory: '' });
    const id = await run(h, pod, 'nolog', ['sh', '-c', 'echo hi']);
    const s = await waitExited(h, id);
    assert.equal(s.logPath, '');
    assert.equal(s.exitCode, 0);
  });

  test('the log directory is created when missing', async () => {
    const pod = await runPod(h, undefined, { logDirectory: join(h.rt.stateDir, 'deep', 'er', 'logs') });
    const id = await run(h, pod, 'mk', ['sh', '-c', 'echo made']);
    await waitExited(h, id);
    assert.ok(existsSync(join(h.rt.stateDir, 'deep', 'er', 'logs', 'mk', '0.log')));
    assert.match(await readLog(pod, 'mk'), / stdout F made\n$/);
  });
});

describe('listing and filters', () => {
  test('ListContainers filters by id prefix, state, sandbox and labels (ANDed); labels/annotations verbatim', async () => {
    const pod = await runPod(h, 'filters');
    const other = await runPod(h, 'filters-other');
    const ann = { 'io.kubernetes.container.hash': 'abc', 'weird key/with.chars': 'v=1,2 ' };
    const a = await run(h, pod, 'a', ['sleep', '30'], { labels: { role: 'web', k: 'v' }, annotations: ann });
    const b = await create(h, pod, 'b', ['true'], { labels: { role: 'web' } });
    const c = await create(h, other, 'c', ['true'], { labels: { role: 'web', k: 'v' } });
    const ids = async (filter: cri.ContainerFilter) => (await h.cri.listContainers({ filter })).containers.map((x) => x.id).sort();
    assert.deepEqual(await ids({ podSandboxId: pod.id }), [a, b].sort());
    assert.deepEqual(await ids({ podSandboxId: pod.id.slice(0, 12) }), [a, b].sort());
    assert.deepEqual(await ids({ id: a.slice(0, 10) }), [a]);
    assert.deepEqual(await ids({ id: a.slice(0, 10), state: { state: 'CONTAINER_CREATED' } }), []);
    assert.deepEqual(await ids({ podSandboxId: pod.id, state: { state: 'CONTAINER_CREATED' } }), [b]);
    assert.deepEqual(await ids({ labelSelector: { role: 'web', k: 'v' } }), [a, c].sort());
    assert.deepEqual(await ids({ labelSelector: { role: 'web', k: 'v' }, podSandboxId: other.id }), [c]);
    const listed = (await h.cri.listContainers({ filter: { id: a } })).containers[0]!;
    assert.deepEqual(listed.labels, { role: 'web', k: 'v' });
    assert.deepEqual(listed.annotations, ann);
    assert.equal(listed.image!.image, IMAGE);
    assert.match(listed.imageRef, /^sha256:[0-9a-f]{64}$/);
    const st = await status(h, a);
    assert.deepEqual(st.annotations, ann);
    assert.equal(st.image!.image, 'localhost/busybox:local');
    // prefix lookups work for single-container calls too (containerd truncindex)
    assert.equal((await status(h, a.slice(0, 16))).id, a);
  });

  test('ListPodSandbox filters by id prefix, state and labels', async () => {
    const p1 = await runPod(h, 'lps1', { labels: { group: 'lps', n: '1' } });
    const p2 = await runPod(h, 'lps2', { labels: { group: 'lps', n: '2' } });
    await h.cri.stopPodSandbox({ podSandboxId: p2.id });
    const ids = async (filter: cri.PodSandboxFilter) => (await h.cri.listPodSandbox({ filter })).items.map((x) => x.id).sort();
    assert.deepEqual(await ids({ labelSelector: { group: 'lps' } }), [p1.id, p2.id].sort());
    assert.deepEqual(await ids({ labelSelector: { group: 'lps' }, state: { state: 'SANDBOX_READY' } }), [p1.id]);
    assert.deepEqual(await ids({ id: p2.id.slice(0, 8) }), [p2.id]);
    assert.deepEqual(await ids({ id: p2.id, state: { state: 'SANDBOX_READY' } }), []);
  });
});

describe('images', () => {
  test('ImageStatus → null, PullImage records it, stable ids, normalized tags, list/filter, remove (idempotent)', async () => {
    assert.equal((await h.cri.imageStatus({ image: { image: 'nginx:1.25' } })).image, null);
    const { imageRef } = await h.cri.pullImage({ image: { image: 'nginx:1.25' } });
    assert.match(imageRef, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await h.cri.pullImage({ image: { image: 'docker.io/library/nginx:1.25' } })).imageRef, imageRef);
    const img = (await h.cri.imageStatus({ image: { image: 'nginx:1.25' } })).image!;
    assert.equal(img.id, imageRef);
    assert.deepEqual(img.repoTags, ['docker.io/library/nginx:1.25']);
    assert.ok(Number(img.size) > 0);
    assert.equal((await h.cri.imageStatus({ image: { image: imageRef } })).image!.id, imageRef);
    const other = (await h.cri.pullImage({ image: { image: 'example.com/team/app' } })).imageRef;
    assert.notEqual(other, imageRef);
    assert.deepEqual((await h.cri.imageStatus({ image: { image: other } })).image!.repoTags, ['example.com/team/app:latest']);
    const all = (await h.cri.listImages()).images.map((i) => i.id);
    assert.ok(all.includes(imageRef) && all.includes(other));
    assert.deepEqual((await h.cri.listImages({ filter: { image: { image: 'nginx:1.25' } } })).images.map((i) => i.id), [imageRef]);
    await h.cri.removeImage({ image: { image: 'nginx:1.25' } });
    await h.cri.removeImage({ image: { image: 'nginx:1.25' } });
    assert.equal((await h.cri.imageStatus({ image: { image: 'nginx:1.25' } })).image, null);
  });

  test('CreateContainer with an image that was not pulled: NOT_FOUND "failed to resolve image"', async () => {
    const pod = await runPod(h);
    await rejectsWith(
      h.cri.createContainer({ podSandboxId: pod.id, sandboxConfig: pod.config, config: containerConfig('noimg', ['true'], { image: { image: 'localhost/nope:1' } }) }),
      'NOT_FOUND',
      'failed to resolve image "localhost/nope:1": not found',
    );
    // The name is not left reserved by the failed create.
    await h.cri.pullImage({ image: { image: 'localhost/nope:1' } });
    await create(h, pod, 'noimg', ['true'], { image: { image: 'localhost/nope:1' } });
  });

  test('ImageFsInfo reports the state directory', async () => {
    const r = await h.cri.imageFsInfo();
    assert.equal(r.imageFilesystems[0]!.fsId!.mountpoint, h.rt.stateDir);
    assert.ok(Number(r.imageFilesystems[0]!.usedBytes!.value) > 0);
  });

  test('autoPullImages treats any image as present', async () => {
    const h2 = await startHarness({ autoPullImages: true });
    try {
      const pod = await runPod(h2);
      const id = await create(h2, pod, 'auto', ['true'], { image: { image: 'never/pulled:v9' } });
      assert.equal((await status(h2, id)).image!.image, 'docker.io/never/pulled:v9');
    } finally {
      await h2.close();
    }
  });
});

describe('events', () => {
  test('GetContainerEvents streams created, started, stopped and deleted with statuses', async () => {
    const stream = await liveEvents(h);
    const pod = await runPod(h, 'events');
    const mine = () => stream.events.filter((e) => e.podSandboxStatus?.id === pod.id && e.containerId !== pod.id);
    const id = await run(h, pod, 'ev', ['sh', '-c', 'exit 2']);
    await waitExited(h, id);
    await h.cri.removeContainer({ containerId: id });
    await waitFor('4 events', async () => mine().length >= 4, 3000);
    stream.stop();
    const events = mine();
    assert.deepEqual(
      events.map((e) => e.containerEventType),
      ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT'],
    );
    assert.ok(events.every((e) => e.containerId === id && BigInt(e.createdAt) > 0n));
    assert.equal(events[0]!.podSandboxStatus!.metadata!.name, 'events');
    const stopped = events[2]!.containersStatuses.find((s) => s.id === id)!;
    assert.equal(stopped.state, 'CONTAINER_EXITED');
    assert.equal(stopped.exitCode, 2);
    assert.equal(events[3]!.containersStatuses.find((s) => s.id === id), undefined);
  });

  test('two subscribers both see an event', async () => {
    const [s1, s2] = await Promise.all([liveEvents(h), liveEvents(h)]);
    const pod = await runPod(h);
    const id = await create(h, pod, 'two', ['true']);
    const created = (s: { events: cri.ContainerEventResponse[] }) => s.events.filter((e) => e.containerId === id).map((e) => e.containerEventType);
    await waitFor('both subscribers to see the event', async () => created(s1).length > 0 && created(s2).length > 0, 3000);
    s1.stop();
    s2.stop();
    assert.deepEqual(created(s1), ['CONTAINER_CREATED_EVENT']);
    assert.deepEqual(created(s2), ['CONTAINER_CREATED_EVENT']);
  });
});

describe('malformed requests', () => {
  test('clear errors naming the field; the server keeps serving', async () => {
    const pod = await runPod(h);
    await rejectsWith(h.cri.runPodSandbox({} as cri.RunPodSandboxRequest), 'UNKNOWN', 'sandbox config must include metadata');
    await rejectsWith(h.cri.runPodSandbox({ config: { labels: {} } } as unknown as cri.RunPodSandboxRequest), 'UNKNOWN', 'sandbox config must include metadata');
    await rejectsWith(
      h.cri.createContainer({ podSandboxId: pod.id, sandboxConfig: pod.config, config: { image: { image: IMAGE } } } as unknown as cri.CreateContainerRequest),
      'UNKNOWN',
      'container config must include metadata',
    );
    await rejectsWith(h.cri.createContainer({ podSandboxId: pod.id, config: containerConfig('nosb', ['true']) } as unknown as cri.CreateContainerRequest), 'INVALID_ARGUMENT', 'sandbox_config');
    await rejectsWith(h.cri.createContainer({ podSandboxId: pod.id, sandboxConfig: pod.config, config: containerConfig('nocmd', []) }), 'INVALID_ARGUMENT', /no command specified.*"nocmd"|"nocmd".*no command specified/);
    await rejectsWith(h.cri.pullImage({} as cri.PullImageRequest), 'INVALID_ARGUMENT', 'PullImageRequest.image');
    await rejectsWith(h.cri.pullImage({ image: { image: 'Bad Ref' } }), 'UNKNOWN', 'invalid reference format');
    await rejectsWith(h.cri.execSync({ containerId: 'nope', cmd: [] }), 'NOT_FOUND');
    await rejectsWith(h.cri.startContainer({} as cri.ContainerIdRequest), 'NOT_FOUND');
    assert.equal((await h.cri.version()).runtimeName, 'statelet-embedded');
  });
});
