// Probe overhead of one RuntimeManager: N pods (default 110, the kubelet's
// default max-pods), each with a startup, a liveness and a readiness probe at
// periodSeconds 1, against the same N pods without probes, in one process.
//
//   node dist/bench/probes.js [--pods 110] [--window 20] [--warmup 5] [--liveness tcp|exec] [--json]
//                             [--only base|probes] [--profile window.cpuprofile] [--fake-mechanisms] [--period 1]
// --fake-mechanisms replaces every probe attempt with an instant success (no I/O), to
// separate the charts' cost from the mechanisms'.
//
// What runs where, so only the manager's own work is counted:
// - the embedded CRI runtime runs in a CHILD process (`node bin/statelet.js
//   runtime serve`), so container bookkeeping and exec spawning are not counted;
// - the probe target (one HTTP server for readiness httpGet, one TCP listener
//   for liveness tcpSocket) runs in another child process and counts requests,
//   which gives the achieved probe rate;
// - containers are `sleep 3600` host processes.
// Probes per pod: startupProbe exec `true` (runs until its first success,
// then stops, as in the kubelet), livenessProbe tcpSocket (or exec `true` with
// --liveness exec: an ExecSync per pod per second, and a process spawn per
// probe in the runtime child), readinessProbe httpGet /healthz.
//
// CPU share = process.cpuUsage() delta over the window / window length (100 % = one core).
// RSS = the highest process.memoryUsage().rss sampled each second in the window.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromPromise } from 'xstate';
import type { RunProbeInput, RunProbeOutput } from '../machines/probe.js';
import { RuntimeManager } from '../src/manager.js';
import { CriClient } from '../src/cri/client.js';
import { loadPod } from '../src/k8s/manifest.js';
import type { Pod, PodStatus } from '../src/k8s/types.js';
import { packageRoot } from '../src/paths.js';

interface Options {
  pods: number;
  windowS: number;
  warmupS: number;
  liveness: 'tcp' | 'exec';
  json: boolean;
  /** Run only one side (debugging); the table needs both. */
  only?: 'base' | 'probes';
  /** Write a V8 CPU profile of the probes run's measurement window to this file. */
  profile?: string;
  /** Replace the probe mechanisms with an instant success (no I/O): the charts' own cost. */
  fakeMechanisms: boolean;
  /** periodSeconds of every probe (the brief's setup: 1; the API default is 10). */
  periodS: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { pods: 110, windowS: 20, warmupS: 5, liveness: 'tcp', json: false, fakeMechanisms: false, periodS: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a.startsWith('--pods')) o.pods = Number(val());
    else if (a.startsWith('--window')) o.windowS = Number(val());
    else if (a.startsWith('--warmup')) o.warmupS = Number(val());
    else if (a.startsWith('--liveness')) {
      const v = val();
      if (v !== 'tcp' && v !== 'exec') throw new Error('--liveness is tcp or exec');
      o.liveness = v;
    } else if (a.startsWith('--only')) {
      const v = val();
      if (v !== 'base' && v !== 'probes') throw new Error('--only is base or probes');
      o.only = v;
    } else if (a.startsWith('--profile')) o.profile = val();
    else if (a === '--fake-mechanisms') o.fakeMechanisms = true;
    else if (a.startsWith('--period')) o.periodS = Number(val());
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node dist/bench/probes.js [--pods 110] [--window 20] [--warmup 5] [--liveness tcp|exec] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const k of ['pods', 'windowS', 'warmupS', 'periodS'] as const) {
    if (!Number.isFinite(o[k]) || o[k] < (k === 'warmupS' ? 0 : 1)) throw new Error(`bad --${k}`);
  }
  return o;
}

// ---------------------------------------------------------------- children

function startRuntimeChild(sock: string): { child: ChildProcess; endpoint: string } {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'statelet.js'), 'runtime', 'serve', '--listen', `unix://${sock}`, '--auto-pull-images'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, endpoint: `unix://${sock}` };
}

async function waitForRuntime(endpoint: string): Promise<void> {
  const client = new CriClient({ endpoint, runtimeRequestTimeoutMs: 2_000 });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await client.version();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`runtime on ${endpoint} did not answer`);
  } finally {
    client.close();
  }
}

/** The probe target: counts HTTP requests and TCP connections; GET /count answers {http, tcp}. */
const TARGET_SRC = `
const http = require('node:http'), net = require('node:net');
let h = 0, t = 0;
const hs = http.createServer((req, res) => {
  if (req.url === '/count') { res.end(JSON.stringify({ http: h, tcp: t })); return; }
  h++; res.end('ok');
});
const ts = net.createServer((s) => { t++; s.on('error', () => {}); s.end(); });
hs.listen(0, '127.0.0.1', () => ts.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ http: hs.address().port, tcp: ts.address().port }) + '\\n');
}));
`;

async function startTarget(): Promise<{ child: ChildProcess; httpPort: number; tcpPort: number }> {
  const child = spawn(process.execPath, ['-e', TARGET_SRC], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (c) => reject(new Error(`probe target exited (${c})`)));
  });
  const ports = JSON.parse(line) as { http: number; tcp: number };
  return { child, httpPort: ports.http, tcpPort: ports.tcp };
}

async function targetCounts(port: number): Promise<{ http: number; tcp: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/count`);
  return (await res.json()) as { http: number; tcp: number };
}

// ---------------------------------------------------------------- pods

function makePod(run: string, i: number, probes: boolean, opts: Options, ports: { httpPort: number; tcpPort: number }): Pod {
  const container: Record<string, unknown> = { name: 'app', image: 'localhost/bench:1', command: ['sleep', '3600'] };
  if (probes) {
    container.startupProbe = { exec: { command: ['true'] }, periodSeconds: opts.periodS, failureThreshold: 30 };
    container.livenessProbe =
      opts.liveness === 'exec'
        ? { exec: { command: ['true'] }, periodSeconds: opts.periodS, failureThreshold: 3 }
        : { tcpSocket: { port: ports.tcpPort }, periodSeconds: opts.periodS, failureThreshold: 3 };
    container.readinessProbe = { httpGet: { path: '/healthz', port: ports.httpPort }, periodSeconds: opts.periodS, failureThreshold: 3 };
  }
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${run}-${i}`, namespace: 'bench' },
    spec: { terminationGracePeriodSeconds: 2, restartPolicy: 'Always', containers: [container] },
  };
  return loadPod(JSON.stringify(manifest), `bench-${run}-${i}`);
}

const isReady = (s: PodStatus | undefined): boolean =>
  s?.phase === 'Running' && !!s.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

interface Measurement {
  run: string;
  pods: number;
  readyAfterMs: number;
  cpuPercent: number;
  userMs: number;
  systemMs: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** After a full GC at the end of the window: live heap, and RSS then. */
  heapLiveMiB: number;
  rssAfterGcMiB: number;
  httpProbesPerS: number;
  tcpProbesPerS: number;
  eventsInWindow: number;
  unhealthyInWindow: number;
}

async function measure(run: string, probes: boolean, opts: Options, endpoint: string, target: { httpPort: number; tcpPort: number }): Promise<Measurement> {
  const manager = new RuntimeManager({
    endpoint,
    relistPeriodMs: 1_000,
    ...(opts.fakeMechanisms ? { actors: { runProbe: fromPromise<RunProbeOutput, RunProbeInput>(async () => ({ result: 'success', output: '', at: Date.now() })) } } : {}),
  });
  await manager.start();
  let events = 0;
  let unhealthy = 0;
  const sub = manager.events$.subscribe((e) => {
    events++;
    if (e.reason === 'Unhealthy') unhealthy++;
  });
  const t0 = Date.now();
  const uids: string[] = [];
  for (let i = 0; i < opts.pods; i++) uids.push(manager.addPod(makePod(run, i, probes, opts, target)));
  for (;;) {
    const ready = uids.filter((u) => isReady(manager.getStatus(u))).length;
    if (ready === uids.length) break;
    if (Date.now() - t0 > 120_000) throw new Error(`${run}: only ${ready}/${uids.length} pods ready after 120 s`);
    await sleep(250);
  }
  const readyAfterMs = Date.now() - t0;
  await sleep(opts.warmupS * 1000);

  (globalThis as { gc?: () => void }).gc?.();
  const profiler = probes && opts.profile ? await startProfiler() : undefined;
  events = 0;
  unhealthy = 0;
  const n0 = await targetCounts(target.httpPort);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let rss = 0;
  let heap = 0;
  for (let s = 0; s < opts.windowS; s++) {
    await sleep(1000);
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }
  const cpu = process.cpuUsage(c0);
  const wallUs = (performance.now() - w0) * 1000;
  if (profiler) await profiler.stop(opts.profile!);
  const n1 = await targetCounts(target.httpPort);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const afterGc = process.memoryUsage();
  const windowEvents = events;
  const windowUnhealthy = unhealthy;
  sub.unsubscribe();

  await Promise.all(uids.map((u) => manager.deletePod(u, { gracePeriodSeconds: 1 })));
  await manager.close();
  const secs = wallUs / 1e6;
  return {
    run,
    pods: opts.pods,
    readyAfterMs,
    cpuPercent: ((cpu.user + cpu.system) / wallUs) * 100,
    userMs: cpu.user / 1000,
    systemMs: cpu.system / 1000,
    rssMiB: rss / 2 ** 20,
    heapUsedMiB: heap / 2 ** 20,
    heapLiveMiB: afterGc.heapUsed / 2 ** 20,
    rssAfterGcMiB: afterGc.rss / 2 ** 20,
    httpProbesPerS: (n1.http - n0.http) / secs,
    tcpProbesPerS: (n1.tcp - n0.tcp) / secs,
    eventsInWindow: windowEvents,
    unhealthyInWindow: windowUnhealthy,
  };
}

/** A V8 CPU profile of just the window (node:inspector, in-process). */
async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
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

function table(rows: Measurement[], opts: Options): string {
  const [b, p] = rows as [Measurement, Measurement];
  const f = (n: number, d = 2) => n.toFixed(d);
  const lines: Array<[string, string, string, string]> = [
    ['', 'baseline', 'probes', 'delta'],
    ['pods', String(b.pods), String(p.pods), ''],
    ['all ready after (s)', f(b.readyAfterMs / 1000, 1), f(p.readyAfterMs / 1000, 1), ''],
    ['CPU (% of one core)', f(b.cpuPercent), f(p.cpuPercent), f(p.cpuPercent - b.cpuPercent)],
    ['  user / system (ms)', `${f(b.userMs, 0)} / ${f(b.systemMs, 0)}`, `${f(p.userMs, 0)} / ${f(p.systemMs, 0)}`, ''],
    ['RSS max (MiB)', f(b.rssMiB, 1), f(p.rssMiB, 1), f(p.rssMiB - b.rssMiB, 1)],
    ['heap used max (MiB)', f(b.heapUsedMiB, 1), f(p.heapUsedMiB, 1), f(p.heapUsedMiB - b.heapUsedMiB, 1)],
    ['heap live after GC (MiB)', f(b.heapLiveMiB, 1), f(p.heapLiveMiB, 1), f(p.heapLiveMiB - b.heapLiveMiB, 1)],
    ['RSS after GC (MiB)', f(b.rssAfterGcMiB, 1), f(p.rssAfterGcMiB, 1), f(p.rssAfterGcMiB - b.rssAfterGcMiB, 1)],
    ['httpGet probes/s', f(b.httpProbesPerS, 1), f(p.httpProbesPerS, 1), ''],
    [opts.liveness === 'tcp' ? 'tcpSocket probes/s' : 'tcp connections/s', f(b.tcpProbesPerS, 1), f(p.tcpProbesPerS, 1), ''],
    ['events in window', String(b.eventsInWindow), String(p.eventsInWindow), ''],
    ['Unhealthy in window', String(b.unhealthyInWindow), String(p.unhealthyInWindow), ''],
  ];
  const w = [0, 1, 2, 3].map((i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('   ')).join('\n');
}

async function main(): Promise<void> {
  // A full GC before and after each window needs --expose-gc: re-run with it.
  if (!(globalThis as { gc?: unknown }).gc && !process.env.STATELET_BENCH_CHILD) {
    const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, STATELET_BENCH_CHILD: '1' },
    });
    process.exitCode = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  const idleRss = process.memoryUsage().rss / 2 ** 20;
  const dir = mkdtempSync(join(tmpdir(), 'statelet-bench-probes-'));
  const rt = startRuntimeChild(join(dir, 'cri.sock'));
  const target = await startTarget();
  const children = [rt.child, target.child];
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    await waitForRuntime(rt.endpoint);
    const rows: Measurement[] = [];
    if (opts.only !== 'probes') rows.push(await measure('base', false, opts, rt.endpoint, target));
    if (opts.only !== 'base') rows.push(await measure('probe', true, opts, rt.endpoint, target));
    if (opts.json || rows.length < 2) {
      console.log(JSON.stringify({ options: opts, rows }, null, 2));
    } else {
      console.log(
        `statelet probe bench: ${opts.pods} pods, probes at periodSeconds ${opts.periodS}${opts.fakeMechanisms ? ' with FAKE mechanisms (no I/O)' : ''} (startup exec until started, liveness ${opts.liveness === 'tcp' ? 'tcpSocket' : 'exec'}, readiness httpGet), ` +
          `window ${opts.windowS} s after ${opts.warmupS} s warm-up; runtime and probe target in child processes (not counted); node ${process.version}`,
      );
      console.log(`process RSS before any manager: ${idleRss.toFixed(1)} MiB`);
      console.log(table(rows, opts));
      const [b, p] = rows as [Measurement, Measurement];
      const cost = p.cpuPercent - b.cpuPercent;
      const probesPerS = p.httpProbesPerS + p.tcpProbesPerS;
      console.log('');
      console.log('| goal | measured | |');
      console.log('|---|---|---|');
      console.log(
        `| ${opts.pods} pods × 3 probes at ${opts.periodS} s: the probes' CPU (probes run − baseline run) ≤ 5 % of a core | ` +
          `${cost.toFixed(2)} % (${p.cpuPercent.toFixed(2)} − ${b.cpuPercent.toFixed(2)}; ${probesPerS > 0 ? `${((cost * 10_000) / probesPerS).toFixed(0)} µs per probe attempt` : 'no attempts counted'}) | ${cost <= 5 ? 'met' : 'NOT met'} |`,
      );
    }
  } finally {
    cleanup();
    await new Promise<void>((r) => (rt.child.exitCode !== null ? r() : rt.child.once('exit', () => r())));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench/probes: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
