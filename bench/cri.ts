// CRI call latency, embedded runtime vs containerd, in one run.
//
//   node dist/bench/cri.js [--n 30] [--host-network] [--json]
//
// Each iteration drives one pod through the kubelet's sequence of calls
// (Version, Status, RunPodSandbox, PodSandboxStatus, CreateContainer,
// StartContainer, ContainerStatus, ListContainers, ExecSync, StopContainer,
// RemoveContainer, StopPodSandbox, RemovePodSandbox, ImageStatus), timing
// every call; one warm-up iteration per runtime is not counted. Calls run
// one at a time, so the numbers are latencies, not throughput.
//
// The embedded runtime is started in this process (its server shares the
// event loop with the client). containerd is used when
// STATELET_CONTAINERD_ENDPOINT is set; otherwise, on Linux as root with
// containerd installed (or STATELET_CONTAINERD=1 / CI=true to allow apt), it
// is started with scripts/containerd-up.sh and stopped again at the end.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { runtimeTargets, type RuntimeEnv, type RuntimeName } from '../test/helpers/runtimes.js';

const CALLS = [
  'Version',
  'Status',
  'RunPodSandbox',
  'PodSandboxStatus',
  'CreateContainer',
  'StartContainer',
  'ContainerStatus',
  'ListContainers',
  'ExecSync',
  'StopContainer',
  'RemoveContainer',
  'StopPodSandbox',
  'RemovePodSandbox',
  'ImageStatus',
] as const;
type Call = (typeof CALLS)[number];

function parseArgs(argv: string[]): { n: number; hostNetwork: boolean; json: boolean } {
  let n = 30;
  let hostNetwork = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--n' || a === '-n') n = Number(argv[++i]);
    else if (a.startsWith('--n=')) n = Number(a.slice(4));
    else if (a === '--host-network') hostNetwork = true;
    else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node dist/bench/cri.js [--n 30] [--host-network] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(n) || n < 1) throw new Error('--n must be a positive integer');
  return { n, hostNetwork, json };
}

// ---------------------------------------------------------------- containerd

const LAB = (process.env.STATELET_CONTAINERD_DIR || '/tmp/statelet-containerd').replace(/\/+$/, '');

function labAlive(): boolean {
  try {
    const pid = readFileSync(join(LAB, 'containerd.pid'), 'utf8').trim();
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`containerd --config ${LAB}/config.toml`);
  } catch {
    return false;
  }
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, bin)));
}

/** Returns the endpoint and whether we must stop it afterwards, or the reason it is unavailable. */
function ensureContainerd(): { endpoint?: string; started: boolean; skip?: string } {
  const set = process.env.STATELET_CONTAINERD_ENDPOINT;
  if (set) return { endpoint: set, started: false };
  if (process.env.STATELET_CONTAINERD === '0') return { started: false, skip: 'STATELET_CONTAINERD=0' };
  if (process.platform !== 'linux') return { started: false, skip: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { started: false, skip: 'not root' };
  const aptAllowed = process.env.CI === 'true' || process.env.STATELET_CONTAINERD === '1';
  if (!onPath('containerd') && !aptAllowed) return { started: false, skip: 'containerd not installed (STATELET_CONTAINERD=1 installs it with apt)' };
  const reuse = labAlive();
  const up = spawnSync('bash', [join(packageRoot(), 'scripts', 'containerd-up.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, STATELET_CONTAINERD_DIR: LAB, STATELET_CONTAINERD_NO_APT: aptAllowed ? '0' : '1' },
  });
  const endpoint = (up.stdout ?? '').trim().split('\n').pop()?.trim() ?? '';
  if (up.status !== 0 || !endpoint.startsWith('unix://')) return { started: !reuse, skip: `containerd-up.sh failed (exit ${up.status})` };
  return { endpoint, started: !reuse };
}

function stopContainerd(): void {
  spawnSync('bash', [join(packageRoot(), 'scripts', 'containerd-down.sh')], {
    stdio: 'ignore',
    env: { ...process.env, STATELET_CONTAINERD_DIR: LAB },
  });
}

// ---------------------------------------------------------------- measuring

async function timed<T>(samples: number[] | undefined, fn: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  samples?.push(Number(process.hrtime.bigint() - t0) / 1e6);
  return r;
}

const TERM_HANDLER = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1 & wait; done'];

/** One pod through the kubelet's call sequence; samples are recorded unless `warmup`. */
async function iteration(rt: RuntimeEnv, i: number, out: Record<Call, number[]>, warmup: boolean, hostNetwork: boolean): Promise<void> {
  const s = (c: Call) => (warmup ? undefined : out[c]);
  const c = rt.client;
  await timed(s('Version'), () => c.version());
  await timed(s('Status'), () => c.status());
  const config = rt.sandboxConfig(`bench${i}`, { hostNetwork });
  const { podSandboxId } = await timed(s('RunPodSandbox'), () => c.runPodSandbox({ config }));
  await timed(s('PodSandboxStatus'), () => c.podSandboxStatus({ podSandboxId }));
  const cc = rt.containerConfig('app', TERM_HANDLER);
  const { containerId } = await timed(s('CreateContainer'), () => c.createContainer({ podSandboxId, config: cc, sandboxConfig: config }));
  await timed(s('StartContainer'), () => c.startContainer({ containerId }));
  await timed(s('ContainerStatus'), () => c.containerStatus({ containerId }));
  await timed(s('ListContainers'), () => c.listContainers({}));
  await timed(s('ExecSync'), () => c.execSync({ containerId, cmd: ['true'], timeout: 10 }));
  await timed(s('StopContainer'), () => c.stopContainer({ containerId, timeout: 10 }));
  await timed(s('RemoveContainer'), () => c.removeContainer({ containerId }));
  await timed(s('StopPodSandbox'), () => c.stopPodSandbox({ podSandboxId }));
  await timed(s('RemovePodSandbox'), () => c.removePodSandbox({ podSandboxId }));
  await timed(s('ImageStatus'), () => c.imageStatus({ image: { image: rt.image } }));
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const a = [...xs].sort((x, y) => x - y);
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

const fmt = (x: number) => (Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));

async function main(): Promise<void> {
  const { n, hostNetwork, json } = parseArgs(process.argv.slice(2));
  const cd = ensureContainerd();
  if (cd.endpoint) process.env.STATELET_CONTAINERD_ENDPOINT = cd.endpoint;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      if (cd.started) stopContainerd(); // its pods and containers go with it
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  const results: Partial<Record<RuntimeName, Record<Call, number[]>>> = {};
  const notes: string[] = [];
  if (cd.skip) notes.push(`containerd: skipped (${cd.skip})`);
  try {
    for (const target of runtimeTargets()) {
      const rt = await target.setup();
      const samples = Object.fromEntries(CALLS.map((c) => [c, [] as number[]])) as Record<Call, number[]>;
      try {
        await iteration(rt, 0, samples, true, hostNetwork);
        for (let i = 1; i <= n; i++) await iteration(rt, i, samples, false, hostNetwork);
        const v = await rt.client.version();
        notes.push(`${target.name}: ${v.runtimeName} ${v.runtimeVersion} at ${rt.endpoint}`);
      } finally {
        await rt.teardown();
      }
      results[target.name] = samples;
    }
  } finally {
    if (cd.started) stopContainerd();
  }

  const names = Object.keys(results) as RuntimeName[];
  if (json) {
    const o: Record<string, Record<string, { p50: number; p90: number; n: number }>> = {};
    for (const name of names) {
      o[name] = {};
      for (const c of CALLS) o[name]![c] = { p50: quantile(results[name]![c], 0.5), p90: quantile(results[name]![c], 0.9), n: results[name]![c].length };
    }
    console.log(JSON.stringify({ n, hostNetwork, notes, results: o }, null, 2));
    return;
  }
  const perPod = (name: RuntimeName, q: number) => {
    // Per-pod total: the sum of each iteration's calls, then the quantile.
    const r = results[name]!;
    const totals = r.Version.map((_, i) => CALLS.reduce((sum, c) => sum + (r[c][i] ?? 0), 0));
    return quantile(totals, q);
  };
  const header = ['call', ...names.flatMap((nm) => [`${nm} p50`, `${nm} p90`])];
  const rows = CALLS.map((c) => [c, ...names.flatMap((nm) => [fmt(quantile(results[nm]![c], 0.5)), fmt(quantile(results[nm]![c], 0.9))])]);
  rows.push(['whole pod (sum)', ...names.flatMap((nm) => [fmt(perPod(nm, 0.5)), fmt(perPod(nm, 0.9))])]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`CRI call latency in ms, ${n} sequential pods per runtime (1 warm-up not counted), ${hostNetwork ? 'host network' : 'pod network'}`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  for (const note of notes) console.log(note);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
