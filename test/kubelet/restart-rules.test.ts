// KEP-5307 per-container restart policy and rules (pkg/api/v1/pod/util.go
// ContainerShouldRestart / findMatchingContainerRestartRule, kubelet 1.35–1.36), the
// feature-gate flag, and their effect on the phase and on the container chart.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  containerShouldRestart,
  initRestartOnFailure,
  matchingRestartRule,
  restartAfterKill,
  restartAllContainersOnExit,
  shouldRestart,
} from '../../machines/restart-policy.js';
import { DEFAULT_FEATURE_GATES, parseFeatureGates } from '../../machines/features.js';
import { getPhase } from '../../machines/phase.js';
import type { Container, ContainerStatus, Pod } from '../../src/k8s/types.js';
import { Harness, podYaml } from '../machines/harness.js';
import { loadPod } from '../../src/k8s/manifest.js';

/** A defaulted pod with container fields set after validation (the charts are tested on their own). */
function withFields(yaml: string, edit: (pod: Pod) => void): Pod {
  const pod = loadPod(yaml);
  edit(pod);
  return pod;
}

const OFF = { ...DEFAULT_FEATURE_GATES, ContainerRestartRules: false };

describe('ContainerShouldRestart', () => {
  const rules: Pick<Container, 'restartPolicy' | 'restartPolicyRules'> = {
    restartPolicy: 'Never',
    restartPolicyRules: [
      { action: 'Restart', exitCodes: { operator: 'In', values: [42, 43] } },
      { action: 'RestartAllContainers', exitCodes: { operator: 'In', values: [7] } },
    ],
  };

  test('without container fields the pod policy decides', () => {
    for (const [policy, code, want] of [
      ['Always', 0, true],
      ['Always', 1, true],
      ['OnFailure', 0, false],
      ['OnFailure', 1, true],
      ['Never', 1, false],
    ] as const) {
      assert.equal(containerShouldRestart({}, policy, code), want, `${policy} exit ${code}`);
    }
  });

  test('a container restartPolicy overrides the pod one', () => {
    assert.equal(containerShouldRestart({ restartPolicy: 'Never' }, 'Always', 1), false);
    assert.equal(containerShouldRestart({ restartPolicy: 'OnFailure' }, 'Always', 0), false);
    assert.equal(containerShouldRestart({ restartPolicy: 'Always' }, 'Never', 0), true);
  });

  test('the first matching rule decides; In and NotIn; no match falls back to the container policy', () => {
    assert.equal(containerShouldRestart(rules, 'Never', 42), true);
    assert.equal(containerShouldRestart(rules, 'Never', 1), false);
    // RestartAllContainers is not a Restart for this function: the container policy decides.
    assert.equal(containerShouldRestart(rules, 'Always', 7), false);
    const notIn: Pick<Container, 'restartPolicy' | 'restartPolicyRules'> = {
      restartPolicy: 'Never',
      restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'NotIn', values: [0] } }],
    };
    assert.equal(containerShouldRestart(notIn, 'Never', 3), true);
    assert.equal(containerShouldRestart(notIn, 'Never', 0), false);
    assert.equal(matchingRestartRule(rules, 43)?.action, 'Restart');
    assert.equal(matchingRestartRule(rules, 8), undefined);
  });

  test('rules without an explicit container restartPolicy are not read', () => {
    assert.equal(containerShouldRestart({ restartPolicyRules: rules.restartPolicyRules }, 'Never', 42), false);
  });

  test('RestartAllContainers needs both gates and a matching rule', () => {
    assert.equal(restartAllContainersOnExit(rules, 7), true);
    assert.equal(restartAllContainersOnExit(rules, 42), false);
    assert.equal(restartAllContainersOnExit(rules, 7, { ContainerRestartRules: true, RestartAllContainersOnContainerExits: false }), false);
  });

  test('ShouldContainerBeRestarted: UNKNOWN still restarts; the gate off keeps 1.34 behaviour', () => {
    const base = { role: 'regular' as const, restartPolicy: 'Always' as const, deleting: false };
    assert.equal(shouldRestart({ ...base, container: { restartPolicy: 'Never' }, status: { state: 'exited', exitCode: 1 } }), false);
    assert.equal(shouldRestart({ ...base, container: { restartPolicy: 'Never' }, status: { state: 'unknown' } }), true);
    assert.equal(shouldRestart({ ...base, container: { restartPolicy: 'Never' }, gates: OFF, status: { state: 'exited', exitCode: 1 } }), true);
  });

  test('a kill-and-restart reads only the container restartPolicy (no exit code yet)', () => {
    assert.equal(restartAfterKill('regular', 'Always', { restartPolicy: 'Never' }), false);
    assert.equal(restartAfterKill('regular', 'Never', { restartPolicy: 'OnFailure' }), true);
    assert.equal(restartAfterKill('regular', 'Never', { restartPolicy: 'OnFailure' }, OFF), false);
  });

  test('a failed init container: the container policy, else the pod policy', () => {
    assert.equal(initRestartOnFailure('Never', { restartPolicy: 'OnFailure' }), true);
    assert.equal(initRestartOnFailure('Always', { restartPolicy: 'Never' }), false);
    assert.equal(initRestartOnFailure('Always', {}), true);
  });
});

describe('--feature-gates', () => {
  test('parses the kubelet syntax over the 1.36 defaults', () => {
    const g = parseFeatureGates('ContainerRestartRules=false, ContainerStopSignals=true');
    assert.equal(g.ContainerRestartRules, false);
    assert.equal(g.ContainerStopSignals, true);
    assert.equal(g.RestartAllContainersOnContainerExits, true);
  });
  test('an unknown gate or a bad value names it', () => {
    assert.throws(() => parseFeatureGates('NoSuchGate=true'), /unrecognized feature gate: NoSuchGate/);
    assert.throws(() => parseFeatureGates('ContainerRestartRules=yes'), /invalid value of ContainerRestartRules: yes/);
  });
});

describe('phase with per-container policies', () => {
  const pod = (containers: Container[], restartPolicy: Pod['spec']['restartPolicy']): Pick<Pod, 'spec'> => ({ spec: { containers, restartPolicy } });
  const exited = (name: string, exitCode: number): ContainerStatus => ({
    name,
    state: { terminated: { exitCode } },
    lastState: {},
    ready: false,
    started: false,
    restartCount: 0,
    image: 'x',
    imageID: '',
  });

  test('a stopped container that its own policy restarts keeps the pod Running; otherwise the pod ends', () => {
    const spec = pod([{ name: 'a', image: 'x', restartPolicy: 'OnFailure' }, { name: 'b', image: 'x' }], 'Never');
    assert.equal(getPhase(spec, [], [exited('a', 1), exited('b', 0)]), 'Running');
    assert.equal(getPhase(spec, [], [exited('a', 0), exited('b', 0)]), 'Succeeded');
    const never = pod([{ name: 'a', image: 'x', restartPolicy: 'Never' }], 'Always');
    assert.equal(getPhase(never, [], [exited('a', 1)]), 'Failed');
    assert.equal(getPhase(never, [], [exited('a', 1)], { gates: OFF }), 'Running');
  });
});

describe('the container chart follows the container policy', () => {
  test('pod Always, container Never: an exit 1 is final and the pod fails', async () => {
    const h = await new Harness(
      withFields(
        podYaml(`  restartPolicy: Always
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
        (p) => (p.spec.containers[0]!.restartPolicy = 'Never'),
      ),
      { images: ['busybox:1.36'] },
    ).start();
    await h.exit('app', 1);
    assert.equal(h.containerState('app'), 'Exited');
    assert.equal(h.status().phase, 'Failed');
  });

  test('pod Never, container Never with a Restart rule on 42: exit 42 restarts at once, exit 1 is final', async () => {
    const h = await new Harness(
      withFields(
        podYaml(`  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
`),
        (p) => {
          p.spec.containers[0]!.restartPolicy = 'Never';
          p.spec.containers[0]!.restartPolicyRules = [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }];
        },
      ),
      { images: ['busybox:1.36'] },
    ).start();
    await h.exit('app', 42);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.containerContext('app').restartCount, 1);
    assert.equal(h.status().phase, 'Running');
    await h.exit('app', 1);
    assert.equal(h.containerState('app'), 'Exited');
    assert.equal(h.status().phase, 'Failed');
  });
});

describe('RestartAllContainers (KEP-5532)', () => {
  test('kills every container without preStop, removes them, runs the init containers again; Pending with AllContainersRestarting=True meanwhile', async () => {
    const h = await new Harness(
      withFields(podYaml(`  restartPolicy: Never
  initContainers:
  - name: init
    image: busybox:1.36
    command: ["true"]
  - name: proxy
    image: busybox:1.36
    restartPolicy: Always
    command: ["sh"]
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh"]
  - name: web
    image: busybox:1.36
    command: ["sh"]
    lifecycle:
      preStop:
        exec: { command: ["sleep", "5"] }
`), (p) => {
        p.spec.containers[0]!.restartPolicy = 'Never';
        p.spec.containers[0]!.restartPolicyRules = [{ action: 'RestartAllContainers', exitCodes: { operator: 'In', values: [7] } }];
      }),
      { images: ['busybox:1.36'], stopDurationMs: (n) => (n === 'web' ? 1_000 : 0) },
    ).start();
    await h.exit('init', 0);
    assert.equal(h.status().phase, 'Running');
    const initId = [...h.instances.values()].find((i) => i.name === 'init')!.id;
    const before = h.calls.length;
    await h.exit('app', 7);
    const st = h.status();
    assert.equal(st.phase, 'Pending');
    assert.deepEqual(
      st.conditions!.find((c) => c.type === 'AllContainersRestarting') && { status: st.conditions!.find((c) => c.type === 'AllContainersRestarting')!.status, reason: st.conditions!.find((c) => c.type === 'AllContainersRestarting')!.reason },
      { status: 'True', reason: 'ContainerExited' },
    );
    await h.advance(1_000, 250);
    const after = h.calls.slice(before).map((c) => c.call);
    assert.ok(!after.includes('RunHandler PreStop'), after.join(', '));
    assert.ok(!after.includes('RunPodSandbox'), 'the sandbox is kept');
    assert.ok(h.calls.slice(before).some((c) => c.call === 'RemoveContainer' && c.detail!['id'] === initId));
    // The init container runs again (attempt 1), then the rest.
    const initCreates = h.calls.filter((c) => c.call === 'CreateContainer' && c.detail!['name'] === 'init').map((c) => c.detail!['attempt']);
    assert.deepEqual(initCreates, [0, 1]);
    await h.exit('init', 0);
    assert.equal(h.containerState('app'), 'Running');
    assert.equal(h.containerContext('app').restartCount, 1);
    const done = h.status();
    assert.equal(done.phase, 'Running');
    assert.equal(done.conditions!.find((c) => c.type === 'AllContainersRestarting')?.status, 'False');
    // lastState keeps the exit that triggered it.
    assert.equal(done.containerStatuses!.find((c) => c.name === 'app')!.lastState.terminated?.exitCode, 7);
  });
});
