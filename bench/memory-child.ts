// One figure of bench/memory, in a fresh process:
//   node --expose-gc dist/bench/memory-child.js <figure> [args...]
// prints one JSON Sample line. It has no static imports (only types), so that
// its own modules do not count in the figure: what it needs (the entry, a
// dependency, node:v8 for the heap spaces) is imported when the figure asks.
import type { Sample } from './memory.js';

/** The entry's module namespace, typed by the source it is compiled from. */
type Entry = typeof import('../src/index.js');

const ENTRY = new URL('../src/index.js', import.meta.url).href;
const MiB = 2 ** 20;
const IMAGE = 'busybox:1.36';
const gc = (globalThis as { gc?: () => void }).gc;

async function settle(ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  gc?.();
  await new Promise((r) => setImmediate(r));
  gc?.();
}

/** RSS and heap first, then the heap spaces (node:v8 is loaded after the RSS is read). */
async function sample(): Promise<Sample> {
  const m = process.memoryUsage();
  const v8 = await import('node:v8');
  const space = (name: string) => (v8.getHeapSpaceStatistics().find((s) => s.space_name === name)?.physical_space_size ?? 0) / MiB;
  return { rssMiB: m.rss / MiB, heapMiB: m.heapUsed / MiB, newSpaceMiB: space('new_space'), oldSpaceMiB: space('old_space') };
}

async function runPods(entry: Entry, endpoint: string, n: number, logs: string, steadyMs: number): Promise<Sample> {
  const client = new entry.CriClient({ endpoint });
  const manager = new entry.RuntimeManager({ client, podLogsDir: logs, runtimeName: 'statelet' });
  await manager.start();
  const seen = new Set<string>();
  let target = 0;
  let wake: (() => void) | undefined;
  manager.status$.subscribe(({ pod, status }) => {
    if (seen.has(pod.metadata.uid!) || !status.containerStatuses?.[0]?.state.running) return;
    seen.add(pod.metadata.uid!);
    if (seen.size === target) wake?.();
  });
  const addPods = async (from: number, to: number): Promise<void> => {
    target = to;
    const done = new Promise<void>((r) => (wake = r));
    for (let i = from; i < to; i++) {
      manager.addPod(
        entry.applyDefaults({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `mem-${i}`, namespace: 'bench', uid: `mem-${i}` },
          spec: { containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
        }),
      );
    }
    await done;
    // Let the last status flushes and relists of the start-up burst pass.
    await settle(3000);
  };
  // Steady state: V8 keeps the young generation the start-up burst grew (to
  // 2 x 16 MiB) until a memory-reducing GC, or a full GC that finds the
  // allocation rate low (Heap::ShouldReduceNewSpaceSize: under 1000 bytes/ms
  // over the last 5 s), shrinks it. Left alone with 110 pods relisting every
  // second, that happened between 45 s and 60 s after the burst here (RSS 123
  // -> 80 MiB). The figure is taken after `steadyMs` (default 60 s) and a full
  // GC: where a long-running agent spends its time.
  const steady = async (): Promise<Sample> => {
    await settle(steadyMs);
    // A relist in flight at the GC holds a response or two (~100 KiB at 110
    // pods); of three samples a second apart, the one with the least heap is
    // the agent's own state.
    let best = await sample();
    for (let i = 0; i < 2; i++) {
      await settle(1000);
      const s = await sample();
      if (s.heapMiB < best.heapMiB) best = s;
    }
    return best;
  };
  await addPods(0, n);
  const burst = await sample();
  const atN = await steady();
  await addPods(n, 2 * n);
  const at2n = await steady();
  await manager.close();
  client.close();
  return { ...atN, burstRssMiB: burst.rssMiB, burstNewSpaceMiB: burst.newSpaceMiB, heap2nMiB: at2n.heapMiB, perPodKiB: ((at2n.heapMiB - atN.heapMiB) * 1024) / n };
}

async function figure(name: string, rest: string[]): Promise<Sample> {
  if (name === 'bare') {
    await settle();
    return sample();
  }
  if (name === 'dep') {
    await import(rest[0]!);
    await settle();
    return sample();
  }
  const entry = (await import(ENTRY)) as Entry;
  if (name === 'entry') {
    await settle();
    return sample();
  }
  if (name === 'client' || name === 'client-call') {
    const client = new entry.CriClient({ endpoint: rest[0]! });
    if (name === 'client-call') await client.version();
    await settle();
    const s = await sample();
    client.close();
    return s;
  }
  if (name === 'pods') return runPods(entry, rest[0]!, Number(rest[1]), rest[2]!, Number(rest[3] ?? 60000));
  throw new Error(`unknown figure ${name}`);
}

const [name, ...rest] = process.argv.slice(2);
figure(name!, rest).then(
  // Exit at once: the figure is taken, and nothing the child opened matters after it.
  (s) => process.stdout.write(JSON.stringify(s) + '\n', () => process.exit(0)),
  (err) => {
    process.stderr.write(`bench/memory-child ${name}: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
