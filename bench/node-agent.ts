// bench/node-agent: `statelet serve` running N pods from a manifest directory, side by
// side with the same pods through one RuntimeManager in one process (the baseline),
// on the same runtime, in the same run. Both run as child processes so that each is
// measured alone (RSS and CPU from /proc).
//
//   node dist/bench/node-agent.js [--pods 110] [--idle-seconds 30] [--settle-seconds 15] [--runtime-endpoint unix:///...] [--json]
//
// Reported: time from spawn until every pod is Running; RSS once they are; CPU while
// idle (110 running pods, no probes) over --idle-seconds, after --settle-seconds; and for the agent, the time
// from its restart after a SIGKILL until every pod is adopted (and Running again).
// Without --runtime-endpoint the embedded runtime runs as its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriClient } from '../src/cri/client.js';
import { RuntimeManager } from '../src/manager.js';
import { loadStaticPod } from '../src/node/static-pod.js';
import { MANAGED_BY_LABEL } from '../src/kuberuntime/labels.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'statelet.js');
const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(arg('--pods') ?? 110);
const IDLE_S = Number(arg('--idle-seconds') ?? 30);
/**
 * Idle is measured after this settle: the start-up's tail (its last status flushes, GC) and
 * the log manager's first pass, which asks each new container's log path once, are not idle.
 */
const SETTLE_S = Number(arg('--settle-seconds') ?? 15);
const asJson = args.includes('--json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifestText(i: number, image: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: bench-${i} }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
`;
}

// ------------------------------------------------------------ the baseline child
if (args[0] === '--as-manager') {
  const endpoint = args[1]!;
  const dir = args[2]!;
  const image = args[3]!;
  const count = Number(args[4]);
  const manager = new RuntimeManager({ endpoint, podLogsDir: join(dir, 'logs') });
  await manager.start();
  const running = new Set<string>();
  manager.status$.subscribe(({ pod, status }) => {
    if (status.phase === 'Running') running.add(pod.metadata.uid!);
    if (running.size === count) process.stdout.write('ALL-RUNNING\n');
  });
  for (let i = 0; i < count; i++) {
    const path = join(dir, 'manifests', `m${i}.yaml`);
    manager.addPod(loadStaticPod(readFileSync(path, 'utf8'), { nodeName: 'bench-manager', source: path, suffixName: true }));
  }
  process.on('SIGTERM', () => void manager.close().then(() => process.exit(0)));
  await new Promise(() => {});
}

// ------------------------------------------------------------ measuring
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

async function idleCpuPercent(pid: number, seconds: number): Promise<number> {
  await sleep(SETTLE_S * 1000);
  const t0 = cpuTicks(pid);
  await sleep(seconds * 1000);
  // USER_HZ is 100 on Linux.
  return ((cpuTicks(pid) - t0) / 100 / seconds) * 100;
}

interface Child {
  proc: ChildProcess;
  out: string;
  err: string;
  /** The phase each pod's newest text line shows (parsed as lines arrive). */
  phases: Map<string, string>;
  until(re: RegExp, timeoutMs: number, stream?: 'out' | 'err'): Promise<number>;
}

function child(cmd: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const proc = spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const c: Child = {
    proc,
    out: '',
    err: '',
    phases: new Map(),
    until(re, timeoutMs, stream = 'out') {
      const t0 = Date.now();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(stream === 'out' ? c.out : c.err)) {
            clearInterval(iv);
            resolve(Date.now() - t0);
          } else if (Date.now() - t0 > timeoutMs) {
            clearInterval(iv);
            reject(new Error(`timed out waiting for ${re}: ${c.err.slice(-2000)}`));
          }
        };
        const iv = setInterval(check, 10);
        check();
      });
    },
  };
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      const m = / pod (\S+) (\S+)/.exec(l);
      if (m) c.phases.set(m[1]!, m[2]!);
    }
    c.out = (c.out + d.toString()).slice(-20_000);
  });
  proc.stderr!.on('data', (d: Buffer) => (c.err = (c.err + d.toString()).slice(-200_000)));
  return c;
}

/** Text output: the newest line per pod says its phase; all N Running. */
function allRunningText(c: Child): boolean {
  let n = 0;
  for (const p of c.phases.values()) if (p === 'Running') n++;
  return n >= N;
}

async function waitText(c: Child, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!allRunningText(c)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`agent: not all ${N} pods Running after ${timeoutMs} ms\n${c.err.slice(-3000)}`);
    await sleep(10);
  }
  return Date.now() - t0;
}

async function removeAll(client: CriClient, node: string): Promise<void> {
  const { items } = await client.listPodSandbox({ filter: { labelSelector: { [MANAGED_BY_LABEL]: 'true' } } });
  for (const s of items.filter((x) => x.metadata?.name?.endsWith(`-${node}`))) {
    const { containers } = await client.listContainers({ filter: { podSandboxId: s.id } });
    for (const k of containers) {
      await client.stopContainer({ containerId: k.id, timeout: 0 }).catch(() => {});
      await client.removeContainer({ containerId: k.id }).catch(() => {});
    }
    await client.stopPodSandbox({ podSandboxId: s.id }).catch(() => {});
    await client.removePodSandbox({ podSandboxId: s.id }).catch(() => {});
  }
}

const dir = mkdtempSync(join(tmpdir(), 'statelet-bench-agent-'));
let runtime: Child | undefined;
let endpoint = arg('--runtime-endpoint');
const image = endpoint ? 'localhost/busybox:local' : 'busybox:1.36';
try {
  mkdirSync(join(dir, 'manifests'));
  for (let i = 0; i < N; i++) writeFileSync(join(dir, 'manifests', `m${i}.yaml`), manifestText(i, image));
  if (!endpoint) {
    endpoint = `unix://${join(dir, 'cri.sock')}`;
    runtime = child([bin, 'runtime', 'serve', '--listen', endpoint, '--state-dir', join(dir, 'runtime')]);
    await runtime.until(/serving CRI v1/, 15_000, 'err');
  }
  const client = new CriClient(endpoint);
  await client.pullImage({ image: { image } }).catch(() => {});

  // Baseline: RuntimeManager, one process.
  const m = child([fileURLToPath(import.meta.url), '--as-manager', endpoint, dir, image, String(N)]);
  const managerStart = await m.until(/ALL-RUNNING/, 300_000);
  const managerRss = rssMiB(m.proc.pid!);
  const managerIdle = await idleCpuPercent(m.proc.pid!, IDLE_S);
  m.proc.kill('SIGTERM');
  await new Promise((r) => m.proc.once('exit', r));
  await removeAll(client, 'bench-manager');

  // The agent.
  const agentArgs = [bin, 'serve', '--pod-manifest-path', join(dir, 'manifests'), '--root-dir', join(dir, 'agent'), '--hostname-override', 'bench-agent', '--runtime-endpoint', endpoint, '--output', 'text', '--max-pods', String(Math.max(110, N))];
  let a = child(agentArgs);
  const agentStart = await waitText(a, 300_000);
  const agentRss = rssMiB(a.proc.pid!);
  const agentIdle = await idleCpuPercent(a.proc.pid!, IDLE_S);
  a.proc.kill('SIGKILL');
  await new Promise((r) => a.proc.once('exit', r));
  a = child(agentArgs);
  const adoptedMs = await a.until(/adopted \d+ pod\(s\) in/, 120_000, 'err');
  const adoptedLine = /adopted (\d+) pod\(s\) in (\d+) ms \((\d+) from checkpoints, (\d+) rebuilt/.exec(a.err);
  const againRunning = await waitText(a, 120_000);
  const afterRestartRss = rssMiB(a.proc.pid!);
  a.proc.kill('SIGKILL');
  await new Promise((r) => a.proc.once('exit', r));
  await removeAll(client, 'bench-agent');
  client.close();

  const results = {
    pods: N,
    runtime: arg('--runtime-endpoint') ? 'containerd' : 'embedded',
    manager: { allRunningMs: managerStart, rssMiB: +managerRss.toFixed(1), idleCpuPercent: +managerIdle.toFixed(2) },
    agent: {
      allRunningMs: agentStart,
      rssMiB: +agentRss.toFixed(1),
      idleCpuPercent: +agentIdle.toFixed(2),
      restartUntilAdoptedMs: adoptedMs,
      adoptionItselfMs: adoptedLine ? Number(adoptedLine[2]) : undefined,
      fromCheckpoints: adoptedLine ? Number(adoptedLine[3]) : undefined,
      restartUntilAllRunningMs: adoptedMs + againRunning,
      rssAfterRestartMiB: +afterRestartRss.toFixed(1),
    },
  };
  if (asJson) console.log(JSON.stringify(results));
  else {
    const row = (k: string, a: string, b: string) => console.log(`| ${k} | ${a} | ${b} |`);
    console.log(`\nnode-agent bench: ${N} pods from a directory, ${results.runtime} runtime, idle CPU over ${IDLE_S} s after a ${SETTLE_S} s settle, node ${process.version}\n`);
    console.log('| | statelet serve | RuntimeManager (one process) |');
    console.log('|---|---|---|');
    row('time until all Running', `${(agentStart / 1000).toFixed(2)} s`, `${(managerStart / 1000).toFixed(2)} s`);
    row('RSS with all running', `${agentRss.toFixed(0)} MiB`, `${managerRss.toFixed(0)} MiB`);
    row(`idle CPU (${N} pods, no probes)`, `${agentIdle.toFixed(2)} % of a core`, `${managerIdle.toFixed(2)} % of a core`);
    row('restart after SIGKILL until every pod adopted', `${(adoptedMs / 1000).toFixed(2)} s (adoption itself ${results.agent.adoptionItselfMs} ms, ${results.agent.fromCheckpoints} from checkpoints)`, 'n/a (no adoption)');
    row('restart after SIGKILL until all Running again', `${(results.agent.restartUntilAllRunningMs / 1000).toFixed(2)} s`, 'n/a');
    console.log('\n| goal | measured | |');
    console.log('|---|---|---|');
    for (const [who, v] of [['RuntimeManager', managerIdle], ['statelet serve', agentIdle]] as const) {
      console.log(`| ${N} running pods, no probes, ${who}: idle CPU over ${IDLE_S} s ≤ 1 % of a core | ${v.toFixed(2)} % | ${v <= 1 ? 'met' : 'NOT met'} |`);
    }
  }
} finally {
  runtime?.proc.kill('SIGTERM');
  if (runtime) await new Promise((r) => runtime!.proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
