// Probes end to end: RuntimeManager + container machine + probe machine + probe
// actors against the embedded runtime (containers are host processes, pod IP
// 127.0.0.1). Real clock, short periods.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeManager, type PodStatusUpdate } from '../../src/manager.js';
import { loadPod } from '../../src/k8s/manifest.js';
import type { ContainerStatus, Event, PodStatus } from '../../src/k8s/types.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../src/runtime/index.js';
import { waitFor } from '../runtime/helpers.js';

let rt: EmbeddedRuntime;
let manager: RuntimeManager;
const events: Array<Event & { seenAt: number }> = [];
const statuses: Array<PodStatusUpdate & { seenAt: number }> = [];
let seq = 0;

before(async () => {
  rt = await startEmbeddedRuntime({ autoPullImages: true });
  manager = new RuntimeManager({ endpoint: rt.endpoint, backOff: { initialMs: 1_000, maxMs: 1_000 }, relistPeriodMs: 200 });
  await manager.start();
  manager.events$.subscribe((e) => events.push({ ...e, seenAt: Date.now() }));
  manager.status$.subscribe((s) => statuses.push({ ...s, seenAt: Date.now() }));
});
after(async () => {
  await manager.close();
  await rt.close();
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A node HTTP server run as the container: status per elapsed ms since it started. */
function httpServerCommand(port: number, statusFn: string): string[] {
  const src = `const t0=Date.now();require('node:http').createServer((q,s)=>{const e=Date.now()-t0;s.statusCode=(${statusFn})(e);s.end('e='+e)}).listen(${port},'127.0.0.1')`;
  return [process.execPath, '-e', src];
}

function addPod(spec: Record<string, unknown>): { uid: string; name: string } {
  const name = `probe-e2e-${++seq}`;
  const pod = loadPod(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec }), name);
  return { uid: manager.addPod(pod), name };
}

const eventsOf = (name: string) => events.filter((e) => e.involvedObject.name === name);
const statusesOf = (name: string) => statuses.filter((s) => s.pod.metadata.name === name).map((s) => ({ ...s.status, seenAt: s.seenAt }));
const app = (s: PodStatus | undefined): ContainerStatus | undefined => s?.containerStatuses?.find((c) => c.name === 'app');
const readyCond = (s: PodStatus | undefined) => s?.conditions?.find((c) => c.type === 'Ready');

describe('probes through RuntimeManager (embedded runtime)', () => {
  test('liveness httpGet that starts failing: Unhealthy events, Killing "failed liveness probe, will be restarted", restart', async () => {
    const port = await freePort();
    const { uid, name } = addPod({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'app',
          image: 'localhost/probe-e2e:1',
          command: httpServerCommand(port, '(e)=>e<1500?200:500'),
          livenessProbe: { httpGet: { path: '/healthz', port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 2 },
        },
      ],
    });
    try {
      const restarted = await waitFor(
        'a restart after the liveness kill',
        async () => {
          const c = app(manager.getStatus(uid));
          return c && c.restartCount >= 1 && c.state.running ? c : null;
        },
        12_000,
      );
      assert.ok(restarted.lastState.terminated, 'the killed instance is lastState.terminated');
      const evs = eventsOf(name);
      const unhealthy = evs.filter((e) => e.reason === 'Unhealthy');
      assert.ok(unhealthy.length > 0);
      assert.equal(unhealthy[0]!.type, 'Warning');
      assert.equal(unhealthy[0]!.message, 'Liveness probe failed: HTTP probe failed with statuscode: 500');
      assert.equal(unhealthy[0]!.involvedObject.fieldPath, 'spec.containers{app}');
      // failureThreshold 2: the aggregated Unhealthy event reached count 2 before the kill.
      const killing = evs.find((e) => e.reason === 'Killing');
      assert.ok(killing, 'a Killing event');
      assert.equal(killing.message, 'Container app failed liveness probe, will be restarted');
      const beforeKill = unhealthy.filter((e) => e.seenAt <= killing.seenAt);
      assert.equal(Math.max(...beforeKill.map((e) => e.count)), 2);
      assert.ok(evs.filter((e) => e.reason === 'Started').length >= 1);
    } finally {
      await manager.deletePod(uid, { gracePeriodSeconds: 1 });
    }
  });

  test('readiness failure never restarts: ready and the Ready condition flip (ContainersNotReady) and come back', async () => {
    const port = await freePort();
    const { uid, name } = addPod({
      restartPolicy: 'Always',
      containers: [
        {
          name: 'app',
          image: 'localhost/probe-e2e:1',
          command: httpServerCommand(port, '(e)=>e>=2000&&e<4000?503:200'),
          readinessProbe: { httpGet: { path: '/ready', port }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    try {
      await waitFor('ready', async () => app(manager.getStatus(uid))?.ready === true, 6_000);
      const unready = await waitFor('unready', async () => {
        const s = manager.getStatus(uid);
        return app(s)?.ready === false ? s : null;
      }, 6_000);
      const cond = readyCond(unready);
      assert.equal(cond?.status, 'False');
      assert.equal(cond?.reason, 'ContainersNotReady');
      assert.equal(cond?.message, 'containers with unready status: [app]');
      assert.equal(unready!.phase, 'Running');
      assert.ok(app(unready)!.state.running, 'still running');
      await waitFor('ready again', async () => {
        const s = manager.getStatus(uid);
        return app(s)?.ready === true && readyCond(s)?.status === 'True';
      }, 6_000);
      const evs = eventsOf(name);
      assert.ok(evs.some((e) => e.reason === 'Unhealthy' && e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 503'));
      assert.equal(evs.filter((e) => e.reason === 'Killing').length, 0);
      assert.equal(app(manager.getStatus(uid))!.restartCount, 0);
      // The status stream saw ready true → false → true.
      const flips = statusesOf(name)
        .map((s) => app(s)?.ready)
        .filter((r, i, all) => r !== undefined && r !== all[i - 1]);
      assert.deepEqual(flips.slice(flips.indexOf(true)), [true, false, true]);
    } finally {
      await manager.deletePod(uid, { gracePeriodSeconds: 1 });
    }
  });

  test('a startup probe gates liveness and readiness until it succeeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-e2e-'));
    const stamp = (f: string) => ['sh', '-c', `date +%s%N >> ${join(dir, f)}`];
    const { uid, name } = addPod({
      restartPolicy: 'Always',
      containers: [
        {
          name: 'app',
          image: 'localhost/probe-e2e:1',
          command: ['sh', '-c', `sleep 2; touch ${join(dir, 'started')}; exec sleep 60`],
          startupProbe: { exec: { command: ['test', '-f', join(dir, 'started')] }, periodSeconds: 1, failureThreshold: 10 },
          livenessProbe: { exec: { command: stamp('live') }, periodSeconds: 1 },
          readinessProbe: { exec: { command: stamp('ready') }, periodSeconds: 1 },
        },
      ],
    });
    try {
      await waitFor('running', async () => !!app(manager.getStatus(uid))?.state.running, 5_000);
      const early = app(manager.getStatus(uid))!;
      assert.equal(early.started, false);
      assert.equal(early.ready, false);
      await waitFor('ready', async () => app(manager.getStatus(uid))?.ready === true, 8_000);
      await new Promise((r) => setTimeout(r, 1_200));
      const startedNs = BigInt(Math.floor(statSync(join(dir, 'started')).mtimeMs)) * 1_000_000n;
      for (const f of ['live', 'ready']) {
        assert.ok(existsSync(join(dir, f)), `${f} probe ran after startup`);
        const stamps = readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => BigInt(l));
        assert.ok(stamps.length >= 1);
        for (const s of stamps) assert.ok(s >= startedNs, `${f} probe ran before the startup probe passed`);
      }
      const st = app(manager.getStatus(uid))!;
      assert.equal(st.started, true);
      assert.equal(st.restartCount, 0);
      // Startup attempts before the file existed failed (output empty).
      assert.ok(eventsOf(name).some((e) => e.reason === 'Unhealthy' && e.message === 'Startup probe failed: '));
      // No transient ready=true while started was false.
      for (const s of statusesOf(name)) {
        const c = app(s);
        if (c?.ready) assert.equal(c.started, true);
      }
    } finally {
      await manager.deletePod(uid, { gracePeriodSeconds: 1 });
    }
  });

  test('restartPolicy Never + liveness failure: killed with the probe-level grace (not the pod\'s 30 s), pod Failed', async () => {
    const closed = await freePort();
    const { uid, name } = addPod({
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'app',
          image: 'localhost/probe-e2e:1',
          // Ignores SIGTERM: only the grace period's SIGKILL ends it.
          command: ['sh', '-c', 'trap "" TERM; sleep 60'],
          livenessProbe: { tcpSocket: { port: closed }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 2 },
        },
      ],
    });
    try {
      const failed = await waitFor('pod Failed', async () => {
        const s = manager.getStatus(uid);
        return s?.phase === 'Failed' ? s : null;
      }, 12_000);
      const doneAt = Date.now();
      const evs = eventsOf(name);
      const unhealthy = evs.find((e) => e.reason === 'Unhealthy');
      assert.equal(unhealthy?.message, `Liveness probe failed: dial tcp 127.0.0.1:${closed}: connect: connection refused`);
      const killing = evs.find((e) => e.reason === 'Killing');
      assert.equal(killing?.message, 'Container app failed liveness probe');
      const took = doneAt - killing!.seenAt;
      assert.ok(took >= 1_500 && took < 8_000, `kill took ${took} ms; the probe grace is 2 s, the pod's 30 s`);
      const c = app(failed)!;
      assert.equal(c.state.terminated?.exitCode, 137);
      assert.equal(c.restartCount, 0);
    } finally {
      await manager.deletePod(uid, { gracePeriodSeconds: 1 });
    }
  });
});
