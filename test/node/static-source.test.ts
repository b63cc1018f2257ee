// The static-pod directory source: which files count, and how adds, removals, edits
// and invalid files come out (real files, fs events; each change is awaited, not slept on).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isManifestFile, StaticPodSource } from '../../src/node/static-source.js';
import type { SourcedPod, SourceProblem } from '../../src/node/pod-source.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const pod = (name: string, cmd = '1000', uid = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${uid ? `  uid: ${uid}\n` : ''}spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "${cmd}"]
`;

class Recorder {
  sets: SourcedPod[][] = [];
  problems: SourceProblem[] = [];
  private waiters: (() => void)[] = [];
  handlers = {
    set: (pods: SourcedPod[]) => {
      this.sets.push(pods);
      this.wake();
    },
    problem: (p: SourceProblem) => {
      this.problems.push(p);
      this.wake();
    },
  };
  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** Waits (fs events, at most `ms`) until the predicate holds. */
  async until(pred: () => boolean, what: string, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  last(): SourcedPod[] {
    return this.sets.at(-1) ?? [];
  }
  names(): string[] {
    return this.last().map((p) => p.pod.metadata.name).sort();
  }
}

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'statelet-source-'));
  dirs.push(d);
  return d;
}

describe('static pod directory (file source)', () => {
  test('*.yaml, *.yml and *.json count; dotfiles and other extensions do not', () => {
    assert.ok(isManifestFile('a.yaml'));
    assert.ok(isManifestFile('a.YML'));
    assert.ok(isManifestFile('a.json'));
    assert.ok(!isManifestFile('.a.yaml'));
    assert.ok(!isManifestFile('a.yaml.swp'));
    assert.ok(!isManifestFile('a.txt'));
    assert.ok(!isManifestFile('.#a.yaml'));
  });

  test('the first set holds every manifest, with node-suffixed names and derived UIDs', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.yaml'), pod('a'));
    writeFileSync(join(d, 'b.yml'), pod('b'));
    writeFileSync(join(d, 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c' }, spec: { containers: [{ name: 'x', image: 'busybox:1.36', command: ['true'] }] } }));
    writeFileSync(join(d, '.hidden.yaml'), pod('hidden'));
    writeFileSync(join(d, 'notes.txt'), 'not a pod');
    const r = new Recorder();
    const src = new StaticPodSource({ dir: d, nodeName: 'n1' });
    await src.start(r.handlers);
    try {
      assert.equal(r.sets.length, 1, 'the first set is delivered before start() resolves');
      assert.deepEqual(r.names(), ['a-n1', 'b-n1', 'c-n1']);
      assert.ok(r.last().every((p) => !p.fixedUid && /^[0-9a-f]{32}$/.test(p.pod.metadata.uid!)));
      assert.equal(r.problems.length, 0);
    } finally {
      src.stop();
    }
  });

  test('an added file adds a pod, a removed file removes it, an edit gives a new UID (or the same with metadata.uid)', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.yaml'), pod('a'));
    writeFileSync(join(d, 'f.yaml'), pod('f', '1000', 'fixed-1'));
    const r = new Recorder();
    const src = new StaticPodSource({ dir: d, nodeName: 'n1' });
    await src.start(r.handlers);
    try {
      const uidA = r.last().find((p) => p.pod.metadata.name === 'a-n1')!.pod.metadata.uid;
      assert.equal(r.last().find((p) => p.pod.metadata.name === 'f-n1')!.fixedUid, true);
      const t0 = Date.now();
      writeFileSync(join(d, 'b.yaml'), pod('b'));
      await r.until(() => r.names().includes('b-n1'), 'b added');
      assert.ok(Date.now() - t0 < 1000, 'noticed within 1 s');
      unlinkSync(join(d, 'b.yaml'));
      await r.until(() => !r.names().includes('b-n1'), 'b removed');
      // An atomic rename, as editors and config tools write.
      writeFileSync(join(d, 'a.yaml.tmp'), pod('a', '2000'));
      renameSync(join(d, 'a.yaml.tmp'), join(d, 'a.yaml'));
      await r.until(() => r.last().find((p) => p.pod.metadata.name === 'a-n1')?.pod.metadata.uid !== uidA, 'a replaced');
      writeFileSync(join(d, 'f.yaml'), pod('f', '3000', 'fixed-1'));
      await r.until(() => r.last().find((p) => p.pod.metadata.uid === 'fixed-1')?.pod.spec.containers[0]!.command?.[1] === '3000', 'f updated in place');
    } finally {
      src.stop();
    }
  });

  test('an invalid file is reported with its field; the other pods and its last good pod stay', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.yaml'), pod('a'));
    writeFileSync(join(d, 'b.yaml'), pod('b'));
    writeFileSync(join(d, 'bad.yaml'), pod('bad').replace('command: ["sleep", "1000"]', 'command: ["sleep", "1000"]\n    lifecycle:\n      postStart: {}'));
    const r = new Recorder();
    const src = new StaticPodSource({ dir: d, nodeName: 'n1' });
    await src.start(r.handlers);
    try {
      assert.deepEqual(r.names(), ['a-n1', 'b-n1']);
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0]!.origin, join(d, 'bad.yaml'));
      assert.equal(r.problems[0]!.errors[0]!.field, 'spec.containers[0].lifecycle.postStart');
      // Breaking a good file: reported, and its pod stays in the set.
      writeFileSync(join(d, 'b.yaml'), 'kind: Pod\napiVersion: v1\nmetadata: { name: b }\nspec: { containers: [{ name: app }] }\n');
      await r.until(() => r.problems.length === 2, 'b reported');
      assert.equal(r.problems[1]!.lastGood?.metadata.name, 'b-n1');
      assert.match(r.problems[1]!.errors.map((e) => e.field).join(','), /spec\.containers\[0\]\.image/);
      assert.deepEqual(r.names(), ['a-n1', 'b-n1']);
    } finally {
      src.stop();
    }
  });

  test('the periodic re-scan finds what no event reported', async () => {
    const d = dir();
    const r = new Recorder();
    const src = new StaticPodSource({ dir: d, nodeName: 'n1', rescanMs: 200 });
    await src.start(r.handlers);
    try {
      // Stop the watcher so that only the re-scan can see the new file.
      (src as unknown as { watcher?: { close(): void } }).watcher?.close();
      writeFileSync(join(d, 'late.yaml'), pod('late'));
      await r.until(() => r.names().includes('late-n1'), 're-scan');
    } finally {
      src.stop();
    }
  });
});

describe('examples/serve', () => {
  test('every sample manifest loads as a static pod, and the README is not one', async () => {
    const { fileURLToPath } = await import('node:url');
    const { readdirSync } = await import('node:fs');
    const dir = fileURLToPath(new URL('../../../examples/serve', import.meta.url));
    const r = new Recorder();
    const src = new StaticPodSource({ dir, nodeName: 'example' });
    await src.start(r.handlers);
    src.stop();
    assert.deepEqual(r.problems.map((p) => `${p.origin}: ${JSON.stringify(p.errors)}`), []);
    assert.equal(r.last().length, readdirSync(dir).filter(isManifestFile).length);
    assert.ok(r.last().length >= 4);
    assert.ok(r.last().some((p) => p.fixedUid), 'one keeps its uid');
  });
});
