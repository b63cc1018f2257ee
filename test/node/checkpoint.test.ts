// Checkpoints: atomic, owner-only, batched, and readable back.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, CHECKPOINT_VERSION, type PodCheckpoint } from '../../src/node/checkpoint.js';
import { loadPod } from '../../src/k8s/manifest.js';

const root = mkdtempSync(join(tmpdir(), 'statelet-cp-'));
after(() => rmSync(root, { recursive: true, force: true }));

const pod = loadPod('apiVersion: v1\nkind: Pod\nmetadata: { name: p, uid: u1 }\nspec:\n  containers:\n  - { name: a, image: busybox:1.36, command: ["true"] }\n');
const cp = (n: number): PodCheckpoint => ({ version: CHECKPOINT_VERSION, uid: 'u1', pod, source: 'file', nodeName: 'n', snapshot: { n }, startTime: 1, savedAt: n });

describe('checkpoint store', () => {
  test('writes are batched, atomic and owner-only; loadAll reads them back and drops leftovers', async () => {
    const old = process.umask(0);
    try {
      const store = new CheckpointStore(root);
      await store.init();
      let calls = 0;
      for (let i = 1; i <= 5; i++) store.put('u1', () => (calls++, cp(i)));
      await store.flush();
      assert.equal(calls, 1, 'five marks, one write');
      const file = join(store.dir, 'u1.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(store.dir).mode & 0o777, 0o700);
      writeFileSync(join(store.dir, 'u2.json.tmp'), '{');
      writeFileSync(join(store.dir, 'u3.json'), '{not json');
      const all = await store.loadAll();
      assert.deepEqual([...all.keys()], ['u1']);
      assert.deepEqual(all.get('u1')!.snapshot, { n: 5 });
      assert.ok(!readdirSync(store.dir).some((n) => n.endsWith('.tmp')), 'an interrupted write is cleaned up');
      store.delete('u1');
      await store.flush();
      assert.ok(!existsSync(file));
    } finally {
      process.umask(old);
    }
  });

  test('a checkpoint of another version is ignored', async () => {
    const store = new CheckpointStore(join(root, 'v'));
    await store.init();
    store.put('u1', () => ({ ...cp(1), version: 999 }));
    await store.flush();
    assert.equal((await store.loadAll()).size, 0);
  });
});
