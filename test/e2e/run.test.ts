// End-to-end: `statelet run --output json` as a separate process, against the
// embedded runtime and, when STATELET_CONTAINERD_ENDPOINT is set, real containerd.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'statelet.js');
const work = mkdtempSync(join(tmpdir(), 'statelet-e2e-'));
const spawned: ChildProcessWithoutNullStreams[] = [];
after(() => {
  // A failed assertion must not leave a `statelet run` (and its pod) behind.
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

interface Target {
  name: string;
  image: string;
  args: string[];
}

const targets: Target[] = [{ name: 'embedded', image: 'busybox:1.36', args: [] }];
if (process.env['STATELET_CONTAINERD_ENDPOINT']) {
  targets.push({ name: 'containerd', image: 'localhost/busybox:local', args: ['--runtime-endpoint', process.env['STATELET_CONTAINERD_ENDPOINT']] });
}

type Line = Record<string, any>;

class Run {
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number>;
  private waiters: { pred: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  readonly proc: ChildProcessWithoutNullStreams;

  constructor(manifest: string, args: string[]) {
    this.proc = spawn(process.execPath, [bin, 'run', manifest, '--output', 'json', ...args], { cwd: root });
    spawned.push(this.proc);
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const line = JSON.parse(raw) as Line; // every stdout line must be JSON
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code ?? -1)));
  }

  waitFor(pred: (l: Line) => boolean, what: string, timeoutMs = 20_000): Promise<Line> {
    const found = this.lines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}\nstderr:\n${this.stderr}\nlines:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }

  /** stderr and stdout are separate pipes: a stderr line may arrive after a later stdout line. */
  async waitForStderr(re: RegExp, timeoutMs = 5_000): Promise<void> {
    const t0 = Date.now();
    while (!re.test(this.stderr)) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`stderr never matched ${re}:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  events(reason?: string): Line[] {
    return this.lines.filter((l) => l['kind'] === 'Event' && (!reason || l['reason'] === reason));
  }

  pods(): Line[] {
    return this.lines.filter((l) => l['kind'] === 'Pod');
  }
}

const isEvent = (reason: string, msg?: RegExp) => (l: Line) => l['kind'] === 'Event' && l['reason'] === reason && (!msg || msg.test(l['message']));
const containerStatus = (l: Line, name: string) => (l['status']?.['containerStatuses'] ?? []).find((c: Line) => c['name'] === name);

function manifest(name: string, body: string): string {
  const p = join(work, `${name}-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(p, body);
  return p;
}

for (const t of targets) {
  describe(`statelet run --output json (${t.name})`, { concurrency: false }, () => {
    test('a pod that succeeds: Pending first, events with fieldPaths, transitions, Succeeded last, exit 0', async () => {
      const m = manifest(
        'ok',
        `apiVersion: v1
kind: Pod
metadata: { name: e2e-ok }
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: ${t.image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo hello; sleep 0.3"]
    lifecycle:
      postStart: { exec: { command: ["sh", "-c", "echo started"] } }
`,
      );
      const run = new Run(m, t.args);
      const code = await run.exited;
      assert.equal(code, 0, run.stderr);
      const pods = run.pods();
      assert.equal(run.lines[0]!['kind'], 'Pod', 'the first line is the Pod at start');
      assert.equal(pods[0]!['status']['phase'], 'Pending');
      assert.equal(pods.at(-1)!['status']['phase'], 'Succeeded');
      assert.equal(containerStatus(pods.at(-1)!, 'main')['state']['terminated']['reason'], 'Completed');
      const started = run.events('Started')[0]!;
      assert.equal(started['involvedObject']['fieldPath'], 'spec.containers{main}');
      assert.equal(started['involvedObject']['apiVersion'], 'v1', 'kubelet 1.35+ fills involvedObject.apiVersion');
      assert.equal(started['message'], 'Started container main');
      assert.equal(started['count'], 1);
      assert.match(started['firstTimestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const reasons = run.events().map((e) => e['reason']);
      assert.ok(reasons.indexOf('Created') < reasons.indexOf('Started'));
      const tr = run.lines.filter((l) => l['kind'] === 'Transition');
      assert.ok(tr.some((l) => l['actor'] === 'default/e2e-ok/main' && l['to'] === 'PostStartRunning'), 'container transitions');
      assert.ok(tr.some((l) => l['actor'] === 'default/e2e-ok' && l['to'] === 'Removed'), 'pod transitions');
      for (const l of tr) assert.deepEqual(Object.keys(l).sort(), ['actor', 'event', 'from', 'kind', 'timestamp', 'to']);
    });

    test('a crash loop with real back-off, then SIGTERM deletes the pod and exits 0', async () => {
      const m = manifest(
        'crash',
        `apiVersion: v1
kind: Pod
metadata: { name: e2e-crash }
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: crasher
    image: ${t.image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "exit 3"]
`,
      );
      const run = new Run(m, [...t.args, '--backoff-initial', '1', '--backoff-max', '2']);
      const backOff = await run.waitFor(isEvent('BackOff'), 'BackOff event');
      assert.match(backOff['message'], /^Back-off restarting failed container crasher in pod e2e-crash_default\(/);
      const waiting = await run.waitFor(
        (l) => l['kind'] === 'Pod' && containerStatus(l, 'crasher')?.['state']?.['waiting']?.['reason'] === 'CrashLoopBackOff',
        'CrashLoopBackOff status',
      );
      const cs = containerStatus(waiting, 'crasher');
      assert.match(cs['state']['waiting']['message'], /^back-off [12]s restarting failed container=crasher pod=e2e-crash_default\(/);
      assert.equal(cs['lastState']['terminated']['exitCode'], 3);
      assert.ok(cs['restartCount'] >= 1);
      // Restarts follow the back-off: at least 1 s between the 2nd exit and the 3rd start.
      await run.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Started' && l['count'] >= 3, 'third start', 30_000);
      run.proc.kill('SIGTERM');
      const code = await run.exited;
      assert.equal(code, 0, run.stderr);
      assert.equal(run.pods().at(-1)!['status']['phase'], 'Failed');
    });

    test('postStart failure: FailedPostStartHook, Killing FailedPostStartHook, PostStartHookError with the hook message', async () => {
      const m = manifest(
        'hook',
        `apiVersion: v1
kind: Pod
metadata: { name: e2e-hook }
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: ${t.image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      postStart:
        exec: { command: ["sh", "-c", "echo no config >&2; exit 3"] }
`,
      );
      const run = new Run(m, [...t.args, '--pod-worker-retry', '1']);
      const failed = await run.waitFor(isEvent('FailedPostStartHook'), 'FailedPostStartHook');
      assert.equal(failed['type'], 'Warning');
      assert.equal(failed['message'], 'PostStartHook failed');
      const killing = await run.waitFor(isEvent('Killing'), 'Killing');
      assert.equal(killing['message'], 'FailedPostStartHook');
      const st = await run.waitFor(
        (l) => l['kind'] === 'Pod' && containerStatus(l, 'app')?.['state']?.['waiting']?.['reason'] === 'PostStartHookError',
        'PostStartHookError',
      );
      const msg = containerStatus(st, 'app')['state']['waiting']['message'] as string;
      assert.match(msg, /^Exec lifecycle hook \(\[sh -c echo no config >&2; exit 3\]\) for Container "app" in Pod "e2e-hook_default\(.*\)" failed - error: command 'sh -c echo no config >&2; exit 3' exited with 3: no config\n, message: "no config\\n"$/);
      // Then a restart per policy.
      await run.waitFor((l) => l['kind'] === 'Event' && l['reason'] === 'Started' && l['count'] >= 2, 'restart', 20_000);
      run.proc.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.stderr);
    });

    test('graceful delete: Killing, preStop runs before SIGTERM, grace from --grace-period', async () => {
      const m = manifest(
        'grace',
        `apiVersion: v1
kind: Pod
metadata: { name: e2e-grace }
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: ${t.image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      preStop:
        exec: { command: ["sh", "-c", "sleep 1"] }
`,
      );
      const run = new Run(m, [...t.args, '--grace-period', '5']);
      await run.waitFor((l) => l['kind'] === 'Pod' && containerStatus(l, 'app')?.['state']?.['running'] && containerStatus(l, 'app')?.['ready'], 'running');
      const t0 = Date.now();
      run.proc.kill('SIGTERM');
      const code = await run.exited;
      const took = Date.now() - t0;
      assert.equal(code, 0, run.stderr);
      const killing = run.events('Killing')[0]!;
      assert.equal(killing['message'], 'Stopping container app');
      // preStop (1 s) ran before StopContainer; the app honoured SIGTERM at once.
      assert.ok(took >= 1000, `deletion took ${took} ms, preStop should take 1 s`);
      assert.ok(took < 5000, `deletion took ${took} ms`);
      const final = run.pods().at(-1)!;
      assert.equal(containerStatus(final, 'app')['state']['terminated']['exitCode'], 0);
      assert.equal(final['status']['phase'], 'Succeeded');
      await run.waitForStderr(/deleting pod default\/e2e-grace \(grace 5s\)/);
    });
  });
}

describe('statelet run: bad input and manifest watching (embedded)', () => {
  test('an invalid manifest is rejected before anything starts, naming the field, exit 2', async () => {
    const m = manifest(
      'bad',
      `apiVersion: v1
kind: Pod
metadata: { name: bad }
spec:
  containers:
  - name: app
    image: busybox
    lifecycle:
      postStart: {}
`,
    );
    const run = new Run(m, []);
    assert.equal(await run.exited, 2);
    assert.match(run.stderr, /spec\.containers\[0\]\.lifecycle\.postStart: must specify exactly one handler/);
    assert.equal(run.lines.length, 0);
  });

  test('an unreachable runtime endpoint is a clear error naming the endpoint, not a hang', async () => {
    const m = manifest('unreach', `apiVersion: v1\nkind: Pod\nmetadata: { name: u }\nspec:\n  containers:\n  - name: a\n    image: busybox\n    command: ["true"]\n`);
    const run = new Run(m, ['--runtime-endpoint', 'unix:///nonexistent/statelet.sock']);
    const code = await run.exited;
    assert.equal(code, 1);
    assert.match(run.stderr, /cannot reach the container runtime at unix:\/\/\/nonexistent\/statelet\.sock/);
    assert.match(run.stderr, /UNAVAILABLE/);
  });

  test('manifest edits: an image change restarts the container, an invalid edit is reported and ignored', async () => {
    const body = (image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: { name: e2e-watch }
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
${extra}`;
    const m = manifest('watch', body('busybox:1.36'));
    const run = new Run(m, []);
    await run.waitFor((l) => l['kind'] === 'Pod' && containerStatus(l, 'app')?.['state']?.['running'], 'running');
    // Atomic rename, as editors and config tools write.
    const tmp = `${m}.tmp`;
    writeFileSync(tmp, body('busybox:1.37'));
    renameSync(tmp, m);
    const killing = await run.waitFor(isEvent('Killing', /definition changed/), 'definition changed kill', 10_000);
    assert.equal(killing['message'], 'Container app definition changed, will be restarted');
    await run.waitFor((l) => l['kind'] === 'Pod' && containerStatus(l, 'app')?.['image'] === 'busybox:1.37' && containerStatus(l, 'app')?.['state']?.['running'], 'restarted with new image', 10_000);
    writeFileSync(m, body('busybox:1.37', '    lifecycle:\n      postStart: {}\n'));
    const warn = await run.waitFor(isEvent('InvalidManifest'), 'invalid edit warning', 10_000);
    assert.equal(warn['type'], 'Warning');
    assert.match(warn['message'], /postStart: must specify exactly one handler/);
    await run.waitForStderr(/invalid, ignored/);
    run.proc.kill('SIGTERM');
    assert.equal(await run.exited, 0);
  });

  test('the lifecycle demo example runs: postStart message reaches the app, exit 0', async () => {
    rmSync('/tmp/statelet-lifecycle-demo', { recursive: true, force: true });
    const run = new Run(join(root, 'examples', 'lifecycle-demo.yaml'), ['--no-watch']);
    assert.equal(await run.exited, 0, run.stderr);
    assert.equal(readFileSync('/tmp/statelet-lifecycle-demo/message', 'utf8').trim(), 'Hello from the postStart handler');
    assert.ok(!existsSync('/tmp/statelet-lifecycle-demo/prestop'), 'no preStop: the container completed by itself');
    assert.equal(run.pods().at(-1)!['status']['phase'], 'Succeeded');
  });
});

if (process.env['STATELET_CONTAINERD_ENDPOINT']) {
  describe('probes against real containerd (busybox httpd in a bridge-network pod)', () => {
    test('readiness httpGet to the pod IP turns ready; a failing liveness exec kills and restarts', async () => {
      const endpoint = process.env['STATELET_CONTAINERD_ENDPOINT']!;
      const m = manifest(
        'probe-cd',
        `apiVersion: v1
kind: Pod
metadata: { name: e2e-probes }
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: web
    image: localhost/busybox:local
    imagePullPolicy: IfNotPresent
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    readinessProbe:
      httpGet: { path: /, port: 8080 }
      periodSeconds: 1
    livenessProbe:
      exec: { command: ["sh", "-c", "test ! -f /tmp/unhealthy"] }
      periodSeconds: 1
      failureThreshold: 1
      terminationGracePeriodSeconds: 2
`,
      );
      const run = new Run(m, ['--runtime-endpoint', endpoint]);
      const ready = await run.waitFor((l) => l['kind'] === 'Pod' && containerStatus(l, 'web')?.['ready'] === true, 'web ready', 30_000);
      assert.match(ready['status']['podIP'], /^10\./, 'a bridge-network pod IP, reached from the host by the HTTP probe');
      assert.equal(ready['status']['conditions'].find((c: Line) => c['type'] === 'Ready')['status'], 'True');
      const id = (containerStatus(ready, 'web')['containerID'] as string).replace(/^containerd:\/\//, '');
      const { CriClient } = await import('../../src/cri/client.js');
      const client = new CriClient({ endpoint });
      await client.execSync({ containerId: id, cmd: ['touch', '/tmp/unhealthy'], timeout: 5 });
      client.close();
      const unhealthy = await run.waitFor(isEvent('Unhealthy', /^Liveness probe failed/), 'Unhealthy', 20_000);
      assert.equal(unhealthy['type'], 'Warning');
      const killing = await run.waitFor(isEvent('Killing', /failed liveness probe/), 'liveness kill', 20_000);
      assert.equal(killing['message'], 'Container web failed liveness probe, will be restarted');
      await run.waitFor((l) => l['kind'] === 'Pod' && containerStatus(l, 'web')?.['restartCount'] === 1 && containerStatus(l, 'web')?.['state']?.['running'], 'restarted', 30_000);
      run.proc.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.stderr);
    });
  });
}
