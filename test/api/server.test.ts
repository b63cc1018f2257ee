// The node API over a RuntimeManager, on the embedded runtime and on containerd:
// every endpoint, the Prometheus metrics read back with a real text-format parser
// and checked to move as pods start, restart and are probed, logs followed across
// a container restart with --previous semantics, exec's exit code over the unix
// socket, and the Host/Origin and bind-address guards.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { runtimeTargets, TEST_IMAGE, type RuntimeEnv } from '../helpers/runtimes.js';
import { CriClient } from '../../src/cri/client.js';
import { RuntimeManager } from '../../src/manager.js';
import { loadPod } from '../../src/k8s/manifest.js';
import type { Pod } from '../../src/k8s/types.js';
import { NodeMetrics } from '../../src/api/metrics.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { execOverSocket } from '../../src/cli/exec.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function http(url: string, opts: { headers?: Record<string, string>; method?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * /metrics read with parse-prometheus-text-format. That parser folds a histogram with
 * labels into one unlabelled sample, so histograms are read a second time with their
 * TYPE line made untyped: their _bucket, _sum and _count series then come as families
 * of their own, labels kept.
 */
interface Families {
  types: Map<string, ParsedFamily['type']>;
  series: Map<string, ParsedFamily>;
}
function families(text: string): Families {
  const typed = parsePrometheusTextFormat(text);
  const series = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'));
  // Series of one histogram alternate (buckets, sum, count per label set): gather them by name.
  const byName = new Map<string, ParsedFamily>();
  for (const f of series) {
    const had = byName.get(f.name);
    if (had) had.metrics.push(...f.metrics);
    else byName.set(f.name, { ...f, metrics: [...f.metrics] });
  }
  return { types: new Map(typed.map((f) => [f.name, f.type])), series: byName };
}

/** A counter's or gauge's value, or a histogram's count, summed over the samples whose labels include `labels`. */
function sample(f: Families, name: string, labels: Record<string, string> = {}): number {
  const type = f.types.get(name);
  if (!type) return Number.NaN;
  const fam = f.series.get(type === 'HISTOGRAM' ? `${name}_count` : name);
  const matches = (fam?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return matches.reduce((sum, m) => sum + Number(m.value ?? 0), 0);
}

/** A histogram's sum for the labels given. */
function histogramSum(f: Families, name: string, labels: Record<string, string> = {}): number {
  const fam = f.series.get(`${name}_sum`);
  return (fam?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).reduce((s, m) => s + Number(m.value ?? 0), 0);
}

/** The `le` bounds of a histogram. */
function buckets(f: Families, name: string): string[] {
  return [...new Set((f.series.get(`${name}_bucket`)?.metrics ?? []).map((m) => m.labels?.['le'] ?? ''))];
}

function manifest(name: string, image: string, run: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: { statelet-test-run: "${run}" }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]
    readinessProbe:
      exec: { command: ["true"] }
      periodSeconds: 1
  - name: crash
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "id=$(cat /proc/sys/kernel/random/uuid); for i in 1 2 3 4; do echo \\"$id $i\\"; sleep 0.4; done; exit 3"]
    readinessProbe:
      exec: { command: ["false"] }
      periodSeconds: 1
`;
}

for (const target of runtimeTargets()) {
  describe(`node API over a RuntimeManager (${target.name})`, { concurrency: false }, () => {
    let rt: RuntimeEnv;
    let raw: CriClient;
    let manager: RuntimeManager;
    let metrics: NodeMetrics;
    let api: ApiServer;
    let pod: Pod;
    const run = randomBytes(4).toString('hex');
    const extra: ApiServer[] = [];
    // The embedded runtime pulls (records) any image: the pull metric moves there.
    const image = target.name === 'embedded' ? 'busybox:1.36' : TEST_IMAGE;
    const ns = 'default';
    const status = () => manager.getStatus(pod.metadata.uid!);
    const cstatus = (name: string) => status()?.containerStatuses?.find((c) => c.name === name);
    const scrape = async (path = '/metrics') => {
      const r = await http(api.url + path);
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      return families(r.body);
    };

    before(async () => {
      rt = await target.setup();
      raw = new CriClient({ endpoint: rt.endpoint, runtimeRequestTimeoutMs: 20_000 });
      metrics = new NodeMetrics({ nodeName: 'node-a' });
      const client = metrics.instrumentRuntime(raw);
      manager = new RuntimeManager({
        client,
        relistPeriodMs: 300,
        transitions: true,
        backOff: { initialMs: 1000, maxMs: 2000 },
        podLogsDir: join(rt.tmpDir, 'pod-logs'),
        rootDir: join(rt.tmpDir, 'kubelet'),
        wrapActors: (a) => ({ runProbe: metrics.instrumentProbe(a.runProbe) }),
      });
      metrics.observe(manager, { runtime: raw, sandboxSelector: { 'statelet-test-run': run } });
      await manager.start();
      api = await startApiServer({
        manager,
        runtime: client,
        info: { nodeName: 'node-a', runtimeEndpoint: rt.endpoint, rootDir: rt.tmpDir },
        metrics,
        port: 0,
        execSocket: join(rt.tmpDir, 'statelet.sock'),
        sandboxSelector: { 'statelet-test-run': run },
      });
      pod = loadPod(manifest(`web-${run}`, image, run));
      manager.addPod(pod);
      await until('the pod Running, app ready, a relist done', () => status()?.phase === 'Running' && cstatus('app')?.ready && manager.pleg?.lastRelistAt !== undefined);
    });

    after(async () => {
      for (const s of extra) await s.close();
      await api?.close();
      if (pod && manager?.hasPod(pod.metadata.uid!)) await manager.deletePod(pod.metadata.uid!, { gracePeriodSeconds: 0, force: true }).catch(() => {});
      await manager?.close();
      metrics?.close();
      raw?.close();
      await rt?.teardown();
    });

    test('/healthz, /pods, /runningpods/, /statelet/v1/info', async () => {
      const h = await http(`${api.url}/healthz`);
      assert.deepEqual([h.status, h.body], [200, 'ok']);
      assert.equal((await http(`${api.url}/healthz?verbose`)).body, '[+]ping ok\n[+]pleg ok\n[+]runtime ok\nhealthz check passed\n');
      assert.equal((await http(`${api.url}/healthz/pleg`)).body, 'ok');
      const pods = JSON.parse((await http(`${api.url}/pods`)).body);
      assert.equal(pods.kind, 'PodList');
      const mine = pods.items.find((p: Pod) => p.metadata.uid === pod.metadata.uid);
      assert.equal(mine.spec.containers.length, 2);
      assert.equal(mine.status.phase, 'Running');
      assert.ok(Date.parse(mine.metadata.creationTimestamp) > 0);
      const running = JSON.parse((await http(`${api.url}/runningpods/`)).body);
      const rp = running.items.find((p: Pod) => p.metadata.uid === pod.metadata.uid);
      assert.equal(rp.metadata.name, pod.metadata.name);
      assert.ok(rp.spec.containers.some((c: { name: string }) => c.name === 'app'));
      const info = JSON.parse((await http(`${api.url}/statelet/v1/info`)).body);
      assert.equal(info.nodeName, 'node-a');
      assert.equal(info.runtimeEndpoint, rt.endpoint);
      assert.equal(info.execSocket, join(rt.tmpDir, 'statelet.sock'));
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      assert.equal((await http(`${api.url}/pods`, { method: 'POST' })).status, 405);
      assert.equal((await http(`${api.url}/nope`)).status, 404);
    });

    test('/healthz fails, naming the check and the kubelet message, when the PLEG is stale or the runtime is down', async () => {
      const later = await startApiServer({ manager, runtime: raw, info: { nodeName: 'node-a', runtimeEndpoint: rt.endpoint }, port: 0, now: () => Date.now() + 4 * 60_000 });
      extra.push(later);
      const r = await http(`${later.url}/healthz`);
      assert.equal(r.status, 500);
      assert.match(r.body, /^\[\+\]ping ok\n\[-\]pleg failed: PLEG is not healthy: pleg was last seen active 4m0(\.\d+)?s ago; threshold is 3m0s\n\[\+\]runtime ok\nhealthz check failed\n$/);
      const dead = new CriClient({ endpoint: `unix://${join(rt.tmpDir, 'no-such.sock')}`, runtimeRequestTimeoutMs: 1000 });
      const down = await startApiServer({ manager, runtime: dead, info: { nodeName: 'node-a', runtimeEndpoint: 'x' }, port: 0 });
      extra.push(down);
      const d = await http(`${down.url}/healthz`);
      dead.close();
      assert.equal(d.status, 500);
      assert.match(d.body, /\[-\]runtime failed: container runtime is down: /);
      assert.match((await http(`${down.url}/healthz/runtime`)).body, /^internal server error: container runtime is down/);
    });

    test('foreign Host or Origin headers are refused; a non-loopback bind needs allowRemote', async () => {
      const port = api.port;
      assert.equal((await http(`${api.url}/pods`, { headers: { Host: `evil.example:${port}` } })).status, 403);
      assert.equal((await http(`${api.url}/pods`, { headers: { Host: `127.0.0.1:${port + 1}` } })).status, 403);
      assert.equal((await http(`${api.url}/metrics`, { headers: { Origin: 'http://evil.example' } })).status, 403);
      assert.equal((await http(`${api.url}/pods`, { headers: { Origin: `http://127.0.0.1:${port}` } })).status, 200);
      assert.equal((await http(`${api.url}/pods`, { headers: { Host: `localhost:${port}` } })).status, 200);
      await assert.rejects(startApiServer({ manager, runtime: raw, info: { nodeName: 'n', runtimeEndpoint: 'x' }, address: '0.0.0.0', port: 0 }), /not a loopback address.*--api-allow-remote/);
      const remote = await startApiServer({ manager, runtime: raw, info: { nodeName: 'n', runtimeEndpoint: 'x' }, address: '0.0.0.0', port: 0, allowRemote: true });
      extra.push(remote);
      assert.equal((await http(`http://127.0.0.1:${remote.port}/healthz`)).status, 200);
      assert.equal((await http(`http://127.0.0.1:${remote.port}/healthz`, { headers: { Host: `rebound.example:${remote.port}` } })).status, 403);
    });

    test('metrics move as pods start, restart and are probed (read with a Prometheus text parser)', async () => {
      const before = await until('a second relist (an interval)', async () => {
        const f = await scrape();
        return sample(f, 'kubelet_pleg_relist_interval_seconds') >= 1 ? f : undefined;
      });
      assert.equal(before.types.get('kubelet_started_pods_total'), 'COUNTER');
      assert.ok(sample(before, 'kubelet_started_pods_total') >= 1);
      assert.ok(sample(before, 'kubelet_started_containers_total', { container_type: 'container' }) >= 2);
      assert.equal(sample(before, 'kubelet_running_pods'), 1);
      assert.equal(before.types.get('kubelet_running_pods'), 'GAUGE');
      assert.ok(sample(before, 'kubelet_running_containers', { container_state: 'running' }) >= 1);
      assert.equal(sample(before, 'kubelet_desired_pods', { static: 'false' }), 1);
      assert.equal(before.types.get('kubelet_pod_start_duration_seconds'), 'HISTOGRAM');
      assert.equal(sample(before, 'kubelet_pod_start_duration_seconds'), 1);
      assert.equal(sample(before, 'kubelet_pod_start_sli_duration_seconds'), 1);
      assert.equal(sample(before, 'kubelet_pod_worker_duration_seconds', { operation_type: 'create' }), 1);
      assert.deepEqual(buckets(before, 'kubelet_pod_start_duration_seconds').slice(0, 4), ['0.5', '1', '2', '3']);
      assert.deepEqual(buckets(before, 'kubelet_runtime_operations_duration_seconds').slice(0, 3), ['0.005', '0.0125', '0.03125']);
      assert.deepEqual(buckets(before, 'kubelet_pleg_relist_duration_seconds').slice(0, 3), ['0.005', '0.01', '0.025']);
      assert.ok(sample(before, 'kubelet_pleg_relist_duration_seconds') >= 1);
      assert.ok(sample(before, 'kubelet_pleg_relist_interval_seconds') >= 1);
      assert.ok(Math.abs(sample(before, 'kubelet_pleg_last_seen_seconds') - Date.now() / 1000) < 30);
      assert.equal(sample(before, 'kubelet_runtime_operations_total', { operation_type: 'run_podsandbox' }), 1);
      assert.ok(sample(before, 'kubelet_runtime_operations_total', { operation_type: 'start_container' }) >= 2);
      assert.ok(sample(before, 'kubelet_runtime_operations_duration_seconds', { operation_type: 'create_container' }) >= 2);
      assert.equal(before.types.get('kubelet_runtime_operations_errors_total'), 'COUNTER');
      assert.ok(sample(before, 'kubelet_evented_pleg_connection_success_count') >= 1);
      if (target.name === 'containerd') assert.ok(sample(before, 'kubelet_evented_pleg_connection_error_count') >= 1, 'containerd 1.6 has no GetContainerEvents');
      if (target.name === 'embedded') assert.equal(sample(before, 'kubelet_image_pull_duration_seconds', { image_size_in_bytes: '0-10MB' }), 1);
      assert.ok(sample(before, 'statelet_transitions_total', { machine: 'container', to: 'Running' }) >= 1);
      assert.ok(sample(before, 'statelet_transitions_total', { machine: 'pod', to: 'Running' }) >= 1);
      assert.ok(sample(before, 'statelet_actors', { machine: 'pod' }) >= 1);
      assert.ok(sample(before, 'statelet_actors', { machine: 'container' }) >= 2);
      assert.ok(sample(before, 'statelet_actors', { machine: 'probe' }) >= 1);

      // Restarts: the crash container exits 3 every ~1.6 s; the second restart waits out a 1 s back-off.
      await until('two restarts of crash', () => (cstatus('crash')?.restartCount ?? 0) >= 2, 30_000);
      const afterRestarts = await scrape();
      assert.ok(sample(afterRestarts, 'kubelet_started_containers_total', { container_type: 'container' }) >= sample(before, 'kubelet_started_containers_total', { container_type: 'container' }) + 1);
      assert.ok(sample(afterRestarts, 'statelet_backoff_restart_lateness_seconds') >= 1, 'a back-off restart was timed against its deadline');
      const late = histogramSum(afterRestarts, 'statelet_backoff_restart_lateness_seconds') / sample(afterRestarts, 'statelet_backoff_restart_lateness_seconds');
      assert.ok(late < 1, `back-off restarts come on time (mean lateness ${late} s)`);
      assert.ok(sample(afterRestarts, 'statelet_transitions_total', { machine: 'container', to: 'Waiting.CrashLoopBackOff' }) >= 1);
      assert.ok(sample(afterRestarts, 'kubelet_runtime_operations_total', { operation_type: 'list_containers' }) > sample(before, 'kubelet_runtime_operations_total', { operation_type: 'list_containers' }));

      // Probes, on /metrics/probes: every attempt counted by result, as worker.go counts them.
      const probes = await scrape('/metrics/probes');
      const labels = { container: 'app', pod: pod.metadata.name, namespace: ns, pod_uid: pod.metadata.uid! };
      const ok1 = sample(probes, 'prober_probe_total', { probe_type: 'Readiness', result: 'successful', ...labels });
      assert.ok(ok1 >= 1);
      assert.ok(sample(probes, 'prober_probe_total', { probe_type: 'Readiness', result: 'failed', container: 'crash' }) >= 1);
      assert.ok(sample(probes, 'prober_probe_duration_seconds', { probe_type: 'Readiness', container: 'app' }) >= 1);
      assert.equal(probes.types.get('prober_probe_total'), 'COUNTER');
      await until('more probes', async () => sample(await scrape('/metrics/probes'), 'prober_probe_total', { probe_type: 'Readiness', result: 'successful', ...labels }) > ok1, 10_000);
    });

    test('/containerLogs: tailLines, timestamps, limitBytes; errors as the kubelet words them', async () => {
      const base = `${api.url}/containerLogs/${ns}/${pod.metadata.name}`;
      const tail = await http(`${base}/app?tailLines=2`);
      assert.equal(tail.status, 200);
      assert.match(tail.body, /^tick \d+\ntick \d+\n$/);
      assert.match((await http(`${base}/app?tailLines=1&timestamps=true`)).body, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z tick \d+\n$/);
      assert.equal((await http(`${base}/app?limitBytes=6`)).body, 'tick 0');
      assert.equal((await http(`${base}/app?sinceSeconds=0`)).status, 422);
      const missing = await http(`${api.url}/containerLogs/${ns}/nope/app`);
      assert.deepEqual([missing.status, missing.body], [404, 'pod "nope" does not exist\n']);
      assert.equal((await http(`${base}/nope`)).body, `container "nope" not found in pod "${pod.metadata.name}"\n`);
      assert.equal((await http(`${base}/app?previous=true`)).body, `previous terminated container "app" in pod "${pod.metadata.name}" not found\n`);
    });

    test('logs follow an instance to its exit; after the restart, previous=true is that instance and the current one is new', async () => {
      const base = `${api.url}/containerLogs/${ns}/${pod.metadata.name}/crash`;
      // Catch an instance at its start.
      const restarts = await until('crash running', () => (cstatus('crash')?.state.running ? cstatus('crash')!.restartCount + 1 : undefined), 30_000);
      const followed = await http(`${base}?follow=true`);
      assert.equal(followed.status, 200);
      const lines = followed.body.trim().split('\n');
      const id = lines[0]!.split(' ')[0]!;
      assert.deepEqual(lines, [1, 2, 3, 4].map((i) => `${id} ${i}`), 'the whole instance, and the stream ended with it');
      await until('the next instance', () => (cstatus('crash')?.restartCount ?? 0) >= restarts && cstatus('crash')?.lastState.terminated?.containerID);
      const prev = await until('previous is the followed instance', async () => {
        const p = await http(`${base}?previous=true`);
        return p.body.startsWith(id) ? p : undefined;
      });
      assert.equal(prev.body.trim().split('\n').length, 4);
      const cur = await until('the new instance logs', async () => {
        const c = await http(`${base}`);
        return c.body && !c.body.startsWith(id) ? c : undefined;
      });
      assert.notEqual(cur.body.split(' ')[0], id);
    });

    test('/statelet/v1/watch starts with the current Pod objects, then streams Events and Transitions, filtered', async () => {
      const lines: Record<string, unknown>[] = [];
      const req = request(`${api.url}/statelet/v1/watch?namespace=${ns}&pod=${pod.metadata.name}`);
      const done = new Promise<void>((resolve) => {
        req.on('response', (res) => {
          assert.equal(res.headers['content-type'], 'application/x-ndjson');
          let buf = '';
          res.on('data', (d: Buffer) => {
            buf += d.toString();
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              lines.push(JSON.parse(buf.slice(0, i)));
              buf = buf.slice(i + 1);
            }
          });
          res.on('close', resolve);
        });
        req.on('error', () => resolve());
      });
      req.end();
      await until('an Event and a Transition', () => lines.some((l) => l['kind'] === 'Event') && lines.some((l) => l['kind'] === 'Transition'), 20_000);
      req.destroy();
      await done;
      assert.equal(lines[0]!['kind'], 'Pod');
      assert.equal((lines[0]!['metadata'] as { uid: string }).uid, pod.metadata.uid);
      assert.ok(lines.every((l) => l['kind'] !== 'Transition' || String(l['actor']).startsWith(`${ns}/${pod.metadata.name}`)));
      const other = await http(`${api.url}/statelet/v1/events?namespace=other`);
      assert.deepEqual(JSON.parse(other.body).items, []);
      const evs = JSON.parse((await http(`${api.url}/statelet/v1/events?uid=${pod.metadata.uid}`)).body);
      assert.ok(evs.items.some((e: { reason: string }) => e.reason === 'Started'));
    });

    test('exec runs on the 0600 unix socket only, and returns the exit code and output', async () => {
      const sock = join(rt.tmpDir, 'statelet.sock');
      assert.equal(statSync(sock).mode & 0o777, 0o600);
      const r = await execOverSocket(sock, ns, pod.metadata.name, 'app', ['sh', '-c', 'echo out; echo err >&2; exit 4']);
      assert.equal(r.exitCode, 4);
      assert.equal(Buffer.from(r.stdout, 'base64').toString(), 'out\n');
      assert.equal(Buffer.from(r.stderr, 'base64').toString(), 'err\n');
      assert.equal((await execOverSocket(sock, ns, pod.metadata.name, 'app', ['true'])).exitCode, 0);
      await assert.rejects(execOverSocket(sock, ns, 'nope', 'app', ['true']), /pod "nope" does not exist/);
      // Not on the TCP port.
      assert.equal((await http(`${api.url}/exec/${ns}/${pod.metadata.name}/app`)).status, 404);
    });

    test('deleting and re-adding the pod: kill and terminated durations, restarted_pods_total', async () => {
      await manager.deletePod(pod.metadata.uid!, { gracePeriodSeconds: 1 });
      const f = await scrape();
      assert.equal(sample(f, 'kubelet_pod_worker_duration_seconds', { operation_type: 'create' }), 1);
      assert.equal(sample(f, 'kubelet_pod_worker_duration_seconds', { operation_type: 'kill' }), 1);
      assert.equal(sample(f, 'kubelet_pod_worker_duration_seconds', { operation_type: 'terminated' }), 1);
      assert.equal(sample(f, 'kubelet_desired_pods', { static: 'false' }), 0);
      manager.addPod(pod);
      const g = await scrape();
      assert.equal(sample(g, 'kubelet_restarted_pods_total', { static: 'false' }), 1);
      assert.equal(sample(g, 'kubelet_started_pods_total'), sample(f, 'kubelet_started_pods_total') + 1);
    });
  });
}
