// Kubelet 1.35–1.36 details outside the charts: the crash-loop knobs (KEP-5593
// maxContainerRestartPeriod, KEP-4603 ReduceDefaultCrashLoopBackOffDecay), the
// --feature-gates / --backoff-max flags, and stop signals (KEP-4960) from
// lifecycle.stopSignal to ContainerConfig.stop_signal, the runtime and the status.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createActor, toPromise } from 'xstate';
import { CRASHLOOP_BACKOFF, doBackOff, REDUCED_CRASHLOOP_BACKOFF, type BackOffEntry, type BackOffPolicy } from '../../machines/backoff.js';
import { DEFAULT_FEATURE_GATES } from '../../machines/features.js';
import { crashLoopBackOffPolicy, maxContainerRestartPeriodError } from '../../src/kubelet-config.js';
import { addKubeletOptions, kubeletOptionsFrom } from '../../src/cli/kubelet-flags.js';
import { main } from '../../src/cli/index.js';
import { RuntimeManager } from '../../src/manager.js';
import { generateContainerConfig } from '../../src/kuberuntime/config.js';
import { containerStatusStopSignal, fromCriSignal, toCriSignal } from '../../src/kuberuntime/stop-signal.js';
import { createRuntimeActors } from '../../src/actors/index.js';
import { loadPod } from '../../src/k8s/manifest.js';
import type { Pod } from '../../src/k8s/types.js';
import { useEmbeddedRuntime } from '../helpers/embedded.js';

const REDUCED = { ...DEFAULT_FEATURE_GATES, ReduceDefaultCrashLoopBackOffDecay: true };

/**
 * The restart delays of a container that exits right after each start, with an injected
 * clock: every exit comes `runMs` after its start, and each start comes when doBackOff allows.
 */
function schedule(policy: BackOffPolicy, restarts: number, runMs = 100): number[] {
  let entry: BackOffEntry | undefined;
  let now = 0;
  const delays: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const exitAt = now + runMs;
    const check = doBackOff(entry, exitAt, exitAt, policy);
    const startAt = exitAt + check.delayMs;
    entry = doBackOff(entry, exitAt, startAt, policy).entry;
    delays.push((startAt - exitAt) / 1000);
    now = startAt;
  }
  return delays;
}

describe('crash-loop back-off knobs (KEP-4603, KEP-5593)', () => {
  test('default curve: 0, 10, 20 … 300 s', () => {
    assert.deepEqual(crashLoopBackOffPolicy({}, DEFAULT_FEATURE_GATES), CRASHLOOP_BACKOFF);
    assert.deepEqual(schedule(crashLoopBackOffPolicy(), 9), [0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });
  test('ReduceDefaultCrashLoopBackOffDecay: 1 s doubling to 60 s', () => {
    assert.deepEqual(crashLoopBackOffPolicy({}, REDUCED), REDUCED_CRASHLOOP_BACKOFF);
    assert.deepEqual(schedule(crashLoopBackOffPolicy({}, REDUCED), 10), [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });
  test('the node maximum beats either curve, and an initial delay above it drops to it', () => {
    assert.deepEqual(schedule(crashLoopBackOffPolicy({ maxMs: 5000 }), 5), [0, 5, 5, 5, 5]);
    assert.deepEqual(schedule(crashLoopBackOffPolicy({ maxMs: 5000 }, REDUCED), 6), [0, 1, 2, 4, 5, 5]);
    assert.deepEqual(schedule(crashLoopBackOffPolicy({ maxMs: 120_000 }, REDUCED), 10), [0, 1, 2, 4, 8, 16, 32, 64, 120, 120]);
    assert.deepEqual(crashLoopBackOffPolicy({ initialMs: 30_000, maxMs: 20_000 }), { initialMs: 20_000, maxMs: 20_000, resetAfterMs: 600_000 });
    // Without KubeletCrashLoopBackOffMax the maximum is not the node's to set.
    assert.equal(crashLoopBackOffPolicy({ maxMs: 5000 }, { ...DEFAULT_FEATURE_GATES, KubeletCrashLoopBackOffMax: false }).maxMs, 300_000);
  });
  test('maxContainerRestartPeriod must be 1–300 s, and needs its gate', () => {
    assert.equal(maxContainerRestartPeriodError(1000), undefined);
    assert.equal(maxContainerRestartPeriodError(300_000), undefined);
    assert.equal(maxContainerRestartPeriodError(500), 'invalid configuration: CrashLoopBackOff.MaxContainerRestartPeriod (got: 0.5 seconds) must be set between 1s and 300s');
    assert.equal(maxContainerRestartPeriodError(301_000), 'invalid configuration: CrashLoopBackOff.MaxContainerRestartPeriod (got: 301 seconds) must be set between 1s and 300s');
    assert.equal(
      maxContainerRestartPeriodError(5000, { ...DEFAULT_FEATURE_GATES, KubeletCrashLoopBackOffMax: false }),
      'invalid configuration: FeatureGate KubeletCrashLoopBackOffMax not enabled, CrashLoopBackOff.MaxContainerRestartPeriod must not be set',
    );
  });
  test('the manager hands the gates\' curve to the charts', () => {
    const pod = loadPod('apiVersion: v1\nkind: Pod\nmetadata: { name: p, uid: u1 }\nspec:\n  containers:\n  - { name: a, image: busybox:1.36, command: ["true"] }\n');
    const plain = new RuntimeManager({ client: {} as never, relistPeriodMs: 0 });
    assert.equal(plain.podInput(pod).config.container?.backOff, undefined, 'the chart default (10 s / 300 s)');
    const reduced = new RuntimeManager({ client: {} as never, relistPeriodMs: 0, container: { featureGates: REDUCED } });
    assert.deepEqual(reduced.podInput(pod).config.container?.backOff, REDUCED_CRASHLOOP_BACKOFF);
    const max = new RuntimeManager({ client: {} as never, relistPeriodMs: 0, container: { featureGates: REDUCED }, backOff: { maxMs: 4000 } });
    assert.deepEqual(max.podInput(pod).config.container?.backOff, { initialMs: 1000, maxMs: 4000, resetAfterMs: 600_000 });
  });
});

describe('--feature-gates and --backoff-max', () => {
  const parse = (args: string[]) => {
    const cmd = addKubeletOptions(new Command().exitOverride().configureOutput({ writeErr: () => {} }));
    cmd.parse(args, { from: 'user' });
    return kubeletOptionsFrom(cmd.opts(), undefined);
  };
  test('gates over the 1.36 defaults, repeatable; the back-off knobs in ms', () => {
    const k = parse(['--feature-gates', 'ContainerStopSignals=true', '--feature-gates', 'ReduceDefaultCrashLoopBackOffDecay=true,ContainerRestartRules=false', '--backoff-max', '4']);
    assert.deepEqual(k.featureGates, { ...DEFAULT_FEATURE_GATES, ContainerStopSignals: true, ReduceDefaultCrashLoopBackOffDecay: true, ContainerRestartRules: false });
    assert.deepEqual(k.backOff, { initialMs: undefined, maxMs: 4000 });
    assert.deepEqual(parse([]), { featureGates: DEFAULT_FEATURE_GATES, backOff: undefined });
  });
  test('a bad gate, or a maximum outside 1–300 s, names the flag', () => {
    assert.throws(() => parse(['--feature-gates', 'Nope=true']), /--feature-gates <gates>.*unrecognized feature gate: Nope/);
    assert.throws(() => parse(['--backoff-max', '0.5']), /^Error: --backoff-max: invalid configuration: CrashLoopBackOff.MaxContainerRestartPeriod \(got: 0.5 seconds\) must be set between 1s and 300s$/);
    assert.throws(() => parse(['--backoff-max', '600']), /--backoff-max: .*got: 600 seconds/);
    assert.throws(() => parse(['--feature-gates', 'KubeletCrashLoopBackOffMax=false', '--backoff-max', '5']), /--backoff-max: invalid configuration: FeatureGate KubeletCrashLoopBackOffMax not enabled/);
  });
  test('`statelet run` and `statelet serve` refuse them before starting anything (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statelet-flags-'));
    const manifest = join(dir, 'p.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n  - { name: a, image: busybox:1.36, command: ["true"] }\n');
    const write = process.stderr.write;
    let stderr = '';
    process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
    try {
      assert.equal(await main(['node', 'statelet', 'run', manifest, '--backoff-max', '0.5']), 2);
      assert.equal(await main(['node', 'statelet', 'run', manifest, '--feature-gates', 'ContainerRestartRules=maybe']), 2);
      assert.equal(await main(['node', 'statelet', 'serve', '--pod-manifest-path', dir, '--backoff-max', '301']), 2);
    } finally {
      process.stderr.write = write;
      rmSync(dir, { recursive: true, force: true });
    }
    assert.match(stderr, /--backoff-max: invalid configuration: CrashLoopBackOff.MaxContainerRestartPeriod \(got: 0.5 seconds\)/);
    assert.match(stderr, /invalid value of ContainerRestartRules: maybe/);
    assert.match(stderr, /got: 301 seconds/);
  });
});

describe('stop signals (KEP-4960)', () => {
  const gates = { ...DEFAULT_FEATURE_GATES, ContainerStopSignals: true };
  const manifest = (signal: string) => `apiVersion: v1
kind: Pod
metadata: { name: stopper, uid: stop-1 }
spec:
  os: { name: linux }
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "trap 'exit 42' USR1; trap '' TERM; while true; do sleep 0.05; done"]
    lifecycle: { stopSignal: ${signal} }
`;
  test('names both ways; the status reports the runtime\'s signal, else the spec\'s, only with the gate', () => {
    assert.equal(toCriSignal('SIGRTMIN+3'), 'SIGRTMINPLUS3');
    assert.equal(toCriSignal('SIGRTMAX-14'), 'SIGRTMAXMINUS14');
    assert.equal(toCriSignal('SIGUSR1'), 'SIGUSR1');
    assert.equal(fromCriSignal('SIGRTMAXMINUS14'), 'SIGRTMAX-14');
    assert.equal(fromCriSignal('RUNTIME_DEFAULT'), undefined);
    const c = { lifecycle: { stopSignal: 'SIGUSR1' } };
    assert.equal(containerStatusStopSignal(c, gates, 'SIGUSR1'), 'SIGUSR1');
    assert.equal(containerStatusStopSignal(c, gates, 'RUNTIME_DEFAULT'), 'SIGUSR1', 'containerd 1.6 reports none');
    assert.equal(containerStatusStopSignal({}, gates, 'SIGTERM'), 'SIGTERM');
    assert.equal(containerStatusStopSignal({}, gates, null), undefined);
    assert.equal(containerStatusStopSignal(c, DEFAULT_FEATURE_GATES, 'SIGUSR1'), undefined);
  });
  test('lifecycle.stopSignal is ContainerConfig.stop_signal; without one the field is left at RUNTIME_DEFAULT', () => {
    const pod = loadPod(manifest('SIGRTMIN+1'), 'p.yaml', { gates });
    assert.equal(generateContainerConfig(pod, pod.spec.containers[0]!, 0, 'busybox:1.36').stopSignal, 'SIGRTMINPLUS1');
    const plain: Pod = { ...pod, spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0]!, lifecycle: undefined }] } };
    assert.equal(generateContainerConfig(plain, plain.spec.containers[0]!, 0, 'busybox:1.36').stopSignal, undefined);
  });

  describe('on the embedded runtime', () => {
    const env = useEmbeddedRuntime('statelet-stop-signal-');
    test('StopContainer sends the stop signal instead of SIGTERM; ContainerStatus reports it', async () => {
      const actors = createRuntimeActors({ client: env.client, podLogsDir: env.logs });
      const pod = loadPod(manifest('SIGUSR1'), 'p.yaml', { gates });
      const sandbox = await toPromise(createActor(actors.runPodSandbox, { input: { pod, attempt: 0 } }).start());
      const { containerId } = await toPromise(createActor(actors.createContainer, { input: { pod, container: pod.spec.containers[0]!, fieldPath: 'spec.containers{app}', sandbox, restartCount: 0 } }).start());
      await env.client.startContainer({ containerId });
      // Let the shell install its traps.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await env.client.containerStatus({ containerId })).status?.stopSignal, 'SIGUSR1');
      await env.client.stopContainer({ containerId, timeout: 10 });
      const st = (await env.client.containerStatus({ containerId })).status!;
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exitCode, 42, 'the USR1 trap ran (SIGTERM is ignored, SIGKILL would be 137)');
    });
  });
});
