import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriDeadlineExceededError, CriUnimplementedError } from '../../src/cri/errors.js';
import { loadFaultFile } from '../../src/runtime/index.js';
import { IMAGE, create, rejectsWith, runPod, startHarness, status, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.cri.pullImage({ image: { image: IMAGE } });
});
after(async () => {
  await h.close();
});
beforeEach(() => h.rt.faults.clear());

describe('fault injection (runtime.faults)', () => {
  test('code + message on a named container, for the first `times` calls only', async () => {
    const pod = await runPod(h);
    const a = await create(h, pod, 'flaky', ['sleep', '30']);
    const b = await create(h, pod, 'steady', ['sleep', '30']);
    const id = h.rt.faults.add({ method: 'StartContainer', name: 'flaky', code: 'RESOURCE_EXHAUSTED', message: 'no room', times: 2 });
    await rejectsWith(h.cri.startContainer({ containerId: a }), 'RESOURCE_EXHAUSTED', 'no room');
    await h.cri.startContainer({ containerId: b }); // other name: not matched, no hit
    await rejectsWith(h.cri.startContainer({ containerId: a }), 'RESOURCE_EXHAUSTED', 'no room');
    // Faults apply before the real handler: the container was never touched.
    assert.equal((await status(h, a)).state, 'CONTAINER_CREATED');
    await h.cri.startContainer({ containerId: a }); // expired
    assert.equal((await status(h, a)).state, 'CONTAINER_RUNNING');
    assert.deepEqual(
      h.rt.faults.list().map((r) => ({ id: r.id, hits: r.hits, times: r.times })),
      [{ id, hits: 2, times: 2 }],
    );
    await h.cri.removePodSandbox({ podSandboxId: pod.id });
  });

  test('numeric codes, sandbox names, and "*"', async () => {
    h.rt.faults.add({ method: 'RunPodSandbox', name: 'doomed', code: 14 });
    await rejectsWith(runPod(h, 'doomed'), 'UNAVAILABLE');
    await runPod(h, 'spared');
    h.rt.faults.clear();
    h.rt.faults.add({ method: '*', code: 'INTERNAL', times: 1 });
    await rejectsWith(h.cri.version(), 'INTERNAL', 'injected fault');
    await h.cri.version();
  });

  test('image match on PullImage and on calls about a container of that image', async () => {
    h.rt.faults.add({ method: 'PullImage', image: 'docker.io/library/redis:7', code: 'UNKNOWN', message: 'registry down' });
    await rejectsWith(h.cri.pullImage({ image: { image: 'redis:7' } }), 'UNKNOWN', 'registry down');
    await h.cri.pullImage({ image: { image: 'redis:6' } });
    h.rt.faults.add({ method: 'CreateContainer', image: IMAGE, code: 'UNKNOWN', message: 'bad image' });
    const pod = await runPod(h);
    await rejectsWith(create(h, pod, 'img', ['true']), 'UNKNOWN', 'bad image');
  });

  test('delayMs delays then proceeds; with a code it fails after the delay', async () => {
    const id = h.rt.faults.add({ method: 'Version', delayMs: 300, times: 1 });
    let t0 = Date.now();
    assert.equal((await h.cri.version()).runtimeApiVersion, 'v1');
    assert.ok(Date.now() - t0 >= 290, 'delayed');
    await h.cri.version();
    // Expired after one call: the second call was not delayed (counted by the
    // rule's hits, not by timing, which a loaded machine makes unreliable).
    assert.equal(h.rt.faults.list().find((f) => f.id === id)?.hits, 1);
    h.rt.faults.add({ method: 'Status', delayMs: 200, code: 'UNAVAILABLE', message: 'slow death' });
    t0 = Date.now();
    await rejectsWith(h.cri.status(), 'UNAVAILABLE', 'slow death');
    assert.ok(Date.now() - t0 >= 190);
  });

  test('hang never answers: the client deadline ends the call', async () => {
    const id = h.rt.faults.add({ method: 'ListContainers', hang: true });
    const t0 = Date.now();
    await assert.rejects(h.cri.listContainers({}, { timeoutMs: 300 }), CriDeadlineExceededError);
    assert.ok(Date.now() - t0 >= 280);
    h.rt.faults.remove(id);
    assert.deepEqual(h.rt.faults.list(), []);
    await h.cri.listContainers();
  });

  test('a hung ExecSync does not run the command; cancelling via AbortSignal works', async () => {
    h.rt.faults.add({ method: 'ExecSync', hang: true });
    const ac = new AbortController();
    const p = h.cri.execSync({ containerId: 'x', cmd: ['true'], timeout: 0 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await rejectsWith(p, 'CANCELLED');
  });

  test('invalid rules are refused when added', () => {
    assert.throws(() => h.rt.faults.add({ method: 'StartContaner', code: 'UNKNOWN' }), /fault\.method: unknown CRI method "StartContaner"/);
    assert.throws(() => h.rt.faults.add({ method: 'StartContainer', code: 'NOPE' }), /fault\.code: unknown gRPC code "NOPE"/);
    assert.throws(() => h.rt.faults.add({ method: 'StartContainer' }), /needs at least one of code, delayMs, hang/);
  });

  test('rules from startEmbeddedRuntime({ faults })', async () => {
    const h2 = await startHarness({ faults: [{ method: 'Version', code: 'PERMISSION_DENIED', message: 'from options' }] });
    try {
      await rejectsWith(h2.cri.version(), 'PERMISSION_DENIED', 'from options');
      assert.equal(h2.rt.faults.list()[0]!.hits, 1);
    } finally {
      await h2.close();
    }
  });
});

describe('loadFaultFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-faults-'));
  });
  const file = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };

  test('a list, or { rules: [...] }', async () => {
    const list = await file('list.yaml', '- method: StartContainer\n  name: web\n  code: UNKNOWN\n  times: 2\n- method: "*"\n  delayMs: 50\n');
    assert.deepEqual(loadFaultFile(list), [
      { method: 'StartContainer', name: 'web', code: 'UNKNOWN', times: 2 },
      { method: '*', delayMs: 50 },
    ]);
    const obj = await file('obj.yaml', 'rules:\n  - method: ExecSync\n    hang: true\n  - method: PullImage\n    image: redis\n    code: 5\n    message: nope\n');
    assert.deepEqual(loadFaultFile(obj), [
      { method: 'ExecSync', hang: true },
      { method: 'PullImage', image: 'redis', code: 5, message: 'nope' },
    ]);
    assert.deepEqual(loadFaultFile(await file('empty.yaml', '')), []);
  });

  test('validation errors name the rule and field', async () => {
    const cases: [string, RegExp][] = [
      ['- method: Version\n  code: UNKNOWN\n- method: Version\n  delayMs: 1\n- method: Version\n  code: NOPE\n', /faults\[2\]\.code: unknown gRPC code "NOPE"/],
      ['- method: Versio\n  code: UNKNOWN\n', /faults\[0\]\.method: unknown CRI method "Versio"/],
      ['- code: UNKNOWN\n', /faults\[0\]\.method: required/],
      ['- method: Version\n  code: UNKNOWN\n  times: 1.5\n', /faults\[0\]\.times: must be a positive integer/],
      ['- method: Version\n  delayMs: -1\n', /faults\[0\]\.delayMs: must be a non-negative number/],
      ['- method: Version\n  hang: "yes"\n', /faults\[0\]\.hang: must be true or false/],
      ['- method: Version\n  code: UNKNOWN\n  colour: red\n', /faults\[0\]: unknown field "colour"/],
      ['- method: Version\n  code: 99\n', /faults\[0\]\.code: unknown gRPC code 99/],
      ['rules: 3\n', /rules must be a list/],
      ['rulez: []\n', /unknown top-level field "rulez"/],
      ['- [unclosed\n', /fault file .*bad10\.yaml/],
    ];
    let i = 0;
    for (const [text, re] of cases) {
      const p = await file(`bad${i++}.yaml`, text);
      assert.throws(() => loadFaultFile(p), re, text);
    }
    assert.throws(() => loadFaultFile(join(dir, 'missing.yaml')), /fault file .*missing\.yaml.*ENOENT/);
  });
});

describe('fault injection on the event stream', () => {
  test('GetContainerEvents can fail like containerd 1.6 (UNIMPLEMENTED)', async () => {
    h.rt.faults.add({ method: 'GetContainerEvents', code: 'UNIMPLEMENTED', message: 'method GetContainerEvents not implemented' });
    const err = await new Promise<unknown>((resolve) => {
      h.cri.getContainerEvents().subscribe({ next: () => resolve(new Error('unexpected event')), error: resolve });
    });
    assert.ok(err instanceof CriUnimplementedError);
    assert.equal(err.details, 'method GetContainerEvents not implemented');
  });
});
