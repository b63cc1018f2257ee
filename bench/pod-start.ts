// bench/pod-start: how fast one RuntimeManager starts N one-container pods on
// the embedded runtime, against a baseline that makes the same CRI calls
// directly, in the same run. The runtime runs in a child process so that the
// manager's CPU and memory are measured alone.
//
//   node dist/bench/pod-start.js [--sizes 100,1000] [--inspect] [--json]
//
// Reported per size: wall time until every pod's container is running, pods/s,
// the manager's overhead per pod against the baseline, RSS and heap after the
// manager run; with --inspect, two more runs with an inspection server attached:
// one with no client connected, one with a WebSocket client (the `ws` package,
// in this process: its receiving costs count in the manager's CPU) that reads
// the whole stream as the visualizer would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriClient } from '../src/cri/client.js';
import { RuntimeManager } from '../src/manager.js';
import { applyDefaults } from '../src/k8s/manifest.js';
import type { Pod } from '../src/k8s/types.js';
import { generateContainerConfig, generatePodSandboxConfig } from '../src/kuberuntime/config.js';
import { startInspectionServer } from '../src/inspect/server.js';
import { WebSocket } from 'ws';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const sizes = (arg('--sizes') ?? '100,1000').split(',').map(Number);
const withInspect = args.includes('--inspect');
const asJson = args.includes('--json');
const rssOnly = args.includes('--rss-only');
const IMAGE = 'busybox:1.36';

function makePod(i: number, run: string): Pod {
  return applyDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${run}-${i}`, namespace: 'bench', uid: `bench-${run}-${i}` },
    spec: {
      restartPolicy: 'Always',
      containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  });
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

/** The same CRI calls the kubelet flow makes for one pod, made directly. */
async function baselinePod(client: CriClient, pod: Pod, logs: string): Promise<string> {
  const config = generatePodSandboxConfig(pod, 0, logs);
  const sb = await client.runPodSandbox({ config });
  await client.podSandboxStatus({ podSandboxId: sb.podSandboxId });
  await client.imageStatus({ image: { image: IMAGE } });
  const c = await client.createContainer({
    podSandboxId: sb.podSandboxId,
    config: generateContainerConfig(pod, pod.spec.containers[0]!, 0, IMAGE),
    sandboxConfig: config,
  });
  await client.startContainer({ containerId: c.containerId });
  return sb.podSandboxId;
}

async function cleanup(client: CriClient): Promise<void> {
  const { items } = await client.listPodSandbox({});
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

async function runManager(client: CriClient, n: number, run: string, logs: string, inspect?: (ev: never) => void): Promise<{ wallMs: number; cpuMs: number; rss: number; heap: number }> {
  const manager = new RuntimeManager({ client, podLogsDir: logs, runtimeName: 'statelet', inspect: inspect as never });
  await manager.start();
  const pods = Array.from({ length: n }, (_, i) => makePod(i, run));
  let running = 0;
  const seen = new Set<string>();
  const allRunning = new Promise<void>((resolve) => {
    manager.status$.subscribe(({ pod, status }) => {
      if (seen.has(pod.metadata.uid!)) return;
      if (status.containerStatuses?.[0]?.state.running) {
        seen.add(pod.metadata.uid!);
        if (++running === n) resolve();
      }
    });
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const p of pods) manager.addPod(p);
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'statelet-bench-'));
  const logs = join(dir, 'pods');
  const { proc, endpoint } = await startRuntime(dir);
  const client = new CriClient({ endpoint });
  const rows: Row[] = [];
  try {
    await client.pullImage({ image: { image: IMAGE } });
    // Warm-up: JIT and connection.
    if (!rssOnly) {
      await runManager(client, 20, 'warm', logs);
      await cleanup(client);
    }
    // Memory at 110 pods, in a lean process that loads only the manager (as an embedding agent).
    {
      const child = spawn(process.execPath, ['--expose-gc', join(root, 'dist', 'bench', 'pod-rss.js'), endpoint, '110', logs], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.on('exit', r));
      const r = JSON.parse(out) as { pods: number; rssMiB: number; heapMiB: number; idleRssMiB: number };
      rows.push({ size: r.pods, mode: `manager alone, fresh process (idle RSS ${r.idleRssMiB.toFixed(1)} MiB)`, wallMs: NaN, podsPerSec: NaN, cpuMs: NaN, rssMiB: r.rssMiB, heapMiB: r.heapMiB });
      await cleanup(client);
    }
    for (const n of rssOnly ? [] : [110, ...sizes]) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: n }, (_, i) => baselinePod(client, makePod(i, `base${n}`), logs)));
      const baseMs = performance.now() - t0;
      const baseCpu = process.cpuUsage(cpu0);
      await cleanup(client);
      rows.push({ size: n, mode: 'baseline (direct CRI)', wallMs: baseMs, podsPerSec: (n / baseMs) * 1000, cpuMs: (baseCpu.user + baseCpu.system) / 1000 });
      const m = await runManager(client, n, `mgr${n}`, logs);
      await cleanup(client);
      const over = (m.wallMs - baseMs) / n;
      rows.push({
        size: n,
        mode: 'manager',
        wallMs: m.wallMs,
        podsPerSec: (n / m.wallMs) * 1000,
        overheadPerPodMs: over,
        overheadPct: ((m.wallMs - baseMs) / baseMs) * 100,
        rssMiB: m.rss / 2 ** 20,
        heapMiB: m.heap / 2 ** 20,
        cpuMs: m.cpuMs,
      });
      if (withInspect) {
        for (const clients of [0, 1]) {
          const server = await startInspectionServer({ port: 0 });
          const viewer = clients ? await within(10_000, connectViewer(`${server.wsUrl}?definitions=0`), `${n} pods: connecting the viewer`) : undefined;
          const mi = await runManager(client, n, `ins${clients}-${n}`, logs, server.inspect as never);
          const received = viewer ? await within(10_000, viewer.close(), `${n} pods: closing the viewer`) : undefined;
          await within(10_000, server.close(), `${n} pods: closing the inspection server`);
          await cleanup(client);
          rows.push({
            size: n,
            mode: received
              ? `manager + inspection, 1 WS client (${received.messages} msgs, ${(received.bytes / 2 ** 20).toFixed(1)} MiB)`
              : viewer
                ? 'manager + inspection, 1 WS client (its close did not finish)'
              : 'manager + inspection, no client',
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
  } finally {
    client.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  if (asJson) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const f = (v: number | undefined, d = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  const lines = [
    '| pods | mode | wall ms | pods/s | overhead ms/pod | overhead % | manager CPU ms | RSS MiB | heap MiB |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.size} | ${r.mode} | ${f(r.wallMs, 0)} | ${f(r.podsPerSec, 0)} | ${f(r.overheadPerPodMs, 2)} | ${f(r.overheadPct)} | ${f(r.cpuMs, 0)} | ${f(r.rssMiB)} | ${f(r.heapMiB)} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench/pod-start: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
