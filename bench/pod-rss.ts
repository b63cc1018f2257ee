// The manager's memory at N running pods, in a process that loads only what an
// embedder's agent would: the manager, the CRI client and the manifest loader.
// Run by bench/pod-start (node --expose-gc dist/bench/pod-rss.js <endpoint> <n> <logdir>);
// prints one JSON line { pods, rssMiB, heapMiB, idleRssMiB }.
import { CriClient } from '../src/cri/client.js';
import { RuntimeManager } from '../src/manager.js';
import { applyDefaults } from '../src/k8s/manifest.js';

const [endpoint, nArg, logs] = process.argv.slice(2);
const n = Number(nArg ?? 110);
const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const client = new CriClient({ endpoint: endpoint! });
  const manager = new RuntimeManager({ client, podLogsDir: logs ?? '/tmp/statelet-bench-rss', runtimeName: 'statelet' });
  await manager.start();
  gc?.();
  const idle = process.memoryUsage().rss;
  let running = 0;
  const seen = new Set<string>();
  const all = new Promise<void>((resolve) => {
    manager.status$.subscribe(({ pod, status }) => {
      if (seen.has(pod.metadata.uid!) || !status.containerStatuses?.[0]?.state.running) return;
      seen.add(pod.metadata.uid!);
      if (++running === n) resolve();
    });
  });
  for (let i = 0; i < n; i++) {
    manager.addPod(
      applyDefaults({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `rss-${i}`, namespace: 'bench', uid: `rss-${i}` },
        spec: { containers: [{ name: 'app', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
      }),
    );
  }
  await all;
  // Let the relist and status flushes settle, as a steady agent would be.
  await new Promise((r) => setTimeout(r, 3000));
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ pods: n, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, idleRssMiB: idle / 2 ** 20 }) + '\n');
  await manager.close();
  client.close();
}

main().catch((err) => {
  process.stderr.write(`bench/pod-rss: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
