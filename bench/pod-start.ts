// bench/pod-start: how fast one RuntimeManager starts N one-container pods,
// against a baseline that makes the same CRI calls directly, alternated in the
// same process (baseline, manager, baseline, manager, ...), so that load from
// other work on the machine falls on both sides alike. Every goal is printed as
// a ratio of the two sides.
//
//   node --expose-gc dist/bench/pod-start.js [--runtime embedded|containerd] [--runtime-endpoint unix://...]
//        [--sizes 110,1000] [--modes concurrent,sequential] [--rounds 2] [--inspect] [--profile PREFIX] [--json]
//
// embedded (default): the runtime runs in a child process, so the manager's CPU
// and memory are measured alone; sizes 110 and 1000, all pods at once.
// containerd: a private containerd 1.6 (scripts/containerd-up.sh in its own lab
// directory, torn down afterwards) unless --runtime-endpoint names one; 10 pods,
// concurrently and one after another (each until Running before the next; there
// the two sides alternate pod by pod, as containerd's pod-start time drifts).
//
// Reported per size and mode: wall time until every pod's container is running,
// pods/s, the manager's overhead against the baseline of the same round, this
// process's CPU (the CRI client's for the baseline; the manager's and its
// client's for the manager), RSS and heap after the manager run. With --inspect,
// two more runs with an inspection server attached: one with no client
// connected, one with a WebSocket client (the `ws` package, in this process: its
// receiving costs count in the manager's CPU) that reads the whole stream as the
// visualizer would. --profile writes V8 CPU profiles of the first round's two
// sides (PREFIX-<runtime>-<mode>-<n>-{baseline,manager}.cpuprofile).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriClient } from '../src/cri/client.js';
import { RuntimeManager } from '../src/manager.js';
import { applyDefaults } from '../src/k8s/manifest.js';
import type { Pod } from '../src/k8s/types.js';
import { DEFAULT_ROOT_DIR, generateContainerConfig, generatePodSandboxConfig } from '../src/kuberuntime/config.js';
import { prepareContainerMounts } from '../src/kuberuntime/mounts.js';
import { hostNodeInfo } from '../src/kuberuntime/node.js';
import { startInspectionServer } from '../src/inspect/server.js';
import { WebSocket } from 'ws';

type Mode = 'concurrent' | 'sequential';
const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runtime = arg('--runtime') ?? (arg('--runtime-endpoint') ? 'containerd' : 'embedded');
if (runtime !== 'embedded' && runtime !== 'containerd') throw new Error('--runtime is embedded or containerd');
const sizes = (arg('--sizes') ?? (runtime === 'embedded' ? '110,1000' : '10')).split(',').map(Number);
const modes = (arg('--modes') ?? (runtime === 'embedded' ? 'concurrent' : 'sequential,concurrent')).split(',') as Mode[];
for (const m of modes) if (m !== 'concurrent' && m !== 'sequential') throw new Error('--modes: concurrent and/or sequential');
// containerd's times vary a lot from pod to pod: more rounds there.
const rounds = Number(arg('--rounds') ?? (runtime === 'embedded' ? 2 : 6));
const withInspect = args.includes('--inspect');
const asJson = args.includes('--json');
const rssOnly = args.includes('--rss-only');
const profilePrefix = arg('--profile');
const IMAGE = 'busybox:1.36';
/** Imported by scripts/containerd-up.sh (containerd 1.6 cannot pull from a local name). */
const CONTAINERD_IMAGE = 'localhost/busybox:local';

function makePod(i: number, run: string, image = IMAGE): Pod {
  return applyDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${run}-${i}`, namespace: 'bench', uid: `bench-${run}-${i}` },
    spec: {
      restartPolicy: 'Always',
      containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  });
}

/** A private containerd (own lab dir, bridge and pod range, so it meets no other user's). */
function startContainerd(): { endpoint: string; down: () => void } {
  const env = {
    ...process.env,
    STATELET_CONTAINERD_DIR: process.env.STATELET_CONTAINERD_DIR ?? join(tmpdir(), 'statelet-bench-containerd'),
    STATELET_CONTAINERD_BRIDGE: process.env.STATELET_CONTAINERD_BRIDGE ?? 'stlbench0',
    STATELET_CONTAINERD_POD_CIDR: process.env.STATELET_CONTAINERD_POD_CIDR ?? '10.95.0.0/16',
  };
  const out = execFileSync('bash', [join(root, 'scripts', 'containerd-up.sh')], { env, stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim().split('\n');
  return {
    endpoint: out[out.length - 1]!,
    down: () => {
      execFileSync('bash', [join(root, 'scripts', 'containerd-down.sh')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    },
  };
}

/** A V8 CPU profile of one side of a round (node:inspector, in-process). */
async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((res, rej) => session.post(method, params ?? {}, (err, out) => (err ? rej(err) : res(out))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const out = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(out.profile));
      session.disconnect();
    },
  };
}

async function startRuntime(dir: string): Promise<{ proc: ChildProcess; endpoint: string }> {
  const endpoint = `unix://${join(dir, 'cri.sock')}`;
  const proc = spawn(process.execPath, [join(root, 'bin', 'statelet.js'), 'runtime', 'serve', '--listen', endpoint, '--state-dir', join(dir, 'state')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('serving CRI')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`runtime exited ${code}: ${err}`)));
  });
  return { proc, endpoint };
}

/**
 * The same CRI calls the kubelet flow makes for one pod, made directly: ImageStatus twice,
 * as the kubelet asks once to ensure the image (imageManager.EnsureImageExists) and once
 * for its user (generateContainerConfig's getImageUser), and the manager does both.
 */
async function baselinePod(client: CriClient, pod: Pod, logs: string, image = IMAGE): Promise<string> {
  const config = generatePodSandboxConfig(pod, 0, logs);
  const sb = await client.runPodSandbox({ config });
  const st = await client.podSandboxStatus({ podSandboxId: sb.podSandboxId });
  await client.imageStatus({ image: { image } });
  await client.imageStatus({ image: { image } });
  // The same container config as the manager's: on a runtime other than the embedded one
  // that includes the kubelet's own mounts (/etc/hosts, the termination-message file).
  const container = pod.spec.containers[0]!;
  const podIPs = st.status?.network?.ip ? [st.status.network.ip] : [];
  const node = hostNodeInfo();
  const mounts = await prepareContainerMounts(pod, container, DEFAULT_ROOT_DIR, { podIPs, node }, runtime !== 'embedded');
  const c = await client.createContainer({
    podSandboxId: sb.podSandboxId,
    config: generateContainerConfig(pod, container, 0, image, { podIPs, node, rootDir: DEFAULT_ROOT_DIR, mounts }),
    sandboxConfig: config,
  });
  await client.startContainer({ containerId: c.containerId });
  return sb.podSandboxId;
}

async function cleanup(client: CriClient): Promise<void> {
  // Only this bench's pods (a --runtime-endpoint may be shared).
  const items = (await client.listPodSandbox({})).items.filter((s) => s.metadata?.namespace === 'bench');
  for (let i = 0; i < items.length; i += 50) {
    await Promise.all(items.slice(i, i + 50).map((s) => client.removePodSandbox({ podSandboxId: s.id })));
  }
}

interface Row {
  size: number;
  mode: string;
  wallMs: number;
  podsPerSec: number;
  overheadPerPodMs?: number;
  overheadPct?: number;
  rssMiB?: number;
  heapMiB?: number;
  cpuMs: number;
}

async function runManager(
  client: CriClient,
  n: number,
  run: string,
  logs: string,
  mode: Mode = 'concurrent',
  image = IMAGE,
  inspect?: (ev: never) => void,
): Promise<{ wallMs: number; cpuMs: number; rss: number; heap: number }> {
  const manager = new RuntimeManager({ client, podLogsDir: logs, runtimeName: runtime === 'embedded' ? 'statelet' : 'containerd', inspect: inspect as never });
  await manager.start();
  const pods = Array.from({ length: n }, (_, i) => makePod(i, run, image));
  let running = 0;
  const seen = new Set<string>();
  let onRunning: (() => void) | undefined;
  global.gc?.();
  const allRunning = new Promise<void>((resolve) => {
    manager.status$.subscribe(({ pod, status }) => {
      if (seen.has(pod.metadata.uid!)) return;
      if (status.containerStatuses?.[0]?.state.running) {
        seen.add(pod.metadata.uid!);
        onRunning?.();
        if (++running === n) resolve();
      }
    });
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'concurrent') for (const p of pods) manager.addPod(p);
  else {
    for (const p of pods) {
      const up = new Promise<void>((r) => (onRunning = r));
      manager.addPod(p);
      await up;
    }
  }
  // A pod that never runs is a finding, not a hang: report where it is stuck.
  const watchdog = setInterval(() => {
    const stuck = pods.filter((p) => !seen.has(p.metadata.uid!)).slice(0, 3);
    for (const p of stuck) {
      const snap = manager.getActor(p.metadata.uid!)?.getSnapshot();
      const c = snap?.context.refs['app']?.getSnapshot();
      process.stderr.write(`bench: ${run}: ${running}/${n} running; ${p.metadata.name}: pod ${JSON.stringify(snap?.value)} container ${JSON.stringify(c?.value)} ${c?.context.waitingMessage ?? ''}\n`);
    }
  }, 30_000);
  await allRunning;
  clearInterval(watchdog);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  global.gc?.();
  const mem = process.memoryUsage();
  await manager.close();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rss: mem.rss, heap: mem.heapUsed };
}

/**
 * Sequential pods, alternated pod by pod: a direct pod until StartContainer returns, then a
 * manager pod until its status says running, and so on. Each side's times (and this
 * process's CPU in its windows) are summed. The manager stays up meanwhile, so its relists
 * during the direct pods' windows count against the direct side: a bias against the goal's
 * margin, not for it, as they also delay the direct calls.
 */
async function runInterleaved(
  client: CriClient,
  n: number,
  tag: string,
  logs: string,
  image: string,
): Promise<{ baseMs: number; mgrMs: number; baseCpuMs: number; mgrCpuMs: number; rss: number; heap: number }> {
  const manager = new RuntimeManager({ client, podLogsDir: logs, runtimeName: runtime === 'embedded' ? 'statelet' : 'containerd' });
  await manager.start();
  let onRunning: ((uid: string) => void) | undefined;
  const seen = new Set<string>();
  const sub = manager.status$.subscribe(({ pod, status }) => {
    if (seen.has(pod.metadata.uid!) || !status.containerStatuses?.[0]?.state.running) return;
    seen.add(pod.metadata.uid!);
    onRunning?.(pod.metadata.uid!);
  });
  const out = { baseMs: 0, mgrMs: 0, baseCpuMs: 0, mgrCpuMs: 0, rss: 0, heap: 0 };
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  global.gc?.();
  for (let i = 0; i < n; i++) {
    let c0 = process.cpuUsage();
    let t0 = performance.now();
    await baselinePod(client, makePod(i, `b${tag}`, image), logs, image);
    out.baseMs += performance.now() - t0;
    out.baseCpuMs += cpuMs(process.cpuUsage(c0));
    const pod = makePod(i, `m${tag}`, image);
    const up = new Promise<void>((r) => (onRunning = (uid) => uid === pod.metadata.uid && r()));
    c0 = process.cpuUsage();
    t0 = performance.now();
    manager.addPod(pod);
    await up;
    out.mgrMs += performance.now() - t0;
    out.mgrCpuMs += cpuMs(process.cpuUsage(c0));
  }
  global.gc?.();
  const mem = process.memoryUsage();
  out.rss = mem.rss;
  out.heap = mem.heapUsed;
  sub.unsubscribe();
  await manager.close();
  return out;
}

/** A visualizer stand-in: reads every message of the inspection stream (counted, not parsed), connected as the visualizer is (?definitions=0). */
async function connectViewer(url: string): Promise<{ close(): Promise<{ messages: number; bytes: number }> }> {
  const ws = new WebSocket(url);
  let messages = 0;
  let bytes = 0;
  let synced!: () => void;
  let isSyncedYet = false;
  const isSynced = new Promise<void>((r) => (synced = r));
  ws.on('message', (data: Buffer) => {
    messages++;
    bytes += data.length;
    if (!isSyncedYet && data.includes('"@statelet.synced"')) {
      isSyncedYet = true;
      synced();
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await isSynced;
  return {
    async close() {
      // Let the last frames arrive, then hang up.
      await new Promise((r) => setTimeout(r, 200));
      const closed = new Promise((r) => ws.once('close', r));
      ws.close();
      await closed;
      return { messages, bytes };
    },
  };
}

/** Waits at most `ms`; a step that does not finish is reported, not waited on forever. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => {
    timer = setTimeout(() => {
      process.stderr.write(`bench: ${what} did not finish within ${ms} ms\n`);
      r(undefined);
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Pair {
  size: number;
  mode: Mode;
  baseMs: number[];
  mgrMs: number[];
  baseCpuMs: number[];
  mgrCpuMs: number[];
}

/** One side of a round: all pods at once (concurrent) or one after another, each until Running (sequential). */
async function runBaseline(client: CriClient, n: number, run: string, logs: string, mode: Mode, image: string): Promise<{ wallMs: number; cpuMs: number }> {
  const pods = Array.from({ length: n }, (_, i) => makePod(i, run, image));
  // Each side starts from a collected heap, so neither pays for the other's garbage.
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'concurrent') await Promise.all(pods.map((p) => baselinePod(client, p, logs, image)));
  else for (const p of pods) await baselinePod(client, p, logs, image);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'statelet-bench-'));
  const logs = join(dir, 'pods');
  let proc: ChildProcess | undefined;
  let endpoint = arg('--runtime-endpoint');
  let labDown: (() => void) | undefined;
  if (runtime === 'embedded') ({ proc, endpoint } = await startRuntime(dir));
  else if (!endpoint) ({ endpoint, down: labDown } = startContainerd());
  const image = runtime === 'embedded' ? IMAGE : CONTAINERD_IMAGE;
  const client = new CriClient({ endpoint: endpoint! });
  const rows: Row[] = [];
  const pairs: Pair[] = [];
  try {
    if (runtime === 'embedded') await client.pullImage({ image: { image } });
    await cleanup(client);
    // Warm-up: JIT and connection, both sides.
    if (!rssOnly) {
      // As many pods as the first measured size: the charts' code is JIT-compiled before round 1.
      const w = runtime === 'embedded' ? Math.min(110, sizes[0] ?? 110) : 4;
      await runBaseline(client, w, 'warmb', logs, 'concurrent', image);
      await cleanup(client);
      await runManager(client, w, 'warm', logs, 'concurrent', image);
      await cleanup(client);
    }
    // Memory at 110 pods, in a lean process that loads only the manager (as an embedding agent).
    if (runtime === 'embedded' && !args.includes('--no-rss')) {
      const child = spawn(process.execPath, ['--expose-gc', join(root, 'dist', 'bench', 'pod-rss.js'), endpoint!, '110', logs], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.on('exit', r));
      const r = JSON.parse(out) as { pods: number; rssMiB: number; heapMiB: number; idleRssMiB: number };
      rows.push({ size: r.pods, mode: `manager alone, fresh process (idle RSS ${r.idleRssMiB.toFixed(1)} MiB)`, wallMs: NaN, podsPerSec: NaN, cpuMs: NaN, rssMiB: r.rssMiB, heapMiB: r.heapMiB });
      await cleanup(client);
    }
    for (const n of rssOnly ? [] : sizes) {
      for (const mode of modes) {
        const pair: Pair = { size: n, mode, baseMs: [], mgrMs: [], baseCpuMs: [], mgrCpuMs: [] };
        pairs.push(pair);
        // Alternated: baseline, manager, baseline, manager, ... so that load from other
        // work on the machine falls on both sides alike.
        for (let round = 0; round < rounds; round++) {
          const tag = `${mode[0]}${n}r${round}`;
          const profileThis = profilePrefix && round === 0;
          if (mode === 'sequential') {
            // One pod at a time, alternated pod by pod (direct, manager, direct, ...): a
            // runtime whose pod-start time drifts (containerd) drifts under both sides alike.
            const bp = profileThis ? await startProfiler() : undefined;
            const r = await runInterleaved(client, n, tag, logs, image);
            await bp?.stop(`${profilePrefix}-${runtime}-${mode}-${n}-interleaved.cpuprofile`);
            await cleanup(client);
            pair.baseMs.push(r.baseMs);
            pair.baseCpuMs.push(r.baseCpuMs);
            pair.mgrMs.push(r.mgrMs);
            pair.mgrCpuMs.push(r.mgrCpuMs);
            rows.push({ size: n, mode: `${mode}: baseline (direct CRI), round ${round + 1}, pods alternated`, wallMs: r.baseMs, podsPerSec: (n / r.baseMs) * 1000, cpuMs: r.baseCpuMs });
            rows.push({
              size: n,
              mode: `${mode}: manager, round ${round + 1}, pods alternated`,
              wallMs: r.mgrMs,
              podsPerSec: (n / r.mgrMs) * 1000,
              overheadPerPodMs: (r.mgrMs - r.baseMs) / n,
              overheadPct: ((r.mgrMs - r.baseMs) / r.baseMs) * 100,
              rssMiB: r.rss / 2 ** 20,
              heapMiB: r.heap / 2 ** 20,
              cpuMs: r.mgrCpuMs,
            });
            continue;
          }
          const bp = profileThis ? await startProfiler() : undefined;
          const b = await runBaseline(client, n, `b${tag}`, logs, mode, image);
          await bp?.stop(`${profilePrefix}-${runtime}-${mode}-${n}-baseline.cpuprofile`);
          await cleanup(client);
          rows.push({ size: n, mode: `${mode}: baseline (direct CRI), round ${round + 1}`, wallMs: b.wallMs, podsPerSec: (n / b.wallMs) * 1000, cpuMs: b.cpuMs });
          pair.baseMs.push(b.wallMs);
          pair.baseCpuMs.push(b.cpuMs);
          const mp = profileThis ? await startProfiler() : undefined;
          const m = await runManager(client, n, `m${tag}`, logs, mode, image);
          await mp?.stop(`${profilePrefix}-${runtime}-${mode}-${n}-manager.cpuprofile`);
          await cleanup(client);
          pair.mgrMs.push(m.wallMs);
          pair.mgrCpuMs.push(m.cpuMs);
          rows.push({
            size: n,
            mode: `${mode}: manager, round ${round + 1}`,
            wallMs: m.wallMs,
            podsPerSec: (n / m.wallMs) * 1000,
            overheadPerPodMs: (m.wallMs - b.wallMs) / n,
            overheadPct: ((m.wallMs - b.wallMs) / b.wallMs) * 100,
            rssMiB: m.rss / 2 ** 20,
            heapMiB: m.heap / 2 ** 20,
            cpuMs: m.cpuMs,
          });
        }
        if (withInspect) {
          const baseMs = median(pair.baseMs);
          for (const clients of [0, 1]) {
            const server = await startInspectionServer({ port: 0 });
            const viewer = clients ? await within(10_000, connectViewer(`${server.wsUrl}?definitions=0`), `${n} pods: connecting the viewer`) : undefined;
            const mi = await runManager(client, n, `ins${clients}-${mode[0]}${n}`, logs, mode, image, server.inspect as never);
            const received = viewer ? await within(10_000, viewer.close(), `${n} pods: closing the viewer`) : undefined;
            await within(10_000, server.close(), `${n} pods: closing the inspection server`);
            await cleanup(client);
            rows.push({
              size: n,
              mode: received
                ? `${mode}: manager + inspection, 1 WS client (${received.messages} msgs, ${(received.bytes / 2 ** 20).toFixed(1)} MiB)`
                : viewer
                  ? `${mode}: manager + inspection, 1 WS client (its close did not finish)`
                  : `${mode}: manager + inspection, no client`,
              wallMs: mi.wallMs,
              podsPerSec: (n / mi.wallMs) * 1000,
              overheadPerPodMs: (mi.wallMs - baseMs) / n,
              overheadPct: ((mi.wallMs - baseMs) / baseMs) * 100,
              rssMiB: mi.rss / 2 ** 20,
              heapMiB: mi.heap / 2 ** 20,
              cpuMs: mi.cpuMs,
            });
          }
        }
      }
    }
  } finally {
    client.close();
    if (proc) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc!.on('exit', r));
    }
    labDown?.();
    rmSync(dir, { recursive: true, force: true });
    // The pods' directories (the kubelet's mounts) under the default root dir.
    const podDirs = join(DEFAULT_ROOT_DIR, 'pods');
    for (const d of existsSync(podDirs) ? readdirSync(podDirs) : []) if (d.startsWith('bench-')) rmSync(join(podDirs, d), { recursive: true, force: true });
  }
  // The goals, each a ratio of the two sides of the same run (sums over the alternated rounds).
  interface Goal { goal: string; measured: string; met: boolean }
  const goals: Goal[] = [];
  for (const p of pairs) {
    const base = sum(p.baseMs);
    const mgr = sum(p.mgrMs);
    const ratio = base / mgr;
    const cpuPerPod = (sum(p.mgrCpuMs) - sum(p.baseCpuMs)) / (p.size * p.mgrMs.length);
    if (runtime === 'containerd') {
      const added = (mgr - base) / base;
      // The verdict is on the sums; the median of the rounds' ratios shows how much one round
      // disturbed by other work on the machine weighs in it.
      const perRound = median(p.mgrMs.map((m, i) => (m - p.baseMs[i]!) / p.baseMs[i]!));
      const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
      goals.push({
        goal: `${p.size} pods ${p.mode}: time until Running, manager vs direct CRI, ≤ +2 %`,
        measured: `${pct(added)} (median of rounds ${pct(perRound)}; ${p.mgrMs.map((x) => x.toFixed(0)).join(', ')} ms vs ${p.baseMs.map((x) => x.toFixed(0)).join(', ')} ms)`,
        met: added <= 0.02,
      });
    } else {
      goals.push({ goal: `${p.size} pods ${p.mode}: pod rate ≥ 90 % of direct CRI`, measured: `${(ratio * 100).toFixed(1)} % (${((p.size * p.mgrMs.length * 1000) / mgr).toFixed(0)} vs ${((p.size * p.baseMs.length * 1000) / base).toFixed(0)} pods/s)`, met: ratio >= 0.9 });
    }
    const cpuText = `${cpuPerPod.toFixed(2)} ms (${(sum(p.mgrCpuMs) / (p.size * p.mgrMs.length)).toFixed(2)} ms in all, direct ${(sum(p.baseCpuMs) / (p.size * p.baseMs.length)).toFixed(2)} ms)`;
    // The CPU goal is the embedded runtime's; on containerd it is shown for information.
    if (runtime === 'embedded') goals.push({ goal: `${p.size} pods ${p.mode}: manager CPU per pod beyond the direct calls' ≤ 3 ms`, measured: cpuText, met: cpuPerPod <= 3 });
    else goals.push({ goal: `${p.size} pods ${p.mode}: manager CPU per pod beyond the direct calls' (no goal)`, measured: cpuText, met: true });
  }
  if (asJson) {
    process.stdout.write(JSON.stringify({ runtime, rounds, rows, goals }, null, 2) + '\n');
    return;
  }
  const f = (v: number | undefined, d = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  const lines = [
    `bench/pod-start: ${runtime} runtime, ${rounds} alternated round(s) per size and mode, node ${process.version}, ${cpus().length} CPUs`,
    '',
    '| pods | mode | wall ms | pods/s | overhead ms/pod | overhead % | CPU ms (this process) | RSS MiB | heap MiB |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.size} | ${r.mode} | ${f(r.wallMs, 0)} | ${f(r.podsPerSec, 0)} | ${f(r.overheadPerPodMs, 2)} | ${f(r.overheadPct)} | ${f(r.cpuMs, 0)} | ${f(r.rssMiB)} | ${f(r.heapMiB)} |`),
    '',
    '| goal | measured | |',
    '|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.goal.endsWith('(no goal)') ? '' : g.met ? 'met' : 'NOT met'} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench/pod-start: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
