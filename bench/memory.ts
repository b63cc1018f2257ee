// bench/memory: what statelet costs in memory, against bare Node and its own
// dependencies, in one run. Every figure is taken in a fresh child process (a
// module once loaded never leaves, so figures taken in one process would
// include each other); the embedded runtime the pod figures run against is
// another child, so its memory is not counted.
//
//   node dist/bench/memory.js [--pods 110] [--steady-ms 60000] [--json]
//
// Rows: bare Node; each heavy dependency imported alone; the package entry
// (package.json "exports" ".", as external benchmarks import it); the entry
// plus one CriClient (constructed, then after its first call); the lean agent
// (entry + CriClient + RuntimeManager, as bench/pod-rss) at N running
// one-container pods, 3 s after the last one runs and again in the steady state
// (--steady-ms later, relisting all along); and the marginal heap per pod,
// (heap at 2N - heap at N) / N, both steady. Every figure is read after a full
// GC (`--expose-gc`). Goals come from issue 15.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./memory-child.js', import.meta.url));
const DEPS = ['xstate', 'rxjs', '@grpc/grpc-js', '@grpc/proto-loader', 'yaml', 'ws', 'prom-client', '@statelyai/inspect', 'elkjs'] as const;

/** What a child prints (bench/memory-child.ts). */
export interface Sample {
  rssMiB: number;
  heapMiB: number;
  /** V8's young generation as committed (physical), MiB: it grows under allocation bursts and is part of RSS. */
  newSpaceMiB: number;
  oldSpaceMiB: number;
  /** The pods figure only: RSS and young generation 3 s after the start-up burst (the other fields are the steady state). */
  burstRssMiB?: number;
  burstNewSpaceMiB?: number;
  /** Marginal heap per pod, KiB, and the steady heap at 2N. */
  perPodKiB?: number;
  heap2nMiB?: number;
}

// ---------------------------------------------------------------- parent

function measure(figure: string, ...rest: string[]): Promise<Sample> {
  return measureWith([], figure, ...rest);
}

function measureWith(nodeFlags: string[], figure: string, ...rest: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', ...nodeFlags, CHILD, figure, ...rest], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`bench/memory: child ${figure} exited ${code}`));
      else resolve(JSON.parse(out) as Sample);
    });
  });
}

/** The pods figure against a runtime of its own, so no figure sees another's pods. */
async function measurePods(dir: string, nodeFlags: string[], n: number, steadyMs: number): Promise<Sample> {
  const rt = await startRuntime(dir);
  try {
    return await measureWith(nodeFlags, 'pods', rt.endpoint, String(n), join(dir, 'pods'), String(steadyMs));
  } finally {
    await stopRuntime(rt.proc);
  }
}

async function stopRuntime(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.on('exit', r));
  proc.kill('SIGTERM');
  await exited;
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

/** Heap used, and V8's committed young and old generations (they are most of an idle process's anonymous RSS). */
function notes(s: Sample): string {
  return `heap ${s.heapMiB.toFixed(1)} MiB; V8 new space ${s.newSpaceMiB.toFixed(1)}, old space ${s.oldSpaceMiB.toFixed(1)} MiB committed`;
}

interface Row {
  figure: string;
  value: number;
  unit: string;
  goal?: { max: number; text: string };
  note?: string;
}

async function parent(args: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const n = Number(arg('--pods') ?? 110);
  const steadyMs = Number(arg('--steady-ms') ?? 60000);
  const asJson = args.includes('--json');
  const dir = mkdtempSync(join(tmpdir(), 'statelet-bench-mem-'));
  const { proc, endpoint } = await startRuntime(dir);
  const rows: Row[] = [];
  try {
    const bare = await measure('bare');
    rows.push({ figure: 'bare Node (baseline)', value: bare.rssMiB, unit: 'MiB RSS', note: notes(bare) });
    for (const dep of DEPS) {
      const s = await measure('dep', dep);
      rows.push({ figure: `import '${dep}' alone (baseline)`, value: s.rssMiB, unit: 'MiB RSS', note: `+${(s.rssMiB - bare.rssMiB).toFixed(1)} MiB over bare` });
    }
    const entry = await measure('entry');
    rows.push({ figure: 'import the package entry', value: entry.rssMiB, unit: 'MiB RSS', goal: { max: 55, text: '≤ 55' }, note: notes(entry) });
    const client = await measure('client', endpoint);
    rows.push({ figure: 'entry + new CriClient', value: client.rssMiB, unit: 'MiB RSS', note: notes(client) });
    const call = await measure('client-call', endpoint);
    rows.push({ figure: 'entry + CriClient + one call (Version)', value: call.rssMiB, unit: 'MiB RSS', note: notes(call) });
    const pods = await measurePods(join(dir, 'pods'), [], n, steadyMs);
    rows.push({
      figure: `lean agent at ${n} running pods, 3 s after they all run`,
      value: pods.burstRssMiB!,
      unit: 'MiB RSS',
      note: `V8 new space ${pods.burstNewSpaceMiB!.toFixed(1)} MiB committed (grown by the start-up burst)`,
    });
    rows.push({ figure: `lean agent at ${n} running pods, steady (${steadyMs / 1000} s later)`, value: pods.rssMiB, unit: 'MiB RSS', goal: { max: 80, text: '≤ 80' }, note: notes(pods) });
    rows.push({
      figure: `marginal heap per pod (1 container), ${n} → ${2 * n} pods, steady`,
      value: pods.perPodKiB!,
      unit: 'KiB heap',
      goal: { max: 20, text: '≤ 20' },
      note: `heap ${pods.heapMiB.toFixed(1)} → ${pods.heap2nMiB!.toFixed(1)} MiB`,
    });
    // Diagnostic, not a result: the same run with V8's young generation capped,
    // to show how much of the figure above is young generation kept from the burst.
    const capped = await measurePods(join(dir, 'capped'), ['--max-semi-space-size=2'], n, steadyMs);
    rows.push({
      figure: `(diagnostic) the same, steady, under node --max-semi-space-size=2`,
      value: capped.rssMiB,
      unit: 'MiB RSS',
      note: `${notes(capped)}; marginal heap ${capped.perPodKiB!.toFixed(1)} KiB/pod`,
    });
  } finally {
    await stopRuntime(proc);
    rmSync(dir, { recursive: true, force: true });
  }
  if (asJson) {
    process.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  const lines = [
    `bench/memory: Node ${process.version}, ${process.platform}/${process.arch}; each figure in a fresh process, after a full GC`,
    '',
    '| figure | value | goal | result | note |',
    '|---|---:|---:|---|---|',
    ...rows.map((r) => `| ${r.figure} | ${r.value.toFixed(1)} ${r.unit} | ${r.goal?.text ?? ''} | ${r.goal ? (r.value <= r.goal.max ? 'pass' : 'miss') : ''} | ${r.note ?? ''} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

parent(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`bench/memory: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
